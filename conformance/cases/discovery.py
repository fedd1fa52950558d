"""ONVIF Base Device Test Specification, WS-Discovery (DISCOVERY-1-1-2 ... DISCOVERY-2-1-5).

Multicast only ever crosses the veth pair of network namespaces this module creates (never the
host's interfaces). One camera runs with discovery on in the server namespace for all the
cases, started by the first case that needs it and stopped (namespaces deleted) when the
runner exits; the cases that reboot it (SystemReboot restarts nvt in-process) or change its
scopes or discovery mode put them back. The client side is `wsd_agent.py`, one process inside
the client namespace: raw Probes from their own UDP sockets (multicast to 239.255.255.250:3702
or unicast to the camera), a listener on the group for Hello and Bye, and the Device service's
SOAP over HTTP. Each Probe goes out from its own source address on the client's link, so nvt's
per-source reply rate limit (docs/discovery.md) never decides a case.

DISCOVERY_TIMEOUT is 5 s (Annex A.7); the mandatory scope types are type, location, hardware
and name (Annex A.1).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from lxml import etree

from conformance.harness import case, check, username_token
from conformance.netns import NetnsPair, ip
from conformance.nvt import Nvt

HERE = Path(__file__).resolve().parents[1]

ENV12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
DN = "http://www.onvif.org/ver10/network/wsdl"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TT = "http://www.onvif.org/ver10/schema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
ACTION_PROBE = WSD + "/Probe"
TO_DISCOVERY = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
GROUP = ("239.255.255.250", 3702)
NS = {"s": ENV12, "a": WSA, "d": WSD, "tds": TDS, "tt": TT}

DISCOVERY_TIMEOUT = 5.0
MANDATORY = ("type", "location", "hardware", "name")
# The Annex A.11 Probe examples probe by these four scope types.
SCOPE_TYPES = [f"onvif://www.onvif.org/{t}" for t in MANDATORY]


# -- the camera and the client namespace, shared by the cases -------------------------------


class Lab:
    def __init__(self, ctx):
        self.pair = NetnsPair("d").__enter__()
        self.cam: Nvt | None = None
        self.agent: subprocess.Popen | None = None
        self.user, self.password = ctx.user, ctx.password
        self._lock = threading.Lock()
        self._src = 10
        try:
            self.cam = Nvt(
                ctx.nvt.binary, Path(ctx.work) / "state-discovery", ctx.password,
                bind=self.pair.server_ip, prefix=self.pair.in_server(), discovery=True,
            ).start()
            self.cam.wait_for("WS-Discovery serving interface", 60)
            self.agent = subprocess.Popen(
                self.pair.in_client(sys.executable, str(HERE / "wsd_agent.py"), self.pair.client_ip),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            line = self.agent.stdout.readline()
            if "ready" not in line:
                raise RuntimeError(f"wsd_agent did not start: {line!r}")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.agent and self.agent.poll() is None:
            self.agent.kill()
            self.agent.wait()
        if self.cam:
            try:
                self.cam.stop()
            except Exception:
                self.cam.kill9()
        self.pair.__exit__(None, None, None)

    @property
    def xaddr(self) -> str:
        return f"http://{self.pair.server_ip}:{self.cam.http_port}/onvif/device_service"

    def source(self) -> str:
        """A fresh source address on the client's link (same subnet as the camera)."""
        with self._lock:
            self._src += 1
            addr = self.pair.client_ip.rsplit(".", 1)[0] + f".{self._src}"
        ip("-n", self.pair.client, "addr", "add", f"{addr}/24", "dev", self.pair.vc)
        return addr

    def _call(self, cmd: dict) -> dict:
        with self._lock:
            self.agent.stdin.write(json.dumps(cmd) + "\n")
            self.agent.stdin.flush()
            line = self.agent.stdout.readline()
        if not line:
            raise RuntimeError("wsd_agent exited")
        out = json.loads(line)
        if "error" in out:
            raise RuntimeError(f"wsd_agent: {out['error']}")
        return out

    async def call(self, cmd: dict) -> dict:
        return await asyncio.to_thread(self._call, cmd)

    async def probes(self, docs: list[str], *, unicast=False, expect_reply=True) -> list[list[str]]:
        """Sends each document from its own socket and source address; returns the datagrams
        each got back: until each has one (or DISCOVERY_TIMEOUT) when a reply is expected,
        for the whole DISCOVERY_TIMEOUT otherwise."""
        to = [self.pair.server_ip, 3702] if unicast else list(GROUP)
        items = [{"to": to, "data": d, "src": await asyncio.to_thread(self.source)} for d in docs]
        out = await self.call({"op": "probe", "items": items, "wait": DISCOVERY_TIMEOUT, "first": expect_reply})
        return [[r["data"] for r in rs] for rs in out["replies"]]

    async def events_index(self) -> int:
        return (await self.call({"op": "events", "since": 1 << 30}))["next"]

    async def events(self, since: int) -> list["Msg"]:
        """Multicast WS-Discovery messages seen on the client's link since `since`."""
        out = await self.call({"op": "events", "since": since})
        msgs = []
        for e in out["events"]:
            try:
                msgs.append(Msg(e["data"]))
            except etree.XMLSyntaxError:
                pass
        return msgs

    async def wait_event(self, since: int, kind: str, timeout: float, pred=lambda m: True) -> "Msg | None":
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for m in await self.events(since):
                if m.kind == kind and pred(m):
                    return m
            if loop.time() > deadline:
                return None
            await asyncio.sleep(0.2)

    async def soap_doc(self, doc: str) -> "Msg":
        out = await self.call({"op": "http", "url": self.xaddr, "body": doc})
        check(out["status"] == 200, f"HTTP {out['status']}: {out['body'][:300]}")
        return Msg(out["body"])

    async def soap(self, body: str) -> "Msg":
        """A Device service request with a WS-UsernameToken digest, from the client namespace."""
        doc = (
            f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{ENV12}" xmlns:tds="{TDS}" '
            f'xmlns:tt="{TT}" xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><s:Header>'
            f"{username_token(self.user, self.password)}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
        )
        return await self.soap_doc(doc)

    async def reboot(self) -> None:
        """SystemReboot; returns once the camera serves discovery again."""
        n = len(self.cam.snapshot())
        r = await self.soap("<tds:SystemReboot/>")
        msg = r.xml.xpath("/s:Envelope/s:Body/tds:SystemRebootResponse/tds:Message/text()", namespaces=NS)
        check(msg and msg[0].strip(), f"no SystemRebootResponse Message: {r.text[:300]}")
        await asyncio.to_thread(self.cam.wait_for, "restarting (SystemReboot)", 30, n)
        await asyncio.to_thread(self.cam.wait_for, "WS-Discovery serving interface", 60, n)


