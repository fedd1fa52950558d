"""The Profile T support check (ONVIF Profiles Conformance Device Test Specification,
"Profile T Support Check" and its table "Profile T Features Categories"), as a report of the
conformance run: every feature the procedure names, whether it is mandatory or conditional
(and whether nvt offers it), the test cases of this run that prove it, and a verdict.

The procedure decides in two ways, and the report keeps both apart:
- **what the device says it supports** (GetServices, the services' capabilities,
  GetEventProperties, the PTZ nodes, GetScopes): `probe()`, run against the camera at the
  end of the run;
- **whether it works**: the test cases of the ONVIF test specifications (and nvt's own
  runner cases) that exercise the feature, by the status this run gave them.

A mandatory feature is PASS when nvt offers it and every test case listed for it passed;
FAIL when one failed; PENDING when one is still pending; MISSING when nvt does not offer
it (with the reason: the Network Set* operations are the host's, by design). A conditional
feature nvt does not offer is "not offered" and does not count against the profile.
Profile T is claimed only when every mandatory feature passes: then (and only then) the
scope `onvif://www.onvif.org/Profile/T` belongs in GetScopes (issue 18).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

PROFILE_T_SCOPE = "onvif://www.onvif.org/Profile/T"

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "tmd": "http://www.onvif.org/ver10/deviceIO/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "timg": "http://www.onvif.org/ver20/imaging/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "wstop": "http://docs.oasis-open.org/wsn/t-1",
}
MEDIA2 = NS["tr2"]
PTZ = NS["tptz"]
DEVICEIO = NS["tmd"]
ANALYTICS = "http://www.onvif.org/ver20/analytics/wsdl"

HOST_OWNED = ("network configuration belongs to the host OS: nvt reports it (Get*) and does not "
              "change it (docs/settings.md); the Set* test cases are N/A for that reason")


@dataclass
class Feature:
    category: str
    name: str
    # None: mandatory. Else the name of a condition in the probe's answers (a feature the
    # procedure checks with "If ... is regarded as supported").
    condition: str | None = None
    # Test IDs (specification cases or nvt's own runner cases) that exercise the feature.
    tests: list[str] = field(default_factory=list)
    # A mandatory feature that nvt leaves out on purpose: why.
    left_out: str | None = None
    # A mandatory feature proved by the probe alone (a capability value): its key.
    probe: str | None = None


def _f(category, name, tests=(), condition=None, left_out=None, probe=None) -> Feature:
    return Feature(category, name, condition, list(tests), left_out, probe)


# The procedure's features, in its order. Test IDs from the device test specifications of
# catalog.json; "CLIENT-*" are nvt's own client-matrix cases of this runner.
FEATURES: list[Feature] = [
    _f("Discovery scope", "onvif://www.onvif.org/Profile/T in GetScopes", probe="scope"),
    _f("Discovery types", "Discovery/Types/tds:Device", ["DISCOVERY-1-1-3"]),
    _f("User authentication", "HTTP Digest Authentication", ["SECURITY-1-1-2", "ACCESS_POLICY-1-1-5"]),
    _f("User authentication", "RTSP Digest Authentication",
       ["MEDIA2_RTSS-1-1-1", "MEDIA2_RTSS-1-1-3", "CLIENT-ffprobe-tcp", "CLIENT-retina-tcp"]),
    _f("Capabilities", "GetServices (Device Management)", ["DEVICE-1-1-13", "DEVICE-1-1-31"]),
    _f("Capabilities", "GetServiceCapabilities (Device Management)", ["DEVICE-1-1-18", "DEVICE-1-1-19"]),
    _f("Capabilities", "GetServiceCapabilities (Event)", ["EVENT-5-1-1", "EVENT-5-1-2"]),
    _f("Capabilities", "GetServiceCapabilities (Media 2)", ["MEDIA2-7-1-1", "MEDIA2-7-1-2"]),
    _f("Capabilities", "GetServiceCapabilities (Imaging)", ["IMAGING-3-1-1", "IMAGING-3-1-2"]),
    _f("Capabilities", "GetServiceCapabilities (PTZ)", ["PTZ-8-1-1", "PTZ-8-1-2"], condition="ptz"),
    _f("Capabilities", "GetServiceCapabilities (Analytics)", condition="analytics"),
    _f("Capabilities", "GetServiceCapabilities (DeviceIO)", probe="deviceio"),
    _f("Capabilities", "GetWsdlUrl (Device Management)", probe="wsdl_url"),
    _f("Capabilities", "MaximumNumberOfProfiles Capability (Media 2)", ["MEDIA2-7-1-1"], probe="max_profiles"),
    _f("Capabilities", "MaxPullPoint capability, not less than 2 (Event)", ["EVENT-5-1-1", "EVENT-3-1-37"],
       probe="max_pull_points"),
    _f("Discovery", "WS-Discovery", ["DISCOVERY-1-1-2", "DISCOVERY-1-1-4", "DISCOVERY-1-1-6", "DISCOVERY-1-1-8"]),
    _f("Discovery", "Get/SetDiscoveryMode (Device Management)", ["DISCOVERY-1-1-9"]),
    _f("Discovery", "Get/Set/Add/RemoveScopes (Device Management)", ["DISCOVERY-1-1-11"]),
    _f("Network Configuration", "Get/SetHostname (Device Management)", ["DEVICE-2-1-1", "DEVICE-2-1-3", "DEVICE-2-1-32"]),
    _f("Network Configuration", "GetDNS (Device Management)", ["DEVICE-2-1-4"]),
    _f("Network Configuration", "SetDNS (Device Management)", left_out=HOST_OWNED),
    _f("Network Configuration", "GetNetworkInterfaces (Device Management)", ["DEVICE-2-1-17"]),
    _f("Network Configuration", "SetNetworkInterfaces (Device Management)", left_out=HOST_OWNED),
    _f("Network Configuration", "Get/SetNetworkProtocols (Device Management)",
       ["DEVICE-2-1-33", "DEVICE-2-1-34", "DEVICE-2-1-35"]),
    _f("Network Configuration", "GetNetworkDefaultGateway (Device Management)", ["DEVICE-2-1-25"]),
    _f("Network Configuration", "SetNetworkDefaultGateway (Device Management)", left_out=HOST_OWNED),
    _f("System", "GetDeviceInformation (Device Management)", ["DEVICE-3-1-9"]),
    _f("System", "Get/SetSystemDateAndTime (Device Management)",
       ["DEVICE-3-1-1", "DEVICE-3-1-4", "DEVICE-3-1-5", "DEVICE-3-1-11"]),
    _f("System", "SetSystemFactoryDefault (Device Management)", ["DEVICE-3-1-6", "DEVICE-3-1-7"]),
    _f("System", "System Reboot (Device Management)", ["DEVICE-3-1-8"]),
    _f("User Handling", "GetUsers, CreateUsers, DeleteUsers, SetUser (Device Management)",
       ["DEVICE-4-1-1", "DEVICE-4-1-3", "DEVICE-4-1-4", "DEVICE-4-1-5", "DEVICE-4-1-6", "DEVICE-4-1-7",
        "DEVICE-4-1-8", "DEVICE-4-1-9"]),
    _f("Event Handling", "GetEventProperties (Event)", ["EVENT-1-1-2"]),
    _f("Event Handling", "CreatePullPointSubscription, PullMessages, Unsubscribe (Event)",
       ["EVENT-3-1-9", "EVENT-3-1-15", "EVENT-3-1-36", "EVENT-3-1-19"]),
    _f("Event Handling", "SetSynchronizationPoint (Event)", ["EVENT-3-1-25"]),
    _f("Event Handling", "TopicFilter (Event)", ["EVENT-3-1-16", "EVENT-3-1-22", "EVENT-3-1-34"]),
    _f("Event Handling", "MessageContentFilter, ONVIF Message Content Filter Dialect (Event)",
       ["EVENT-3-1-38", "EVENT-3-1-17"]),
    _f("Media Profile Management", "CreateProfile, DeleteProfile (Media 2)", ["MEDIA2-1-1-2", "MEDIA2-1-1-3"]),
    _f("Media Profile Management", "GetVideoSourceConfigurations (Media 2)", ["MEDIA2-2-2-2"]),
    _f("Media Profile Management", "GetVideoEncoderInstances (Media 2)", ["MEDIA2-5-1-2", "MEDIA2_RTSS-1-1-23"]),
    _f("Media Profile Management", "tns1:Media/ProfileChanged (Event)", probe="topic:tns1:Media/ProfileChanged"),
    _f("Video Streaming", "Ready-to-use Media Profile for H.264 or H.265 video per video source (Media 2)",
       ["MEDIA2-1-1-1"]),
    _f("Video Streaming", "GetProfiles, GetStreamUri (Media 2)", ["MEDIA2-1-1-4", "MEDIA2_RTSS-1-1-1"]),
    _f("Video Streaming", "H.264 Encoding (Media 2)", ["MEDIA2_RTSS-1-1-1", "MEDIA2_RTSS-1-1-24"]),
    _f("Video Streaming", "H.265 Encoding (Media 2)", condition="h265"),
    _f("Video Streaming", "Streaming over RTP/UDP (Streaming)", ["MEDIA2_RTSS-1-1-1"]),
    _f("Video Streaming", "Streaming over RTP/RTSP/HTTP/TCP (Streaming)", ["MEDIA2_RTSS-1-1-2"]),
    _f("Video Streaming", "Streaming over RTP/RTSP/TCP (Streaming)", ["MEDIA2_RTSS-1-1-3"]),
    _f("Video Streaming", "Streaming over RTP/RTSP/HTTPS/TCP (Streaming)", condition="tls"),
    _f("Video Streaming", "Streaming over RTP/UDP Multicast (Streaming)", ["MEDIA2_RTSS-1-2-1"],
       condition="multicast"),
    _f("Video Streaming", "Streaming over RTP/RTSP/TCP/WebSocket (Streaming)", condition="websocket"),
    _f("Video Streaming", "SetSynchronizationPoint (Media 2)", ["MEDIA2_RTSS-1-1-4"]),
    _f("Configuration of Video Profile", "GetVideoSources (DeviceIO)", ["DEVICEIO-7-1-1", "DEVICEIO-5-1-1"]),
    _f("Configuration of Video Profile", "Add/RemoveConfiguration, video source and encoder (Media 2)",
       ["MEDIA2-1-1-3", "MEDIA2-1-1-5", "MEDIA2-1-1-6"]),
    _f("Configuration of Video Profile", "GetVideoEncoderConfigurations (Media 2)", ["MEDIA2-2-3-2"]),
    _f("Video Source Configuration", "Get/SetVideoSourceConfiguration(s), options (Media 2)",
       ["MEDIA2-2-2-1", "MEDIA2-2-2-3", "MEDIA2-2-2-4", "MEDIA2-2-2-5", "MEDIA2-2-2-6", "MEDIA2-2-2-7"]),
    _f("Video Source Configuration", "tns1:Media/ConfigurationChanged (Event)",
       probe="topic:tns1:Media/ConfigurationChanged"),
    _f("Video Encoder Configuration", "Get/SetVideoEncoderConfiguration(s), options (Media 2)",
       ["MEDIA2-2-3-1", "MEDIA2-2-3-3", "MEDIA2-2-3-4", "MEDIA2-2-3-5"]),
    _f("Metadata Streaming", "Metadata Streaming using RTSP, over UDP, HTTP and TCP (Streaming)",
       ["MEDIA2-1-1-8", "MEDIA2_RTSS-4-1-1", "MEDIA2_RTSS-4-1-2", "MEDIA2_RTSS-4-1-3", "MEDIA2_RTSS-4-1-4"]),
    _f("Metadata Streaming", "Metadata over RTP/UDP Multicast (Streaming)", ["MEDIA2_RTSS-4-2-1"],
       condition="multicast"),
    _f("Configuration of Metadata Profile", "Add/RemoveConfiguration, metadata (Media 2)",
       ["MEDIA2-8-1-3", "MEDIA2-1-1-3"]),
    _f("Metadata Configuration", "Get/SetMetadataConfiguration(s), options (Media 2)",
       ["MEDIA2-8-1-1", "MEDIA2-8-1-2", "MEDIA2-8-1-4"]),
    _f("Imaging Settings", "GetImagingSettings, GetOptions, SetImagingSettings (Imaging)",
       ["IMAGING-1-1-1", "IMAGING-1-1-3", "IMAGING-1-1-14", "IMAGING-1-1-16"]),
    _f("Tampering", "at least one tampering event", probe="tamper_any"),
    _f("Tampering", "tns1:VideoSource/ImageTooBlurry (Event)", ["IMAGING-4-1-1"], condition="topic:ImageTooBlurry"),
    _f("Tampering", "tns1:VideoSource/ImageTooDark (Event)", ["IMAGING-4-1-2"], condition="topic:ImageTooDark"),
    _f("Tampering", "tns1:VideoSource/ImageTooBright (Event)", ["IMAGING-4-1-3"], condition="topic:ImageTooBright"),
    _f("Tampering", "tns1:VideoSource/GlobalSceneChange (Event)", ["IMAGING-4-1-4"],
       condition="topic:GlobalSceneChange"),
    _f("Configuration of On-Screen Display", "CreateOSD, DeleteOSD, GetOSDs, GetOSDOptions, SetOSD (Media 2)",
       ["MEDIA2-6-1-5", "MEDIA2-6-1-6", "MEDIA2-6-1-7"], probe="osd"),
    _f("Configuration of On-Screen Display", "CreateOSD, text (Media 2)", ["MEDIA2-6-1-1", "MEDIA2-6-1-4"]),
    _f("Configuration of On-Screen Display", "CreateOSD, image (Media 2)", ["MEDIA2-6-1-2", "MEDIA2-6-1-3"],
       condition="osd_image"),
    _f("JPEG Snapshot", "GetSnapshotUri (Media 2)", ["MEDIA2-5-1-1"]),
    _f("Motion Alarm Events", "tns1:VideoSource/MotionAlarm (Event)", ["IMAGING-4-1-5"]),
    _f("PTZ Configuration", "GetNodes, GetNode, GetConfigurationOptions, SetConfiguration (PTZ)",
       ["PTZ-1-1-1", "PTZ-1-1-2", "PTZ-2-1-3", "PTZ-2-1-9"], condition="ptz"),
    _f("Configuration of PTZ Profile", "Add/RemoveConfiguration PTZ (Media 2), GetCompatibleConfigurations (PTZ)",
       ["MEDIA2-4-1-2"], condition="ptz"),
    _f("Absolute PTZ Move", "Ready-to-use profile, GetStatus, AbsoluteMove, MoveStatus, StatusPosition (PTZ)",
       ["MEDIA2-4-1-1", "MEDIA2_PTZ-1-1-1", "PTZ-8-1-1"], condition="ptz_absolute"),
    _f("Absolute PTZ Move", "SphericalPositionSpaceDegrees, generic pan/tilt and zoom position spaces (PTZ)",
       ["MEDIA2_PTZ-4-1-1", "MEDIA2_PTZ-4-1-2", "MEDIA2_PTZ-4-1-3"], condition="ptz_absolute"),
    _f("Continuous PTZ Move", "ContinuousMove, Stop, generic velocity spaces (PTZ)",
       ["MEDIA2_PTZ-1-1-2", "MEDIA2_PTZ-1-1-3", "MEDIA2_PTZ-4-2-1", "MEDIA2_PTZ-4-2-2"], condition="ptz_continuous"),
    _f("PTZ Presets", "GetPresets, SetPreset, GotoPreset, RemovePreset (PTZ)",
       ["MEDIA2_PTZ-2-1-1", "MEDIA2_PTZ-2-1-2", "MEDIA2_PTZ-2-1-3"], condition="ptz"),
    _f("PTZ Home Position", "SetHomePosition, GotoHomePosition (PTZ)",
       ["MEDIA2_PTZ-3-1-1", "MEDIA2_PTZ-3-1-3", "MEDIA2_PTZ-3-1-4"], condition="ptz"),
    _f("Configuration of Analytics Profile", "analytics configurations in profiles (Media 2)", condition="analytics"),
    _f("Motion Region Detector", "rules of the analytics service", condition="analytics"),
    _f("Video Source Mode", "Get/SetVideoSourceModes (Media 2)", ["MEDIA2-2-4-1", "MEDIA2-2-4-2"],
       condition="source_modes"),
    _f("NTP", "GetNTP, SetNTP (Device Management)", ["DEVICE-2-1-11", "DEVICE-2-1-12", "DEVICE-2-1-14"],
       condition="ntp"),
    _f("Audio Streaming, Audio Output, Audio Profiles", "audio (Media 2, Streaming)",
       ["MEDIA2-3-1-1", "MEDIA2-3-1-2", "MEDIA2-3-1-5", "MEDIA2-3-2-1", "MEDIA2-3-2-3", "MEDIA2_RTSS-5-1-1",
        "MEDIA2_RTSS-5-1-3", "MEDIA2-3-3-1", "MEDIA2-3-3-2", "MEDIA2-3-4-2", "MEDIA2_RTSS-3-1-1",
        "MEDIA2_RTSS-3-1-3"], condition="audio"),
    _f("Focus Control", "GetMoveOptions, Move, Stop, GetStatus (Imaging)",
       ["IMAGING-2-1-1", "IMAGING-2-1-3", "IMAGING-2-1-5", "IMAGING-2-1-7", "IMAGING-2-1-11", "IMAGING-2-1-13"],
       condition="focus"),
    _f("Relay Outputs", "GetRelayOutputs, GetRelayOutputOptions, SetRelayOutputSettings, SetRelayOutputState, "
       "tns1:Device/Trigger/Relay", ["DEVICEIO-1-1-1", "DEVICEIO-1-1-2", "DEVICEIO-1-1-3", "DEVICEIO-1-1-4",
                                     "DEVICEIO-1-1-5", "DEVICEIO-1-2-1", "DEVICEIO-1-2-2", "DEVICEIO-1-2-3",
                                     "DEVICEIO-1-2-4", "DEVICEIO-2-1-2"], condition="relays"),
    _f("Digital Inputs", "GetDigitalInputs, GetDigitalInputConfigurationOptions, SetDigitalInputConfigurations, "
       "tns1:Device/Trigger/DigitalInput", ["DEVICEIO-3-1-1", "DEVICEIO-3-1-2", "DEVICEIO-3-1-3", "DEVICEIO-3-1-4",
                                           "DEVICEIO-2-1-1"], condition="inputs"),
    _f("Auxiliary Commands", "SendAuxiliaryCommand (Device Management)", ["DEVICE-8-1-1"], condition="aux"),
]

TAMPER = ("ImageTooBlurry", "ImageTooDark", "ImageTooBright", "GlobalSceneChange")


async def probe(ctx) -> dict:
    """What the camera says it supports: the answers the procedure's "regarded as supported"
    checks read (capabilities, topics, nodes, scopes). A failed request leaves its keys out
    (and the features depending on them are reported as unknown, never as passed)."""
    out: dict = {}

    async def call(body: str, path: str):
        # The harness's envelope declares its own prefixes only: declare the body's.
        prefixes = set(re.findall(r"<([a-z0-9]+):", body))
        decl = "".join(f' xmlns:{p}="{NS[p]}"' for p in sorted(prefixes) if p in NS)
        body = re.sub(r"^<([a-z0-9]+:[A-Za-z]+)", lambda m: f"<{m.group(1)}{decl}", body, count=1)
        r = await ctx.soap(body, path=path)
        if r.status != 200 or r.is_fault:
            return None
        return r.xml

    def xp(doc, path):
        return doc.xpath(path, namespaces=NS) if doc is not None else []

    services = await call("<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>",
                          "/onvif/device_service")
    if services is None:
        return out
    offered = {ns: str(xp(services, f"//tds:Service[tds:Namespace='{ns}']/tds:XAddr/text()")[0])
               for ns in xp(services, "//tds:Service/tds:Namespace/text()")}
    out["services"] = sorted(offered)
    path = lambda ns: "/" + offered[ns].split("/", 3)[3] if ns in offered else None  # noqa: E731

    out["ptz"] = PTZ in offered
    out["analytics"] = ANALYTICS in offered
    out["deviceio"] = DEVICEIO in offered

    scopes = await call("<tds:GetScopes/>", "/onvif/device_service")
    items = [s.strip() for s in xp(scopes, "//tds:Scopes/tt:ScopeItem/text()")]
    out["scope"] = PROFILE_T_SCOPE in items

    wsdl = await call("<tds:GetWsdlUrl/>", "/onvif/device_service")
    out["wsdl_url"] = bool(xp(wsdl, "//tds:WsdlUrl/text()"))

    caps = await call("<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
                      "/onvif/device_service")
    ntp = xp(caps, "//tt:Device/tt:Network/tt:NTP/text()")
    out["ntp"] = bool(ntp) and ntp[0].strip() not in ("0", "false")

    if MEDIA2 in offered:
        m2 = await call("<tr2:GetServiceCapabilities/>", path(MEDIA2))
        attr = lambda p, a: (xp(m2, f"//tr2:Capabilities{p}/@{a}") or ["false"])[0].strip()  # noqa: E731
        out["osd"] = attr("", "OSD") == "true"
        out["source_modes"] = attr("", "VideoSourceMode") == "true"
        out["max_profiles"] = int((xp(m2, "//tr2:ProfileCapabilities/@MaximumNumberOfProfiles") or ["0"])[0]) >= 1
        out["multicast"] = attr("/tr2:StreamingCapabilities", "RTPMulticast") == "true"
        out["tls"] = attr("/tr2:StreamingCapabilities", "SecureRTSPStreaming") == "true"
        out["websocket"] = bool(xp(m2, "//tr2:StreamingCapabilities/@RTSPWebSocketUri"))
        configs = (xp(m2, "//tr2:ProfileCapabilities/@ConfigurationsSupported") or [""])[0].split()
        out["audio"] = any(c.startswith("Audio") for c in configs)
        vscs = await call("<tr2:GetVideoSourceConfigurations/>", path(MEDIA2))
        vsc = (xp(vscs, "//tr2:Configurations/@token") or [""])[0]
        out["video_source"] = (xp(vscs, "//tr2:Configurations/tt:SourceToken/text()") or [""])[0].strip()
        opts = await call("<tr2:GetVideoEncoderConfigurationOptions/>", path(MEDIA2))
        out["h265"] = "H265" in [e.strip() for e in xp(opts, "//tr2:Options/tt:Encoding/text()")]
        osd_opts = await call(f"<tr2:GetOSDOptions><tr2:ConfigurationToken>{vsc}</tr2:ConfigurationToken>"
                              "</tr2:GetOSDOptions>", path(MEDIA2))
        out["osd_image"] = "Image" in [t.strip() for t in xp(osd_opts, "//tt:Type/text()")]

    ev = await call("<tev:GetServiceCapabilities/>", "/onvif/events_service")
    out["max_pull_points"] = int((xp(ev, "//tev:Capabilities/@MaxPullPoints") or ["0"])[0]) >= 2
    props = await call("<tev:GetEventProperties/>", "/onvif/events_service")
    topics = set()
    if props is not None:
        for set_el in xp(props, "//wstop:TopicSet"):
            def walk(el, prefix):
                for c in el:
                    if not isinstance(c.tag, str):
                        continue
                    name = prefix + [c.tag.split("}")[-1]]
                    if c.get(f"{{{NS['wstop']}}}topic") == "true":
                        topics.add("/".join(name))
                    walk(c, name)
            walk(set_el, [])
    out["topics"] = sorted(topics)
    out["topic:tns1:Media/ProfileChanged"] = "Media/ProfileChanged" in topics
    out["topic:tns1:Media/ConfigurationChanged"] = "Media/ConfigurationChanged" in topics
    for t in TAMPER:
        out[f"topic:{t}"] = any(x.startswith(f"VideoSource/{t}/") for x in topics)
    out["tamper_any"] = any(out[f"topic:{t}"] for t in TAMPER)

    if out["ptz"]:
        nodes = await call("<tptz:GetNodes/>", path(PTZ))
        out["ptz_absolute"] = bool(xp(nodes, "//tt:AbsolutePanTiltPositionSpace|//tt:AbsoluteZoomPositionSpace"))
        out["ptz_continuous"] = bool(xp(nodes, "//tt:ContinuousPanTiltVelocitySpace|//tt:ContinuousZoomVelocitySpace"))
        out["aux"] = bool(xp(nodes, "//tt:AuxiliaryCommands"))
    else:
        out["ptz_absolute"] = out["ptz_continuous"] = out["aux"] = False

    if out["deviceio"]:
        dio = await call("<tmd:GetServiceCapabilities/>", path(DEVICEIO))
        out["relays"] = int((xp(dio, "//tmd:Capabilities/@RelayOutputs") or ["0"])[0]) > 0
        out["inputs"] = int((xp(dio, "//tmd:Capabilities/@DigitalInputs") or ["0"])[0]) > 0
    else:
        out["relays"] = out["inputs"] = False

    source = out.get("video_source", "")
    imaging = await call(f"<timg:GetMoveOptions><timg:VideoSourceToken>{source}</timg:VideoSourceToken>"
                         "</timg:GetMoveOptions>", "/onvif/imaging_service")
    out["focus"] = bool(xp(imaging, "//timg:MoveOptions/*"))
    return out


def verdicts(rows: list[dict], probed: dict) -> list[tuple[Feature, str, str]]:
    """(feature, verdict, detail) for every feature of the procedure."""
    status = {r["id"]: r for r in rows}
    out = []
    for f in FEATURES:
        if f.left_out:
            out.append((f, "MISSING", f.left_out))
            continue
        if f.condition is not None:
            if f.condition not in probed:
                out.append((f, "UNKNOWN", f"the probe could not tell whether `{f.condition}` is offered"))
                continue
            if not probed[f.condition]:
                out.append((f, "not offered", "conditional; the device does not offer it"))
                continue
        if f.probe is not None:
            if not probed.get(f.probe, False):
                out.append((f, "MISSING", f"the device does not report it (probe `{f.probe}`)"))
                continue
        tests = [(t, status.get(t, {"status": "not run", "detail": ""})) for t in f.tests]
        bad = [(t, r) for t, r in tests if r["status"] == "FAIL"]
        pending = [(t, r) for t, r in tests if r["status"] in ("PENDING", "not run")]
        na = [(t, r) for t, r in tests if r["status"] == "N/A"]
        ran = ", ".join(f"{t} {r['status']}" for t, r in tests)
        if bad:
            out.append((f, "FAIL", ran))
        elif pending:
            out.append((f, "PENDING", ran + "; " + "; ".join(f"{t}: {r['detail']}" for t, r in pending)[:300]))
        elif tests and len(na) == len(tests):
            out.append((f, "MISSING", ran + "; " + "; ".join(f"{t}: {r['detail']}" for t, r in na)[:300]))
        else:
            evidence = ran if tests else f"reported by the device (probe `{f.probe}`)"
            out.append((f, "PASS", evidence))
    return out


def write(path: Path, rows: list[dict], probed: dict) -> tuple[int, int]:
    """Writes the report; returns (mandatory passed, mandatory in all)."""
    vs = verdicts(rows, probed)
    mandatory = [v for v in vs if v[0].condition is None]
    passed = sum(v[1] == "PASS" for v in mandatory)
    lines = [
        "# Profile T support check",
        "",
        "Generated by `conformance/run` (do not edit by hand) from the procedure \"Profile T Support",
        "Check\" of the ONVIF Profiles Conformance Device Test Specification (github.com/onvif/testspecs):",
        "every feature it names, mandatory or conditional, with what the camera reports",
        "(`conformance/profile_t.py`, `probe`) and the test cases of this run that exercise it",
        "(docs/CONFORMANCE.md). Network Set* operations are the host's (docs/settings.md): they are",
        "MISSING here by design, so this report can never claim Profile T in full while they are.",
        "",
        f"**Mandatory features: {passed} of {len(mandatory)} pass.** "
        f"Profile T scope advertised: {'yes' if probed.get('scope') else 'no'}.",
        "",
        "| Category | Feature | Required | Verdict | Evidence |",
        "|---|---|---|---|---|",
    ]
    for f, verdict, detail in vs:
        req = "mandatory" if f.condition is None else f"if `{f.condition}`"
        detail = detail.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {f.category} | {f.name} | {req} | {verdict} | {detail} |")
    lines += ["", "Probe answers: " + ", ".join(f"`{k}`={v}" for k, v in sorted(probed.items())
                                                  if k not in ("topics", "services", "video_source")), ""]
    path.write_text("\n".join(lines))
    return passed, len(mandatory)
