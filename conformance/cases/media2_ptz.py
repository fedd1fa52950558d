"""ONVIF PTZ Device Test Specification, "PTZ Control Using Media2 Service" (MEDIA2_PTZ-*): the
PTZ cases run on a profile found, or composed, through Media2.

Their steps are those of the Media 1 cases of cases/ptz.py (moves, presets, home, generic
spaces); only the profile differs: Annex "Media Profile Configuration for PTZ Control"
(HelperMediaProfileConfiguration) asks Media2's GetProfiles for Type PTZ and VideoSource, takes
the profile whose PTZ configuration is the node's, and otherwise adds the video source and a
compatible PTZ configuration with AddConfiguration. So each case here sets
`ptz.PROFILE_SOURCE` to that annex and runs the Media 1 case's body. The space cases
(MEDIA2_PTZ-4-*) have steps of their own, run through the PTZ-7 cases' `ptz.space_case`: the
absolute ones adjust the configuration's limits to the space under test first (Annex A.9
HelperAdjustLimits) and include the spherical space in degrees (4-1-1, Profile T); the
continuous ones let each move run for timeout1 and stop only the group they moved. MEDIA2_PTZ-3-1-4 makes
its own profile through Media2 (HelperCreateMedia2Profile: CreateProfile without
configurations, AddConfiguration of each video source, then the node's PTZ configuration) and
deletes it afterwards.

onvif-zeep-async has no Media2 WSDL: Media2 is raw SOAP here (the harness's client), PTZ is
zeep as in the Media 1 cases.
"""

from __future__ import annotations

from types import SimpleNamespace

from conformance.cases import ptz
from zeep.exceptions import Fault

from conformance.cases.device import subcodes
from conformance.cases.imaging import plain
from conformance.cases.ptz import (
    Session,
    check_options,
    ends,
    home_on_profile,
    nodes_of,
    ptz_service,
    space_case,
)
from conformance.harness import Failed, check, case

TR2 = "http://www.onvif.org/ver20/media/wsdl"
TT = "http://www.onvif.org/ver10/schema"
REQUIRES = (ptz.TPTZ, TR2)
MEDIA2_PATH = "/onvif/media2_service"
SPHERICAL_PT = ptz.SPACE + "PanTiltSpaces/SphericalPositionSpaceDegrees"
# timeout1 of MEDIA2_PTZ-4-2-*, the test tool's Operation Delay: how long each ContinuousMove
# runs before the next request. Long enough for GetStatus to see the head under way (nvt's
# simulated head reaches full speed in well under a second), short of DefaultPTZTimeout
# (5 s), so the Max request reverses a move that is still running.
TIMEOUT1 = 2.0
XP = {"s": "http://www.w3.org/2003/05/soap-envelope", "tr2": TR2, "tt": TT}
RULES = [
    (r"^MEDIA2_PTZ-3-1-2$", "N/A",
     'precondition "Fixed Home Position is supported by the DUT" does not hold: the node\'s '
     "FixedHomePosition is false (as PTZ-5-1-2; MEDIA2_PTZ-3-1-1 and 3-1-3 run)"),
]


async def media2(ctx, op: str, inner: str = ""):
    """A Media2 call that must succeed: the reply."""
    r = await ctx.soap(f'<tr2:{op} xmlns:tr2="{TR2}">{inner}</tr2:{op}>', path=MEDIA2_PATH)
    check(r.status == 200 and not r.is_fault, f"Media2 {op}: HTTP {r.status} {r.fault_codes()} {r.text()[:300]}")
    return r


def xp(r, expr: str) -> list:
    """XPath over a reply with the Media2 prefixes (the harness's NS has no tr2)."""
    return r.xml.xpath(expr, namespaces=XP)


def refs(*pairs: tuple[str, str]) -> str:
    return "".join(
        f"<tr2:Configuration><tr2:Type>{ty}</tr2:Type><tr2:Token>{tok}</tr2:Token></tr2:Configuration>"
        for ty, tok in pairs
    )


