"""ONVIF Media Configuration Device Test Specification (MEDIA-*): profiles, video source and
video encoder configurations and their use counts, PTZ configurations in profiles, metadata
configuration, snapshot and stream URI faults, Media service capabilities. Each case follows its test ID's steps and pass
criteria with the zeep client Home Assistant uses; raw SOAP only where a step needs bytes
zeep will not send (an invalid enumeration value) or compares capabilities as sent.

Cases that change the device (profiles, configurations) put back what they changed, so the
cases after them see the defaults. Where a use-count case's CreateProfile meets
Action/MaxNVTProfiles the spec falls back to emptying a non-fixed profile; here that fault
fails the case instead (nvt starts with 2 of its 16 profiles, so it can only be a defect).
"""

from __future__ import annotations

import aiohttp
from zeep.exceptions import Fault
from zeep.helpers import serialize_object

from conformance.applicability import NO_JPEG_MPEG4
from conformance.cases.device import expect_fault, service_caps, services_raw, subcodes
from conformance.harness import NS, Failed, NotApplicable, case, check

MEDIA = NS["trt"]
REQUIRES = (MEDIA,)
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
MEDIA_PATH = "/onvif/media_service"

RULES = [
    (r"^MEDIA-2-1-(9|10)$", "N/A", NO_JPEG_MPEG4),
]


# --- helpers ----------------------------------------------------------------------------


async def media(ctx):
    cam = await ctx.camera()
    return await cam.create_media_service()


def plain(obj):
    """A zeep object as plain dicts and lists, for comparing whole responses."""
    return serialize_object(obj, dict)


