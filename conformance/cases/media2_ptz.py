"""ONVIF PTZ Device Test Specification, "PTZ Control Using Media2 Service" (MEDIA2_PTZ-*): the
PTZ cases run on a profile found, or composed, through Media2.

Their steps are those of the Media 1 cases of cases/ptz.py (moves, presets, home, generic
spaces); only the profile differs: Annex "Media Profile Configuration for PTZ Control"
(HelperMediaProfileConfiguration) asks Media2's GetProfiles for Type PTZ and VideoSource, takes
the profile whose PTZ configuration is the node's, and otherwise adds the video source and a
compatible PTZ configuration with AddConfiguration. So each case here sets
`ptz.PROFILE_SOURCE` to that annex and runs the Media 1 case's body. MEDIA2_PTZ-3-1-4 makes
its own profile through Media2 (HelperCreateMedia2Profile: CreateProfile without
configurations, AddConfiguration of each video source, then the node's PTZ configuration) and
deletes it afterwards.

onvif-zeep-async has no Media2 WSDL: Media2 is raw SOAP here (the harness's client), PTZ is
zeep as in the Media 1 cases.
"""

from __future__ import annotations

from types import SimpleNamespace

from conformance.cases import ptz
from conformance.cases.ptz import (
    Session,
    check_options,
    home_on_profile,
    nodes_of,
    ptz_service,
)
from conformance.harness import Failed, check, case

TR2 = "http://www.onvif.org/ver20/media/wsdl"
TT = "http://www.onvif.org/ver10/schema"
REQUIRES = (ptz.TPTZ, TR2)
MEDIA2_PATH = "/onvif/media2_service"
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


@case("MEDIA2_PTZ-4-1-2")
async def generic_pan_tilt_position(ctx):
    await on_media2(ctx, ptz.generic_pan_tilt_position)


@case("MEDIA2_PTZ-4-1-3")
async def generic_zoom_position(ctx):
    await on_media2(ctx, ptz.generic_zoom_position)


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