async def media2_profiles(ctx) -> list[SimpleNamespace]:
    """GetProfiles with Type PTZ and VideoSource: each profile's token, its PTZ
    configuration's token and node (or None), and whether it has a video source."""
    r = await media2(ctx, "GetProfiles", "<tr2:Type>PTZ</tr2:Type><tr2:Type>VideoSource</tr2:Type>")
    out = []
    for p in xp(r, "/s:Envelope/s:Body/tr2:GetProfilesResponse/tr2:Profiles"):
        ptz_cfg = p.find("tr2:Configurations/tr2:PTZ", XP)
        out.append(SimpleNamespace(
            token=p.get("token"),
            ptz=None if ptz_cfg is None else ptz_cfg.get("token"),
            node=None if ptz_cfg is None else ptz_cfg.findtext("tt:NodeToken", namespaces=XP),
            video_source=p.find("tr2:Configurations/tr2:VideoSource", XP) is not None,
        ))
    return out


async def add_video_source(ctx, profile_token: str) -> None:
    """HelperMediaProfileConfigurationVS: the first video source configuration compatible with
    the profile, added."""
    r = await media2(ctx, "GetVideoSourceConfigurations", f"<tr2:ProfileToken>{profile_token}</tr2:ProfileToken>")
    vscs = xp(r, "/s:Envelope/s:Body/tr2:GetVideoSourceConfigurationsResponse/tr2:Configurations")
    check(vscs, f"GetVideoSourceConfigurations({profile_token}) listed none")
    await media2(ctx, "AddConfiguration",
                 f"<tr2:ProfileToken>{profile_token}</tr2:ProfileToken>" + refs(("VideoSource", vscs[0].get("token"))))


async def media2_session(ctx, node_token: str | None = None) -> Session:
    """Annex "Media Profile Configuration for PTZ Control" (Media2): the profile holding the
    node's PTZ configuration (its video source added if it has none), else the first profile
    with the node's compatible PTZ configuration added; the configuration and its options as
    the PTZ service reports them."""
    cam, p = await ptz_service(ctx)
    if node_token is None:
        node_token = (await nodes_of(p))[0].token
    profiles = await media2_profiles(ctx)
    check(profiles, "Media2 GetProfiles listed no profile")
    chosen = next((pr for pr in profiles if pr.node == node_token), None)
    if chosen is not None:
        if not chosen.video_source:
            await add_video_source(ctx, chosen.token)
    else:
        chosen = profiles[0]
        if not chosen.video_source:
            await add_video_source(ctx, chosen.token)
        cands = await p.GetCompatibleConfigurations({"ProfileToken": chosen.token}) or []
        cfg = next((c for c in cands if c.NodeToken == node_token), None)
        check(cfg is not None, f"no PTZ configuration of node {node_token} is compatible with {chosen.token}")
        await media2(ctx, "AddConfiguration",
                     f"<tr2:ProfileToken>{chosen.token}</tr2:ProfileToken>" + refs(("PTZ", cfg.token)))
        chosen.ptz = cfg.token
    cfg = await p.GetConfiguration({"PTZConfigurationToken": chosen.ptz})
    o = await p.GetConfigurationOptions({"ConfigurationToken": chosen.ptz})
    check_options(o, f"GetConfigurationOptions({chosen.ptz})")
    profile = SimpleNamespace(token=chosen.token, PTZConfiguration=cfg)
    return Session(ctx, cam, p, None, profile, o)


async def on_media2(ctx, body) -> None:
    """Runs a Media 1 PTZ case's steps with Media2's profile."""
    reset = ptz.PROFILE_SOURCE.set(media2_session)
    try:
        await body(ctx)
    finally:
        ptz.PROFILE_SOURCE.reset(reset)


@case("MEDIA2_PTZ-1-1-1")
async def absolute_move(ctx):
    await on_media2(ctx, ptz.absolute_move)


@case("MEDIA2_PTZ-1-1-2")
async def continuous_move_timeout(ctx):
    await on_media2(ctx, ptz.continuous_move_timeout)


@case("MEDIA2_PTZ-1-1-3")
async def continuous_move_stop(ctx):
    await on_media2(ctx, ptz.continuous_move_stop)


@case("MEDIA2_PTZ-2-1-1")
async def set_and_get_preset(ctx):
    await on_media2(ctx, ptz.set_and_get_preset)


@case("MEDIA2_PTZ-2-1-2")
async def goto_preset(ctx):
    await on_media2(ctx, ptz.goto_preset)


@case("MEDIA2_PTZ-2-1-3")
async def remove_preset(ctx):
    await on_media2(ctx, ptz.remove_preset)


@case("MEDIA2_PTZ-3-1-1")
async def home_configurable(ctx):
    await on_media2(ctx, ptz.home_configurable)


