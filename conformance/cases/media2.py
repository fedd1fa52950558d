"""ONVIF Media2 Configuration Device Test Specification (MEDIA2-*): profiles and their
configurations, video source, video encoder and metadata configurations with their options,
snapshot URI, encoder instances, service capabilities, and the write side (profiles created,
composed and emptied, configurations modified). Each case follows its test ID's steps and pass
criteria.

The client is zeep as Home Assistant builds it (onvif-zeep-async's ONVIFService, with its
WS-Security digest and clock adjustment) on the official Media2 WSDL vendored in
wsdl/ver20/media/wsdl/media.wsdl: onvif-zeep-async 4.3.0 ships no ver20 media WSDL. Every
reply the cases read is checked against the ONVIF schema (conformance/schema.py); raw SOAP
only where a step compares what was sent (GetServices' capabilities).

Writes not served yet: while Media2's write side is not merged, CreateProfile,
AddConfiguration, Set*Configuration and the like answer env:Receiver/ter:ActionNotSupported;
a case whose step needs one is PENDING with that reason (harness.Pending), after running the
steps before it. With WRITES_PENDING = False that answer fails the case like any other fault.

Cases that change the device put back what they changed (configurations set back, profiles
they created deleted, configurations they removed added back).
"""

from __future__ import annotations

import contextlib
import math
from urllib.parse import urlsplit

import aiohttp
from zeep.exceptions import Fault
from zeep.helpers import serialize_object

from conformance.cases.device import expect_fault, service_caps, services_raw, subcodes
from conformance.harness import NS, Failed, NotApplicable, Pending, case, check
from conformance.schema import WSDL_DIR, check_envelope, zeep_plugin

MEDIA2 = "http://www.onvif.org/ver20/media/wsdl"
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
DEVICEIO = "http://www.onvif.org/ver10/deviceIO/wsdl"
ANALYTICS = "http://www.onvif.org/ver20/analytics/wsdl"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
TNS1 = "http://www.onvif.org/ver10/topics"
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
REQUIRES = (MEDIA2,)
WSDL = "ver20/media/wsdl/media.wsdl"
MEDIA2_PATH = "/onvif/media2_service"
# Media2's writes answer ActionNotSupported until the write side (issue 18, track M2) is
# merged; set False then, so that answer fails a case.
WRITES_PENDING = False
CONF_TYPES = ("VideoSource", "AudioSource", "VideoEncoder", "AudioEncoder", "Analytics", "PTZ", "Metadata",
              "AudioOutput", "AudioDecoder", "Receiver")

RULES = []


# --- client -------------------------------------------------------------------------------


async def typed_service(ctx, namespace: str, wsdl: str, binding: str, host: str | None = None, port: int | None = None):
    """A zeep client (onvif-zeep-async's ONVIFService, as Home Assistant builds it) of the
    service GetServices lists under `namespace`, on the vendored WSDL `wsdl` (relative to
    wsdl/), checking every reply against that WSDL's schema. `host`/`port`: a camera other
    than the runner's (one in a network namespace); the caller then closes `svc.cam` and the
    service itself (on its own event loop), else the context does."""
    from onvif import ONVIFCamera, ONVIFService

    if host is None:
        cam = await ctx.camera()
    else:
        cam = ONVIFCamera(host, port, ctx.user, ctx.password, no_cache=True, adjust_time=True)
        await cam.update_xaddrs()
    dm = await cam.create_devicemgmt_service()
    xaddr = next((s.XAddr for s in await dm.GetServices({"IncludeCapability": False}) if s.Namespace == namespace), None)
    check(xaddr, f"GetServices lists no {namespace} service")
    svc = ONVIFService(xaddr, ctx.user, ctx.password, str(WSDL_DIR / wsdl), no_cache=True, dt_diff=cam.dt_diff,
                       binding_name=f"{{{namespace}}}{binding}")
    await svc.setup()
    counter = ctx.__dict__.setdefault("schema_checked", {})
    svc.zeep_client.plugins.append(zeep_plugin(wsdl, counter))
    svc.cam = cam
    if host is None:
        ctx.cameras.append(svc)
    return svc


async def media2(ctx, host: str | None = None, port: int | None = None):
    """The Media2 service (GetCapabilities has no Media2 entry: GetServices' XAddr)."""
    return await typed_service(ctx, MEDIA2, WSDL, "Media2Binding", host, port)


def m2case(id: str, title: str = "", **kw):
    """Registers a case of a typed_service client; its result notes how many replies were
    schema-checked."""

    def wrap(fn):
        async def run(ctx):
            try:
                await fn(ctx)
            finally:
                n = ctx.__dict__.get("schema_checked", {}).get("valid", 0)
                if n:
                    ctx.note(f"{n} replies valid against the schema")

        run.__name__ = fn.__name__
        run.__module__ = fn.__module__
        return case(id, title, **kw)(run)

    return wrap


async def write(call, op: str):
    """Awaits a Media2 write; ActionNotSupported makes the case PENDING (WRITES_PENDING)."""
    try:
        return await call
    except Fault as f:
        if WRITES_PENDING and "ActionNotSupported" in subcodes(f):
            raise Pending(f"{op} answers ter:ActionNotSupported: Media2's write side is not merged yet") from f
        raise


def plain(obj):
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


def no_duplicates(items, what: str) -> list[str]:
    tokens = [i.token for i in items]
    check(all(tokens), f"{what} without a token")
    dup = sorted({t for t in tokens if tokens.count(t) > 1})
    check(not dup, f"{what} with the same @token: {dup}")
    return tokens


def confs(p) -> dict:
    """The configurations a tr2:MediaProfile holds, by type."""
    c = p.Configurations
    if c is None:
        return {}
    return {t: getattr(c, t) for t in CONF_TYPES if getattr(c, t, None) is not None}


async def capabilities(m):
    return await m.GetServiceCapabilities()


def supported(cap) -> list[str]:
    return list(cap.ProfileCapabilities.ConfigurationsSupported or [])


async def profiles(m, *types: str, token: str | None = None):
    req = {"Type": list(types)} if types else {}
    if token is not None:
        req["Token"] = token
    return await m.GetProfiles(req) or []


async def offered(ctx) -> set[str]:
    return {s.findtext(f"{{{NS['tds']}}}Namespace") for s in await services_raw(ctx, False)}


# --- helpers of the specification's annex ---------------------------------------------------


async def profile_with_video(m, restore: list):
    """Annex A.5 (HelperConfigureMediaProfileWithVideo): a profile with a video source and a
    video encoder configuration, composed with AddConfiguration if none has both (what was
    added is noted in `restore` as (profile, type) to remove again)."""
    ps = await profiles(m, "VideoSource", "VideoEncoder")
    check(ps, "GetProfiles(VideoSource, VideoEncoder) lists no profile")
    for p in ps:
        if {"VideoSource", "VideoEncoder"} <= set(confs(p)):
            return p
    p = next((p for p in ps if "VideoSource" in confs(p)), None)
    if p is None:
        p = ps[0]
        vscs = await m.GetVideoSourceConfigurations({"ProfileToken": p.token})
        check(vscs, f"no video source configuration compatible with {p.token}")
        await write(m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "VideoSource", "Token": vscs[0].token}]}),
                    "AddConfiguration")
        restore.append((p.token, "VideoSource"))
    vecs = await m.GetVideoEncoderConfigurations({"ProfileToken": p.token})
    check(vecs, f"no video encoder configuration compatible with {p.token}")
    await write(m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "VideoEncoder", "Token": vecs[0].token}]}),
                "AddConfiguration")
    restore.append((p.token, "VideoEncoder"))
    return (await profiles(m, "All", token=p.token))[0]