_LAB: Lab | None = None


def lab(ctx) -> Lab:
    global _LAB
    if _LAB is None:
        _LAB = Lab(ctx)
        atexit.register(_LAB.close)
    elif _LAB.cam.proc.poll() is not None:
        raise RuntimeError("the discovery camera died:\n" + "\n".join(_LAB.cam.snapshot()[-20:]))
    return _LAB


# -- messages --------------------------------------------------------------------------------


class Msg:
    def __init__(self, text: str):
        self.text = text
        self.xml = etree.fromstring(text.encode())

    def header(self, name: str) -> str | None:
        v = self.xml.xpath(f"/s:Envelope/s:Header/a:{name}/text()", namespaces=NS)
        return v[0].strip() if v else None

    @property
    def body(self):
        b = self.xml.xpath("/s:Envelope/s:Body/*", namespaces=NS)
        return b[0] if b else None

    @property
    def kind(self) -> str:
        """Local name of the body's element, for WS-Discovery messages (else "")."""
        b = self.body
        if b is None:
            return ""
        q = etree.QName(b)
        return q.localname if q.namespace == WSD else ""


def qnames(el) -> list[tuple[str | None, str]]:
    """An xs:QName list resolved against the namespaces in scope at `el`."""
    out = []
    for item in (el.text or "").split():
        prefix, _, local = item.rpartition(":")
        out.append((el.nsmap.get(prefix or None), local))
    return out


def uri_prefix_match(probe: str, ours: str) -> bool:
    """RFC 3986 prefix rule of WS-Discovery 2005/04 s.5.1 (scheme and authority ignoring case,
    whole path segments)."""
    from urllib.parse import urlsplit

    a, b = urlsplit(probe), urlsplit(ours)
    if a.scheme.lower() != b.scheme.lower() or a.netloc.lower() != b.netloc.lower():
        return False
    sa = [s for s in a.path.split("/") if s]
    sb = [s for s in b.path.split("/") if s]
    return sb[: len(sa)] == sa


def has_mandatory(scopes: list[str]) -> list[str]:
    """The mandatory scope types missing from `scopes`."""
    return [t for t in MANDATORY if not any(uri_prefix_match(f"onvif://www.onvif.org/{t}", s) for s in scopes)]


