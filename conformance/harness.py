"""What every case uses: the registry, verdicts, the running camera, a zeep client (as Home
Assistant builds it, onvif-zeep-async) and a raw SOAP client for the steps a typed client
cannot take (malformed tokens, unusual namespace prefixes, invalid enumeration values).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import aiohttp
from lxml import etree

ENV12 = "http://www.w3.org/2003/05/soap-envelope"
NS = {
    "s": ENV12,
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "timg": "http://www.onvif.org/ver20/imaging/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)


class Failed(Exception):
    """A pass criterion of the case was not met."""


class NotApplicable(Exception):
    """The case's precondition does not hold for this device (reason given)."""


class Pending(Exception):
    """A step needs an operation the device does not serve yet (it answered
    ter:ActionNotSupported, the spec's answer for an operation not implemented): the case is
    PENDING with that reason and what its earlier steps measured, not failed."""


def check_gst_decoded(rc: int, out: str, err: str) -> None:
    """Checks a `gst-launch-1.0 ... ! identity eos-after=N ! fakesink` run (without `-q`):
    it reached EOS, so N frames were decoded, and printed no error but rtspsrc 1.22's own
    shutdown race. After EOS gst-launch goes to NULL; rtspsrc's CLOSE command flushes the
    control connection while its PAUSE is being written, and reports that interrupted write as
    "Received end-of-file" (the TEARDOWN on the same connection right after is answered 200).
    It shows about once in 50 runs under load and says nothing about the camera."""
    check("Got EOS from element" in out, f"gst-launch never reached EOS (exit {rc}): {err[-300:]}")
    errors = err.split("ERROR: ")[1:]
    race = "Could not send message. (Received end-of-file)"
    bad = [e for e in errors if not (race in e and ("gst_rtspsrc_pause" in e or "gst_rtspsrc_try_send" in e))]
    check(not bad, f"gst-launch exit {rc}: {err[-300:]}")
    check(rc == 0 or errors, f"gst-launch exit {rc} with no error printed")


def check(cond, message: str) -> None:
    if not cond:
        raise Failed(message)


@dataclass
class Case:
    id: str
    title: str
    run: Callable[["Context"], Awaitable[None]]
    group: str
    # Cases that restart, kill or reconfigure the camera run after the others.
    disruptive: bool = False
    # Service namespaces the case needs; without them it is PENDING, not failed.
    requires: tuple[str, ...] = ()


REGISTRY: dict[str, Case] = {}


def case(id: str, title: str = "", *, group: str = "", disruptive: bool = False, requires=None):
    """Registers an async case function under its test ID. `requires` defaults to the
    module's REQUIRES (service namespaces)."""
    import sys

    def wrap(fn):
        if id in REGISTRY:
            raise ValueError(f"case {id} registered twice")
        needs = requires if requires is not None else getattr(sys.modules[fn.__module__], "REQUIRES", ())
        REGISTRY[id] = Case(id, title, fn, group or fn.__module__.rsplit(".", 1)[-1], disruptive, tuple(needs))
        return fn

    return wrap