async def profile_with_video_source(m, restore: list):
    """Annex A.6: a profile with a video source configuration (added to the first profile if
    none has one)."""
    ps = await profiles(m, "VideoSource")
    check(ps, "GetProfiles(VideoSource) lists no profile")
    p = next((p for p in ps if "VideoSource" in confs(p)), None)
    if p is not None:
        return p
    p = ps[0]
    vscs = await m.GetVideoSourceConfigurations({"ProfileToken": p.token})
    check(vscs, f"no video source configuration compatible with {p.token}")
    await write(m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "VideoSource", "Token": vscs[0].token}]}),
                "AddConfiguration")
    restore.append((p.token, "VideoSource"))
    return (await profiles(m, "All", token=p.token))[0]


async def undo(m, restore: list) -> None:
    for token, kind in reversed(restore):
        await m.RemoveConfiguration({"ProfileToken": token, "Configuration": [{"Type": kind}]})
    restore.clear()


# --- options and consistency ---------------------------------------------------------------


def check_range(r, what: str) -> None:
    check(r is not None and r.Min is not None and r.Max is not None, f"{what} missing")
    check(r.Min <= r.Max, f"{what}: Min {r.Min} > Max {r.Max}")


def in_range(v, r) -> bool:
    return r is not None and v is not None and r.Min <= v <= r.Max


def check_vsc_options(vsc, opts, cap, what: str) -> None:
    """MEDIA2-2-2-3/7: a video source configuration within its options."""
    check(vsc.SourceToken in (opts.VideoSourceTokensAvailable or []),
          f"{what}: SourceToken {vsc.SourceToken} not in VideoSourceTokensAvailable {opts.VideoSourceTokensAvailable}")
    b, r = vsc.Bounds, opts.BoundsRange
    for v, rng, name in ((b.x, r.XRange, "x"), (b.y, r.YRange, "y"), (b.width, r.WidthRange, "width"), (b.height, r.HeightRange, "height")):
        check(in_range(v, rng), f"{what}: Bounds.{name} {v} outside {rng.Min}..{rng.Max}")
    ext = vsc.Extension
    rot = getattr(ext, "Rotate", None) if ext is not None else None
    oext = opts.Extension
    if cap is not None and cap.Rotation:
        check(oext is not None and oext.Rotate is not None, f"{what}: Rotation capability without options.Extension.Rotate")
        check(rot is not None, f"{what}: Rotation capability without Extension.Rotate in the configuration")
    if rot is not None:
        check(oext is not None and oext.Rotate is not None and rot.Mode in (oext.Rotate.Mode or []),
              f"{what}: Rotate.Mode {rot.Mode} not in the options")
        degrees = getattr(getattr(oext.Rotate, "DegreeList", None), "Items", None) or []
        check(rot.Degree is None or not degrees or rot.Degree in degrees, f"{what}: Rotate.Degree {rot.Degree} not in {degrees}")


def check_vsc_options_ranges(opts, cap, what: str) -> None:
    """MEDIA2-2-2-1: the bounds ranges are ranges, Rotate offered with the capability."""
    r = opts.BoundsRange
    check(r is not None, f"{what}: no BoundsRange")
    for rng, name in ((r.XRange, "XRange"), (r.YRange, "YRange"), (r.WidthRange, "WidthRange"), (r.HeightRange, "HeightRange")):
        check_range(rng, f"{what}: BoundsRange.{name}")
    if cap.Rotation:
        check(opts.Extension is not None and opts.Extension.Rotate is not None, f"{what}: Rotation capability without Extension.Rotate")


def vec_mismatch(vec, opt) -> str | None:
    """Annex A.3 (VideoEncoderConfigurationOptions and VideoEncoderConfiguration mapping): why
    `vec` is outside the option `opt` (None: consistent)."""
    if vec.Encoding != opt.Encoding:
        return f"Encoding {vec.Encoding} vs {opt.Encoding}"
    if not in_range(vec.Quality, opt.QualityRange):
        return f"Quality {vec.Quality} outside {opt.QualityRange.Min}..{opt.QualityRange.Max}"
    sizes = [(r.Width, r.Height) for r in opt.ResolutionsAvailable or []]
    if (vec.Resolution.Width, vec.Resolution.Height) not in sizes:
        return f"Resolution {vec.Resolution.Width}x{vec.Resolution.Height} not in {sizes}"
    gov = list(opt.GovLengthRange or [])
    if vec.GovLength is not None and gov and not gov[0] <= vec.GovLength <= gov[-1]:
        return f"GovLength {vec.GovLength} outside {gov}"
    rc = vec.RateControl
    if rc is not None:
        rates = list(opt.FrameRatesSupported or [])
        if rates and not any(math.isclose(rc.FrameRateLimit, f, rel_tol=1e-6, abs_tol=1e-6) for f in rates):
            return f"FrameRateLimit {rc.FrameRateLimit} not in FrameRatesSupported {rates}"
        if opt.BitrateRange is not None and not in_range(rc.BitrateLimit, opt.BitrateRange):
            return f"BitrateLimit {rc.BitrateLimit} outside {opt.BitrateRange.Min}..{opt.BitrateRange.Max}"
    if vec.Profile is not None and opt.ProfilesSupported and vec.Profile not in opt.ProfilesSupported:
        return f"Profile {vec.Profile} not in {list(opt.ProfilesSupported)}"
    return None


def check_vec_consistent(vec, options, what: str):
    """The option `vec` is consistent with (at least one), else the case fails with why."""
    check(options, f"{what}: no options")
    reasons = []
    for o in options:
        r = vec_mismatch(vec, o)
        if r is None:
            return o
        reasons.append(r)
    raise Failed(f"{what} {vec.token} consistent with no option: {'; '.join(reasons)}")


def check_vec_option_lists(options, what: str) -> None:
    """MEDIA2-2-3-5: GovLengthRange is exactly (min, max) ascending; FrameRatesSupported is
    sorted descending."""
    check(options, f"{what}: no options")
    for o in options:
        if o.GovLengthRange is not None:
            g = list(o.GovLengthRange)
            check(len(g) == 2, f"{what} {o.Encoding}: GovLengthRange {g} is not two values")
            check(g[0] <= g[1], f"{what} {o.Encoding}: GovLengthRange {g} is not ascending")
        if o.FrameRatesSupported is not None:
            f = list(o.FrameRatesSupported)
            check(f == sorted(f, reverse=True), f"{what} {o.Encoding}: FrameRatesSupported {f} not in descending order")


# --- Profiles (MEDIA2-1-1-*) ---------------------------------------------------------------