def check_target(el, lab: Lab, where: str, probed_scopes=()) -> tuple[list[str], int]:
    """The Hello/ProbeMatch fields every DISCOVERY case checks: EndpointReference, Types with
    their namespace, Scopes with the mandatory types, the fixed device service entry point in
    XAddrs, MetadataVersion. Returns (scopes, MetadataVersion)."""
    def one(path):
        v = el.xpath(path, namespaces=NS)
        return v[0] if v else None

    addr = one("a:EndpointReference/a:Address/text()")
    check(addr and addr.strip().startswith("urn:uuid:"), f"{where}: EndpointReference Address {addr!r}")
    types = one("d:Types")
    check(types is not None and (types.text or "").strip(), f"{where}: no Types")
    resolved = qnames(types)
    check(all(ns for ns, _ in resolved), f"{where}: a Types value without a namespace: {types.text!r}")
    check((DN, "NetworkVideoTransmitter") in resolved, f"{where}: Types {resolved} lack dn:NetworkVideoTransmitter")
    scopes_el = one("d:Scopes")
    check(scopes_el is not None, f"{where}: no Scopes")
    scopes = (scopes_el.text or "").split()
    missing = has_mandatory(scopes)
    check(not missing, f"{where}: Scopes lack the mandatory types {missing}: {scopes}")
    for p in probed_scopes:
        check(any(uri_prefix_match(p, s) for s in scopes), f"{where}: probed scope {p} matches none of {scopes}")
    xaddrs = (one("d:XAddrs/text()") or "").split()
    check(lab.xaddr in xaddrs, f"{where}: XAddrs {xaddrs} lack {lab.xaddr}")
    mv = (one("d:MetadataVersion/text()") or "").strip()
    check(mv.isdigit(), f"{where}: MetadataVersion {mv!r}")
    return scopes, int(mv)


def check_probe_match(replies: list[str], mid: str, lab: Lab, where: str, probed_scopes=(), get_scopes=None) -> int:
    """Checks the first reply is the ProbeMatches to Probe `mid`; returns its MetadataVersion."""
    check(replies, f"{where}: no ProbeMatches within DISCOVERY_TIMEOUT ({DISCOVERY_TIMEOUT:.0f} s)")
    m = Msg(replies[0])
    check(etree.QName(m.xml).namespace == ENV12, f"{where}: not a SOAP 1.2 envelope")
    check(m.kind == "ProbeMatches", f"{where}: {m.kind or 'not WS-Discovery'} instead of ProbeMatches")
    check(m.header("Action") == WSD + "/ProbeMatches", f"{where}: Action {m.header('Action')!r}")
    check(m.header("RelatesTo") == mid, f"{where}: RelatesTo {m.header('RelatesTo')!r}, Probe MessageID {mid!r}")
    check(m.header("MessageID"), f"{where}: no MessageID")
    matches = m.body.xpath("d:ProbeMatch", namespaces=NS)
    check(len(matches) == 1, f"{where}: {len(matches)} ProbeMatch elements")
    scopes, mv = check_target(matches[0], lab, where, probed_scopes)
    if get_scopes is not None:
        check(sorted(scopes) == sorted(get_scopes), f"{where}: ProbeMatch scopes {scopes} != GetScopes {get_scopes}")
    return mv


async def get_scopes(lab: Lab, doc: str | None = None) -> tuple[list[str], list[str]]:
    """GetScopes (in the given document, or a plain one): (all scopes, configurable ones);
    fails unless the mandatory scope types are there."""
    r = await (lab.soap_doc(doc) if doc else lab.soap("<tds:GetScopes/>"))
    items = r.xml.xpath("/s:Envelope/s:Body/tds:GetScopesResponse/tds:Scopes", namespaces=NS)
    check(items, f"no GetScopesResponse: {r.text[:300]}")
    scopes = [i.findtext(f"{{{TT}}}ScopeItem").strip() for i in items]
    configurable = [i.findtext(f"{{{TT}}}ScopeItem").strip() for i in items
                    if i.findtext(f"{{{TT}}}ScopeDef").strip() == "Configurable"]
    missing = has_mandatory(scopes)
    check(not missing, f"GetScopes lacks the mandatory scope types {missing}: {scopes}")
    return scopes, configurable


def new_mid() -> str:
    return uuid.uuid4().urn


def probe(mid: str, types: list[tuple[str, str]] | None = (), scopes: list[str] | None = (), match_by: str | None = None) -> str:
    """A WS-Discovery Probe as ONVIF clients write it (prefixes on the envelope). `types`:
    QNames (namespace, local); None omits the Types element, likewise `scopes`."""
    decls, items = [], []
    for i, (ns, local) in enumerate(types or ()):
        decls.append(f' xmlns:t{i}="{ns}"')
        items.append(f"t{i}:{local}")
    parts = []
    if types is not None:
        parts.append(f"<d:Types>{' '.join(items)}</d:Types>")
    if scopes is not None:
        mb = f' MatchBy="{match_by}"' if match_by else ""
        parts.append(f"<d:Scopes{mb}>{' '.join(scopes)}</d:Scopes>")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{ENV12}" xmlns:a="{WSA}" '
        f'xmlns:d="{WSD}"{"".join(decls)}><s:Header><a:MessageID>{mid}</a:MessageID><a:To>{TO_DISCOVERY}</a:To>'
        f"<a:Action>{ACTION_PROBE}</a:Action></s:Header><s:Body><d:Probe>{''.join(parts)}</d:Probe></s:Body></s:Envelope>"
    )