@case("MEDIA2_PTZ-3-1-3")
async def home_fixed_flag(ctx):
    await on_media2(ctx, ptz.home_fixed_flag)


class AdjustedLimits:
    """Annex A.9 HelperAdjustLimits for a pan/tilt (`two_d`) or zoom space: where the
    configuration has limits of that group in another space, SetConfiguration with the
    limits' Range set to the space's description, so that the case's "PanTiltLimits.Range
    ... if it is specified" is in the space under test. On exit the configuration as it was
    (the cases' "If PTZ Configuration ... was changed ..., ONVIF Client restores" step)."""

    def __init__(self, s: Session, space, two_d: bool):
        self.s, self.space, self.group, self.before = s, space, "PanTiltLimits" if two_d else "ZoomLimits", None

    async def __aenter__(self):
        lim = getattr(self.s.cfg, self.group)
        if lim is None or lim.Range is None or lim.Range.URI == self.space.URI:
            return self
        self.before = plain(self.s.cfg)
        changed = dict(self.before, **{self.group: {"Range": plain(self.space)}})
        try:
            await self.s.ptz.SetConfiguration({"PTZConfiguration": changed, "ForcePersistence": False})
        except Fault as f:
            raise Failed(f"HelperAdjustLimits: SetConfiguration({self.s.cfg.token}) with {self.group} in "
                         f"{self.space.URI} (was {lim.Range.URI}): fault {subcodes(f)} {f.message}") from None
        self.s.cfg = await self.s.ptz.GetConfiguration({"PTZConfigurationToken": self.s.cfg.token})
        return self

    async def __aexit__(self, *exc):
        if self.before is not None:
            await self.s.ptz.SetConfiguration({"PTZConfiguration": self.before, "ForcePersistence": False})
            self.s.cfg = await self.s.ptz.GetConfiguration({"PTZConfigurationToken": self.s.cfg.token})
        return False


async def absolute_space_case(ctx, two_d: bool, uri: str, *, required: bool = True) -> None:
    """MEDIA2_PTZ-4-1-*: on the Media2 profile of each node listing the absolute space `uri`,
    HelperAdjustLimits, then AbsoluteMove of that group alone (no Speed) to the Min and then
    the Max of the limits (or of the space where the configuration has none)."""
    space_list, limits = ("AbsolutePanTiltPositionSpace", "PanTiltLimits") if two_d else ("AbsoluteZoomPositionSpace", "ZoomLimits")
    group = "PanTilt" if two_d else "Zoom"

    async def send(s, g, end):
        x, y = ends(g, getattr(s.cfg, limits), end, two_d)
        vec = {"x": x, "y": y, "space": g.URI} if two_d else {"x": x, "space": g.URI}
        await s.ptz.AbsoluteMove({"ProfileToken": s.token, "Position": {group: vec}})

    await on_media2(ctx, lambda ctx: space_case(
        ctx, space_list, uri, two_d, ("Min", "Max"), send, required=required,
        limits=lambda s, g: AdjustedLimits(s, g, two_d)))


async def velocity_space_case(ctx, two_d: bool) -> None:
    """MEDIA2_PTZ-4-2-*: on the Media2 profile of each node listing the continuous space,
    ContinuousMove of that group alone (no Timeout) at the Min and then the Max of the generic
    velocity space, each left running for timeout1, then Stop of that group only. The spec
    writes the velocity's space as "sphericalSpace.URI", a name these cases never set (copied
    from MEDIA2_PTZ-4-1-1): the space under test, velocitySpace.URI, is sent."""
    space_list, uri, group = (("ContinuousPanTiltVelocitySpace", ptz.VEL_PT, "PanTilt") if two_d
                              else ("ContinuousZoomVelocitySpace", ptz.VEL_ZOOM, "Zoom"))

    async def send(s, g, end):
        x, y = ends(g, None, end, two_d)
        vec = {"x": x, "y": y, "space": g.URI} if two_d else {"x": x, "space": g.URI}
        await s.ptz.ContinuousMove({"ProfileToken": s.token, "Velocity": {group: vec}})

    await on_media2(ctx, lambda ctx: space_case(
        ctx, space_list, uri, two_d, ("Min", "Max"), send,
        stop={"PanTilt": two_d, "Zoom": not two_d}, dwell=TIMEOUT1))


@case("MEDIA2_PTZ-4-1-1")
async def spherical_pan_tilt_position(ctx):
    # Only the nodes that list the spherical space take part ("which contains ... URI =").
    await absolute_space_case(ctx, True, SPHERICAL_PT, required=False)