@m2case("MEDIA2-1-1-4")
async def get_profiles(ctx):
    m = await media2(ctx)
    cap = await capabilities(m)
    list1 = await profiles(m, "All")
    no_duplicates(list1, "GetProfiles(All)")
    by_token = {p.token: p for p in list1}
    list2 = await profiles(m)
    no_duplicates(list2, "GetProfiles()")
    check(len(list2) == len(list1), f"GetProfiles() lists {len(list2)} profiles, GetProfiles(All) {len(list1)}")
    for p in list2:
        check(p.token in by_token, f"profile {p.token} of GetProfiles() not in GetProfiles(All)")
        check(not confs(p), f"GetProfiles() without Type: profile {p.token} has configurations {sorted(confs(p))}")
    kinds = ["VideoSource"] + [k for k in ("Analytics", "Metadata") if k in supported(cap)]
    for kind in kinds:
        listed = await profiles(m, kind)
        no_duplicates(listed, f"GetProfiles({kind})")
        check(len(listed) == len(list1), f"GetProfiles({kind}) lists {len(listed)} profiles, GetProfiles(All) {len(list1)}")
        for p in listed:
            other = sorted(set(confs(p)) - {kind})
            check(not other, f"GetProfiles({kind}): profile {p.token} also has {other}")
            full = confs(by_token[p.token])
            check((kind in confs(p)) == (kind in full), f"GetProfiles({kind}): profile {p.token} {kind} presence differs from All")
            if kind in full:
                d = diff(plain(confs(p)[kind]), plain(full[kind]))
                check(d is None, f"GetProfiles({kind}): profile {p.token} {kind} differs from GetProfiles(All) at {d}")
    ctx.note(f"{len(list1)} profiles; Type filters All, none, {', '.join(kinds)}")


# --- Video source configurations (MEDIA2-2-2-*) ---------------------------------------------


@m2case("MEDIA2-2-2-1")
async def video_source_configuration_options(ctx):
    m = await media2(ctx)
    cap = await capabilities(m)
    check_vsc_options_ranges(await m.GetVideoSourceConfigurationOptions({}), cap, "options (no token)")
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    check_vsc_options_ranges(await m.GetVideoSourceConfigurationOptions({"ConfigurationToken": vscs[0].token}), cap,
                             f"options of {vscs[0].token}")
    restore: list = []
    try:
        p = await profile_with_video_source(m, restore)
        check_vsc_options_ranges(await m.GetVideoSourceConfigurationOptions({"ProfileToken": p.token}), cap,
                                 f"options of profile {p.token}")
    finally:
        await undo(m, restore)


async def get_configurations(ctx, m, get, kind: str, what: str) -> None:
    """The steps MEDIA2-2-2-2 and MEDIA2-8-1-2 share (Get<entity>Configurations): the complete
    list has no duplicate token, each token alone gives that one, and a profile's compatible
    list holds some of them and its own configuration of `kind`."""
    complete = await get({})
    check(complete, f"Get{kind}Configurations lists none")
    tokens = no_duplicates(complete, f"{what} configurations")
    for t in tokens:
        one = await get({"ConfigurationToken": t})
        check(len(one) == 1 and one[0].token == t, f"Get{kind}Configurations({t}) returned {[c.token for c in one]}")
    for p in await profiles(m, kind):
        got = no_duplicates(await get({"ProfileToken": p.token}), f"compatible {what} configurations of {p.token}")
        check(any(t in tokens for t in got), f"profile {p.token}: compatible {got} has none of {tokens}")
        if kind in confs(p):
            own = getattr(p.Configurations, kind).token
            check(own in got, f"profile {p.token}: its {own} not among compatible {got}")
    ctx.note(f"{len(tokens)} {what} configuration(s): {', '.join(tokens)}")


@m2case("MEDIA2-2-2-2")
async def get_video_source_configurations(ctx):
    m = await media2(ctx)
    await get_configurations(ctx, m, m.GetVideoSourceConfigurations, "VideoSource", "video source")


@m2case("MEDIA2-2-2-3")
async def vsc_and_options(ctx):
    m = await media2(ctx)
    cap = await capabilities(m)
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    for vsc in vscs:
        opts = await m.GetVideoSourceConfigurationOptions({"ConfigurationToken": vsc.token})
        check_vsc_options(vsc, opts, cap, vsc.token)


@m2case("MEDIA2-2-2-4")
async def profiles_and_vscs(ctx):
    m = await media2(ctx)
    n = 0
    for p in await profiles(m, "VideoSource"):
        if "VideoSource" not in confs(p):
            continue
        c = p.Configurations.VideoSource
        got = await m.GetVideoSourceConfigurations({"ConfigurationToken": c.token})
        check(got, f"GetVideoSourceConfigurations({c.token}) is empty")
        d = diff(plain(got[0]), plain(c))
        check(d is None, f"profile {p.token}: {c.token} differs from GetVideoSourceConfigurations at {d}")
        n += 1
    ctx.note(f"{n} profile(s) with a video source configuration")


@m2case("MEDIA2-2-2-6")
async def vsc_invalid_token(ctx):
    m = await media2(ctx)
    tokens = [c.token for c in await m.GetVideoSourceConfigurations({})]
    bad = "conf_invalid_vsc"
    check(bad not in tokens, "the invalid token is in use")
    await expect_fault(m.GetVideoSourceConfigurations({"ConfigurationToken": bad}), "Sender", "InvalidArgVal", "NoConfig")


@m2case("MEDIA2-2-2-7")
async def profiles_and_vsc_options(ctx):
    m = await media2(ctx)
    n = 0
    for p in await profiles(m, "VideoSource"):
        if "VideoSource" not in confs(p):
            continue
        c = p.Configurations.VideoSource
        opts = await m.GetVideoSourceConfigurationOptions({"ConfigurationToken": c.token, "ProfileToken": p.token})
        check_vsc_options(c, opts, None, f"profile {p.token} {c.token}")
        ext2 = getattr(c.Extension, "Extension", None) if c.Extension is not None else None
        so = getattr(ext2, "SceneOrientation", None) if ext2 is not None else None
        if so is not None:
            modes = getattr(getattr(opts.Extension, "Extension", None), "SceneOrientationMode", None) or []
            check(so.Mode in modes, f"profile {p.token}: SceneOrientation {so.Mode} not in {modes}")
        n += 1
    check(n, "no profile with a video source configuration")


# --- Video encoder configurations (MEDIA2-2-3-*) ---------------------------------------------