# -- DISCOVERY-1-1-x -------------------------------------------------------------------------

NVT_TYPE = [(DN, "NetworkVideoTransmitter")]
# Annex A.1: a Types list without dn:NetworkVideoTransmitter or tds:Device, and a scope that
# is not an RFC 3986 URI.
INVALID_TYPE = [(DN, "InvalidDeviceType")]
INVALID_SCOPE = ["onvif://www.onvif.org/[invalid]/scope"]


async def search_by_scope_types(ctx, unicast: bool) -> None:
    """DISCOVERY-1-1-3 (and its unicast repeat): GetScopes, then Probes by the scope types,
    all four together (the Annex A.11 example) and each with the device's own value."""
    lab_ = lab(ctx)
    scopes, _ = await get_scopes(lab_)
    sets = [SCOPE_TYPES] + [[next(s for s in scopes if uri_prefix_match(t, s))] for t in SCOPE_TYPES]
    mids = [new_mid() for _ in sets]
    replies = await lab_.probes([probe(m, NVT_TYPE, s) for m, s in zip(mids, sets)], unicast=unicast)
    for m, s, r in zip(mids, sets, replies):
        check_probe_match(r, m, lab_, f"Probe by {' '.join(s)}", s, scopes)
    ctx.note(f"{len(sets)} {'unicast' if unicast else 'multicast'} Probes by scope type answered with "
             "ProbeMatches (RelatesTo, namespaced Types, the GetScopes list, the device service XAddr)")


async def search_omitted(ctx, unicast: bool) -> None:
    lab_ = lab(ctx)
    mid = new_mid()
    [r] = await lab_.probes([probe(mid, None, None)], unicast=unicast)
    check_probe_match(r, mid, lab_, "Probe without Types and Scopes")
    ctx.note(f"{'unicast' if unicast else 'multicast'} Probe without Types and Scopes answered")


async def invalid_search(ctx, unicast: bool) -> None:
    lab_ = lab(ctx)
    cases = {
        "invalid Types": probe(new_mid(), INVALID_TYPE, None),
        "invalid Scopes": probe(new_mid(), NVT_TYPE, INVALID_SCOPE),
        "invalid Types and Scopes": probe(new_mid(), INVALID_TYPE, INVALID_SCOPE),
    }
    replies = await lab_.probes(list(cases.values()), unicast=unicast, expect_reply=False)
    for what, r in zip(cases, replies):
        check(not r, f"a reply to the {what} Probe: {r[0][:300] if r else ''}")
    # A valid Probe right after, the same way, is answered: the silence was the device's, not
    # the link's.
    mid = new_mid()
    [r] = await lab_.probes([probe(mid, NVT_TYPE, None)], unicast=unicast)
    check_probe_match(r, mid, lab_, "valid Probe after the invalid ones")
    ctx.note(f"no reply to {len(cases)} invalid {'unicast' if unicast else 'multicast'} Probes in "
             f"{DISCOVERY_TIMEOUT:.0f} s; a valid one right after answered")


@case("DISCOVERY-1-1-2", disruptive=True)
async def hello_validation(ctx):
    lab_ = lab(ctx)
    since = await lab_.events_index()
    await lab_.reboot()
    hello = await lab_.wait_event(since, "Hello", 30)
    check(hello is not None, "no multicast Hello after SystemReboot")
    check(etree.QName(hello.xml).namespace == ENV12, "Hello is not SOAP 1.2")
    check(hello.header("Action") == WSD + "/Hello", f"Hello Action {hello.header('Action')!r}")
    check(hello.header("To") == TO_DISCOVERY, f"Hello To {hello.header('To')!r}")
    check(hello.xml.xpath("/s:Envelope/s:Header/d:AppSequence/@InstanceId", namespaces=NS), "Hello without AppSequence")
    scopes, mv = check_target(hello.body, lab_, "Hello")
    ctx.note(f"Hello after SystemReboot: EPR, Types (namespaced), {len(scopes)} scopes incl. type/location/"
             f"hardware/name, XAddrs {lab_.xaddr}, MetadataVersion {mv}")


@case("DISCOVERY-1-1-3")
async def search_scope_types(ctx):
    await search_by_scope_types(ctx, unicast=False)


@case("DISCOVERY-1-1-4")
async def search_omitted_types(ctx):
    await search_omitted(ctx, unicast=False)


