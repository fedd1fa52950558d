"""ONVIF PTZ Device Test Specification (PTZ-*): nodes, configurations and their options,
SetConfiguration, the service's capabilities, absolute, relative and continuous moves with
Stop and GetStatus, presets, the home position (also through a custom media profile) and the
generic spaces; and the Base cases that name the PTZ service (DEVICE-1-1-6, DEVICE-1-1-15).

Each case follows its test ID's steps and pass criteria with the zeep client Home Assistant
uses (onvif-zeep-async); raw SOAP only where a step compares capabilities as sent (zeep turns
the xs:any Capabilities of GetServices into its own objects). "The media profile" is the one
Annex A.1 selects: the first profile with a PTZConfiguration (nvt puts its PTZ configuration
in every fixed profile, so the annex never has to build one).

The head moves at a finite speed, so a case polls GetStatus until MoveStatus is IDLE (the
annexes' "until timeout1 expires" loop, with `SETTLE` as the Operation Delay) before it looks
at a position, and compares positions with `TOL` (the spec: "PTZ accuracy is out of scope";
the SDK works in 1/100 degree, far finer). The camera is shared by every case of the run: a
case that moves the head moves it back to where it found it (home, as every case leaves it),
one that changes the configuration, a preset or the home position puts it back.

PTZ-3-1-4 waits the spec's 60 s. Its pan/tilt and zoom halves run at the same time (the zoom
ContinuousMove carries no PanTilt, so it leaves the pan/tilt move alone, PTZ Service
Specification "ContinuousMove": an omitted element is not affected), so the case waits 60 s
once rather than twice and the PTZ set stays near 2 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import math
import time
from urllib.parse import urlsplit

from zeep.exceptions import Fault

from conformance.cases.device import (
    _category,
    _service_entry,
    device,
    expect_fault,
    service_caps,
    services_raw,
    subcodes,
)
from conformance.cases.imaging import plain, xs_bool
from conformance.cases.media import NewProfile, diff
from conformance.harness import NS, Failed, case, check

TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
TRT = NS["trt"]
REQUIRES = (TPTZ, TRT)
DEVICE_NS = NS["tds"]

SPACE = "http://www.onvif.org/ver10/tptz/"
ABS_PT = SPACE + "PanTiltSpaces/PositionGenericSpace"
ABS_ZOOM = SPACE + "ZoomSpaces/PositionGenericSpace"
REL_PT = SPACE + "PanTiltSpaces/TranslationGenericSpace"
REL_ZOOM = SPACE + "ZoomSpaces/TranslationGenericSpace"
VEL_PT = SPACE + "PanTiltSpaces/VelocityGenericSpace"
VEL_ZOOM = SPACE + "ZoomSpaces/VelocityGenericSpace"
SPEED_PT = SPACE + "PanTiltSpaces/GenericSpeedSpace"
SPEED_ZOOM = SPACE + "ZoomSpaces/ZoomGenericSpeedSpace"

# Position tolerance in generic units (-1..1 pan/tilt, 0..1 zoom): 1/200 of the pan/tilt
# range, about 1.7 degrees on nvt's simulated head; its 1/100-degree steps are far finer.
TOL = 0.01
# The Operation Delay of the annexes: the longest a move may take to report IDLE. A full pan
# at the default speed takes about 6 s on the simulated head.
SETTLE = 20.0
# PTZ-1-1-4, PTZ-2-1-10: tokens nothing has (Annex "Name and Token Parameters": at most 64
# readable characters).
INVALID_NODE = "xyz"
INVALID_CONFIG = "InvalidToken_ptz_0"
PRESET_NAME = "Test"

RULES = [
    (r"^PTZ-6-1-1$", "N/A",
     "precondition \"Auxilary operations is supported by the DUT\" does not hold: the PTZ node lists no "
     "AuxiliaryCommands (SendAuxiliaryCommand answers ter:ActionNotSupported; PTZ-1-1-1 checks the list stays empty)"),
    (r"^PTZ-5-1-2$", "N/A",
     "precondition \"Fixed Home Position is supported by the DUT\" does not hold: the node's FixedHomePosition "
     "is false, home is set by SetHomePosition (PTZ-5-1-1 and PTZ-5-1-3 run; PTZ-1-1-1 checks the flag)"),
]

# Where a case's media profile comes from: Annex A.1's Media 1 profile, unless a caller sets
# another source (the MEDIA2_PTZ-* cases run these same steps on the profile the Media2
# annex selects: cases/media2_ptz.py).
PROFILE_SOURCE: contextvars.ContextVar = contextvars.ContextVar("ptz_profile_source", default=None)


# --- helpers ----------------------------------------------------------------------------


def seconds(d) -> float:
    """An xs:duration as zeep returns it (timedelta, or isodate's Duration for years/months)."""
    if isinstance(d, dt.timedelta):
        return d.total_seconds()
    return d.totimedelta(start=dt.datetime(2000, 1, 1)).total_seconds()


def uris(spaces) -> list[str]:
    return [s.URI for s in (spaces or [])]


def first(spaces, uri: str):
    """The first space description with that URI (the annexes' "genericPanTiltSpace")."""
    return next((s for s in (spaces or []) if s.URI == uri), None)


def range_ok(r) -> bool:
    return r is not None and r.Min is not None and r.Max is not None and r.Min <= r.Max


def space_ok(s, two_d: bool) -> bool:
    """A space description correctly formed: a URI and its ranges (YRange for 2D)."""
    return bool(s.URI) and range_ok(s.XRange) and (not two_d or range_ok(getattr(s, "YRange", None)))


def lerp(lo: float, hi: float, f: float) -> float:
    return round(lo + (hi - lo) * f, 3)


def positions_near(a, b) -> bool:
    """Two (pan, tilt, zoom) positions within TOL where both name the axis."""
    return all(x is None or y is None or abs(x - y) <= TOL for x, y in zip(a, b))


def fmt(p) -> str:
    return "(" + ", ".join("-" if v is None else f"{v:.3f}" for v in p) + ")"


async def ptz_service(ctx):
    cam = await ctx.camera()
    return cam, await cam.create_ptz_service()


async def ptz_path(ctx) -> str:
    """The PTZ service's path from its GetServices XAddr."""
    for s in await services_raw(ctx, False):
        if s.findtext(f"{{{DEVICE_NS}}}Namespace") == TPTZ:
            return urlsplit(s.findtext(f"{{{DEVICE_NS}}}XAddr")).path
    raise Failed("GetServices lists no PTZ service")


async def nodes_of(p) -> list:
    """Annex A.3 (HelperGetPTZNodeList)."""
    nodes = await p.GetNodes()
    check(nodes, "GetNodes returned no PTZNode")
    return nodes


def check_node(n, what: str) -> None:
    """The mandatory parts of a PTZNode (PTZ-1-1-1, PTZ-1-1-2)."""
    check(n.token, f"{what}: PTZNode without a token")
    check(n.SupportedPTZSpaces is not None, f"{what} {n.token}: no SupportedPTZSpaces")
    check(n.MaximumNumberOfPresets is not None and n.MaximumNumberOfPresets >= 0,
          f"{what} {n.token}: MaximumNumberOfPresets {n.MaximumNumberOfPresets!r}")
    check(n.HomeSupported is not None, f"{what} {n.token}: no HomeSupported")


def features(n) -> dict[str, bool]:
    """Annex A.5 (HelperNodeFeatures): which moves the node supports, by its spaces."""
    s = n.SupportedPTZSpaces
    return {
        "continuousPanTilt": bool(s.ContinuousPanTiltVelocitySpace),
        "continuousZoom": bool(s.ContinuousZoomVelocitySpace),
        "absolutePanTilt": bool(s.AbsolutePanTiltPositionSpace),
        "absoluteZoom": bool(s.AbsoluteZoomPositionSpace),
        "relativePanTilt": bool(s.RelativePanTiltTranslationSpace),
        "relativeZoom": bool(s.RelativeZoomTranslationSpace),
    }


def check_options(o, what: str) -> None:
    """GetConfigurationOptions "with valid Spaces and PTZTimeout"."""
    check(o is not None and o.Spaces is not None, f"{what}: options without Spaces")
    check(o.PTZTimeout is not None and o.PTZTimeout.Min is not None and o.PTZTimeout.Max is not None,
          f"{what}: options without PTZTimeout Min/Max")
    check(seconds(o.PTZTimeout.Min) <= seconds(o.PTZTimeout.Max),
          f"{what}: PTZTimeout Min {o.PTZTimeout.Min} > Max {o.PTZTimeout.Max}")
    s = o.Spaces
    for name, two_d in (("AbsolutePanTiltPositionSpace", True), ("AbsoluteZoomPositionSpace", False),
                        ("RelativePanTiltTranslationSpace", True), ("RelativeZoomTranslationSpace", False),
                        ("ContinuousPanTiltVelocitySpace", True), ("ContinuousZoomVelocitySpace", False),
                        ("PanTiltSpeedSpace", False), ("ZoomSpeedSpace", False)):
        for sp in getattr(s, name) or []:
            check(space_ok(sp, two_d), f"{what}: {name} {sp.URI!r} without valid ranges")


def position(st) -> tuple:
    """(pan, tilt, zoom) of a PTZStatus (None where an axis is not reported)."""
    pos = st.Position
    pt = pos.PanTilt if pos is not None else None
    z = pos.Zoom if pos is not None else None
    return (pt.x if pt is not None else None, pt.y if pt is not None else None, z.x if z is not None else None)


def move_status(st) -> tuple:
    ms = st.MoveStatus
    if ms is None:
        return (None, None)
    return (ms.PanTilt, ms.Zoom)


class Session:
    """The PTZ service, the media profile Annex A.1 selects, its PTZ configuration and the
    configuration's options."""

    def __init__(self, ctx, cam, ptz, media, profile, options):
        self.ctx, self.cam, self.ptz, self.media = ctx, cam, ptz, media
        self.profile, self.token, self.cfg, self.options = profile, profile.token, profile.PTZConfiguration, options

    # -- reading -----------------------------------------------------------------------------

    async def status(self):
        st = await self.ptz.GetStatus({"ProfileToken": self.token})
        check(st is not None, "GetStatus returned no PTZStatus")
        check(st.UtcTime is not None, "GetStatus: PTZStatus without UtcTime (required)")
        return st

    async def settle(self, timeout: float = SETTLE, axes=("PanTilt", "Zoom"), what: str = "after the move"):
        """GetStatus until the axes' MoveStatus is IDLE (the annexes' wait); the last status.
        A status without MoveStatus: wait the Operation Delay, as the annexes do."""
        deadline = time.monotonic() + timeout
        while True:
            st = await self.status()
            ms = st.MoveStatus
            if ms is None:
                await asyncio.sleep(timeout)
                return await self.status()
            if all(getattr(ms, a) in (None, "IDLE") for a in axes):
                return st
            check(time.monotonic() < deadline,
                  f"MoveStatus {ms.PanTilt}/{ms.Zoom} {timeout:g} s {what} (at {fmt(position(st))})")
            await asyncio.sleep(0.1)

    async def where(self) -> tuple:
        return position(await self.settle())

    # -- ranges ------------------------------------------------------------------------------

    def pt_range(self) -> tuple[float, float, float, float]:
        """The absolute pan/tilt range a move may use: PanTiltLimits where the configuration
        has them ("these limitations will be taken into account"), else the generic space."""
        lim = self.cfg.PanTiltLimits
        if lim is not None and lim.Range is not None and lim.Range.URI == ABS_PT:
            r = lim.Range
        else:
            r = first(self.options.Spaces.AbsolutePanTiltPositionSpace, ABS_PT)
            check(r is not None, f"options list no {ABS_PT}")
        return r.XRange.Min, r.XRange.Max, r.YRange.Min, r.YRange.Max

    def zoom_range(self) -> tuple[float, float]:
        lim = self.cfg.ZoomLimits
        if lim is not None and lim.Range is not None and lim.Range.URI == ABS_ZOOM:
            r = lim.Range
        else:
            r = first(self.options.Spaces.AbsoluteZoomPositionSpace, ABS_ZOOM)
            check(r is not None, f"options list no {ABS_ZOOM}")
        return r.XRange.Min, r.XRange.Max

    def point(self, fx: float, fy: float, fz: float) -> tuple:
        """A position a fraction of the way along each axis' range."""
        x0, x1, y0, y1 = self.pt_range()
        z0, z1 = self.zoom_range()
        return (lerp(x0, x1, fx), lerp(y0, y1, fy), lerp(z0, z1, fz))

    def top_speed(self) -> dict:
        """The Speed element at the top of the speed spaces (so moves take little time)."""
        s = self.options.Spaces
        pt = first(s.PanTiltSpeedSpace, SPEED_PT)
        z = first(s.ZoomSpeedSpace, SPEED_ZOOM)
        speed = {}
        if pt is not None:
            speed["PanTilt"] = {"x": pt.XRange.Max, "y": pt.XRange.Max, "space": SPEED_PT}
        if z is not None:
            speed["Zoom"] = {"x": z.XRange.Max, "space": SPEED_ZOOM}
        return speed

    # -- moving ------------------------------------------------------------------------------

    async def absolute(self, pos: tuple, speed: dict | None = None):
        """AbsoluteMove to (pan, tilt, zoom) in the generic position spaces (None: that axis
        is left out of the request)."""
        p = {}
        if pos[0] is not None:
            p["PanTilt"] = {"x": pos[0], "y": pos[1], "space": ABS_PT}
        if pos[2] is not None:
            p["Zoom"] = {"x": pos[2], "space": ABS_ZOOM}
        req = {"ProfileToken": self.token, "Position": p}
        if speed:
            req["Speed"] = speed
        await self.ptz.AbsoluteMove(req)

    async def go(self, pos: tuple, what: str) -> tuple:
        """AbsoluteMove at top speed, wait for IDLE, check the position reached."""
        await self.absolute(pos, self.top_speed())
        got = await self.where()
        check(positions_near(got, pos), f"{what}: asked for {fmt(pos)}, GetStatus says {fmt(got)}")
        return got


async def session(ctx, node_token: str | None = None) -> Session:
    """Annex A.1 (Media Profile Configuration for PTZ Control): the first media profile with a
    PTZConfiguration (for `node_token`'s node when given), and its configuration options.
    [`PROFILE_SOURCE`] replaces the annex when set."""
    other = PROFILE_SOURCE.get()
    if other is not None:
        return await other(ctx, node_token)
    cam, p = await ptz_service(ctx)
    m = await cam.create_media_service()
    profiles = await m.GetProfiles()
    chosen = next((pr for pr in profiles if pr.PTZConfiguration is not None
                   and (node_token is None or pr.PTZConfiguration.NodeToken == node_token)), None)
    check(chosen is not None, f"no media profile has a PTZConfiguration{' for node ' + node_token if node_token else ''} "
          f"(profiles: {[pr.token for pr in profiles]})")
    o = await p.GetConfigurationOptions({"ConfigurationToken": chosen.PTZConfiguration.token})
    check_options(o, f"GetConfigurationOptions({chosen.PTZConfiguration.token})")
    return Session(ctx, cam, p, m, chosen, o)


class HeadBack:
    """Reads where the head is on entry (once it is still); on exit stops any move, goes back
    there at top speed and checks it arrived. If the case already failed, a failure to go
    back is noted, not raised over the case's own."""

    def __init__(self, s: Session):
        self.s = s

    async def __aenter__(self):
        self.start = await self.s.where()
        return self

    async def __aexit__(self, et, e, tb):
        try:
            await self.s.ptz.Stop({"ProfileToken": self.s.token})
            await self.s.go(self.start, "moving back to where the case started")
        except Exception as x:  # noqa: BLE001 - reported below, or raised when the case passed
            if et is None:
                raise
            self.s.ctx.note(f"moving back failed too: {x}")
        return False


class PresetGone:
    """Removes the preset on exit if the case left it (a failed step)."""

    def __init__(self, s: Session):
        self.s, self.token = s, None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        if self.token is None:
            return False
        try:
            await self.s.ptz.RemovePreset({"ProfileToken": self.s.token, "PresetToken": self.token})
        except Fault:
            pass  # removed by the case itself
        return False


async def presets(s: Session) -> dict:
    return {pr.token: pr for pr in (await s.ptz.GetPresets({"ProfileToken": s.token}) or [])}


async def set_preset(s: Session, **extra) -> str:
    token = await s.ptz.SetPreset({"ProfileToken": s.token, **extra})
    check(isinstance(token, str) and token, f"SetPresetResponse without a PresetToken: {token!r}")
    return token


def preset_position(pr) -> tuple:
    pos = pr.PTZPosition
    check(pos is not None, f"preset {pr.token}: no PTZPosition")
    pt, z = pos.PanTilt, pos.Zoom
    return (pt.x if pt is not None else None, pt.y if pt is not None else None, z.x if z is not None else None)


def check_preset_at(s: Session, pr, want: tuple, what: str) -> None:
    """PTZ-4-1-4: with absolute pan/tilt (zoom) the preset's PTZPosition has PanTilt (Zoom),
    equal to the position it was set at."""
    got = preset_position(pr)
    f = features_of_profile(s)
    check(not f["absolutePanTilt"] or got[0] is not None, f"{what}: PTZPosition without PanTilt")
    check(not f["absoluteZoom"] or got[2] is not None, f"{what}: PTZPosition without Zoom")
    check(positions_near(got, want), f"{what}: PTZPosition {fmt(got)}, the head was at {fmt(want)}")


def features_of_profile(s: Session) -> dict[str, bool]:
    """The node's move features, from the options' spaces (the configuration's node)."""
    sp = s.options.Spaces
    return {
        "absolutePanTilt": bool(sp.AbsolutePanTiltPositionSpace),
        "absoluteZoom": bool(sp.AbsoluteZoomPositionSpace),
    }


class HomeBack:
    """Finds the home position on entry (GotoHomePosition, then where the head went) and on
    exit sets it back: move there, SetHomePosition. The PTZ service has no GetHomePosition."""

    def __init__(self, s: Session):
        self.s = s

    async def __aenter__(self):
        await self.s.ptz.GotoHomePosition({"ProfileToken": self.s.token})
        self.home = await self.s.where()
        return self

    async def __aexit__(self, et, e, tb):
        try:
            await self.s.go(self.home, "moving back to the original home")
            await self.s.ptz.SetHomePosition({"ProfileToken": self.s.token})
        except Exception as x:  # noqa: BLE001
            if et is None:
                raise
            self.s.ctx.note(f"setting the home back failed too: {x}")
        return False


# --- Base: the PTZ service in capabilities and services (DEVICE-1-1-6, DEVICE-1-1-15) -----------


@case("DEVICE-1-1-6", requires=())
async def ptz_capabilities(ctx):
    offered = {s.findtext(f"{{{DEVICE_NS}}}Namespace") for s in await services_raw(ctx, False)}
    if TPTZ in offered:
        c = await _category(ctx, "PTZ", "PTZ", TPTZ)
        ctx.note(f"PTZ XAddr {c.XAddr}")
    else:
        _, dm = await device(ctx)
        codes = await expect_fault(dm.GetCapabilities({"Category": "PTZ"}), "Receiver", "ActionNotSupported", "NoSuchService")
        ctx.note(f"no PTZ service: {'/'.join(codes)}")


@case("DEVICE-1-1-15", requires=(TPTZ,))
async def get_services_ptz(ctx):
    await _service_entry(ctx, TPTZ, "tptz")


# --- PTZ nodes (PTZ-1-1-*) ------------------------------------------------------------------


@case("PTZ-1-1-1")
async def get_nodes(ctx):
    _, p = await ptz_service(ctx)
    nodes = await nodes_of(p)
    for n in nodes:
        check_node(n, "GetNodes")
    # The RULES that make PTZ-6-1-1 and PTZ-5-1-2 N/A hold only while no node has auxiliary
    # commands or a fixed home: keep them true.
    aux = [n.token for n in nodes if n.AuxiliaryCommands]
    check(not aux, f"nodes {aux} list AuxiliaryCommands: PTZ-6-1-1 applies (drop its RULE, write the case)")
    fixed = [n.token for n in nodes if n.FixedHomePosition is True]
    check(not fixed, f"nodes {fixed} have FixedHomePosition=true: PTZ-5-1-2 applies (drop its RULE, write the case)")
    ctx.note(", ".join(f"{n.token}: {n.MaximumNumberOfPresets} presets, home {n.HomeSupported}, "
                       f"fixed home {n.FixedHomePosition}" for n in nodes))


@case("PTZ-1-1-2")
async def get_node(ctx):
    _, p = await ptz_service(ctx)
    for n in await nodes_of(p):
        one = await p.GetNode({"NodeToken": n.token})
        check(one is not None, f"GetNode({n.token}) returned no PTZNode")
        check_node(one, f"GetNode({n.token})")
        check(one.token == n.token, f"GetNode({n.token}) returned node {one.token}")


@case("PTZ-1-1-4")
async def get_node_invalid(ctx):
    _, p = await ptz_service(ctx)
    codes = await expect_fault(p.GetNode({"NodeToken": INVALID_NODE}), "Sender", "InvalidArgVal", "NoEntity")
    ctx.note("/".join(codes))


# --- PTZ configurations (PTZ-2-1-*) -----------------------------------------------------------

DEFAULT_SPACES = (
    ("DefaultAbsolutePantTiltPositionSpace", "AbsolutePanTiltPositionSpace"),
    ("DefaultAbsoluteZoomPositionSpace", "AbsoluteZoomPositionSpace"),
    ("DefaultRelativePanTiltTranslationSpace", "RelativePanTiltTranslationSpace"),
    ("DefaultRelativeZoomTranslationSpace", "RelativeZoomTranslationSpace"),
    ("DefaultContinuousPanTiltVelocitySpace", "ContinuousPanTiltVelocitySpace"),
    ("DefaultContinuousZoomVelocitySpace", "ContinuousZoomVelocitySpace"),
)
CONFIG_PARAMS = tuple(d for d, _ in DEFAULT_SPACES) + ("DefaultPTZSpeed", "DefaultPTZTimeout", "PanTiltLimits", "ZoomLimits")


async def configurations(p) -> list:
    cfgs = await p.GetConfigurations()
    check(cfgs, "GetConfigurations returned no PTZConfiguration")
    tokens = [c.token for c in cfgs]
    check(all(tokens), "a PTZConfiguration without a token")
    return cfgs


def check_defaults_in(c, spaces, what: str) -> None:
    """PTZ-2-1-6/7: the configuration's default spaces and speed are among `spaces` (a
    node's SupportedPTZSpaces or the options' Spaces) and the speed is in range."""
    for dflt, lst in DEFAULT_SPACES:
        v = getattr(c, dflt)
        if v is not None:
            check(v in uris(getattr(spaces, lst)), f"{c.token}: {dflt} {v} not in {what} {lst} {uris(getattr(spaces, lst))}")
    sp = c.DefaultPTZSpeed
    if sp is None:
        return
    for axis, lst, comps in (("PanTilt", "PanTiltSpeedSpace", ("x", "y")), ("Zoom", "ZoomSpeedSpace", ("x",))):
        v = getattr(sp, axis)
        if v is None:
            continue
        listed = getattr(spaces, lst) or []
        if v.space is not None:
            check(v.space in uris(listed), f"{c.token}: DefaultPTZSpeed.{axis}.space {v.space} not in {what} {lst}")
        desc = first(listed, v.space) if v.space is not None else (listed[0] if listed else None)
        check(desc is not None, f"{c.token}: DefaultPTZSpeed.{axis} given but {what} lists no {lst}")
        for comp in comps:
            # A speed space is one-dimensional: the spec checks y against XRange too (2-1-6).
            x = getattr(v, comp)
            check(x is not None and desc.XRange.Min <= x <= desc.XRange.Max,
                  f"{c.token}: DefaultPTZSpeed.{axis}.{comp} {x} outside {desc.URI} {desc.XRange.Min}..{desc.XRange.Max}")


@case("PTZ-2-1-1")
async def get_configurations(ctx):
    _, p = await ptz_service(ctx)
    cfgs = await configurations(p)
    ctx.note(", ".join(f"{c.token} (node {c.NodeToken})" for c in cfgs))


@case("PTZ-2-1-2")
async def get_configuration(ctx):
    _, p = await ptz_service(ctx)
    for c in await configurations(p):
        one = await p.GetConfiguration({"PTZConfigurationToken": c.token})
        check(one is not None and one.token == c.token, f"GetConfiguration({c.token}) returned {getattr(one, 'token', None)}")
        check(one.NodeToken, f"GetConfiguration({c.token}): no NodeToken")
        check(any(getattr(one, k) is not None for k in CONFIG_PARAMS), f"GetConfiguration({c.token}): no parameter but NodeToken")


@case("PTZ-2-1-3")
async def get_configuration_options(ctx):
    _, p = await ptz_service(ctx)
    notes = []
    for c in await configurations(p):
        o = await p.GetConfigurationOptions({"ConfigurationToken": c.token})
        check_options(o, f"GetConfigurationOptions({c.token})")
        notes.append(f"{c.token}: PTZTimeout {seconds(o.PTZTimeout.Min):g}..{seconds(o.PTZTimeout.Max):g} s")
    ctx.note(", ".join(notes))


@case("PTZ-2-1-5")
async def configurations_consistency(ctx):
    _, p = await ptz_service(ctx)
    for c in await configurations(p):
        one = await p.GetConfiguration({"PTZConfigurationToken": c.token})
        d = diff(plain(c), plain(one))
        check(d is None, f"{c.token}: GetConfigurations and GetConfiguration differ at {d}")


@case("PTZ-2-1-6")
async def configurations_and_nodes(ctx):
    _, p = await ptz_service(ctx)
    cfgs = await configurations(p)
    nodes = await nodes_of(p)
    for c in cfgs:
        matching = [n for n in nodes if n.token == c.NodeToken]
        check(len(matching) == 1, f"{c.token}: NodeToken {c.NodeToken} is {len(matching)} times in GetNodes")
        check_defaults_in(c, matching[0].SupportedPTZSpaces, f"node {c.NodeToken}")


@case("PTZ-2-1-7")
async def configurations_and_options(ctx):
    _, p = await ptz_service(ctx)
    for c in await configurations(p):
        o = await p.GetConfigurationOptions({"ConfigurationToken": c.token})
        check_options(o, f"GetConfigurationOptions({c.token})")
        check_defaults_in(c, o.Spaces, "options")
        if c.DefaultPTZTimeout is not None:
            t = seconds(c.DefaultPTZTimeout)
            check(seconds(o.PTZTimeout.Min) <= t <= seconds(o.PTZTimeout.Max),
                  f"{c.token}: DefaultPTZTimeout {t:g} s outside PTZTimeout {o.PTZTimeout.Min}..{o.PTZTimeout.Max}")


@case("PTZ-2-1-9")
async def set_configuration(ctx):
    _, p = await ptz_service(ctx)
    c = (await configurations(p))[0]
    o = await p.GetConfigurationOptions({"ConfigurationToken": c.token})
    check_options(o, f"GetConfigurationOptions({c.token})")
    before = plain(c)
    hi, lo = o.PTZTimeout.Max, o.PTZTimeout.Min
    now = seconds(c.DefaultPTZTimeout) if c.DefaultPTZTimeout is not None else None
    target = lo if now is not None and math.isclose(now, seconds(hi)) else hi
    changed = dict(before, DefaultPTZTimeout=target)
    try:
        await p.SetConfiguration({"PTZConfiguration": changed, "ForcePersistence": False})
        got = await p.GetConfiguration({"PTZConfigurationToken": c.token})
        check(got.DefaultPTZTimeout is not None and math.isclose(seconds(got.DefaultPTZTimeout), seconds(target)),
              f"DefaultPTZTimeout {got.DefaultPTZTimeout} after SetConfiguration with {target}")
        d = diff(dict(plain(got), DefaultPTZTimeout=None), dict(before, DefaultPTZTimeout=None))
        check(d is None, f"SetConfiguration changed more than DefaultPTZTimeout: {d}")
        listed = next(x for x in await p.GetConfigurations() if x.token == c.token)
        d = diff(plain(listed), plain(got))
        check(d is None, f"after SetConfiguration, GetConfigurations and GetConfiguration differ at {d}")
    finally:
        await p.SetConfiguration({"PTZConfiguration": before, "ForcePersistence": False})
    back = plain(await p.GetConfiguration({"PTZConfigurationToken": c.token}))
    d = diff(back, before)
    check(d is None, f"the configuration did not come back: {d}")
    ctx.note(f"{c.token}: DefaultPTZTimeout {now:g} s -> {seconds(target):g} s -> back" if now is not None
             else f"{c.token}: DefaultPTZTimeout set to {seconds(target):g} s and removed again")


@case("PTZ-2-1-10")
async def set_configuration_invalid(ctx):
    _, p = await ptz_service(ctx)
    c = plain((await configurations(p))[0])
    c["token"] = INVALID_CONFIG
    codes = await expect_fault(p.SetConfiguration({"PTZConfiguration": c, "ForcePersistence": False}),
                               "Sender", "InvalidArgVal", "NoConfig")
    ctx.note("/".join(codes))


# --- capabilities (PTZ-8-1-*) -------------------------------------------------------------------

CAP_ATTRS = ("EFlip", "Reverse", "GetCompatibleConfigurations", "MoveStatus", "StatusPosition", "MoveAndTrack")


async def capabilities_raw(ctx):
    body = f'<tptz:GetServiceCapabilities xmlns:tptz="{TPTZ}"/>'
    r = await ctx.soap(body, path=await ptz_path(ctx))
    check(r.status == 200 and not r.is_fault, f"GetServiceCapabilities: HTTP {r.status} {r.text()[:300]}")
    el = r.xml.find(f".//{{{TPTZ}}}GetServiceCapabilitiesResponse/{{{TPTZ}}}Capabilities")
    check(el is not None, "GetServiceCapabilitiesResponse without tptz:Capabilities")
    return el


@case("PTZ-8-1-1")
async def service_capabilities(ctx):
    _, p = await ptz_service(ctx)
    caps = await p.GetServiceCapabilities()
    check(caps is not None, "GetServiceCapabilities: no Capabilities")
    el = await capabilities_raw(ctx)
    vals = {a: (el.get(a) if a == "MoveAndTrack" else xs_bool(el.get(a))) for a in CAP_ATTRS}
    ctx.note(", ".join(f"{a}={v}" for a, v in vals.items() if v is not None))


@case("PTZ-8-1-2")
async def services_and_capabilities(ctx):
    inner = service_caps(await services_raw(ctx, True), TPTZ)
    check(inner is not None, "GetServices(IncludeCapability=true): no PTZ service with a Capabilities element")
    check(inner.tag == f"{{{TPTZ}}}Capabilities", f"GetServices: PTZ Capabilities element is {inner.tag}")
    el = await capabilities_raw(ctx)
    for a in sorted(set(CAP_ATTRS) | set(inner.keys()) | set(el.keys())):
        norm = (lambda v: v) if a == "MoveAndTrack" else xs_bool
        check(norm(inner.get(a)) == norm(el.get(a)), f"@{a}: GetServices {inner.get(a)!r}, GetServiceCapabilities {el.get(a)!r}")
    ctx.note("GetServices and GetServiceCapabilities agree: " + ", ".join(f"{a}={el.get(a)}" for a in CAP_ATTRS if el.get(a) is not None))


async def supports_compatible(ctx) -> bool:
    """The PTZ capability GetCompatibleConfigurations (the annexes' "Get Compatible
    Configurations feature")."""
    return xs_bool((await capabilities_raw(ctx)).get("GetCompatibleConfigurations")) == "true"


# --- moves (PTZ-3-1-*) --------------------------------------------------------------------------


@case("PTZ-3-1-1")
async def absolute_move(ctx):
    s = await session(ctx)
    sp = s.options.Spaces
    check(sp.AbsolutePanTiltPositionSpace or sp.AbsoluteZoomPositionSpace, "the options list no absolute space")
    async with HeadBack(s) as back:
        x, y, z = s.point(0.65, 0.35, 0.4)
        speed = s.top_speed()
        if sp.AbsolutePanTiltPositionSpace:
            req = {"ProfileToken": s.token, "Position": {"PanTilt": {"x": x, "y": y}}}
            if "PanTilt" in speed:
                req["Speed"] = {"PanTilt": speed["PanTilt"]}
            await s.ptz.AbsoluteMove(req)
        if sp.AbsoluteZoomPositionSpace:
            req = {"ProfileToken": s.token, "Position": {"Zoom": {"x": z}}}
            if "Zoom" in speed:
                req["Speed"] = {"Zoom": speed["Zoom"]}
            await s.ptz.AbsoluteMove(req)
        st = await s.settle()
        got = position(st)
        want = (x if sp.AbsolutePanTiltPositionSpace else None, y if sp.AbsolutePanTiltPositionSpace else None,
                z if sp.AbsoluteZoomPositionSpace else None)
        check(positions_near(got, want), f"asked for {fmt(want)} (pan/tilt and zoom moves), GetStatus says {fmt(got)}")
        ctx.note(f"{fmt(back.start)} -> {fmt(got)}")


@case("PTZ-3-1-2")
async def absolute_move_out_of_bounds(ctx):
    s = await session(ctx)
    check(s.options.Spaces.AbsolutePanTiltPositionSpace, "the options list no absolute pan/tilt space")
    x0, x1, y0, y1 = s.pt_range()
    async with HeadBack(s):
        bad = {"ProfileToken": s.token, "Position": {"PanTilt": {"x": x1 + 1.0, "y": y0 - 1.0}}}
        codes = await expect_fault(s.ptz.AbsoluteMove(bad), "Sender", "InvalidArgVal", "InvalidPosition")
    ctx.note(f"PanTilt ({x1 + 1.0:g}, {y0 - 1.0:g}): {'/'.join(codes)}")


@case("PTZ-3-1-3")
async def relative_move(ctx):
    s = await session(ctx)
    sp = s.options.Spaces
    check(sp.RelativePanTiltTranslationSpace or sp.RelativeZoomTranslationSpace, "the options list no relative space")
    speed = s.top_speed()
    async with HeadBack(s) as back:
        # In the configuration's default (generic) translation spaces: a translation is the
        # difference of two generic positions (PTZ Service Specification, "Relative
        # translation spaces"), so the head ends at start + translation.
        tx, ty, tz = 0.2, -0.1, 0.3
        if sp.RelativePanTiltTranslationSpace:
            req = {"ProfileToken": s.token, "Translation": {"PanTilt": {"x": tx, "y": ty}}}
            if "PanTilt" in speed:
                req["Speed"] = {"PanTilt": speed["PanTilt"]}
            await s.ptz.RelativeMove(req)
        if sp.RelativeZoomTranslationSpace:
            req = {"ProfileToken": s.token, "Translation": {"Zoom": {"x": tz}}}
            if "Zoom" in speed:
                req["Speed"] = {"Zoom": speed["Zoom"]}
            await s.ptz.RelativeMove(req)
        got = position(await s.settle())
        sx, sy, sz = back.start
        x0, x1, y0, y1 = s.pt_range()
        z0, z1 = s.zoom_range()
        clamp = lambda v, lo, hi: None if v is None else min(max(v, lo), hi)  # noqa: E731
        want = (clamp(sx + tx, x0, x1) if sp.RelativePanTiltTranslationSpace else sx,
                clamp(sy + ty, y0, y1) if sp.RelativePanTiltTranslationSpace else sy,
                clamp(sz + tz, z0, z1) if sp.RelativeZoomTranslationSpace and sz is not None else sz)
        check(positions_near(got, want), f"from {fmt(back.start)} by ({tx}, {ty}, {tz}): want {fmt(want)}, GetStatus says {fmt(got)}")
        ctx.note(f"{fmt(back.start)} -> {fmt(got)}")


@case("PTZ-3-1-4")
async def continuous_move_timeout(ctx):
    s = await session(ctx)
    sp = s.options.Spaces
    pt, zoom = bool(sp.ContinuousPanTiltVelocitySpace), bool(sp.ContinuousZoomVelocitySpace)
    check(pt or zoom, "the options list no continuous velocity space")
    check(seconds(s.options.PTZTimeout.Max) >= 60, f"PTZTimeout Max {s.options.PTZTimeout.Max}: the case's PT60S is not allowed")
    default = seconds(s.cfg.DefaultPTZTimeout) if s.cfg.DefaultPTZTimeout is not None else None
    async with HeadBack(s) as back:
        # Slow enough that no axis reaches an end stop within the 60 s, so it is the Timeout
        # that ends the move (the simulated head: 1.2 deg/s pan, 0.45 deg/s tilt, 0.05x/s).
        started = {}
        if pt:
            await s.ptz.ContinuousMove({"ProfileToken": s.token, "Velocity": {"PanTilt": {"x": 0.01, "y": 0.005}},
                                        "Timeout": dt.timedelta(seconds=60)})
            started["PanTilt"] = time.monotonic()
            ms = move_status(await s.status())
            check(ms[0] in (None, "MOVING", "UNKNOWN"), f"PanTilt {ms[0]} right after ContinuousMove")
        if zoom:
            await s.ptz.ContinuousMove({"ProfileToken": s.token, "Velocity": {"Zoom": {"x": 0.01}},
                                        "Timeout": dt.timedelta(seconds=60)})
            started["Zoom"] = time.monotonic()
            ms = move_status(await s.status())
            check(ms[1] in (None, "MOVING", "UNKNOWN"), f"Zoom {ms[1]} right after ContinuousMove")
            check(not pt or ms[0] in (None, "MOVING", "UNKNOWN"), f"PanTilt {ms[0]} after a ContinuousMove with Zoom only")
        # Beyond the case's own steps: past DefaultPTZTimeout the axes still move, so the 60 s
        # are the request's Timeout and not the configuration's default.
        if default is not None and default + 3 < 60:
            await asyncio.sleep(max(0.0, min(started.values()) + default + 3 - time.monotonic()))
            ms = move_status(await s.status())
            for i, axis in enumerate(("PanTilt", "Zoom")):
                check(axis not in started or ms[i] in (None, "MOVING"),
                      f"{axis} {ms[i]} {default + 3:g} s into a 60 s ContinuousMove (DefaultPTZTimeout {default:g} s)")
        for i, axis in enumerate(("PanTilt", "Zoom")):
            if axis not in started:
                continue
            await asyncio.sleep(max(0.0, started[axis] + 60 - time.monotonic()))
            # The head brakes (milliseconds at this speed): IDLE within a second of the 60 s.
            st = await s.settle(timeout=1.0, axes=(axis,), what="past the 60 s of ContinuousMove(Timeout=PT60S)")
            ms = move_status(st)
            check(ms[i] in (None, "IDLE", "UNKNOWN"), f"{axis} {ms[i]} 60 s after ContinuousMove(Timeout=PT60S)")
        got = position(st)
        moved = [a for a, i in (("PanTilt", 0), ("Zoom", 2)) if a in started
                 and back.start[i] is not None and got[i] is not None and got[i] > back.start[i] + TOL]
        check(sorted(moved) == sorted(started), f"axes that moved: {moved}, of {list(started)} ({fmt(back.start)} -> {fmt(got)})")
        ctx.note(f"{' and '.join(started)} moved 60 s: {fmt(back.start)} -> {fmt(got)}, then IDLE")


@case("PTZ-3-1-5")
async def continuous_move_stop(ctx):
    s = await session(ctx)
    sp = s.options.Spaces
    moves = []
    if sp.ContinuousPanTiltVelocitySpace:
        moves.append(("PanTilt", {"PanTilt": {"x": 0.5, "y": 0.25}}, 0))
    if sp.ContinuousZoomVelocitySpace:
        moves.append(("Zoom", {"Zoom": {"x": 0.5}}, 1))
    check(moves, "the options list no continuous velocity space")
    notes = []
    async with HeadBack(s):
        for axis, velocity, i in moves:
            await s.ptz.ContinuousMove({"ProfileToken": s.token, "Velocity": velocity})
            ms = move_status(await s.status())
            check(ms[i] in (None, "MOVING", "UNKNOWN"), f"{axis} {ms[i]} right after ContinuousMove")
            await asyncio.sleep(0.5)
            await s.ptz.Stop({"ProfileToken": s.token})
            t0 = time.monotonic()
            # Stop brakes the axis: IDLE once it is still (the Operation Delay bounds it).
            st = await s.settle(axes=(axis,))
            check(move_status(st)[i] in (None, "IDLE", "UNKNOWN"), f"{axis} {move_status(st)[i]} after Stop")
            notes.append(f"{axis} IDLE {time.monotonic() - t0:.2f} s after Stop")
    ctx.note(", ".join(notes))


# --- presets (PTZ-4-1-*) --------------------------------------------------------------------------


@case("PTZ-4-1-4")
async def set_and_get_preset(ctx):
    s = await session(ctx)
    async with HeadBack(s), PresetGone(s) as gone:
        x = await s.go(s.point(0.65, 0.35, 0.4), "moving to X")
        a = gone.token = await set_preset(s, PresetName=PRESET_NAME)
        listed = await presets(s)
        check(a in listed, f"GetPresets lacks the new preset {a} ({list(listed)})")
        check(listed[a].Name == PRESET_NAME, f"preset {a}: Name {listed[a].Name!r}, want {PRESET_NAME!r}")
        check_preset_at(s, listed[a], x, f"preset {a} set at X")
        y = await s.go(s.point(0.35, 0.6, 0.2), "moving to Y")
        again = await set_preset(s, PresetToken=a)
        check(again == a, f"overwriting preset {a} returned token {again}")
        listed = await presets(s)
        check(a in listed, f"GetPresets lacks preset {a} after it was overwritten")
        check(listed[a].Name == PRESET_NAME, f"preset {a}: Name {listed[a].Name!r} after overwriting, want {PRESET_NAME!r}")
        check_preset_at(s, listed[a], y, f"preset {a} overwritten at Y")
        await s.ptz.RemovePreset({"ProfileToken": s.token, "PresetToken": a})
        gone.token = None
    ctx.note(f"preset {a} at {fmt(x)}, then {fmt(y)}")


@case("PTZ-4-1-5")
async def goto_preset(ctx):
    s = await session(ctx)
    async with HeadBack(s), PresetGone(s) as gone:
        x = await s.go(s.point(0.65, 0.35, 0.4), "moving to X")
        a = gone.token = await set_preset(s, PresetName=PRESET_NAME)
        await s.go(s.point(0.35, 0.6, 0.2), "moving to Y")
        await s.ptz.GotoPreset({"ProfileToken": s.token, "PresetToken": a})
        got = await s.where()
        check(positions_near(got, x), f"after GotoPreset {a}: at {fmt(got)}, the preset is {fmt(x)}")
        await s.ptz.RemovePreset({"ProfileToken": s.token, "PresetToken": a})
        gone.token = None
    ctx.note(f"preset {a} at {fmt(x)} reached from Y")


@case("PTZ-4-1-6")
async def remove_preset(ctx):
    s = await session(ctx)
    async with PresetGone(s) as gone:
        a = gone.token = await set_preset(s, PresetName=PRESET_NAME)
        listed = await presets(s)
        check(a in listed and listed[a].Name == PRESET_NAME,
              f"GetPresets lacks preset {a} named {PRESET_NAME!r}: {[(t, pr.Name) for t, pr in listed.items()]}")
        await s.ptz.RemovePreset({"ProfileToken": s.token, "PresetToken": a})
        gone.token = None
        listed = await presets(s)
        check(a not in listed, f"preset {a} still in GetPresets after RemovePreset")
        check(all(pr.Name != PRESET_NAME for pr in listed.values()), f"a preset named {PRESET_NAME!r} is still listed")
    ctx.note(f"preset {a} set and removed")


# --- home position (PTZ-5-1-*) ----------------------------------------------------------------------


@case("PTZ-5-1-1")
async def home_configurable(ctx):
    s = await session(ctx)
    async with HeadBack(s), HomeBack(s) as home:
        x = await s.go(s.point(0.65, 0.35, 0.4), "moving to X")
        await s.ptz.SetHomePosition({"ProfileToken": s.token})
        await s.go(s.point(0.35, 0.6, 0.2), "moving to Y")
        await s.ptz.GotoHomePosition({"ProfileToken": s.token})
        got = await s.where()
        check(positions_near(got, x), f"after GotoHomePosition: at {fmt(got)}, home was set at {fmt(x)}")
    ctx.note(f"home {fmt(home.home)} -> {fmt(x)} -> back")


@case("PTZ-5-1-3")
async def home_fixed_flag(ctx):
    s = await session(ctx)
    node = await s.ptz.GetNode({"NodeToken": s.cfg.NodeToken})
    check(node is not None and node.token == s.cfg.NodeToken, f"GetNode({s.cfg.NodeToken}) returned {getattr(node, 'token', None)}")
    if node.FixedHomePosition is None:
        ctx.note(f"node {node.token} has no FixedHomePosition attribute: nothing to check (the spec's skip)")
        return
    # GotoHomePosition first (not a step of the case), so SetHomePosition at the current
    # position leaves the home where it was.
    async with HeadBack(s):
        await s.ptz.GotoHomePosition({"ProfileToken": s.token})
        await s.settle()
        try:
            await s.ptz.SetHomePosition({"ProfileToken": s.token})
            fixed = False
        except Fault as f:
            codes = subcodes(f)
            check(("CannotOverwriteHome" in codes) or ("ActionNotSupported" in codes),
                  f"SetHomePosition: fault {codes}, want a response, Action/CannotOverwriteHome or ActionNotSupported")
            fixed = True
    check(fixed == bool(node.FixedHomePosition),
          f"FixedHomePosition={node.FixedHomePosition} but SetHomePosition {'faulted' if fixed else 'succeeded'}")
    ctx.note(f"FixedHomePosition={node.FixedHomePosition}, SetHomePosition {'faulted' if fixed else 'answered'}")


async def continuous_to_end(s: Session, prof_token: str, o, f: dict, end: str) -> None:
    """Annex A.8 / A.14 (HelperContinuousMoveTest{Initial,Max}Position2): a ContinuousMove at
    the first velocity space's Min (Max) for min(max(PT30S, PTZTimeout.Min), PTZTimeout.Max),
    then GetStatus until the moving axes are IDLE (the head stops at its end stops)."""
    move_timeout = min(max(30.0, seconds(o.PTZTimeout.Min)), seconds(o.PTZTimeout.Max))
    sp = o.Spaces
    vel, axes = {}, []
    if f["continuousPanTilt"]:
        v = sp.ContinuousPanTiltVelocitySpace[0]
        vel["PanTilt"] = {"x": getattr(v.XRange, end), "y": getattr(v.YRange, end), "space": v.URI}
        axes.append("PanTilt")
    if f["continuousZoom"]:
        v = sp.ContinuousZoomVelocitySpace[0]
        vel["Zoom"] = {"x": getattr(v.XRange, end), "space": v.URI}
        axes.append("Zoom")
    await s.ptz.ContinuousMove({"ProfileToken": prof_token, "Velocity": vel, "Timeout": dt.timedelta(seconds=move_timeout)})
    await s.settle(timeout=move_timeout + SETTLE, axes=tuple(axes))


async def home_on_profile(ctx, cam, p, m, profile, node) -> str:
    """PTZ-5-1-4's steps on a new profile holding `node`'s PTZ configuration (made through Media
    1 or Media 2): home set at the ends the continuous moves reach, GotoHomePosition back. The
    note for the case."""
    prof = profile
    f = features(node)
    o = await p.GetConfigurationOptions({"ConfigurationToken": profile.PTZConfiguration.token})
    check_options(o, f"GetConfigurationOptions({profile.PTZConfiguration.token})")
    s = Session(ctx, cam, p, m, profile, o)
    check(f["continuousPanTilt"] or f["continuousZoom"] or f["absolutePanTilt"] or f["absoluteZoom"],
          f"node {node.token}: no continuous or absolute move to reach its ends with")
    async with HeadBack(s), HomeBack(s):
        # HelperMoveToMinPosition: continuous first when the node has it.
        await continuous_to_end(s, prof.token, o, f, "Min")
        st1 = await s.status()
        try:
            await p.SetHomePosition({"ProfileToken": prof.token})
            fixed = False
        except Fault as fault:
            codes = subcodes(fault)
            check(codes[:1] == ["Receiver"] and ("CannotOverwriteHome" in codes or "ActionNotSupported" in codes),
                  f"SetHomePosition: fault {codes}")
            fixed = True
        if node.FixedHomePosition is not None:
            check(fixed == node.FixedHomePosition,
                  f"node {node.token}: FixedHomePosition={node.FixedHomePosition} but SetHomePosition "
                  f"{'faulted' if fixed else 'succeeded'}")
        if fixed:
            await p.GotoHomePosition({"ProfileToken": prof.token})
            st1 = await s.settle()
        await continuous_to_end(s, prof.token, o, f, "Max")
        await p.GotoHomePosition({"ProfileToken": prof.token})
        st2 = await s.settle()
        a, b = position(st1), position(st2)
        # The spec writes a WARNING (not a failure) past 10% of the full range.
        far = [axis for axis, i, span in (("pan", 0, 2.0), ("tilt", 1, 2.0), ("zoom", 2, 1.0))
               if a[i] is not None and b[i] is not None and abs(a[i] - b[i]) > 0.1 * span]
        return (f"{node.token}: home set at {fmt(a)}, GotoHomePosition reached {fmt(b)}"
                + (f" (WARNING: {', '.join(far)} more than 10% of the range off)" if far else ""))


@case("PTZ-5-1-4")
async def home_custom_profile(ctx):
    cam, p = await ptz_service(ctx)
    m = await cam.create_media_service()
    compatible = await supports_compatible(ctx)
    notes = []
    for node in await nodes_of(p):
        if not node.HomeSupported:
            continue
        # Annex A.4 (HelperCreateMediaProfile): a new profile with a video source and this
        # node's PTZ configuration.
        async with NewProfile(m, "ptz_home_test", "testMedia") as prof:
            ptz_cfg = None
            for vsc in await m.GetCompatibleVideoSourceConfigurations({"ProfileToken": prof.token}) or []:
                await m.AddVideoSourceConfiguration({"ProfileToken": prof.token, "ConfigurationToken": vsc.token})
                if compatible:
                    cands = await p.GetCompatibleConfigurations({"ProfileToken": prof.token}) or []
                else:
                    cands = await p.GetConfigurations() or []
                ptz_cfg = next((c for c in cands if c.NodeToken == node.token), None)
                if ptz_cfg is not None:
                    await m.AddPTZConfiguration({"ProfileToken": prof.token, "ConfigurationToken": ptz_cfg.token})
                    break
            check(ptz_cfg is not None, f"no PTZ configuration of node {node.token} fits the new profile with any video source")
            profile = await m.GetProfile({"ProfileToken": prof.token})
            check(profile.PTZConfiguration is not None and profile.PTZConfiguration.token == ptz_cfg.token,
                  f"the new profile's PTZConfiguration is not {ptz_cfg.token} after AddPTZConfiguration")
            notes.append(await home_on_profile(ctx, cam, p, m, profile, node))
    check(notes, "no PTZ node with HomeSupported=true")
    ctx.note("; ".join(notes))


# --- generic spaces (PTZ-7-*-*) ----------------------------------------------------------------------


async def each_node_with(ctx, space_list: str, generic: str, two_d: bool, required: bool = True):
    """The steps every PTZ-7 case shares: GetNodes, the nodes with `space_list` (none: the
    spec's "skip other steps"), each node's space descriptions well formed and the generic
    one among them, and a session on a profile with that node's configuration. Yields
    (session, generic space description). With `required` false a node whose list lacks
    that space is passed over instead (MEDIA2_PTZ-4-1-1: "each PTZ Node ... which contains"
    the spherical space)."""
    _, p = await ptz_service(ctx)
    out = []
    for n in await nodes_of(p):
        listed = getattr(n.SupportedPTZSpaces, space_list) or []
        if not listed or not (required or first(listed, generic)):
            continue
        for sp in listed:
            check(space_ok(sp, two_d), f"node {n.token}: {space_list} {sp.URI!r} without valid ranges")
        g = first(listed, generic)
        check(g is not None, f"node {n.token}: no {generic} among its {space_list} {uris(listed)}")
        out.append((await session(ctx, n.token), g))
    return out


def ends(g, limits, end: str, two_d: bool) -> tuple:
    """(x, y) at the Min or Max of the space description, or of the configuration's limits
    where it has them for that space."""
    r = limits.Range if limits is not None and limits.Range is not None and limits.Range.URI == g.URI else g
    return (getattr(r.XRange, end), getattr(r.YRange, end) if two_d else None)


async def space_case(ctx, space_list: str, generic: str, two_d: bool, order: tuple[str, str], send,
                     *, stop: dict | None = None, required: bool = True, limits=None, dwell: float = 0.0) -> None:
    """PTZ-7-*-* and MEDIA2_PTZ-4-*-*: for every node with `space_list`, `send(session, space,
    end)` at each end of the range in `order`; each request must be accepted.
    - `stop`: a continuous move would run until DefaultPTZTimeout, so the case then sends Stop
      with these PanTilt/Zoom flags (`{}`: both; the PTZ-7 cases do it though the spec leaves
      the head running into the next case, the MEDIA2 ones as their last step says).
    - `required`: see `each_node_with`.
    - `limits(session, space)`: an async context manager around the moves (MEDIA2's Annex A.9
      HelperAdjustLimits, which puts the configuration back on exit).
    - `dwell`: seconds each request runs before the next ("Wait until timeout1 expires"); the
      note then says where GetStatus found the head."""
    runs = await each_node_with(ctx, space_list, generic, two_d, required)
    if not runs:
        ctx.note(f"no PTZ node lists a {space_list}{'' if required else ' with ' + generic}: nothing to test (the spec's skip)")
        return
    notes = []
    for s, g in runs:
        seen = []
        async with HeadBack(s), (limits(s, g) if limits else contextlib.nullcontext()):
            for end in order:
                try:
                    await send(s, g, end)
                except Fault as f:
                    raise Failed(f"{g.URI} at its {end}: fault {subcodes(f)} {f.message}")
                if dwell:
                    await asyncio.sleep(dwell)
                    st = await s.status()
                    seen.append(f"{end} {'/'.join(map(str, move_status(st)))} at {fmt(position(st))}")
            if stop is not None:
                await s.ptz.Stop({"ProfileToken": s.token, **stop})
            await s.settle()
        notes.append(f"{s.cfg.NodeToken}: {order[0]} and {order[1]} accepted" + (f" ({'; '.join(seen)})" if seen else ""))
    ctx.note(", ".join(notes))


@case("PTZ-7-1-3")
async def generic_pan_tilt_position(ctx):
    async def send(s, g, end):
        x, y = ends(g, s.cfg.PanTiltLimits, end, True)
        await s.ptz.AbsoluteMove({"ProfileToken": s.token, "Position": {"PanTilt": {"x": x, "y": y, "space": g.URI}}})
    await space_case(ctx, "AbsolutePanTiltPositionSpace", ABS_PT, True, ("Min", "Max"), send)


@case("PTZ-7-1-4")
async def generic_zoom_position(ctx):
    async def send(s, g, end):
        x, _ = ends(g, s.cfg.ZoomLimits, end, False)
        await s.ptz.AbsoluteMove({"ProfileToken": s.token, "Position": {"Zoom": {"x": x, "space": g.URI}}})
    await space_case(ctx, "AbsoluteZoomPositionSpace", ABS_ZOOM, False, ("Max", "Min"), send)


@case("PTZ-7-2-3")
async def generic_pan_tilt_translation(ctx):
    async def send(s, g, end):
        x, y = ends(g, None, end, True)
        await s.ptz.RelativeMove({"ProfileToken": s.token, "Translation": {"PanTilt": {"x": x, "y": y, "space": g.URI}}})
    await space_case(ctx, "RelativePanTiltTranslationSpace", REL_PT, True, ("Min", "Max"), send)


@case("PTZ-7-2-4")
async def generic_zoom_translation(ctx):
    async def send(s, g, end):
        x, _ = ends(g, None, end, False)
        await s.ptz.RelativeMove({"ProfileToken": s.token, "Translation": {"Zoom": {"x": x, "space": g.URI}}})
    await space_case(ctx, "RelativeZoomTranslationSpace", REL_ZOOM, False, ("Max", "Min"), send)


@case("PTZ-7-3-3")
async def generic_pan_tilt_velocity(ctx):
    async def send(s, g, end):
        x, y = ends(g, None, end, True)
        await s.ptz.ContinuousMove({"ProfileToken": s.token, "Velocity": {"PanTilt": {"x": x, "y": y, "space": g.URI}}})
    await space_case(ctx, "ContinuousPanTiltVelocitySpace", VEL_PT, True, ("Min", "Max"), send, stop={})


@case("PTZ-7-3-4")
async def generic_zoom_velocity(ctx):
    async def send(s, g, end):
        x, _ = ends(g, None, end, False)
        await s.ptz.ContinuousMove({"ProfileToken": s.token, "Velocity": {"Zoom": {"x": x, "space": g.URI}}})
    await space_case(ctx, "ContinuousZoomVelocitySpace", VEL_ZOOM, False, ("Max", "Min"), send, stop={})


async def speed_move(s: Session, axis: str, end: str, speed_uri: str, speed_x: float) -> None:
    """PTZ-7-4-*: an AbsoluteMove (RelativeMove where the node has no absolute space) to the
    position (translation) space's `end` at the speed space's `end`."""
    sp = s.options.Spaces
    if axis == "PanTilt":
        ab, rel, lim = first(sp.AbsolutePanTiltPositionSpace, ABS_PT), first(sp.RelativePanTiltTranslationSpace, REL_PT), s.cfg.PanTiltLimits
        speed = {"PanTilt": {"x": speed_x, "y": speed_x, "space": speed_uri}}
    else:
        ab, rel, lim = first(sp.AbsoluteZoomPositionSpace, ABS_ZOOM), first(sp.RelativeZoomTranslationSpace, REL_ZOOM), s.cfg.ZoomLimits
        speed = {"Zoom": {"x": speed_x, "space": speed_uri}}
    two_d = axis == "PanTilt"
    if ab is not None:
        x, y = ends(ab, lim, end, two_d)
        vec = {"x": x, "y": y, "space": ab.URI} if two_d else {"x": x, "space": ab.URI}
        await s.ptz.AbsoluteMove({"ProfileToken": s.token, "Position": {axis: vec}, "Speed": speed})
    else:
        check(rel is not None, f"no absolute or relative {axis} space to move with")
        x, y = ends(rel, None, end, two_d)
        vec = {"x": x, "y": y, "space": rel.URI} if two_d else {"x": x, "space": rel.URI}
        await s.ptz.RelativeMove({"ProfileToken": s.token, "Translation": {axis: vec}, "Speed": speed})


@case("PTZ-7-4-3")
async def generic_pan_tilt_speed(ctx):
    async def send(s, g, end):
        await speed_move(s, "PanTilt", end, g.URI, getattr(g.XRange, end))
    await space_case(ctx, "PanTiltSpeedSpace", SPEED_PT, False, ("Min", "Max"), send)


@case("PTZ-7-4-4")
async def generic_zoom_speed(ctx):
    async def send(s, g, end):
        await speed_move(s, "Zoom", end, g.URI, getattr(g.XRange, end))
    await space_case(ctx, "ZoomSpeedSpace", SPEED_ZOOM, False, ("Max", "Min"), send)