@m2case("MEDIA2-2-3-2")
async def vecs_and_options(ctx):
    m = await media2(ctx)
    vecs = await m.GetVideoEncoderConfigurations({})
    check(vecs, "no video encoder configuration")
    notes = []
    for vec in vecs:
        o = check_vec_consistent(vec, await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": vec.token}), "configuration")
        notes.append(f"{vec.token} {vec.Encoding} {vec.Resolution.Width}x{vec.Resolution.Height} within its {o.Encoding} option")
    ctx.note("; ".join(notes))


@m2case("MEDIA2-2-3-3")
async def profiles_and_vec_options(ctx):
    m = await media2(ctx)
    n = 0
    for p in await profiles(m, "VideoEncoder"):
        if "VideoEncoder" not in confs(p):
            continue
        vec = p.Configurations.VideoEncoder
        opts = await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": vec.token, "ProfileToken": p.token})
        check_vec_consistent(vec, opts, f"profile {p.token}")
        n += 1
    check(n, "no profile with a video encoder configuration")


@m2case("MEDIA2-2-3-5")
async def vec_options(ctx):
    m = await media2(ctx)
    check_vec_option_lists(await m.GetVideoEncoderConfigurationOptions({}), "options (no token)")
    vecs = await m.GetVideoEncoderConfigurations({})
    check(vecs, "GetVideoEncoderConfigurations lists none")
    for vec in vecs:
        check_vec_option_lists(await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": vec.token}), f"options of {vec.token}")
    ctx.note(f"{len(vecs)} configuration(s) and the device's options")


# --- Snapshot and encoder instances (MEDIA2-5-1-*) -------------------------------------------


@m2case("MEDIA2-5-1-1")
async def snapshot_uri(ctx):
    m = await media2(ctx)
    cap = await capabilities(m)
    if not cap.SnapshotUri:
        raise NotApplicable("Media2 capabilities SnapshotUri = false")
    restore: list = []
    try:
        p = await profile_with_video(m, restore)
        r = await m.GetSnapshotUri({"ProfileToken": p.token})
        check(r and r.startswith("http"), f"snapshot Uri {r!r}")
        async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware(ctx.user, ctx.password),)) as s:
            async with s.get(r, timeout=aiohttp.ClientTimeout(total=30)) as resp:
                body = await resp.read()
                check(resp.status == 200, f"GET {r}: HTTP {resp.status} {body[:120]!r}")
                ctype = resp.headers.get("Content-Type", "")
        check(ctype.startswith("image/jpeg"), f"Content-Type {ctype!r}")
        check(body[:2] == b"\xff\xd8" and body.rstrip(b"\0")[-2:] == b"\xff\xd9", "not a JPEG image (SOI/EOI markers)")
        ctx.note(f"{len(body)} bytes of JPEG from {r}")
    finally:
        await undo(m, restore)


@m2case("MEDIA2-5-1-2", requires=(MEDIA2, DEVICEIO))
async def encoder_instances_per_source(ctx):
    m = await media2(ctx)
    cam = await ctx.camera()
    dio = await cam.create_deviceio_service()
    sources = await dio.GetVideoSources()
    tokens = [getattr(s, "token", s) for s in (sources or [])]
    check(tokens, "GetVideoSources lists no video source")
    vscs = await m.GetVideoSourceConfigurations({})
    notes = []
    for src in tokens:
        found = None
        for vsc in (v for v in vscs if v.SourceToken == src):
            info = await m.GetVideoEncoderInstances({"ConfigurationToken": vsc.token})
            if info.Total > 0:
                found = (vsc.token, info.Total)
                break
        check(found, f"video source {src}: no video source configuration with GetVideoEncoderInstances Total > 0")
        notes.append(f"{src}: {found[0]} Total {found[1]}")
    ctx.note("; ".join(notes))


# --- Capabilities (MEDIA2-7-1-*) -------------------------------------------------------------


@m2case("MEDIA2-7-1-1")
async def media2_capabilities(ctx):
    m = await media2(ctx)
    cap = await capabilities(m)
    pc = cap.ProfileCapabilities
    check(pc is not None and pc.MaximumNumberOfProfiles is not None, "ProfileCapabilities without MaximumNumberOfProfiles")
    check(pc.ConfigurationsSupported is not None, "ProfileCapabilities without ConfigurationsSupported")
    kinds = supported(cap)
    check(kinds, "ConfigurationsSupported has no items")
    check("All" not in kinds, "ConfigurationsSupported contains All")
    services = await offered(ctx)
    check((ANALYTICS in services) == ("Analytics" in kinds), f"Analytics service offered: {ANALYTICS in services}; ConfigurationsSupported {kinds}")
    check((TPTZ in services) == ("PTZ" in kinds), f"PTZ service offered: {TPTZ in services}; ConfigurationsSupported {kinds}")
    # Video is supported (the device streams H.264); audio and audio outputs are not.
    check("VideoSource" in kinds, f"ConfigurationsSupported {kinds} lacks VideoSource")
    ws = getattr(cap.StreamingCapabilities, "RTSPWebSocketUri", None)
    if ws is not None:
        u = urlsplit(ws)
        check(u.scheme in ("ws", "wss") and u.path.startswith("/"), f"RTSPWebSocketUri {ws!r}")
    if "PTZ" in kinds:
        cam = await ctx.camera()
        ptz = await cam.create_ptz_service()
        check(await ptz.GetConfigurations(), "PTZ in ConfigurationsSupported but GetConfigurations lists none")
    if "Analytics" in kinds:
        check(await m.GetAnalyticsConfigurations({}), "Analytics in ConfigurationsSupported but GetAnalyticsConfigurations lists none")
    ctx.note(f"MaximumNumberOfProfiles {pc.MaximumNumberOfProfiles}, ConfigurationsSupported {' '.join(kinds)}")


def attrs_tree(el) -> dict:
    """An element's attributes and its children's (text too), by local name."""
    out = {"@": dict(el.attrib), "text": (el.text or "").strip()}
    for child in el:
        if isinstance(child.tag, str):
            out[child.tag.split("}")[-1]] = attrs_tree(child)
    return out


@m2case("MEDIA2-7-1-2")
async def services_and_capabilities(ctx):
    el = service_caps(await services_raw(ctx, True), MEDIA2)
    check(el is not None, "GetServices(IncludeCapability=true) without Media2 capabilities")
    r = await ctx.soap(f'<tr2:GetServiceCapabilities xmlns:tr2="{MEDIA2}"/>', path=MEDIA2_PATH, auth="wsse")
    check(r.status == 200 and not r.is_fault, f"GetServiceCapabilities: HTTP {r.status} {r.text()[:200]}")
    check_envelope(r.xml, WSDL)
    caps = r.xml.xpath("/s:Envelope/s:Body/tr2:GetServiceCapabilitiesResponse/tr2:Capabilities", namespaces={**NS, "tr2": MEDIA2})
    check(caps, "GetServiceCapabilitiesResponse without tr2:Capabilities")
    a, b = attrs_tree(el), attrs_tree(caps[0])
    d = diff(a, b)
    check(d is None, f"GetServices and GetServiceCapabilities differ at {d}")
    ctx.note(f"attributes {sorted(a['@'])}, parts {sorted(k for k in a if k not in ('@', 'text'))}")


# --- Metadata configurations (MEDIA2-8-1-*) --------------------------------------------------


async def metadata_supported(m) -> None:
    if "Metadata" not in supported(await capabilities(m)):
        raise NotApplicable("Metadata is not in ConfigurationsSupported")


@m2case("MEDIA2-8-1-2")
async def get_metadata_configurations(ctx):
    m = await media2(ctx)
    await metadata_supported(m)
    await get_configurations(ctx, m, m.GetMetadataConfigurations, "Metadata", "metadata")


@m2case("MEDIA2-8-1-3")
async def profiles_and_metadata(ctx):
    m = await media2(ctx)
    await metadata_supported(m)
    n = 0
    for p in await profiles(m, "Metadata"):
        if "Metadata" not in confs(p):
            continue
        c = p.Configurations.Metadata
        got = await m.GetMetadataConfigurations({"ConfigurationToken": c.token})
        check(got, f"GetMetadataConfigurations({c.token}) is empty")
        d = diff(plain(got[0]), plain(c))
        check(d is None, f"profile {p.token}: {c.token} differs from GetMetadataConfigurations at {d}")
        n += 1
    ctx.note(f"{n} profile(s) with a metadata configuration")