@case("DISCOVERY-1-1-5")
async def invalid_search_request(ctx):
    await invalid_search(ctx, unicast=False)


@case("DISCOVERY-1-1-6")
async def unicast_probe(ctx):
    # DISCOVERY-1-1-3, -4 and -5 repeated with unicast Probes.
    await search_by_scope_types(ctx, unicast=True)
    await search_omitted(ctx, unicast=True)
    await invalid_search(ctx, unicast=True)


@case("DISCOVERY-1-1-8", disruptive=True)
async def bye_message(ctx):
    lab_ = lab(ctx)
    since = await lab_.events_index()
    await lab_.reboot()
    bye = await lab_.wait_event(since, "Bye", 10)
    check(bye is not None, "no multicast Bye at SystemReboot")
    check(bye.header("Action") == WSD + "/Bye", f"Bye Action {bye.header('Action')!r}")
    addr = bye.body.xpath("a:EndpointReference/a:Address/text()", namespaces=NS)
    check(addr and addr[0].strip().startswith("urn:uuid:"), f"Bye EndpointReference {addr}")
    hello = await lab_.wait_event(since, "Hello", 30)
    check(hello is not None, "no Hello after the reboot")
    epr = hello.body.xpath("a:EndpointReference/a:Address/text()", namespaces=NS)[0].strip()
    check(epr == addr[0].strip(), f"Bye EPR {addr[0]} != Hello EPR {epr}")
    ctx.note(f"Bye with EPR {epr} at SystemReboot, Hello with the same EPR after it")


@case("DISCOVERY-1-1-9", disruptive=True)
async def discovery_mode(ctx):
    lab_ = lab(ctx)

    async def get_mode() -> str:
        r = await lab_.soap("<tds:GetDiscoveryMode/>")
        v = r.xml.xpath("/s:Envelope/s:Body/tds:GetDiscoveryModeResponse/tds:DiscoveryMode/text()", namespaces=NS)
        check(v, f"no GetDiscoveryModeResponse: {r.text[:300]}")
        return v[0].strip()

    async def set_mode(mode: str) -> None:
        r = await lab_.soap(f"<tds:SetDiscoveryMode><tds:DiscoveryMode>{mode}</tds:DiscoveryMode></tds:SetDiscoveryMode>")
        check(r.xml.xpath("/s:Envelope/s:Body/tds:SetDiscoveryModeResponse", namespaces=NS),
              f"no SetDiscoveryModeResponse: {r.text[:300]}")

    check((m := await get_mode()) == "Discoverable", f"GetDiscoveryMode at start: {m}")
    try:
        await set_mode("NonDiscoverable")
        check((m := await get_mode()) == "NonDiscoverable", f"GetDiscoveryMode after SetDiscoveryMode: {m}")
        [r] = await lab_.probes([probe(new_mid(), None, None)], expect_reply=False)
        check(not r, f"ProbeMatches while NonDiscoverable: {r[0][:300] if r else ''}")
        since = await lab_.events_index()
        await lab_.reboot()
        # The camera serves again; a Hello would have gone out at once. Allow for the link.
        await asyncio.sleep(2)
        seen = [m.kind for m in await lab_.events(since) if m.kind in ("Hello", "Bye")]
        check(not seen, f"{' and '.join(seen)} sent across a reboot while NonDiscoverable")
    finally:
        await set_mode("Discoverable")
    check((m := await get_mode()) == "Discoverable", f"GetDiscoveryMode at the end: {m}")
    mid = new_mid()
    [r] = await lab_.probes([probe(mid, None, None)])
    check_probe_match(r, mid, lab_, "Probe once Discoverable again")
    ctx.note("NonDiscoverable: no ProbeMatches in 5 s, no Bye or Hello across SystemReboot; "
             "Discoverable again: answered")