@dataclass
class Context:
    nvt: "object"  # conformance.nvt.Nvt
    user: str
    password: str
    work: str
    notes: list[str] = field(default_factory=list)
    cameras: list = field(default_factory=list)

    def note(self, text: str) -> None:
        """A figure or remark shown with the case's result."""
        self.notes.append(text)

    # -- typed client (onvif-zeep-async, as Home Assistant) ----------------------------------

    async def camera(self, user: str | None = None, password: str | None = None):
        from onvif import ONVIFCamera

        cam = ONVIFCamera(
            "127.0.0.1",
            self.nvt.http_port,
            user or self.user,
            password or self.password,
            no_cache=True,
            adjust_time=True,
        )
        self.cameras.append(cam)
        await cam.update_xaddrs()
        return cam

    async def close(self) -> None:
        for cam in self.cameras:
            try:
                await cam.close()
            except Exception:  # a camera of a stopped daemon: nothing left to close
                pass
        self.cameras.clear()

    # -- raw SOAP ----------------------------------------------------------------------------

    async def soap(
        self,
        body: str,
        *,
        path: str = "/onvif/device_service",
        auth: str | None = "digest",
        header: str = "",
        envelope: str | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> "Reply":
        """POSTs a SOAP 1.2 request. `auth`: "digest" (HTTP Digest), "wsse" (a correct
        UsernameToken PasswordDigest is added to the header) or None. `envelope` replaces the
        whole document (for namespace-prefix cases)."""
        user = user or self.user
        password = password or self.password
        if auth == "wsse":
            header = username_token(user, password) + header
        doc = envelope or (
            f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{ENV12}" '
            + " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items() if p != "s")
            + f"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
        )
        middlewares = ()
        if auth == "digest":
            middlewares = (aiohttp.DigestAuthMiddleware(user, password),)
        url = f"http://127.0.0.1:{self.nvt.http_port}{path}"
        async with aiohttp.ClientSession(middlewares=middlewares) as s:
            async with s.post(
                url,
                data=doc.encode(),
                headers={"Content-Type": "application/soap+xml; charset=utf-8"},
                timeout=aiohttp.ClientTimeout(total=30),
            ) as r:
                raw = await r.read()
                return Reply(r.status, r.headers.get("Content-Type", ""), raw)


@dataclass
class Reply:
    status: int
    content_type: str
    raw: bytes

    @property
    def xml(self):
        return etree.fromstring(self.raw)

    def find(self, xpath: str):
        return self.xml.xpath(xpath, namespaces=NS)

    @property
    def is_fault(self) -> bool:
        return bool(self.raw) and bool(self.find("/s:Envelope/s:Body/s:Fault"))

    def fault_codes(self) -> list[str]:
        """Code value then every Subcode value, local names only (e.g. Sender,
        InvalidArgVal)."""
        vals = self.find("/s:Envelope/s:Body/s:Fault/s:Code//s:Value/text()")
        return [v.split(":")[-1].strip() for v in vals]

    def text(self) -> str:
        return self.raw.decode(errors="replace")


def username_token(
    user: str,
    password: str,
    *,
    nonce: bytes | None = None,
    created: str | None = None,
    with_nonce: bool = True,
    with_created: bool = True,
    password_type: str = PASSWORD_DIGEST,
) -> str:
    """A WS-Security UsernameToken header (ONVIF Core 5.12.2): Digest =
    Base64(SHA1(nonce + created + password))."""
    nonce = nonce if nonce is not None else os.urandom(16)
    created = created or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    if password_type == PASSWORD_DIGEST:
        value = base64.b64encode(
            hashlib.sha1(
                (nonce if with_nonce else b"")
                + (created.encode() if with_created else b"")
                + password.encode()
            ).digest()
        ).decode()
    else:
        value = password
    parts = [f"<wsse:Username>{user}</wsse:Username>"]
    parts.append(f'<wsse:Password Type="{password_type}">{value}</wsse:Password>')
    if with_nonce:
        parts.append(
            '<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/'
            'oasis-200401-wss-soap-message-security-1.0#Base64Binary">'
            + base64.b64encode(nonce).decode()
            + "</wsse:Nonce>"
        )
    if with_created:
        parts.append(f"<wsu:Created>{created}</wsu:Created>")
    return (
        f'<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken wsu:Id="UsernameToken-{uuid.uuid4()}">'
        + "".join(parts)
        + "</wsse:UsernameToken></wsse:Security>"
    )


def udp_receive_drops() -> int:
    """UDP datagrams the kernel dropped because a receiving socket's buffer was full
    (`/proc/net/snmp` Udp RcvbufErrors), host-wide. Over loopback a UDP sender never learns of
    these: they are the receiver's loss, and cases that stream over UDP subtract them."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    names, values = rows[0], rows[1]
    return int(values[names.index("RcvbufErrors")])


def valid_http_uri(uri: str, host: str, port: int) -> bool:
    """RFC 3986 http URI naming the host and port the client used (DEVICE-1-1-31's XAddr
    check)."""
    from urllib.parse import urlsplit

    try:
        u = urlsplit(uri)
        return u.scheme == "http" and u.hostname == host and (u.port or 80) == port and u.path.startswith("/")
    except ValueError:
        return False