@m2case("MEDIA2-8-1-4")
async def metadata_invalid_token(ctx):
    m = await media2(ctx)
    await metadata_supported(m)
    tokens = [c.token for c in await m.GetMetadataConfigurations({})]
    bad = "conf_invalid_meta"
    check(bad not in tokens, "the invalid token is in use")
    await expect_fault(m.GetMetadataConfigurations({"ConfigurationToken": bad}), "Sender", "InvalidArgVal", "NoConfig")


# --- Reads added from the write part of the specification ------------------------------------


@m2case("MEDIA2-1-1-1", requires=(MEDIA2, DEVICEIO))
async def ready_profile_for_video(ctx):
    m = await media2(ctx)
    cam = await ctx.camera()
    dio = await cam.create_deviceio_service()
    sources = [getattr(s, "token", s) for s in (await dio.GetVideoSources() or [])]
    check(sources, "GetVideoSources lists no video source")
    ps = await profiles(m, "All")
    for src in sources:
        ok = [p.token for p in ps if "VideoSource" in confs(p) and p.Configurations.VideoSource.SourceToken == src
              and "VideoEncoder" in confs(p) and p.Configurations.VideoEncoder.Encoding in ("H264", "H265")]
        check(ok, f"no profile with video source {src} and an H.264/H.265 encoder")
        ctx.note(f"{src}: {', '.join(ok)}")


@m2case("MEDIA2-2-3-1")
async def video_encoder_configurations(ctx):
    m = await media2(ctx)
    complete = await m.GetVideoEncoderConfigurations({})
    tokens = no_duplicates(complete, "video encoder configurations")
    for p in await profiles(m):
        listed = await m.GetVideoEncoderConfigurations({"ProfileToken": p.token})
        got = no_duplicates(listed, f"compatible video encoder configurations of {p.token}")
        if "VideoEncoder" in confs(p):
            check(p.Configurations.VideoEncoder.token in got, f"profile {p.token}: its encoder not among compatible {got}")
        extra = [t for t in got if t not in tokens]
        check(not extra, f"profile {p.token}: compatible {extra} not in the complete list {tokens}")
    for t in tokens:
        one = await m.GetVideoEncoderConfigurations({"ConfigurationToken": t})
        check(len(one) == 1 and one[0].token == t, f"GetVideoEncoderConfigurations({t}) returned {[c.token for c in one]}")
    ctx.note(f"{len(tokens)} video encoder configuration(s): {', '.join(tokens)}")


@m2case("MEDIA2-4-1-1", requires=(MEDIA2, TPTZ))
async def ready_profile_for_ptz(ctx):
    m = await media2(ctx)
    ok = [p.token for p in await profiles(m, "VideoSource", "PTZ") if {"VideoSource", "PTZ"} <= set(confs(p))]
    check(ok, "no profile with both a video source and a PTZ configuration")
    ctx.note(f"profiles {', '.join(ok)}")


# --- Events of the write cases -----------------------------------------------------------------


class Changes:
    """The PullPoint subscription of a write case (HelperCreatePullPointSubscription), made
    when the device lists the topic (the "Profile/Configuration Changed Notification
    feature"), and the spec's checks of the event after each write (HelperPullProfileChanged,
    HelperPullConfigurationChanged)."""

    def __init__(self, ctx):
        self.ctx, self.sub, self.topics = ctx, None, []

    async def __aenter__(self):
        return self

    async def open(self, *topics: str) -> "Changes":
        from conformance.cases import events

        listed = {t.topic for t in (await events.event_properties(self.ctx)).topics}
        self.topics = [t for t in topics if t in listed]
        if self.topics:
            self.sub = await events.create_pullpoint(self.ctx, topic="|".join(self.topics))
        return self

    async def profile_changed(self, token: str) -> None:
        await self._wait("tns1:Media/ProfileChanged", lambda n: n.source.get("Token") == token, f"profile {token}")

    async def configuration_changed(self, token: str, kind: str) -> None:
        await self._wait("tns1:Media/ConfigurationChanged",
                         lambda n: n.source.get("Token") == token and n.source.get("Type") == kind, f"{kind} configuration {token}")

    async def _wait(self, topic: str, match, what: str) -> None:
        from conformance.cases import events

        if self.sub is None or topic not in self.topics:
            return
        try:
            await events.pull_until(self.ctx, self.sub, lambda n: events.local_topic(n.topic) == events.local_topic(topic) and match(n))
        except Failed as e:
            raise Failed(f"no {topic} for {what}: {e}") from None
        self.ctx.note(f"{topic} for {what}")

    async def __aexit__(self, *exc):
        from conformance.cases import events

        if self.sub is not None:
            await events.cleanup(self.ctx, self.sub)


async def delete_when_max(m) -> None:
    """HelperDeleteMediaProfileWhenMaxProfiles."""
    cap = await capabilities(m)
    ps = await profiles(m, "All")
    if len(ps) >= cap.ProfileCapabilities.MaximumNumberOfProfiles:
        loose = [p for p in ps if not p.fixed]
        check(loose, f"{len(ps)} profiles, the maximum, and none of them non-fixed")
        await write(m.DeleteProfile({"Token": loose[0].token}), "DeleteProfile")


def refs_of(p) -> list[dict]:
    return [{"Type": t, "Token": c.token} for t, c in confs(p).items()]


async def one_profile(m, token: str, *types: str):
    ps = await profiles(m, *types, token=token)
    check(ps, f"GetProfiles({token}) is empty")
    check(len(ps) == 1, f"GetProfiles({token}) lists {len(ps)} profiles")
    check(ps[0].token == token, f"GetProfiles({token}) returned {ps[0].token}")
    return ps[0]


@contextlib.asynccontextmanager
async def empty_profile(m):
    """HelperCreateEmptyProfile: (token, new) of a profile without configurations: a created
    one (after deleting a non-fixed profile if the maximum is reached), else the first
    profile emptied. On exit a created profile still there is deleted, a deleted one made
    again (same name and configurations; Media2 gives it a new token), an emptied one
    refilled."""
    cap = await capabilities(m)
    ps = await profiles(m, "All")
    loose = [p for p in ps if not p.fixed]
    if len(ps) < cap.ProfileCapabilities.MaximumNumberOfProfiles or loose:
        victim = loose[0] if len(ps) >= cap.ProfileCapabilities.MaximumNumberOfProfiles else None
        if victim is not None:
            await write(m.DeleteProfile({"Token": victim.token}), "DeleteProfile")
        try:
            created = await write(m.CreateProfile({"Name": "testMedia2"}), "CreateProfile")
            check(created, "CreateProfile returned no Token")
            try:
                yield created, True
            finally:
                if created in [p.token for p in await profiles(m)]:
                    await m.DeleteProfile({"Token": created})
        finally:
            if victim is not None:
                await m.CreateProfile({"Name": victim.Name, "Configuration": refs_of(victim)})
        return
    first = ps[0]
    await write(m.RemoveConfiguration({"ProfileToken": first.token, "Configuration": [{"Type": "All"}]}), "RemoveConfiguration")
    try:
        yield first.token, False
    finally:
        await m.RemoveConfiguration({"ProfileToken": first.token, "Configuration": [{"Type": "All"}]})
        if refs_of(first):
            await m.AddConfiguration({"ProfileToken": first.token, "Configuration": refs_of(first)})


# --- Profiles written (MEDIA2-1-1-2/3/5/6/7) --------------------------------------------------