@case("DISCOVERY-1-1-10")
async def soap_fault(ctx):
    lab_ = lab(ctx)
    mid = new_mid()
    rule = "http://schemas.xmlsoap.org/ws/2005/04/discovery/InvalidMatchingRule"
    doc = probe(mid, NVT_TYPE, ["onvif://www.onvif.org/name"], match_by=rule)
    [r] = await lab_.probes([doc], unicast=True)
    check(r, f"no reply to a unicast Probe with MatchBy={rule} within {DISCOVERY_TIMEOUT:.0f} s")
    m = Msg(r[0])
    check(etree.QName(m.xml).namespace == ENV12, "the fault is not a SOAP 1.2 envelope")
    fault = m.xml.xpath("/s:Envelope/s:Body/s:Fault", namespaces=NS)
    check(fault, f"not a SOAP fault: {r[0][:300]}")
    f = fault[0]
    # SOAP 1.2 Part 1 s.5.4: Code/Value (one of the standard codes), optional Subcodes, and a
    # Reason with at least one xml:lang Text.
    code = f.xpath("s:Code/s:Value", namespaces=NS)
    check(code, "Fault without Code/Value")

    def qname(el):
        prefix, _, local = el.text.strip().rpartition(":")
        return el.nsmap.get(prefix or None), local

    check(qname(code[0]) == (ENV12, "Sender"), f"Code {code[0].text!r}")
    sub = f.xpath("s:Code/s:Subcode/s:Value", namespaces=NS)
    check(sub and qname(sub[0]) == (WSD, "MatchingRuleNotSupported"), f"Subcode {[s.text for s in sub]}")
    texts = f.xpath("s:Reason/s:Text", namespaces=NS)
    check(texts and texts[0].get("{http://www.w3.org/XML/1998/namespace}lang"), "Reason/Text with xml:lang missing")
    check(m.header("RelatesTo") == mid, f"RelatesTo {m.header('RelatesTo')!r}, Probe MessageID {mid!r}")
    check(m.header("Action") == WSD + "/fault", f"Action {m.header('Action')!r}")
    ctx.note(f"unicast Probe ({len(doc)} B) with an unsupported MatchBy: SOAP 1.2 fault ({len(r[0])} B) "
             f"Sender/d:MatchingRuleNotSupported, Reason {texts[0].text!r}")


@case("DISCOVERY-1-1-11")
async def scopes_configuration(ctx):
    lab_ = lab(ctx)
    _, configurable = await get_scopes(lab_)
    tag = uuid.uuid4().hex[:8]
    new = [f"onvif://www.onvif.org/name/discovery-{tag}", f"onvif://www.onvif.org/location/lab-{tag}"]
    added = [f"onvif://www.onvif.org/conformance/added-{tag}", f"onvif://www.onvif.org/conformance/second-{tag}"]

    def scope_list(items, name="Scopes"):
        return "".join(f"<tds:{name}>{s}</tds:{name}>" for s in items)

    # MetadataVersion before any change, as a ProbeMatch says it.
    mid = new_mid()
    [r] = await lab_.probes([probe(mid, None, None)])
    mv0 = check_probe_match(r, mid, lab_, "Probe before the changes")
    try:
        r = await lab_.soap(f"<tds:SetScopes>{scope_list(new)}</tds:SetScopes>")
        check(r.xml.xpath("//tds:SetScopesResponse", namespaces=NS), f"no SetScopesResponse: {r.text[:300]}")
        await asyncio.sleep(2)
        since = await lab_.events_index()
        r = await lab_.soap(f"<tds:AddScopes>{scope_list(added, 'ScopeItem')}</tds:AddScopes>")
        check(r.xml.xpath("//tds:AddScopesResponse", namespaces=NS), f"no AddScopesResponse: {r.text[:300]}")
        current, _ = await get_scopes(lab_)
        hello = await lab_.wait_event(
            since, "Hello", 20, lambda m: added[0] in (m.body.findtext(f"{{{WSD}}}Scopes") or "").split())
        check(hello is not None, "no multicast Hello with the added scopes after AddScopes")
        scopes, mv1 = check_target(hello.body, lab_, "Hello after AddScopes")
        check(sorted(scopes) == sorted(current), f"Hello scopes {scopes} != GetScopes {current}")
        check(mv1 > mv0, f"MetadataVersion {mv0} -> {mv1} after the scope change")
        mid = new_mid()
        [r] = await lab_.probes([probe(mid, None, added)])
        check_probe_match(r, mid, lab_, "Probe by the added scopes", added)

        since = await lab_.events_index()
        r = await lab_.soap(f"<tds:RemoveScopes>{scope_list(added, 'ScopeItem')}</tds:RemoveScopes>")
        check(r.xml.xpath("//tds:RemoveScopesResponse", namespaces=NS), f"no RemoveScopesResponse: {r.text[:300]}")
        current, _ = await get_scopes(lab_)
        hello = await lab_.wait_event(
            since, "Hello", 20, lambda m: added[0] not in (m.body.findtext(f"{{{WSD}}}Scopes") or "").split())
        check(hello is not None, "no multicast Hello without the removed scopes after RemoveScopes")
        scopes, mv2 = check_target(hello.body, lab_, "Hello after RemoveScopes")
        check(sorted(scopes) == sorted(current), f"Hello scopes {scopes} != GetScopes {current}")
        check(mv2 > mv1, f"MetadataVersion {mv1} -> {mv2} after the removal")
        [r] = await lab_.probes([probe(new_mid(), None, added)], expect_reply=False)
        check(not r, f"ProbeMatches for removed scopes: {r[0][:300] if r else ''}")
    finally:
        await lab_.soap(f"<tds:SetScopes>{scope_list(configurable)}</tds:SetScopes>")
    ctx.note(f"SetScopes, AddScopes (Hello, MetadataVersion {mv0}->{mv1}, found by the new scopes), "
             f"RemoveScopes (Hello, {mv1}->{mv2}, no reply in {DISCOVERY_TIMEOUT:.0f} s by the removed scopes)")