def diff(a, b, path="") -> str | None:
    """The first place where two plain values differ (None when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            d = diff(a.get(k), b.get(k), f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def unique_tokens(items, what: str) -> list[str]:
    tokens = [i.token for i in items]
    check(all(tokens), f"{what} without a token")
    check(len(tokens) == len(set(tokens)), f"{what} tokens not unique: {tokens}")
    return tokens


class NewProfile:
    """CreateProfile (Name, Token) on entry; DeleteProfile on exit if it still exists. A
    MaxNVTProfiles fault on a device far below its MaximumNumberOfProfiles fails the case."""

    def __init__(self, m, token: str, name: str | None = None):
        self.m, self.token, self.name = m, token, name or f"Name {token}"

    async def __aenter__(self):
        try:
            await self.m.DeleteProfile({"ProfileToken": self.token})  # left by an aborted run
        except Fault:
            pass
        try:
            p = await self.m.CreateProfile({"Name": self.name, "Token": self.token})
        except Fault as f:
            n = len(await self.m.GetProfiles())
            raise Failed(f"CreateProfile {self.token!r} with {n} profiles: fault {subcodes(f)} {f.message}")
        check(p is not None and p.token == self.token, f"CreateProfile returned token {getattr(p, 'token', None)!r}")
        check(p.Name == self.name, f"CreateProfile returned Name {p.Name!r}")
        check(p.fixed is not True, "created profile has fixed=true")
        for part in ("VideoSourceConfiguration", "VideoEncoderConfiguration", "AudioSourceConfiguration",
                     "AudioEncoderConfiguration", "PTZConfiguration", "MetadataConfiguration",
                     "VideoAnalyticsConfiguration"):
            check(getattr(p, part, None) is None, f"new profile is not empty: it has {part}")
        return self

    async def __aexit__(self, *exc):
        try:
            await self.m.DeleteProfile({"ProfileToken": self.token})
        except Fault:
            pass  # deleted by the case itself


async def use_count(m, kind: str, token: str) -> int:
    c = await getattr(m, f"Get{kind}Configuration")({"ConfigurationToken": token})
    check(c is not None and c.token == token, f"Get{kind}Configuration({token}) returned {getattr(c, 'token', None)}")
    check(c.UseCount is not None, f"{kind} configuration {token} without UseCount")
    return c.UseCount


class RestoreEncoders:
    """Saves every video encoder configuration on entry and sets them back on exit."""

    def __init__(self, m):
        self.m = m

    async def __aenter__(self):
        self.saved = [plain(c) for c in await self.m.GetVideoEncoderConfigurations()]
        return self

    async def __aexit__(self, *exc):
        for c in self.saved:
            await self.m.SetVideoEncoderConfiguration({"Configuration": c, "ForcePersistence": True})


async def soap_fault_check(r, *expected: str) -> list[str]:
    """A raw reply must be a well-formed SOAP 1.2 fault carrying every code in `expected`."""
    check(r.is_fault, f"no SOAP fault: HTTP {r.status} {r.text()[:300]}")
    check(r.content_type.startswith("application/soap+xml"), f"fault Content-Type {r.content_type!r}")
    check(r.find("/s:Envelope/s:Body/s:Fault/s:Reason/s:Text"), "SOAP 1.2 fault without Reason/Text")
    codes = r.fault_codes()
    check(codes and codes[0] in ("Sender", "Receiver"), f"fault Code {codes}")
    missing = [e for e in expected if e not in codes]
    check(not missing, f"fault codes {codes} lack {missing}")
    return codes


def in_range(v, r) -> bool:
    return r is not None and v is not None and r.Min <= v <= r.Max


# --- Profiles (MEDIA-1-1-*) ------------------------------------------------------------------


def has_video(p) -> bool:
    return p.VideoSourceConfiguration is not None and p.VideoEncoderConfiguration is not None


@case("MEDIA-1-1-1")
async def media_profile_configuration(ctx):
    m = await media(ctx)
    profiles = await m.GetProfiles()
    check(profiles, "no media profile")
    check(any(has_video(p) for p in profiles), "no profile with a video source and a video encoder configuration")
    no_fixed = [p.token for p in profiles if p.fixed is None]
    check(not no_fixed, f"profiles without the fixed attribute: {no_fixed}")
    ctx.note(f"{len(profiles)} profiles: " + ", ".join(f"{p.token} (fixed={p.fixed})" for p in profiles))


@case("MEDIA-1-1-3")
async def profiles_consistency(ctx):
    m = await media(ctx)
    profiles = await m.GetProfiles()
    unique_tokens(profiles, "profile")
    for p in profiles:
        one = await m.GetProfile({"ProfileToken": p.token})
        d = diff(plain(p), plain(one))
        check(d is None, f"profile {p.token}: GetProfiles and GetProfile differ at {d}")


@case("MEDIA-1-1-5")
async def dynamic_profile_configuration(ctx):
    m = await media(ctx)
    check(any(has_video(p) for p in await m.GetProfiles()), "no profile with video source and encoder")
    token = "conf_dyn"
    # "If the DUT supports PTZ": GetServices lists the PTZ service.
    with_ptz = await ptz_offered(ctx)
    ptz_token = None
    async with NewProfile(m, token):
        async def get():
            p = await m.GetProfile({"ProfileToken": token})
            check(p.token == token, f"GetProfile returned {p.token}")
            return p

        for vsc in await m.GetVideoSourceConfigurations():
            await m.AddVideoSourceConfiguration({"ProfileToken": token, "ConfigurationToken": vsc.token})
            p = await get()
            check(p.VideoSourceConfiguration is not None and p.VideoSourceConfiguration.token == vsc.token,
                  f"profile's video source is not {vsc.token} after AddVideoSourceConfiguration")
            vecs = await m.GetCompatibleVideoEncoderConfigurations({"ProfileToken": token})
            check(vecs, f"no compatible video encoder configuration with {vsc.token}")
            vec = vecs[0]
            await m.AddVideoEncoderConfiguration({"ProfileToken": token, "ConfigurationToken": vec.token})
            p = await get()
            check(p.VideoSourceConfiguration is not None and p.VideoSourceConfiguration.token == vsc.token, "video source lost")
            check(p.VideoEncoderConfiguration is not None and p.VideoEncoderConfiguration.token == vec.token,
                  f"profile's video encoder is not {vec.token} after AddVideoEncoderConfiguration")
            await m.RemoveVideoEncoderConfiguration({"ProfileToken": token})
            p = await get()
            check(p.VideoSourceConfiguration is not None and p.VideoSourceConfiguration.token == vsc.token, "video source lost")
            check(p.VideoEncoderConfiguration is None, "video encoder still in the profile after its removal")
            if with_ptz:
                ptz_token = await add_and_remove_ptz(ctx, m, token, vsc.token) or ptz_token
            await m.RemoveVideoSourceConfiguration({"ProfileToken": token})
            p = await get()
            check(p.VideoSourceConfiguration is None, "video source still in the profile after its removal")
        metas = await m.GetMetadataConfigurations()
        for meta in metas:
            await m.AddMetadataConfiguration({"ProfileToken": token, "ConfigurationToken": meta.token})
            p = await get()
            check(p.MetadataConfiguration is not None and p.MetadataConfiguration.token == meta.token,
                  f"profile's metadata configuration is not {meta.token} after AddMetadataConfiguration")
            await m.RemoveMetadataConfiguration({"ProfileToken": token})
            p = await get()
            check(p.MetadataConfiguration is None, "metadata configuration still in the profile after its removal")
        # Audio configurations: the MEDIA-3-* cases (cases/media_audio.py).
        await m.DeleteProfile({"ProfileToken": token})
        await expect_fault(m.GetProfile({"ProfileToken": token}), "Sender", "InvalidArgVal", "NoProfile")
    ptz = f", PTZ configuration {ptz_token}" if ptz_token else (", no PTZ configuration fits" if with_ptz else "")
    ctx.note(f"video source, encoder{ptz} and {len(metas)} metadata configuration(s) added and removed")


async def ptz_offered(ctx) -> bool:
    return any(s.findtext(f"{{{NS['tds']}}}Namespace") == TPTZ for s in await services_raw(ctx, False))


async def add_and_remove_ptz(ctx, m, token: str, vsc_token: str) -> str | None:
    """MEDIA-1-1-5's PTZ steps ("If the DUT supports PTZ"): a PTZ configuration added to the
    profile (the first GetCompatibleConfigurations lists when the PTZ capability
    GetCompatibleConfigurations is true, else the first of GetConfigurations that
    AddPTZConfiguration accepts), seen in GetProfile, removed, gone. Its token; None when none
    fits (the spec goes on)."""
    cam = await ctx.camera()
    ptz = await cam.create_ptz_service()
    caps = await ptz.GetServiceCapabilities()
    added = None
    if caps is not None and caps.GetCompatibleConfigurations:
        compatible = await ptz.GetCompatibleConfigurations({"ProfileToken": token}) or []
        if not compatible:
            return None
        added = compatible[0].token
        await m.AddPTZConfiguration({"ProfileToken": token, "ConfigurationToken": added})
    else:
        for c in await ptz.GetConfigurations() or []:
            try:
                await m.AddPTZConfiguration({"ProfileToken": token, "ConfigurationToken": c.token})
            except Fault:
                continue  # the spec tries the next one
            added = c.token
            break
        if added is None:
            return None
    p = await m.GetProfile({"ProfileToken": token})
    check(p.token == token, f"GetProfile returned {p.token}")
    check(p.VideoSourceConfiguration is not None and p.VideoSourceConfiguration.token == vsc_token, "video source lost")
    check(p.PTZConfiguration is not None and p.PTZConfiguration.token == added,
          f"profile's PTZ configuration is {getattr(p.PTZConfiguration, 'token', None)}, not {added}, after AddPTZConfiguration")
    await m.RemovePTZConfiguration({"ProfileToken": token})
    p = await m.GetProfile({"ProfileToken": token})
    check(p.VideoSourceConfiguration is not None and p.VideoSourceConfiguration.token == vsc_token, "video source lost")
    check(p.PTZConfiguration is None, "PTZ configuration still in the profile after RemovePTZConfiguration")
    return added


# --- Video source and encoder configuration operations (MEDIA-2-1-*) --------------------------


def check_vec(c, what: str) -> None:
    check(c.token and c.Name is not None, f"{what}: configuration without token or Name")
    check(c.Encoding in ("JPEG", "MPEG4", "H264"), f"{what} {c.token}: Encoding {c.Encoding!r}")
    check(c.Resolution is not None and c.Resolution.Width > 0 and c.Resolution.Height > 0, f"{what} {c.token}: Resolution")
    check(c.Quality is not None, f"{what} {c.token}: Quality missing")
    check(c.UseCount is not None, f"{what} {c.token}: UseCount missing")
    check(c.Multicast is not None and c.SessionTimeout is not None, f"{what} {c.token}: Multicast or SessionTimeout missing")
    if c.Encoding == "H264":
        check(c.H264 is not None, f"{what} {c.token}: H264 encoding without H264 element")


@case("MEDIA-2-1-2")
async def video_encoder_configuration(ctx):
    m = await media(ctx)
    profiles = await m.GetProfiles()
    check(profiles, "no profile")
    compatible = await m.GetCompatibleVideoEncoderConfigurations({"ProfileToken": profiles[0].token})
    check(compatible, f"no video encoder configuration compatible with {profiles[0].token}")
    for c in compatible:
        check_vec(c, "compatible")
    unique_tokens(compatible, "compatible video encoder configuration")
    all_vecs = await m.GetVideoEncoderConfigurations()
    check(all_vecs, "no video encoder configuration")
    for c in all_vecs:
        check_vec(c, "GetVideoEncoderConfigurations")
    tokens = unique_tokens(all_vecs, "video encoder configuration")
    extra = [c.token for c in compatible if c.token not in tokens]
    check(not extra, f"compatible configurations not in GetVideoEncoderConfigurations: {extra}")


@case("MEDIA-2-1-6")
async def guaranteed_encoder_instances(ctx):
    m = await media(ctx)
    vscs = await m.GetVideoSourceConfigurations()
    check(vscs, "no video source configuration")
    n = await m.GetGuaranteedNumberOfVideoEncoderInstances({"ConfigurationToken": vscs[0].token})
    check(n.TotalNumber is not None, "no TotalNumber")
    ctx.note(f"{vscs[0].token}: TotalNumber {n.TotalNumber}, H264 {n.H264}, JPEG {n.JPEG}, MPEG4 {n.MPEG4}")


@case("MEDIA-2-1-7")
async def guaranteed_and_options_consistent(ctx):
    cam = await ctx.camera()
    m = await cam.create_media_service()
    dm = await cam.create_devicemgmt_service()
    caps = await dm.GetCapabilities({"Category": "Media"})
    check(caps.Media is not None, "GetCapabilities(Media) without Media")
    ext = caps.Media.Extension
    max_caps = ext.ProfileCapabilities.MaximumNumberOfProfiles if ext is not None and ext.ProfileCapabilities is not None else None
    sc = await m.GetServiceCapabilities()
    max_svc = sc.ProfileCapabilities.MaximumNumberOfProfiles if sc.ProfileCapabilities is not None else None
    vecs = await m.GetVideoEncoderConfigurations()
    vscs = await m.GetVideoSourceConfigurations()
    check(vecs and vscs, "no video encoder or source configuration")
    answers = []
    for vsc in vscs:
        n = await m.GetGuaranteedNumberOfVideoEncoderInstances({"ConfigurationToken": vsc.token})
        check(n.TotalNumber is not None, f"{vsc.token}: no TotalNumber")
        check(n.TotalNumber <= len(vecs), f"{vsc.token}: TotalNumber {n.TotalNumber} > {len(vecs)} encoder configurations")
        if max_caps is not None:
            check(n.TotalNumber <= max_caps, f"TotalNumber {n.TotalNumber} > GetCapabilities MaximumNumberOfProfiles {max_caps}")
        if max_svc is not None:
            check(n.TotalNumber <= max_svc, f"TotalNumber {n.TotalNumber} > GetServiceCapabilities MaximumNumberOfProfiles {max_svc}")
        answers.append(n)
    opts = await m.GetVideoEncoderConfigurationOptions({})
    for enc in ("JPEG", "MPEG4", "H264"):
        counts = [getattr(n, enc) for n in answers]
        present = getattr(opts, enc, None) is not None
        if any(c is not None and c > 0 for c in counts):
            check(present, f"guaranteed {enc} instances but no Options.{enc}")
        if all(c == 0 for c in counts):
            check(not present, f"Options.{enc} present but every guaranteed {enc} count is 0")
    ctx.note(f"TotalNumber {[n.TotalNumber for n in answers]}, {len(vecs)} encoder configurations, "
             f"MaximumNumberOfProfiles {max_caps}/{max_svc}")


@case("MEDIA-2-1-8")
async def video_source_configuration(ctx):
    m = await media(ctx)
    profiles = await m.GetProfiles()
    check(profiles, "no profile")
    sources = await m.GetVideoSources()
    check(sources, "no video source")
    for s in sources:
        check(s.token and s.Framerate is not None and s.Resolution is not None, f"video source {s.token}: incomplete")
    compatible = await m.GetCompatibleVideoSourceConfigurations({"ProfileToken": profiles[0].token})
    check(compatible, f"no video source configuration compatible with {profiles[0].token}")
    vscs = await m.GetVideoSourceConfigurations()
    check(vscs, "no video source configuration")
    for c in [*compatible, *vscs]:
        check(c.token and c.SourceToken and c.Bounds is not None and c.UseCount is not None, f"video source configuration {c.token}: incomplete")
    vsc = plain(vscs[0])
    opts = await m.GetVideoSourceConfigurationOptions({"ConfigurationToken": vsc["token"]})
    br = opts.BoundsRange
    check(br is not None, "options without BoundsRange")
    try:
        bad = dict(vsc, Bounds=dict(vsc["Bounds"], width=br.WidthRange.Max + 1, height=br.HeightRange.Max + 1))
        await expect_fault(m.SetVideoSourceConfiguration({"Configuration": bad, "ForcePersistence": False}),
                           "Sender", "InvalidArgVal", "ConfigModify")
        after = plain(await m.GetVideoSourceConfiguration({"ConfigurationToken": vsc["token"]}))
        check(diff(after, vsc) is None, f"refused SetVideoSourceConfiguration changed the configuration: {diff(after, vsc)}")
        good = dict(vsc, Name="conf-vsc-name",
                    SourceToken=opts.VideoSourceTokensAvailable[-1],
                    Bounds={"x": br.XRange.Max, "y": br.YRange.Max, "width": br.WidthRange.Min, "height": br.HeightRange.Min})
        await m.SetVideoSourceConfiguration({"Configuration": good, "ForcePersistence": False})
        got = plain(await m.GetVideoSourceConfiguration({"ConfigurationToken": vsc["token"]}))
        check(got["Name"] == good["Name"] and got["SourceToken"] == good["SourceToken"], f"not modified: {got['Name']!r} {got['SourceToken']!r}")
        check(got["Bounds"] == good["Bounds"], f"Bounds {got['Bounds']} instead of {good['Bounds']}")
    finally:
        await m.SetVideoSourceConfiguration({"Configuration": vsc, "ForcePersistence": True})


H264_ORDERS = (
    ("Baseline", "Main", "Extended", "High"),
    ("Main", "Extended", "High", "Baseline"),
    ("Extended", "High", "Baseline", "Main"),
)


def first_supported(order, supported):
    return next(p for p in order if p in supported)


class IntRange:
    def __init__(self, lo: int, hi: int):
        self.Min, self.Max = lo, hi


def bitrate_range(opts):
    """Extension/H264/BitrateRange, when the options give one. zeep hands the extension's
    H264 over as a raw element (the type opens with xs:any, which takes it), so both forms
    are read."""
    ext = getattr(opts, "Extension", None)
    if ext is None:
        return None
    h = getattr(ext, "H264", None)
    if isinstance(h, list):
        h = h[0] if h else None
    if h is not None and getattr(h, "BitrateRange", None) is not None:
        return h.BitrateRange
    tt = NS["tt"]
    for el in getattr(ext, "_value_1", None) or []:
        if getattr(el, "tag", None) == f"{{{tt}}}H264":
            lo = el.findtext(f"{{{tt}}}BitrateRange/{{{tt}}}Min")
            hi = el.findtext(f"{{{tt}}}BitrateRange/{{{tt}}}Max")
            if lo is not None and hi is not None:
                return IntRange(int(lo), int(hi))
    return None


def median(lo, hi):
    return (lo + hi) // 2


@case("MEDIA-2-1-11")
async def h264_video_encoder_configuration(ctx):
    m = await media(ctx)
    vecs = await m.GetVideoEncoderConfigurations()
    check(vecs, "no video encoder configuration")
    vec = opts = None
    for c in vecs:
        o = await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": c.token})
        if o.H264 is not None:
            vec, opts = plain(c), o
            break
    check(vec is not None, "no video encoder configuration supports H.264")
    h = opts.H264
    res = sorted(h.ResolutionsAvailable, key=lambda r: r.Width * r.Height)
    supported = list(h.H264ProfilesSupported)
    br = bitrate_range(opts)
    # The spec's BitrateLimit 64000 predates BitrateRange; where the options give a range,
    # the value is taken within it (the spec: "values taken from the options").
    bitrate = 64000 if br is None else max(br.Min, min(64000, br.Max))
    settings = [
        (H264_ORDERS[0], res[-1], opts.QualityRange.Max, h.FrameRateRange.Max, h.EncodingIntervalRange.Min, h.GovLengthRange.Min),
        (H264_ORDERS[1], res[0], opts.QualityRange.Min, h.FrameRateRange.Min, h.EncodingIntervalRange.Max, h.GovLengthRange.Max),
        (H264_ORDERS[2], res[len(res) // 2], median(opts.QualityRange.Min, opts.QualityRange.Max),
         median(h.FrameRateRange.Min, h.FrameRateRange.Max), median(h.EncodingIntervalRange.Min, h.EncodingIntervalRange.Max),
         median(h.GovLengthRange.Min, h.GovLengthRange.Max)),
    ]
    async with RestoreEncoders(m):
        bad = dict(vec, Encoding="H264", Resolution={"Width": res[-1].Width + 16, "Height": res[-1].Height + 16})
        await expect_fault(m.SetVideoEncoderConfiguration({"Configuration": bad, "ForcePersistence": False}),
                           "Sender", "InvalidArgVal", "ConfigModify")
        after = plain(await m.GetVideoEncoderConfiguration({"ConfigurationToken": vec["token"]}))
        check(diff(after, vec) is None, f"refused SetVideoEncoderConfiguration changed the configuration: {diff(after, vec)}")
        done = []
        for order, r, quality, fps, interval, gov in settings:
            profile = first_supported(order, supported)
            cfg = dict(
                vec, Encoding="H264", Resolution={"Width": r.Width, "Height": r.Height}, Quality=quality,
                RateControl={"FrameRateLimit": fps, "EncodingInterval": interval, "BitrateLimit": bitrate},
                H264={"GovLength": gov, "H264Profile": profile},
            )
            await m.SetVideoEncoderConfiguration({"Configuration": cfg, "ForcePersistence": False})
            got = await m.GetVideoEncoderConfiguration({"ConfigurationToken": vec["token"]})
            check(got.Encoding == "H264", f"Encoding {got.Encoding}")
            check(got.H264 is not None and got.H264.H264Profile == profile, f"H264Profile {got.H264 and got.H264.H264Profile}, set {profile}")
            check((got.Resolution.Width, got.Resolution.Height) == (r.Width, r.Height),
                  f"Resolution {got.Resolution.Width}x{got.Resolution.Height}, set {r.Width}x{r.Height}")
            done.append(f"{profile} {r.Width}x{r.Height} q{quality} {fps}fps gov{gov}")
    ctx.note(f"{vec['token']}: " + "; ".join(done) + f"; bitrate {bitrate} kb/s")


# --- Video source configurations (MEDIA-2-2-*) ---------------------------------------------


async def check_profiles_use_listed_configurations(m, kind: str, what: str) -> None:
    """Every configuration of `kind` ("VideoSource", "VideoEncoder") in a profile is one of
    Get<kind>Configurations, token and content (MEDIA-2-2-1, MEDIA-2-3-1)."""
    profiles = await m.GetProfiles()
    listed = await getattr(m, f"Get{kind}Configurations")()
    tokens = unique_tokens(listed, what)
    by_token = {c.token: plain(c) for c in listed}
    for p in profiles:
        c = getattr(p, f"{kind}Configuration")
        if c is None:
            continue
        check(c.token in tokens, f"profile {p.token}: {what} {c.token} not in Get{kind}Configurations")
        d = diff(plain(c), by_token[c.token])
        check(d is None, f"profile {p.token}: {c.token} differs from Get{kind}Configurations at {d}")


async def check_list_matches_single(m, kind: str, what: str) -> None:
    """Get<kind>Configurations and Get<kind>Configuration of each token agree (MEDIA-2-2-2,
    MEDIA-2-3-2)."""
    listed = await getattr(m, f"Get{kind}Configurations")()
    check(listed, f"no {what}")
    for c in listed:
        one = await getattr(m, f"Get{kind}Configuration")({"ConfigurationToken": c.token})
        d = diff(plain(c), plain(one))
        check(d is None, f"{c.token}: Get{kind}Configurations and Get{kind}Configuration differ at {d}")


@case("MEDIA-2-2-1")
async def vsc_and_profiles(ctx):
    await check_profiles_use_listed_configurations(await media(ctx), "VideoSource", "video source configuration")


@case("MEDIA-2-2-2")
async def vscs_and_vsc(ctx):
    await check_list_matches_single(await media(ctx), "VideoSource", "video source configuration")


def check_vsc_options(c, opts, where: str) -> None:
    check(opts.VideoSourceTokensAvailable and c.SourceToken in opts.VideoSourceTokensAvailable,
          f"{where}: SourceToken {c.SourceToken} not in VideoSourceTokensAvailable {opts.VideoSourceTokensAvailable}")
    br, b = opts.BoundsRange, c.Bounds
    check(br is not None and b is not None, f"{where}: BoundsRange or Bounds missing")
    for v, r, name in ((b.x, br.XRange, "x"), (b.y, br.YRange, "y"), (b.width, br.WidthRange, "width"), (b.height, br.HeightRange, "height")):
        check(in_range(v, r), f"{where}: Bounds.{name} {v} outside {r.Min}..{r.Max}")


@case("MEDIA-2-2-3")
async def vscs_and_options(ctx):
    m = await media(ctx)
    vscs = await m.GetVideoSourceConfigurations()
    check(vscs, "no video source configuration")
    for c in vscs:
        opts = await m.GetVideoSourceConfigurationOptions({"ConfigurationToken": c.token})
        check_vsc_options(c, opts, c.token)


@case("MEDIA-2-2-4")
async def profiles_and_vsc_options(ctx):
    m = await media(ctx)
    n = 0
    for p in await m.GetProfiles():
        c = p.VideoSourceConfiguration
        if c is None:
            continue
        opts = await m.GetVideoSourceConfigurationOptions({"ProfileToken": p.token, "ConfigurationToken": c.token})
        check_vsc_options(c, opts, f"profile {p.token}, {c.token}")
        n += 1
    check(n, "no profile with a video source configuration")


@case("MEDIA-2-2-5")
async def vscs_and_sources(ctx):
    m = await media(ctx)
    vscs = await m.GetVideoSourceConfigurations()
    sources = unique_tokens(await m.GetVideoSources(), "video source")
    for c in vscs:
        check(c.SourceToken in sources, f"{c.token}: SourceToken {c.SourceToken} not in GetVideoSources {sources}")


async def use_count_current(m, kind: str):
    """MEDIA-2-2-6 / 2-3-5: UseCount the same everywhere and at least the profiles using it."""
    configs = await getattr(m, f"Get{kind}Configurations")()
    check(configs, f"no {kind} configuration")
    profiles = await m.GetProfiles()
    for c in configs:
        n = c.UseCount
        check(n is not None, f"{c.token}: no UseCount")
        users = [getattr(p, f"{kind}Configuration") for p in profiles]
        users = [u for u in users if u is not None and u.token == c.token]
        check(len(users) <= n, f"{c.token}: UseCount {n} but {len(users)} profiles use it")
        odd = [u.UseCount for u in users if u.UseCount != n]
        check(not odd, f"{c.token}: UseCount {n} in Get{kind}Configurations but {odd} in GetProfiles")
        check(await use_count(m, kind, c.token) == n, f"{c.token}: Get{kind}Configuration UseCount differs from {n}")
    return configs


@case("MEDIA-2-2-6")
async def vsc_use_count(ctx):
    configs = await use_count_current(await media(ctx), "VideoSource")
    ctx.note(", ".join(f"{c.token} UseCount {c.UseCount}" for c in configs))


@case("MEDIA-2-2-12")
async def vsc_use_count_add_twice(ctx):
    m = await media(ctx)
    vsc1 = (await m.GetVideoSourceConfigurations())[0]
    async with NewProfile(m, "conf_vsc_twice"):
        for _ in range(2):
            await m.AddVideoSourceConfiguration({"ProfileToken": "conf_vsc_twice", "ConfigurationToken": vsc1.token})
            n = await use_count(m, "VideoSource", vsc1.token)
            check(n == vsc1.UseCount + 1, f"{vsc1.token}: UseCount {n}, expected {vsc1.UseCount + 1}")


@case("MEDIA-2-2-13")
async def vsc_use_count_add_different(ctx):
    m = await media(ctx)
    vscs = await m.GetVideoSourceConfigurations()
    if len(vscs) < 2:
        raise NotApplicable(f"one video source configuration ({vscs[0].token}); the case needs two")
    vsc1, vsc2 = vscs[0], vscs[1]
    async with NewProfile(m, "conf_vsc_diff"):
        await m.AddVideoSourceConfiguration({"ProfileToken": "conf_vsc_diff", "ConfigurationToken": vsc1.token})
        check(await use_count(m, "VideoSource", vsc1.token) == vsc1.UseCount + 1, "UseCount not increased by 1")
        await m.AddVideoSourceConfiguration({"ProfileToken": "conf_vsc_diff", "ConfigurationToken": vsc2.token})
        check(await use_count(m, "VideoSource", vsc1.token) == vsc1.UseCount, f"{vsc1.token}: UseCount not back after replacement")
        check(await use_count(m, "VideoSource", vsc2.token) == vsc2.UseCount + 1, f"{vsc2.token}: UseCount not increased by 1")


@case("MEDIA-2-2-14")
async def vsc_use_count_remove(ctx):
    m = await media(ctx)
    vsc1 = (await m.GetVideoSourceConfigurations())[0]
    async with NewProfile(m, "conf_vsc_remove"):
        await m.AddVideoSourceConfiguration({"ProfileToken": "conf_vsc_remove", "ConfigurationToken": vsc1.token})
        await m.RemoveVideoSourceConfiguration({"ProfileToken": "conf_vsc_remove"})
        n = await use_count(m, "VideoSource", vsc1.token)
        check(n == vsc1.UseCount, f"{vsc1.token}: UseCount {n} after removal, expected {vsc1.UseCount}")


@case("MEDIA-2-2-15")
async def vsc_use_count_delete_profile(ctx):
    m = await media(ctx)
    vsc1 = (await m.GetVideoSourceConfigurations())[0]
    async with NewProfile(m, "conf_vsc_delete"):
        await m.AddVideoSourceConfiguration({"ProfileToken": "conf_vsc_delete", "ConfigurationToken": vsc1.token})
        await m.DeleteProfile({"ProfileToken": "conf_vsc_delete"})
        n = await use_count(m, "VideoSource", vsc1.token)
        check(n == vsc1.UseCount, f"{vsc1.token}: UseCount {n} after DeleteProfile, expected {vsc1.UseCount}")


@case("MEDIA-2-2-16")
async def vsc_use_count_set(ctx):
    m = await media(ctx)
    vsc1 = plain((await m.GetVideoSourceConfigurations())[0])
    await m.SetVideoSourceConfiguration({"Configuration": dict(vsc1, UseCount=vsc1["UseCount"] + 5), "ForcePersistence": False})
    n = await use_count(m, "VideoSource", vsc1["token"])
    check(n == vsc1["UseCount"], f"{vsc1['token']}: UseCount {n} after a Set with UseCount {vsc1['UseCount'] + 5}")


# --- Video encoder configurations (MEDIA-2-3-*) ---------------------------------------------


@case("MEDIA-2-3-1")
async def vec_and_profiles(ctx):
    await check_profiles_use_listed_configurations(await media(ctx), "VideoEncoder", "video encoder configuration")


@case("MEDIA-2-3-2")
async def vecs_and_vec(ctx):
    await check_list_matches_single(await media(ctx), "VideoEncoder", "video encoder configuration")


def check_vec_options(c, opts, where: str) -> None:
    enc = {"H264": opts.H264, "JPEG": opts.JPEG, "MPEG4": opts.MPEG4}.get(c.Encoding)
    check(enc is not None, f"{where}: Encoding {c.Encoding} not in the options")
    res = [(r.Width, r.Height) for r in enc.ResolutionsAvailable]
    check((c.Resolution.Width, c.Resolution.Height) in res, f"{where}: {c.Resolution.Width}x{c.Resolution.Height} not in {res}")
    check(in_range(c.Quality, opts.QualityRange), f"{where}: Quality {c.Quality} outside QualityRange")
    rc = c.RateControl
    if rc is not None:
        check(in_range(rc.FrameRateLimit, enc.FrameRateRange), f"{where}: FrameRateLimit {rc.FrameRateLimit} outside {enc.FrameRateRange.Min}..{enc.FrameRateRange.Max}")
        check(in_range(rc.EncodingInterval, enc.EncodingIntervalRange), f"{where}: EncodingInterval {rc.EncodingInterval} outside the range")
        br = bitrate_range(opts) if c.Encoding == "H264" else None
        if br is not None:
            check(in_range(rc.BitrateLimit, br), f"{where}: BitrateLimit {rc.BitrateLimit} outside {br.Min}..{br.Max}")
    if c.Encoding == "H264":
        check(c.H264 is not None and c.H264.H264Profile in enc.H264ProfilesSupported,
              f"{where}: H264Profile {c.H264 and c.H264.H264Profile} not in {enc.H264ProfilesSupported}")
        check(in_range(c.H264.GovLength, enc.GovLengthRange), f"{where}: GovLength {c.H264.GovLength} outside {enc.GovLengthRange.Min}..{enc.GovLengthRange.Max}")


@case("MEDIA-2-3-3")
async def vecs_and_options(ctx):
    m = await media(ctx)
    vecs = await m.GetVideoEncoderConfigurations()
    check(vecs, "no video encoder configuration")
    for c in vecs:
        check_vec_options(c, await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": c.token}), c.token)


@case("MEDIA-2-3-4")
async def profiles_and_vec_options(ctx):
    m = await media(ctx)
    n = 0
    for p in await m.GetProfiles():
        c = p.VideoEncoderConfiguration
        if c is None:
            continue
        opts = await m.GetVideoEncoderConfigurationOptions({"ProfileToken": p.token, "ConfigurationToken": c.token})
        check_vec_options(c, opts, f"profile {p.token}, {c.token}")
        n += 1
    check(n, "no profile with a video encoder configuration")


@case("MEDIA-2-3-5")
async def vec_use_count(ctx):
    configs = await use_count_current(await media(ctx), "VideoEncoder")
    ctx.note(", ".join(f"{c.token} UseCount {c.UseCount}" for c in configs))


async def set_every_encoding(m, vec, notes: list[str]) -> None:
    """MEDIA-2-3-12/18 steps 5-10 for one configuration: each encoding its options offer, with
    parameters from those options, must be applied."""
    opts = await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": vec["token"]})
    encodings = [e for e in ("JPEG", "MPEG4", "H264") if getattr(opts, e, None) is not None]
    check(encodings, f"{vec['token']}: the options offer no encoding")
    for enc in encodings:
        o = getattr(opts, enc)
        r = o.ResolutionsAvailable[0]
        cfg = dict(vec, Encoding=enc, Resolution={"Width": r.Width, "Height": r.Height},
                   RateControl=dict(vec.get("RateControl") or {}, FrameRateLimit=o.FrameRateRange.Max,
                                    EncodingInterval=o.EncodingIntervalRange.Min))
        if enc == "H264":
            cfg["H264"] = {"GovLength": o.GovLengthRange.Max, "H264Profile": o.H264ProfilesSupported[0]}
            br = bitrate_range(opts)
            if br is not None and not in_range(cfg["RateControl"].get("BitrateLimit"), br):
                cfg["RateControl"]["BitrateLimit"] = br.Max
        await m.SetVideoEncoderConfiguration({"Configuration": cfg, "ForcePersistence": False})
        got = await m.GetVideoEncoderConfiguration({"ConfigurationToken": vec["token"]})
        check(got.Encoding == enc, f"{vec['token']}: Encoding {got.Encoding} after setting {enc}")
        check((got.Resolution.Width, got.Resolution.Height) == (r.Width, r.Height), f"{vec['token']}: resolution not applied")
        notes.append(f"{vec['token']} {enc} {r.Width}x{r.Height}")


@case("MEDIA-2-3-12")
async def all_encodings(ctx):
    m = await media(ctx)
    vecs = [plain(c) for c in await m.GetVideoEncoderConfigurations()]
    check(vecs, "no video encoder configuration")
    picked = [vecs[0]] + ([vecs[-1]] if len(vecs) > 1 else []) + ([vecs[len(vecs) // 2]] if len(vecs) > 2 else [])
    notes: list[str] = []
    async with RestoreEncoders(m):
        for v in picked:
            await set_every_encoding(m, v, notes)
    ctx.note("; ".join(notes))


@case("MEDIA-2-3-18")
async def all_encodings_all_configurations(ctx):
    m = await media(ctx)
    vecs = [plain(c) for c in await m.GetVideoEncoderConfigurations()]
    check(vecs, "no video encoder configuration")
    notes: list[str] = []
    async with RestoreEncoders(m):
        for v in vecs:
            await set_every_encoding(m, v, notes)
    ctx.note("; ".join(notes))


async def profile_with_source(m, token: str):
    """Steps shared by MEDIA-2-3-13..16: the new profile gets the first compatible video
    source configuration; returns the compatible encoder configurations for it."""
    vscs = await m.GetCompatibleVideoSourceConfigurations({"ProfileToken": token})
    check(vscs, "no compatible video source configuration for the new profile")
    for vsc in vscs:
        await m.AddVideoSourceConfiguration({"ProfileToken": token, "ConfigurationToken": vsc.token})
        vecs = await m.GetCompatibleVideoEncoderConfigurations({"ProfileToken": token})
        if vecs:
            return vecs
    raise Failed("no video encoder configuration compatible with any video source configuration")


async def encoder_counts(m) -> dict[str, int]:
    return {c.token: c.UseCount for c in await m.GetVideoEncoderConfigurations()}


@case("MEDIA-2-3-13")
async def vec_use_count_add_twice(ctx):
    m = await media(ctx)
    before = await encoder_counts(m)
    await m.GetVideoSourceConfigurations()
    async with NewProfile(m, "conf_vec_twice"):
        vec1 = (await profile_with_source(m, "conf_vec_twice"))[0].token
        for _ in range(2):
            await m.AddVideoEncoderConfiguration({"ProfileToken": "conf_vec_twice", "ConfigurationToken": vec1})
            n = await use_count(m, "VideoEncoder", vec1)
            check(n == before[vec1] + 1, f"{vec1}: UseCount {n}, expected {before[vec1] + 1}")


@case("MEDIA-2-3-14")
async def vec_use_count_add_different(ctx):
    m = await media(ctx)
    before = await encoder_counts(m)
    if len(before) < 2:
        raise NotApplicable(f"one video encoder configuration ({next(iter(before))}); the case needs two")
    async with NewProfile(m, "conf_vec_diff"):
        vecs = await profile_with_source(m, "conf_vec_diff")
        if len(vecs) < 2:
            raise NotApplicable("fewer than two compatible video encoder configurations")
        vec1, vec2 = vecs[0].token, vecs[1].token
        await m.AddVideoEncoderConfiguration({"ProfileToken": "conf_vec_diff", "ConfigurationToken": vec1})
        check(await use_count(m, "VideoEncoder", vec1) == before[vec1] + 1, f"{vec1}: UseCount not increased by 1")
        await m.AddVideoEncoderConfiguration({"ProfileToken": "conf_vec_diff", "ConfigurationToken": vec2})
        n1, n2 = await use_count(m, "VideoEncoder", vec1), await use_count(m, "VideoEncoder", vec2)
        check(n1 == before[vec1], f"{vec1}: UseCount {n1} after replacement, expected {before[vec1]}")
        check(n2 == before[vec2] + 1, f"{vec2}: UseCount {n2}, expected {before[vec2] + 1}")


@case("MEDIA-2-3-15")
async def vec_use_count_remove(ctx):
    m = await media(ctx)
    before = await encoder_counts(m)
    async with NewProfile(m, "conf_vec_remove"):
        vec1 = (await profile_with_source(m, "conf_vec_remove"))[0].token
        await m.AddVideoEncoderConfiguration({"ProfileToken": "conf_vec_remove", "ConfigurationToken": vec1})
        await m.RemoveVideoEncoderConfiguration({"ProfileToken": "conf_vec_remove"})
        n = await use_count(m, "VideoEncoder", vec1)
        check(n == before[vec1], f"{vec1}: UseCount {n} after removal, expected {before[vec1]}")


@case("MEDIA-2-3-16")
async def vec_use_count_delete_profile(ctx):
    m = await media(ctx)
    before = await encoder_counts(m)
    async with NewProfile(m, "conf_vec_delete"):
        vec1 = (await profile_with_source(m, "conf_vec_delete"))[0].token
        await m.AddVideoEncoderConfiguration({"ProfileToken": "conf_vec_delete", "ConfigurationToken": vec1})
        await m.DeleteProfile({"ProfileToken": "conf_vec_delete"})
        n = await use_count(m, "VideoEncoder", vec1)
        check(n == before[vec1], f"{vec1}: UseCount {n} after DeleteProfile, expected {before[vec1]}")


@case("MEDIA-2-3-17")
async def vec_use_count_set(ctx):
    m = await media(ctx)
    vec1 = plain((await m.GetVideoEncoderConfigurations())[0])
    async with RestoreEncoders(m):
        await m.SetVideoEncoderConfiguration({"Configuration": dict(vec1, UseCount=vec1["UseCount"] + 5), "ForcePersistence": False})
    n = await use_count(m, "VideoEncoder", vec1["token"])
    check(n == vec1["UseCount"], f"{vec1['token']}: UseCount {n} after a Set with UseCount {vec1['UseCount'] + 5}")


# --- PTZ configurations (MEDIA-4-1-2) --------------------------------------------------------


@case("MEDIA-4-1-2", requires=(MEDIA, TPTZ))
async def ptz_configurations_and_profiles(ctx):
    cam = await ctx.camera()
    m = await cam.create_media_service()
    ptz = await cam.create_ptz_service()
    profiles = await m.GetProfiles()
    cfgs = await ptz.GetConfigurations() or []
    tokens = unique_tokens(cfgs, "PTZ configuration")
    by_token = {c.token: c for c in cfgs}
    in_profiles = [p for p in profiles if p.PTZConfiguration is not None]
    for p in in_profiles:
        c = p.PTZConfiguration
        check(c.token in by_token, f"profile {p.token}: PTZ configuration {c.token} not in GetConfigurations {tokens}")
        d = diff(plain(c), plain(by_token[c.token]))
        check(d is None, f"profile {p.token}: PTZ configuration {c.token} differs from GetConfigurations at {d}")
    ctx.note(f"{len(in_profiles)} of {len(profiles)} profiles carry a PTZ configuration, {len(cfgs)} configuration(s)")


# --- Metadata (MEDIA-5-1-3) -----------------------------------------------------------------


async def restore_metadata(m, meta: dict) -> None:
    """Sets a metadata configuration back as it was (`meta`, plain) after a case changed it."""
    try:
        await m.SetMetadataConfiguration({"Configuration": meta, "ForcePersistence": True})
    except Fault:
        pass  # the case's own set is what failed; nothing changed


@case("MEDIA-5-1-3")
async def metadata_configuration(ctx):
    m = await media(ctx)
    token = "testprofileX"
    async with NewProfile(m, token):
        metas = await m.GetMetadataConfigurations()
        check(metas, "no metadata configuration")
        unique_tokens(metas, "metadata configuration")
        compatible = await m.GetCompatibleMetadataConfigurations({"ProfileToken": token})
        check(compatible, "no metadata configuration compatible with the new profile")
        meta = plain(compatible[0])
        await m.AddMetadataConfiguration({"ProfileToken": token, "ConfigurationToken": meta["token"]})
        opts = await m.GetMetadataConfigurationOptions({"ConfigurationToken": meta["token"]})
        ptz = opts.PTZStatusFilterOptions
        try:
            # Outside the options: PTZ status where the options say it is not supported (or
            # a multicast port that is not a port).
            if ptz is not None and not ptz.PanTiltStatusSupported and not ptz.ZoomStatusSupported:
                bad = dict(meta, PTZStatus={"Status": True, "Position": True})
            else:
                bad = dict(meta, Multicast=dict(meta["Multicast"], Port=70000))
            await expect_fault(m.SetMetadataConfiguration({"Configuration": bad, "ForcePersistence": False}),
                               "Sender", "InvalidArgVal", "ConfigModify")
            good = dict(meta, Name="conf-meta", Analytics=not meta.get("Analytics"))
            await m.SetMetadataConfiguration({"Configuration": good, "ForcePersistence": False})
            got = next((c for c in await m.GetMetadataConfigurations() if c.token == meta["token"]), None)
            check(got is not None and got.Name == "conf-meta" and bool(got.Analytics) == bool(good["Analytics"]),
                  f"metadata configuration not modified: {got and got.Name!r} Analytics={got and got.Analytics}")
        finally:
            await restore_metadata(m, meta)
        await m.RemoveMetadataConfiguration({"ProfileToken": token})
        await m.DeleteProfile({"ProfileToken": token})


# --- Snapshot and stream URIs (MEDIA-6, MEDIA-7) ----------------------------------------------


@case("MEDIA-6-1-1")
async def snapshot_uri(ctx):
    m = await media(ctx)
    profiles = [p for p in await m.GetProfiles() if has_video(p)]
    check(profiles, "no profile with video source and encoder")
    r = await m.GetSnapshotUri({"ProfileToken": profiles[0].token})
    check(r.Uri and r.Uri.startswith("http"), f"snapshot Uri {r.Uri!r}")
    check(r.InvalidAfterConnect is not None and r.InvalidAfterReboot is not None and r.Timeout is not None,
          "snapshot URI without InvalidAfterConnect, InvalidAfterReboot or Timeout")
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware(ctx.user, ctx.password),)) as s:
        async with s.get(r.Uri, timeout=aiohttp.ClientTimeout(total=30)) as resp:
            body = await resp.read()
            check(resp.status == 200, f"GET {r.Uri}: HTTP {resp.status} {body[:120]!r}")
            ctype = resp.headers.get("Content-Type", "")
    check(ctype.startswith("image/jpeg"), f"Content-Type {ctype!r}")
    check(body[:2] == b"\xff\xd8" and body.rstrip(b"\0")[-2:] == b"\xff\xd9", "not a JPEG image (SOI/EOI markers)")
    ctx.note(f"{len(body)} bytes of JPEG from {r.Uri}")


@case("MEDIA-7-1-2")
async def stream_uri_invalid_transport(ctx):
    m = await media(ctx)
    token = (await m.GetProfiles())[0].token
    # "RTP" is not a tt:TransportProtocol value; zeep would refuse to send it.
    r = await ctx.soap(
        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
        "<tt:Transport><tt:Protocol>RTP</tt:Protocol></tt:Transport></trt:StreamSetup>"
        f"<trt:ProfileToken>{token}</trt:ProfileToken></trt:GetStreamUri>",
        path=MEDIA_PATH, auth="wsse",
    )
    codes = await soap_fault_check(r)
    ctx.note(f"fault {'/'.join(codes)}")


@case("MEDIA-7-1-4")
async def stream_uri_invalid_profile(ctx):
    m = await media(ctx)
    await expect_fault(
        m.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "UDP"}}, "ProfileToken": "InvalidToken1"}),
        "Sender", "InvalidArgVal", "NoProfile",
    )


@case("MEDIA-7-1-5")
async def start_multicast_invalid_profile(ctx):
    r = await ctx.soap(
        "<trt:StartMulticastStreaming><trt:ProfileToken>InvalidToken1</trt:ProfileToken></trt:StartMulticastStreaming>",
        path=MEDIA_PATH, auth="wsse",
    )
    codes = await soap_fault_check(r)
    check("NoProfile" in codes or "ActionNotSupported" in codes, f"fault {codes}, expected InvalidArgVal/NoProfile or ActionNotSupported")
    ctx.note(f"fault {'/'.join(codes)}")


# --- Capabilities (MEDIA-8-1-*) --------------------------------------------------------------


@case("MEDIA-8-1-1")
async def media_service_capabilities(ctx):
    m = await media(ctx)
    c = await m.GetServiceCapabilities()
    check(c is not None, "no Capabilities")
    check(c.ProfileCapabilities is not None, "Capabilities without ProfileCapabilities")
    check(c.StreamingCapabilities is not None, "Capabilities without StreamingCapabilities")
    mx = c.ProfileCapabilities.MaximumNumberOfProfiles
    check(mx is None or mx >= 1, f"MaximumNumberOfProfiles {mx}")
    n = len(await m.GetProfiles())
    check(mx is None or n <= mx, f"{n} profiles but MaximumNumberOfProfiles {mx}")


def attrs_tree(el) -> dict:
    """An element's attributes and its children's, by local name, for comparing capabilities
    as sent."""
    out = {"@": dict(el.attrib)}
    for child in el:
        if isinstance(child.tag, str):
            out[child.tag.split("}")[-1]] = attrs_tree(child)
    return out


@case("MEDIA-8-1-2")
async def services_and_media_capabilities(ctx):
    el = service_caps(await services_raw(ctx, True), MEDIA)
    check(el is not None, "GetServices(IncludeCapability=true) without Media capabilities")
    r = await ctx.soap("<trt:GetServiceCapabilities/>", path=MEDIA_PATH, auth="wsse")
    check(r.status == 200 and not r.is_fault, f"GetServiceCapabilities: HTTP {r.status} {r.text()[:200]}")
    caps = r.find("/s:Envelope/s:Body/trt:GetServiceCapabilitiesResponse/trt:Capabilities")
    check(caps, "GetServiceCapabilitiesResponse without trt:Capabilities")
    a, b = attrs_tree(el), attrs_tree(caps[0])
    d = diff(a, b)
    check(d is None, f"GetServices and GetServiceCapabilities differ at {d}")
    ctx.note(f"{len(a['@'])} attributes, parts {sorted(k for k in a if k != '@')}")