@m2case("MEDIA2-1-1-2")
async def create_profile_with_configuration(ctx):
    m = await media2(ctx)
    await delete_when_max(m)
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    async with Changes(ctx) as ev:
        await ev.open("tns1:Media/ProfileChanged")
        token = await write(m.CreateProfile({"Name": "testMedia2", "Configuration": [{"Type": "VideoSource", "Token": vscs[0].token}]}),
                            "CreateProfile")
        try:
            await ev.profile_changed(token)
            p = await one_profile(m, token, "VideoSource")
            check("VideoSource" in confs(p) and p.Configurations.VideoSource.token == vscs[0].token,
                  f"profile {token}: video source {getattr(confs(p).get('VideoSource'), 'token', None)}, created with {vscs[0].token}")
        finally:
            await m.DeleteProfile({"Token": token})
        await ev.profile_changed(token)
    await expect_fault(m.GetProfiles({"Token": token}), "Sender", "InvalidArgVal", "NoProfile")


@m2case("MEDIA2-1-1-3")
async def dynamic_profile(ctx):
    m = await media2(ctx)
    cap = await capabilities(m)
    kinds = supported(cap)
    async with empty_profile(m) as (token, new), Changes(ctx) as ev:
        await ev.open("tns1:Media/ProfileChanged")
        vscs = await m.GetVideoSourceConfigurations({})
        check(vscs, "no video source configuration")
        analytics_seen = False
        for vsc in vscs:
            await write(m.AddConfiguration({"ProfileToken": token, "Configuration": [{"Type": "VideoSource", "Token": vsc.token}]}), "AddConfiguration")
            await ev.profile_changed(token)
            p = await one_profile(m, token, "VideoSource")
            check(confs(p).get("VideoSource") is not None and p.Configurations.VideoSource.token == vsc.token, f"video source is not {vsc.token}")
            for kind, getter in (("VideoEncoder", m.GetVideoEncoderConfigurations), ("Analytics", None), ("Metadata", m.GetMetadataConfigurations)):
                if kind not in kinds:
                    continue
                if kind == "Analytics":
                    getter = m.GetAnalyticsConfigurations
                listed = await getter({"ProfileToken": token})
                if not listed:
                    check(kind != "VideoEncoder", f"no video encoder configuration compatible with {token}")
                    continue
                analytics_seen |= kind == "Analytics"
                c = listed[0]
                await write(m.AddConfiguration({"ProfileToken": token, "Configuration": [{"Type": kind, "Token": c.token}]}), "AddConfiguration")
                await ev.profile_changed(token)
                p = await one_profile(m, token, "VideoSource", kind)
                check(p.Configurations.VideoSource.token == vsc.token, "video source lost")
                check(confs(p).get(kind) is not None and confs(p)[kind].token == c.token, f"{kind} is not {c.token} after AddConfiguration")
                await write(m.RemoveConfiguration({"ProfileToken": token, "Configuration": [{"Type": kind}]}), "RemoveConfiguration")
                await ev.profile_changed(token)
                p = await one_profile(m, token, "VideoSource", kind)
                check(confs(p).get("VideoSource") is not None and p.Configurations.VideoSource.token == vsc.token, "video source lost")
                check(kind not in confs(p), f"{kind} still in the profile after RemoveConfiguration")
            await write(m.RemoveConfiguration({"ProfileToken": token, "Configuration": [{"Type": "VideoSource", "Token": vsc.token}]}),
                        "RemoveConfiguration")
            await ev.profile_changed(token)
            p = await one_profile(m, token, "VideoSource")
            check("VideoSource" not in confs(p), "video source still in the profile after RemoveConfiguration")
        if "Analytics" in kinds:
            check(analytics_seen, "Analytics supported but no analytics configuration compatible with any video source")
        # Audio and audio outputs: not supported, skipped as the spec says.
        if new:
            await write(m.DeleteProfile({"Token": token}), "DeleteProfile")
            await expect_fault(m.GetProfiles({"Token": token}), "Sender", "InvalidArgVal", "NoProfile")
        ctx.note(f"{'new' if new else 'emptied'} profile {token}; {len(vscs)} video source(s); types {' '.join(kinds)}")


@m2case("MEDIA2-1-1-5")
async def create_profile_with_configurations(ctx):
    m = await media2(ctx)
    await delete_when_max(m)
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    token = await write(m.CreateProfile({"Name": "testMedia", "Configuration": [{"Type": "VideoSource", "Token": vscs[0].token}]}),
                        "CreateProfile")
    try:
        p = await one_profile(m, token, "All")
        check(confs(p).get("VideoSource") is not None and p.Configurations.VideoSource.token == vscs[0].token,
              f"profile {token}: video source is not {vscs[0].token}")
    finally:
        await m.DeleteProfile({"Token": token})
    # Audio and audio outputs: not supported, skipped as the spec says.


@m2case("MEDIA2-1-1-6")
async def remove_all_configurations(ctx):
    m = await media2(ctx)
    ps = await profiles(m, "All")
    for p in ps:
        await write(m.RemoveConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "All"}]}), "RemoveConfiguration")
        try:
            got = await one_profile(m, p.token, "All")
            check(not confs(got), f"profile {p.token} still has {sorted(confs(got))} after RemoveConfiguration(All)")
        finally:
            if refs_of(p):
                await m.AddConfiguration({"ProfileToken": p.token, "Configuration": refs_of(p)})
        back = await one_profile(m, p.token, "All")
        check(sorted(map(str, refs_of(back))) == sorted(map(str, refs_of(p))), f"profile {p.token} not restored: {refs_of(back)}")
    ctx.note(f"{len(ps)} profiles emptied and restored")


@m2case("MEDIA2-1-1-7")
async def fixed_profiles(ctx):
    m = await media2(ctx)
    ps = await profiles(m, "All")
    fixed = [p for p in ps if p.fixed]
    for p in fixed:
        await write(m.RemoveConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "All"}]}), "RemoveConfiguration")
        got = await one_profile(m, p.token, "All")
        emptied = not confs(got)
        if refs_of(p):
            await write(m.AddConfiguration({"ProfileToken": p.token, "Configuration": refs_of(p)}), "AddConfiguration")
        check(emptied, f"fixed profile {p.token} still has {sorted(confs(got))} after RemoveConfiguration(All)")
        back = await one_profile(m, p.token, "All")
        check(sorted(map(str, refs_of(back))) == sorted(map(str, refs_of(p))),
              f"fixed profile {p.token}: configurations {refs_of(back)} after AddConfiguration, were {refs_of(p)}")
    ctx.note(f"{len(fixed)} fixed profile(s) emptied and refilled" if fixed else "no fixed profile")


# --- Configurations written (MEDIA2-2-2-5, 2-3-4, 8-1-1) --------------------------------------


VSC_FIELDS = ("SourceToken", "Name", "Bounds")