# -- DISCOVERY-2-1-x: Annex A.11 namespace styles --------------------------------------------
# Each style writes GetScopes (with its UsernameToken) and the Probe the way Annex A.11 shows;
# `{mid}`, `{scopes}` and the token fields are filled in.

SCOPES_TEXT = "\n        ".join(SCOPE_TYPES)

STYLES = {
    "DISCOVERY-2-1-1": ("default namespaces in each tag", f"""<Envelope xmlns="{ENV12}">
  <Header xmlns="{ENV12}">
    <Security xmlns="{WSSE}">
      <UsernameToken xmlns="{WSSE}">
        <Username xmlns="{WSSE}">{{user}}</Username>
        <Password xmlns="{WSSE}" Type="{DIGEST}">{{digest}}</Password>
        <Nonce xmlns="{WSSE}">{{nonce}}</Nonce>
        <Created xmlns="{WSU}">{{created}}</Created>
      </UsernameToken>
    </Security>
  </Header>
  <Body xmlns="{ENV12}">
    <GetScopes xmlns="{TDS}" />
  </Body>
</Envelope>""", f"""<Envelope xmlns="{ENV12}">
  <Header xmlns="{ENV12}">
    <MessageID xmlns="{WSA}">{{mid}}</MessageID>
    <To xmlns="{WSA}">{TO_DISCOVERY}</To>
    <Action xmlns="{WSA}">{ACTION_PROBE}</Action>
  </Header>
  <Body xmlns="{ENV12}">
    <Probe xmlns="{WSD}">
      <Types xmlns="{WSD}" xmlns:dn="{DN}">dn:NetworkVideoTransmitter</Types>
      <Scopes xmlns="{WSD}">{SCOPES_TEXT}</Scopes>
    </Probe>
  </Body>
</Envelope>"""),
    "DISCOVERY-2-1-2": ("default namespaces in the parent tag", f"""<Envelope xmlns="{ENV12}">
  <Header>
    <Security xmlns="{WSSE}">
      <UsernameToken>
        <Username>{{user}}</Username>
        <Password Type="{DIGEST}">{{digest}}</Password>
        <Nonce>{{nonce}}</Nonce>
        <Created xmlns="{WSU}">{{created}}</Created>
      </UsernameToken>
    </Security>
  </Header>
  <Body>
    <GetScopes xmlns="{TDS}" />
  </Body>
</Envelope>""", f"""<Envelope xmlns="{ENV12}">
  <Header>
    <MessageID xmlns="{WSA}">{{mid}}</MessageID>
    <To xmlns="{WSA}">{TO_DISCOVERY}</To>
    <Action xmlns="{WSA}">{ACTION_PROBE}</Action>
  </Header>
  <Body>
    <Probe xmlns="{WSD}">
      <Types xmlns:dn="{DN}">dn:NetworkVideoTransmitter</Types>
      <Scopes>{SCOPES_TEXT}</Scopes>
    </Probe>
  </Body>
</Envelope>"""),
    "DISCOVERY-2-1-3": ("non-standard prefixes", f"""<prefix1:Envelope
  xmlns:prefix1="{ENV12}"
  xmlns:prefix2="{WSSE}"
  xmlns:prefix3="{WSU}"
  xmlns:prefix4="{TDS}">
  <prefix1:Header>
    <prefix2:Security>
      <prefix2:UsernameToken>
        <prefix2:Username>{{user}}</prefix2:Username>
        <prefix2:Password Type="{DIGEST}">{{digest}}</prefix2:Password>
        <prefix2:Nonce>{{nonce}}</prefix2:Nonce>
        <prefix3:Created>{{created}}</prefix3:Created>
      </prefix2:UsernameToken>
    </prefix2:Security>
  </prefix1:Header>
  <prefix1:Body>
    <prefix4:GetScopes/>
  </prefix1:Body>
</prefix1:Envelope>""", f"""<prefix2:Envelope
  xmlns:prefix1="{DN}"
  xmlns:prefix2="{ENV12}"
  xmlns:prefix3="{WSA}"
  xmlns:prefix4="{WSD}">
  <prefix2:Header>
    <prefix3:MessageID>{{mid}}</prefix3:MessageID>
    <prefix3:To>{TO_DISCOVERY}</prefix3:To>
    <prefix3:Action>{ACTION_PROBE}</prefix3:Action>
  </prefix2:Header>
  <prefix2:Body>
    <prefix4:Probe>
      <prefix4:Types>prefix1:NetworkVideoTransmitter</prefix4:Types>
      <prefix4:Scopes>{SCOPES_TEXT}</prefix4:Scopes>
    </prefix4:Probe>
  </prefix2:Body>
</prefix2:Envelope>"""),
    "DISCOVERY-2-1-4": ("different prefixes for the same namespace", f"""<p1:Envelope xmlns:p1="{ENV12}">
  <p2:Header xmlns:p2="{ENV12}">
    <p3:Security xmlns:p3="{WSSE}">
      <p4:UsernameToken xmlns:p4="{WSSE}">
        <p5:Username xmlns:p5="{WSSE}">{{user}}</p5:Username>
        <p6:Password xmlns:p6="{WSSE}" Type="{DIGEST}">{{digest}}</p6:Password>
        <p7:Nonce xmlns:p7="{WSSE}">{{nonce}}</p7:Nonce>
        <p8:Created xmlns:p8="{WSU}">{{created}}</p8:Created>
      </p4:UsernameToken>
    </p3:Security>
  </p2:Header>
  <p9:Body xmlns:p9="{ENV12}">
    <p10:GetScopes xmlns:p10="{TDS}" />
  </p9:Body>
</p1:Envelope>""", f"""<p1:Envelope xmlns:p1="{ENV12}">
  <p2:Header xmlns:p2="{ENV12}">
    <p3:MessageID xmlns:p3="{WSA}">{{mid}}</p3:MessageID>
    <p4:To xmlns:p4="{WSA}">{TO_DISCOVERY}</p4:To>
    <p5:Action xmlns:p5="{WSA}">{ACTION_PROBE}</p5:Action>
  </p2:Header>
  <p6:Body xmlns:p6="{ENV12}">
    <p7:Probe xmlns:p7="{WSD}">
      <p8:Types xmlns:p8="{WSD}" xmlns:dn="{DN}">dn:NetworkVideoTransmitter</p8:Types>
      <p9:Scopes xmlns:p9="{WSD}">{SCOPES_TEXT}</p9:Scopes>
    </p7:Probe>
  </p6:Body>
</p1:Envelope>"""),
    "DISCOVERY-2-1-5": ("the same prefix for different namespaces", f"""<p1:Envelope xmlns:p1="{ENV12}">
  <p1:Header>
    <p1:Security xmlns:p1="{WSSE}">
      <p1:UsernameToken>
        <p1:Username>{{user}}</p1:Username>
        <p1:Password Type="{DIGEST}">{{digest}}</p1:Password>
        <p1:Nonce>{{nonce}}</p1:Nonce>
        <p1:Created xmlns:p1="{WSU}">{{created}}</p1:Created>
      </p1:UsernameToken>
    </p1:Security>
  </p1:Header>
  <p1:Body>
    <p1:GetScopes xmlns:p1="{TDS}" />
  </p1:Body>
</p1:Envelope>""", f"""<p1:Envelope xmlns:p1="{ENV12}">
  <p1:Header xmlns:p1="{ENV12}">
    <p1:MessageID xmlns:p1="{WSA}">{{mid}}</p1:MessageID>
    <p1:To xmlns:p1="{WSA}">{TO_DISCOVERY}</p1:To>
    <p1:Action xmlns:p1="{WSA}">{ACTION_PROBE}</p1:Action>
  </p1:Header>
  <p1:Body xmlns:p1="{ENV12}">
    <p1:Probe xmlns:p1="{WSD}">
      <p1:Types xmlns:p1="{WSD}" xmlns:dn="{DN}">dn:NetworkVideoTransmitter</p1:Types>
      <p1:Scopes xmlns:p1="{WSD}">{SCOPES_TEXT}</p1:Scopes>
    </p1:Probe>
  </p1:Body>
</p1:Envelope>"""),
}


def token_fields(user: str, password: str) -> dict:
    import base64
    import datetime as dt
    import hashlib
    import os

    nonce = os.urandom(16)
    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()
    return {"user": user, "digest": digest, "nonce": base64.b64encode(nonce).decode(), "created": created}


def namespace_case(cid: str):
    what, get_scopes_doc, probe_doc = STYLES[cid]

    async def run(ctx):
        lab_ = lab(ctx)
        scopes, _ = await get_scopes(lab_, get_scopes_doc.format(**token_fields(lab_.user, lab_.password)))
        mid = new_mid()
        [r] = await lab_.probes([probe_doc.format(mid=mid)])
        check_probe_match(r, mid, lab_, f"Probe with {what}", SCOPE_TYPES, scopes)
        ctx.note(f"GetScopes and a multicast Probe by the four scope types, written with {what} "
                 "(Annex A.11), answered in full")

    return run


for _cid in STYLES:
    case(_cid)(namespace_case(_cid))