@case("MEDIA2_PTZ-4-1-2")
async def generic_pan_tilt_position(ctx):
    await absolute_space_case(ctx, True, ptz.ABS_PT)


@case("MEDIA2_PTZ-4-1-3")
async def generic_zoom_position(ctx):
    await absolute_space_case(ctx, False, ptz.ABS_ZOOM)


@case("MEDIA2_PTZ-4-2-1")
async def continuous_pan_tilt_velocity(ctx):
    await velocity_space_case(ctx, True)


@case("MEDIA2_PTZ-4-2-2")
async def generic_zoom_velocity(ctx):
    await velocity_space_case(ctx, False)


async def delete_when_full(ctx) -> None:
    """HelperDeleteMediaProfileWhenMaxProfiles: at MaximumNumberOfProfiles, a profile that is
    not fixed is deleted."""
    caps = await media2(ctx, "GetServiceCapabilities")
    most = xp(caps, "//tr2:ProfileCapabilities/@MaximumNumberOfProfiles")
    r = await media2(ctx, "GetProfiles", "<tr2:Type>All</tr2:Type>")
    listed = xp(r, "/s:Envelope/s:Body/tr2:GetProfilesResponse/tr2:Profiles")
    if most and len(listed) >= int(most[0]):
        loose = [p.get("token") for p in listed if p.get("fixed") != "true"]
        check(loose, f"{len(listed)} profiles, the most there may be, and all fixed")
        await media2(ctx, "DeleteProfile", f"<tr2:Token>{loose[0]}</tr2:Token>")


@case("MEDIA2_PTZ-3-1-4")
async def home_custom_profile(ctx):
    cam, p = await ptz_service(ctx)
    notes = []
    for node in await nodes_of(p):
        if not node.HomeSupported:
            continue
        # HelperCreateMedia2Profile.
        await delete_when_full(ctx)
        r = await media2(ctx, "CreateProfile", "<tr2:Name>testMedia</tr2:Name>")
        token = xp(r, "/s:Envelope/s:Body/tr2:CreateProfileResponse/tr2:Token/text()")
        check(token, f"CreateProfile answered no token: {r.text()[:300]}")
        token = token[0]
        try:
            r = await media2(ctx, "GetVideoSourceConfigurations", f"<tr2:ProfileToken>{token}</tr2:ProfileToken>")
            vscs = xp(r, "/s:Envelope/s:Body/tr2:GetVideoSourceConfigurationsResponse/tr2:Configurations")
            cfg = None
            for vsc in vscs:
                await media2(ctx, "AddConfiguration",
                             f"<tr2:ProfileToken>{token}</tr2:ProfileToken>" + refs(("VideoSource", vsc.get("token"))))
                cands = await p.GetCompatibleConfigurations({"ProfileToken": token}) or []
                cfg = next((c for c in cands if c.NodeToken == node.token), None)
                if cfg is not None:
                    await media2(ctx, "AddConfiguration",
                                 f"<tr2:ProfileToken>{token}</tr2:ProfileToken>" + refs(("PTZ", cfg.token)))
                    break
            if cfg is None:
                await media2(ctx, "RemoveConfiguration", f"<tr2:ProfileToken>{token}</tr2:ProfileToken>"
                             "<tr2:Configuration><tr2:Type>VideoSource</tr2:Type></tr2:Configuration>")
                raise Failed(f"no PTZ configuration of node {node.token} fits the new profile with any video source")
            listed = {pr.token: pr for pr in await media2_profiles(ctx)}
            check(token in listed and listed[token].ptz == cfg.token,
                  f"Media2 GetProfiles: {token} holds PTZ {getattr(listed.get(token), 'ptz', None)}, want {cfg.token}")
            profile = SimpleNamespace(token=token, PTZConfiguration=await p.GetConfiguration({"PTZConfigurationToken": cfg.token}))
            notes.append(f"{token} (Media2): " + await home_on_profile(ctx, cam, p, None, profile, node))
        finally:
            await ctx.soap(f'<tr2:DeleteProfile xmlns:tr2="{TR2}"><tr2:Token>{token}</tr2:Token></tr2:DeleteProfile>',
                           path=MEDIA2_PATH)
    check(notes, "no PTZ node with HomeSupported=true")
    ctx.note("; ".join(notes))