@m2case("MEDIA2-2-2-5")
async def modify_video_source_configurations(ctx):
    m = await media2(ctx)
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    async with Changes(ctx) as ev:
        await ev.open("tns1:Media/ConfigurationChanged")
        for vsc in vscs:
            saved = plain(vsc)
            o = await m.GetVideoSourceConfigurationOptions({"ConfigurationToken": vsc.token})
            r = o.BoundsRange
            rot = getattr(o.Extension, "Rotate", None) if o.Extension is not None else None
            rot_now = rot is not None and not rot.Reboot
            same = (r.XRange.Min == r.XRange.Max and r.YRange.Min == r.YRange.Max and r.WidthRange.Min == r.WidthRange.Max
                    and r.HeightRange.Min == r.HeightRange.Max)
            x2 = r.XRange.Min if same else (r.XRange.Max + r.XRange.Min - r.WidthRange.Min) // 2
            y2 = r.YRange.Min if same else (r.YRange.Max + r.YRange.Min - r.HeightRange.Min) // 2
            firsts = {"Name": "TestName1", "SourceToken": o.VideoSourceTokensAvailable[0],
                      "Bounds": {"x": r.XRange.Min, "y": r.YRange.Min, "width": r.WidthRange.Min, "height": r.HeightRange.Min}}
            lasts = {"Name": "TestName2", "SourceToken": o.VideoSourceTokensAvailable[-1],
                     "Bounds": {"x": x2, "y": y2, "width": r.WidthRange.Min if same else min(r.WidthRange.Max, r.XRange.Max - x2),
                                "height": r.HeightRange.Min if same else min(r.HeightRange.Max, r.YRange.Max - y2)}}
            try:
                for step, values in (("first", firsts), ("last", lasts)):
                    cfg = dict(saved, **values)
                    if rot_now:
                        mode = rot.Mode[0] if step == "first" else rot.Mode[-1]
                        degrees = getattr(rot.DegreeList, "Items", None) if rot.DegreeList is not None else None
                        deg = None
                        if mode == "ON":
                            deg = (degrees[0] if step == "first" else degrees[-1]) if degrees else (-180 if step == "first" else 180)
                        cfg["Extension"] = {"Rotate": {"Mode": mode, "Degree": deg}}
                    await write(m.SetVideoSourceConfiguration({"Configuration": cfg}), "SetVideoSourceConfiguration")
                    await ev.configuration_changed(vsc.token, "VideoSource")
                    got = (await m.GetVideoSourceConfigurations({"ConfigurationToken": vsc.token}))[0]
                    d = diff({k: plain(got).get(k) for k in VSC_FIELDS}, {k: cfg.get(k) for k in VSC_FIELDS})
                    check(d is None, f"{vsc.token} after SetVideoSourceConfiguration ({step} values) differs at {d}")
                    if rot_now:
                        got_rot = plain(got).get("Extension", {}) or {}
                        check((got_rot.get("Rotate") or {}).get("Mode") == cfg["Extension"]["Rotate"]["Mode"], f"{vsc.token}: Rotate not applied")
            finally:
                with contextlib.suppress(Pending):
                    await write(m.SetVideoSourceConfiguration({"Configuration": saved}), "SetVideoSourceConfiguration")
    # Rotation needing a reboot: not offered (the options carry no Rotate).


@m2case("MEDIA2-2-3-4")
async def set_all_video_encoder_configurations(ctx):
    m = await media2(ctx)
    vecs = await m.GetVideoEncoderConfigurations({})
    check(vecs, "no video encoder configuration")
    saved = [plain(v) for v in vecs]
    notes = []
    try:
        async with Changes(ctx) as ev:
            await ev.open("tns1:Media/ConfigurationChanged")
            for vec, base in zip(vecs, saved):
                for o in await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": vec.token}):
                    gov = list(o.GovLengthRange or [])
                    profs = list(o.ProfilesSupported or [])
                    rates = list(o.FrameRatesSupported or [])
                    for name, pick in (("TestName1", min), ("TestName2", max)):
                        first = pick is min
                        res = o.ResolutionsAvailable[0] if first else o.ResolutionsAvailable[-1]
                        cfg = {"token": vec.token, "Name": name, "UseCount": vec.UseCount,
                               "GovLength": pick(gov) if gov else None,
                               "Profile": (profs[0] if first else profs[-1]) if vec.Profile is not None and profs else None,
                               "Encoding": o.Encoding, "Resolution": {"Width": res.Width, "Height": res.Height},
                               "RateControl": {"FrameRateLimit": pick(rates) if rates else (base.get("RateControl") or {}).get("FrameRateLimit"),
                                               "BitrateLimit": o.BitrateRange.Min if first else o.BitrateRange.Max},
                               "Multicast": base.get("Multicast"), "Quality": o.QualityRange.Min if first else o.QualityRange.Max}
                        await write(m.SetVideoEncoderConfiguration({"Configuration": cfg}), "SetVideoEncoderConfiguration")
                        await ev.configuration_changed(vec.token, "VideoEncoder")
                        got = (await m.GetVideoEncoderConfigurations({"ConfigurationToken": vec.token}))[0]
                        seen = (got.Name, got.Encoding, got.Resolution.Height, got.Resolution.Width, got.GovLength)
                        want = (name, o.Encoding, res.Height, res.Width, cfg["GovLength"] if cfg["GovLength"] is not None else got.GovLength)
                        check(seen == want, f"{vec.token} after SetVideoEncoderConfiguration {name}: (Name, Encoding, Height, Width, GovLength) {seen}, set {want}")
                        notes.append(f"{vec.token} {o.Encoding} {res.Width}x{res.Height}")
    finally:
        for v in saved:
            with contextlib.suppress(Pending):
                await write(m.SetVideoEncoderConfiguration({"Configuration": v}), "SetVideoEncoderConfiguration")
    ctx.note("; ".join(notes))


def topic_expression(topic: str):
    """A wsnt:TopicExpression element (wsnt:FilterType is xs:any to zeep)."""
    from lxml import etree

    te = etree.Element(f"{{{WSNT}}}TopicExpression", Dialect=CONCRETE_SET, nsmap={"wsnt": WSNT, "tns1": TNS1})
    te.text = topic
    return te


@m2case("MEDIA2-8-1-1")
async def modify_metadata_configurations(ctx):
    m = await media2(ctx)
    await metadata_supported(m)
    metas = await m.GetMetadataConfigurations({})
    check(metas, "GetMetadataConfigurations lists none")
    services = await offered(ctx)
    ptz, analytics = TPTZ in services, ANALYTICS in services
    saved = [plain(c) for c in metas]
    try:
        async with Changes(ctx) as ev:
            await ev.open("tns1:Media/ConfigurationChanged")
            for meta, base in zip(metas, saved):
                o = await m.GetMetadataConfigurationOptions({"ConfigurationToken": meta.token})
                comp = list(getattr(o.Extension, "CompressionType", None) or []) if o.Extension is not None else []
                f = o.PTZStatusFilterOptions
                for step in (1, 2):
                    cfg = {"token": meta.token, "Name": f"TestName{step}", "UseCount": meta.UseCount,
                           "Multicast": base.get("Multicast"), "SessionTimeout": base.get("SessionTimeout")}
                    if comp:
                        cfg["CompressionType"] = comp[0] if step == 1 or len(comp) < 2 else comp[1]
                    if ptz:
                        if step == 1 and f is not None:
                            pos = f.PanTiltPositionSupported is not None or f.ZoomPositionSupported is not None
                            cfg["PTZStatus"] = {"Status": bool(f.PanTiltStatusSupported or f.ZoomStatusSupported),
                                                "Position": bool(pos and (f.ZoomPositionSupported or f.PanTiltPositionSupported))}
                        else:
                            cfg["PTZStatus"] = {"Status": False, "Position": False}
                    if step == 1:
                        cfg["Events"] = {"Filter": {"_value_1": [topic_expression("tns1:Media/ConfigurationChanged")]}}
                    if analytics:
                        cfg["Analytics"] = step == 1
                    await write(m.SetMetadataConfiguration({"Configuration": cfg}), "SetMetadataConfiguration")
                    await ev.configuration_changed(meta.token, "Metadata")
                    got = plain((await m.GetMetadataConfigurations({"ConfigurationToken": meta.token}))[0])
                    check(got["token"] == meta.token and got["Name"] == cfg["Name"], f"{meta.token}: Name {got['Name']!r}, set {cfg['Name']!r}")
                    if comp:
                        check(got.get("CompressionType") == cfg["CompressionType"], f"{meta.token}: CompressionType {got.get('CompressionType')}")
                    if ptz:
                        d = diff(got.get("PTZStatus"), cfg["PTZStatus"])
                        check(d is None, f"{meta.token}: PTZStatus differs at {d}")
                    check((got.get("Events") is not None) == (step == 1), f"{meta.token}: Events {'missing' if step == 1 else 'still present'}")
                    if analytics:
                        check(bool(got.get("Analytics")) == cfg["Analytics"], f"{meta.token}: Analytics {got.get('Analytics')}")
                    d = diff(got.get("Multicast"), cfg["Multicast"])
                    check(d is None, f"{meta.token}: Multicast differs at {d}")
    finally:
        for c in saved:
            with contextlib.suppress(Pending):
                await write(m.SetMetadataConfiguration({"Configuration": c}), "SetMetadataConfiguration")


# --- PTZ (MEDIA2-4-1-2) -----------------------------------------------------------------------


SPACES = ("AbsolutePanTiltPositionSpace", "AbsoluteZoomPositionSpace", "RelativePanTiltTranslationSpace",
          "RelativeZoomTranslationSpace", "ContinuousPanTiltVelocitySpace", "ContinuousZoomVelocitySpace")
DEFAULTS = {"AbsolutePanTiltPositionSpace": "DefaultAbsolutePantTiltPositionSpace",
            "AbsoluteZoomPositionSpace": "DefaultAbsoluteZoomPositionSpace",
            "RelativePanTiltTranslationSpace": "DefaultRelativePanTiltTranslationSpace",
            "RelativeZoomTranslationSpace": "DefaultRelativeZoomTranslationSpace",
            "ContinuousPanTiltVelocitySpace": "DefaultContinuousPanTiltVelocitySpace",
            "ContinuousZoomVelocitySpace": "DefaultContinuousZoomVelocitySpace"}
PTZ_FIELDS = ("Name", "NodeToken", *DEFAULTS.values(), "DefaultPTZSpeed", "DefaultPTZTimeout")


def other_than(items, current):
    """The first item whose URI differs from `current` (if possible)."""
    return next((i for i in items if i.URI != current), items[0])


@m2case("MEDIA2-4-1-2", requires=(MEDIA2, TPTZ))
async def dynamic_profile_for_ptz(ctx):
    m = await media2(ctx)
    cam = await ctx.camera()
    ptz = await cam.create_ptz_service()
    caps = await ptz.GetServiceCapabilities()
    if not (caps is not None and caps.GetCompatibleConfigurations):
        raise NotApplicable("PTZ capability GetCompatibleConfigurations is not true")
    ps = [p for p in await profiles(m, "VideoSource", "PTZ") if "VideoSource" in confs(p)]
    removed = {p.token: confs(p)["PTZ"].token for p in ps if "PTZ" in confs(p)}
    saved = {c.token: plain(c) for c in await ptz.GetConfigurations() or []}
    n = 0
    try:
        for token in removed:
            await write(m.RemoveConfiguration({"ProfileToken": token, "Configuration": [{"Type": "PTZ"}]}), "RemoveConfiguration")
        async with Changes(ctx) as ev:
            await ev.open("tns1:Media/ProfileChanged", "tns1:Media/ConfigurationChanged")
            for p in ps:
                for pc in await ptz.GetCompatibleConfigurations({"ProfileToken": p.token}) or []:
                    await write(m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "PTZ", "Token": pc.token}]}), "AddConfiguration")
                    await ev.profile_changed(p.token)
                    o = await ptz.GetConfigurationOptions({"ConfigurationToken": pc.token})
                    sp = o.Spaces
                    for s in SPACES:
                        uris = [i.URI for i in getattr(sp, s, None) or []]
                        check(len(uris) == len(set(uris)), f"{pc.token} options: {s} URIs repeated: {uris}")
                    cfg = {"token": pc.token, "Name": f"TestName{n}", "UseCount": pc.UseCount, "NodeToken": pc.NodeToken,
                           "DefaultPTZTimeout": o.PTZTimeout.Min}
                    for s, field in DEFAULTS.items():
                        items = getattr(sp, s, None) or []
                        if items:
                            cfg[field] = other_than(items, getattr(pc, field, None)).URI
                    speed = {}
                    cur = pc.DefaultPTZSpeed
                    if sp.PanTiltSpeedSpace:
                        it = other_than(sp.PanTiltSpeedSpace, getattr(getattr(cur, "PanTilt", None), "space", None))
                        speed["PanTilt"] = {"x": it.XRange.Max, "y": it.XRange.Min, "space": it.URI}
                    if sp.ZoomSpeedSpace:
                        it = other_than(sp.ZoomSpeedSpace, getattr(getattr(cur, "Zoom", None), "space", None))
                        speed["Zoom"] = {"x": it.XRange.Max, "space": it.URI}
                    if speed:
                        cfg["DefaultPTZSpeed"] = speed
                    n += 1
                    await ptz.SetConfiguration({"PTZConfiguration": cfg, "ForcePersistence": False})
                    await ev.configuration_changed(pc.token, "PTZ")
                    got = plain(await ptz.GetConfiguration({"PTZConfigurationToken": pc.token}))
                    d = diff({k: got.get(k) for k in PTZ_FIELDS if k in cfg}, {k: cfg[k] for k in PTZ_FIELDS if k in cfg})
                    check(d is None, f"{pc.token} after SetConfiguration differs at {d}")
                    prof = await one_profile(m, p.token, "All")
                    inprof = confs(prof).get("PTZ")
                    check(inprof is not None and inprof.token == pc.token, f"profile {p.token}: PTZ is not {pc.token}")
                    d = diff({k: plain(inprof).get(k) for k in PTZ_FIELDS if k in cfg}, {k: cfg[k] for k in PTZ_FIELDS if k in cfg})
                    check(d is None, f"profile {p.token}: its PTZ configuration differs from the one set at {d}")
                    await write(m.RemoveConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "PTZ"}]}), "RemoveConfiguration")
                    await ev.profile_changed(p.token)
                    prof = await one_profile(m, p.token, "PTZ")
                    check("PTZ" not in confs(prof), f"profile {p.token}: PTZ still there after RemoveConfiguration")
    finally:
        for c in saved.values():
            await ptz.SetConfiguration({"PTZConfiguration": c, "ForcePersistence": True})
        for token, ptok in removed.items():
            with contextlib.suppress(Pending):
                await write(m.AddConfiguration({"ProfileToken": token, "Configuration": [{"Type": "PTZ", "Token": ptok}]}), "AddConfiguration")
    ctx.note(f"{n} PTZ configuration(s) added, set and removed on {len(ps)} profile(s)")
