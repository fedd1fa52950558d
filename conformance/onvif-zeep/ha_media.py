"""The Media service as Home Assistant's client library drives it, against a running nvt.

usage: ha_media.py HOST PORT USER PASSWORD {wsse|digest} COMMAND [ARGS...]

Commands (each prints one JSON object on the last line of stdout and exits 0 when every
assertion held):
  discover                  GetCapabilities/GetServices list Media; GetProfiles has H.264
                            profiles with a source, an encoder and metadata; stream URIs for
                            every transport; snapshot URI; options; other Get* operations.
  set ENCODER W H [FPS [KBPS [GOV [PROFILE]]]]
                            SetVideoEncoderConfiguration, then read it back.
  invalid                   invalid Set*/Create/Delete/Add values fault with the Media
                            subcodes and change nothing.
  create TOKEN ENCODER      CreateProfile + Add{VideoSource,VideoEncoder,Metadata}Configuration,
                            then GetStreamUri of the new profile.
  profile TOKEN             GetProfile and GetStreamUri (e.g. after a restart).
  delete TOKEN              DeleteProfile.
  set-multicast ENCODER GROUP PORT
                            SetVideoEncoderConfiguration of the multicast group and port.
  set-metadata-multicast CONFIG GROUP PORT [AUTOSTART]
                            SetMetadataConfiguration of the multicast group and port (and
                            AutoStart, true or false, when given).
  add-audio PROFILE         AddAudioSourceConfiguration and AddAudioEncoderConfiguration of
                            the first of each.
  set-audio-multicast CONFIG GROUP PORT AUTOSTART
                            SetAudioEncoderConfiguration of the multicast group, port and
                            AutoStart.
  multicast {start|stop} PROFILE
  sync PROFILE              SetSynchronizationPoint.
"""

import asyncio
import json
import sys

import aiohttp
import isodate
import onvif.client as oc
from onvif import ONVIFCamera
from zeep.exceptions import Fault


ORIGINAL_SESSION = oc.ClientSession


def use_http_digest_only(user, password):
    def session(*args, **kwargs):
        kwargs["middlewares"] = (aiohttp.DigestAuthMiddleware(user, password),)
        return ORIGINAL_SESSION(*args, **kwargs)

    oc.ClientSession = session
    oc.UsernameDigestTokenDtDiff.apply = lambda self, envelope, headers: (envelope, headers)


def subcodes(fault):
    return [q.localname if hasattr(q, "localname") else str(q).split("}")[-1]
            for q in (fault.subcodes or [])]



TT = "{http://www.onvif.org/ver10/schema}"


def deviceio_caps(caps):
    """GetCapabilities' Extension/DeviceIO as {field: text}, or None. zeep puts the element in
    `_value_1` raw: tt:CapabilitiesExtension opens with a lax xs:any, which zeep fills first."""
    ext = caps.Extension
    if ext is None:
        return None
    if ext.DeviceIO is not None:
        return {k: str(v) for k, v in ext.DeviceIO.__values__.items() if v is not None}
    for e in ext._value_1 or []:
        if e.tag == TT + "DeviceIO":
            return {c.tag[len(TT):]: c.text for c in e}
    return None


async def expect_fault(call, *want):
    try:
        await call
    except Fault as f:
        got = subcodes(f)
        assert all(w in got for w in want), (want, got, f.message)
        return got
    raise AssertionError(f"no fault, wanted {want}")


def encoder_summary(c):
    return {
        "token": c.token,
        "name": c.Name,
        "width": c.Resolution.Width,
        "height": c.Resolution.Height,
        "fps": c.RateControl.FrameRateLimit,
        "kbps": c.RateControl.BitrateLimit,
        "gov": c.H264.GovLength,
        "profile": c.H264.H264Profile,
        "quality": c.Quality,
        "multicast": [c.Multicast.Address.IPv4Address, c.Multicast.Port, c.Multicast.TTL],
    }


async def stream_uri(media, token, stream="RTP-Unicast", protocol="RTSP"):
    r = await media.GetStreamUri(
        {"StreamSetup": {"Stream": stream, "Transport": {"Protocol": protocol}},
         "ProfileToken": token}
    )
    assert "@" not in r.Uri, r.Uri  # never credentials
    return r.Uri


async def discover(cam, dm, media, host, port):
    caps = await dm.GetCapabilities({"Category": "All"})
    media_xaddr = f"http://{host}:{port}/onvif/media_service"
    assert caps.Media is not None and caps.Media.XAddr == media_xaddr, caps.Media
    assert caps.Media.StreamingCapabilities.RTP_RTSP_TCP is True, caps.Media
    services = await dm.GetServices({"IncludeCapability": True})
    listed = {s.Namespace: s.XAddr for s in services}
    assert listed.get("http://www.onvif.org/ver10/media/wsdl") == media_xaddr, listed
    # GetCapabilities and GetServices list the same services (HA uses the former), but for
    # Media2 (ver20), which GetCapabilities has no category for.
    media2 = listed.pop("http://www.onvif.org/ver20/media/wsdl", None)
    assert media2 == f"http://{host}:{port}/onvif/media2_service", media2
    # DeviceIO has no category either: the schema puts it under Capabilities/Extension.
    deviceio = deviceio_caps(caps)
    cap_xaddrs = {x.XAddr for x in [caps.Device, caps.Media, caps.Imaging, caps.PTZ, caps.Events] if x}
    cap_xaddrs |= {deviceio["XAddr"]} if deviceio else set()
    assert media2 not in cap_xaddrs, cap_xaddrs
    assert cap_xaddrs == set(listed.values()), (cap_xaddrs, listed)

    scaps = await media.GetServiceCapabilities()
    assert scaps.SnapshotUri is True, scaps

    profiles = await media.GetProfiles()
    # HA: at least one profile with H.264, a source token and a resolution.
    h264 = [p for p in profiles
            if p.VideoEncoderConfiguration and p.VideoEncoderConfiguration.Encoding == "H264"]
    assert h264, profiles
    by_token = {p.token: p for p in profiles}
    for tok, size in (("main", (1280, 720)), ("sub", (640, 360))):
        p = by_token[tok]
        assert p.fixed is True, p
        assert p.VideoSourceConfiguration.SourceToken == "vs0", p
        r = p.VideoEncoderConfiguration.Resolution
        assert (r.Width, r.Height) == size, (tok, r)
        # No metadata track until a client adds the configuration (docs/rtsp.md, "Tracks").
        assert p.MetadataConfiguration is None, p

    uris = {}
    for tok in ("main", "sub"):
        for stream, proto in (("RTP-Unicast", "UDP"), ("RTP-Unicast", "RTSP"),
                              ("RTP-Unicast", "HTTP"), ("RTP-Unicast", "TCP"),
                              ("RTP-Multicast", "UDP")):
            uris[f"{tok}/{stream}/{proto}"] = await stream_uri(media, tok, stream, proto)
    await expect_fault(stream_uri(media, "main", "RTP-Multicast", "RTSP"),
                       "InvalidArgVal", "InvalidStreamSetup")
    await expect_fault(stream_uri(media, "nope"), "InvalidArgVal", "NoProfile")

    snap = await media.GetSnapshotUri({"ProfileToken": "main"})
    assert snap.Uri == f"http://{host}:{port}/snapshot/main", snap.Uri

    sources = await media.GetVideoSources()
    assert [s.token for s in sources] == ["vs0"], sources
    vscs = await media.GetVideoSourceConfigurations()
    assert [v.token for v in vscs] == ["vsc0"] and vscs[0].UseCount == 2, vscs
    vsc = await media.GetVideoSourceConfiguration({"ConfigurationToken": "vsc0"})
    vso = await media.GetVideoSourceConfigurationOptions({"ConfigurationToken": "vsc0"})
    assert vso.VideoSourceTokensAvailable == ["vs0"], vso
    assert vso.BoundsRange.WidthRange.Max == vsc.Bounds.width, (vso, vsc)

    encs = await media.GetVideoEncoderConfigurations()
    assert {e.token for e in encs} == {"venc_main", "venc_sub"}, encs
    opts = await media.GetVideoEncoderConfigurationOptions({"ProfileToken": "main"})
    assert opts.JPEG is None and opts.MPEG4 is None, opts  # only what streams
    sizes = [(r.Width, r.Height) for r in opts.H264.ResolutionsAvailable]
    assert (1280, 720) in sizes and (640, 360) in sizes, sizes
    # tt:VideoEncoderOptionsExtension starts with xs:any, which zeep fills greedily: the
    # H264 options with the bitrate range may land in _value_1.
    if opts.Extension.H264 is not None:
        bitrate = (opts.Extension.H264.BitrateRange.Min, opts.Extension.H264.BitrateRange.Max)
    else:
        tt = "{http://www.onvif.org/ver10/schema}"
        h264 = next(e for e in opts.Extension._value_1 if e.tag == f"{tt}H264")
        bitrate = tuple(int(h264.find(f"{tt}BitrateRange/{tt}{m}").text) for m in ("Min", "Max"))
    assert 0 < bitrate[0] < bitrate[1], bitrate
    compat = await media.GetCompatibleVideoEncoderConfigurations({"ProfileToken": "main"})
    assert len(compat) == 2, compat
    compat = await media.GetCompatibleVideoSourceConfigurations({"ProfileToken": "main"})
    assert len(compat) == 1, compat
    g = await media.GetGuaranteedNumberOfVideoEncoderInstances({"ConfigurationToken": "vsc0"})
    assert g.TotalNumber == 2 and g.H264 == 2, g

    metas = await media.GetMetadataConfigurations()
    assert len(metas) == 1, metas
    meta = await media.GetMetadataConfiguration({"ConfigurationToken": metas[0].token})
    assert meta.UseCount == 0, meta
    await media.GetMetadataConfigurationOptions({"ConfigurationToken": meta.token})
    compat = await media.GetCompatibleMetadataConfigurations({"ProfileToken": "main"})
    assert len(compat) == 1, compat

    await media.SetSynchronizationPoint({"ProfileToken": "main"})
    return {
        "uris": uris,
        "snapshot": snap.Uri,
        "resolutions": sizes,
        "fps_range": [opts.H264.FrameRateRange.Min, opts.H264.FrameRateRange.Max],
        "bitrate_range": list(bitrate),
        "encoders": [encoder_summary(e) for e in encs],
    }


async def set_encoder(media, token, w, h, fps=None, kbps=None, gov=None, profile=None):
    c = await media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
    c.Resolution.Width, c.Resolution.Height = int(w), int(h)
    if fps is not None:
        c.RateControl.FrameRateLimit = int(fps)
    if kbps is not None:
        c.RateControl.BitrateLimit = int(kbps)
    if gov is not None:
        c.H264.GovLength = int(gov)
    if profile is not None:
        c.H264.H264Profile = profile
    await media.SetVideoEncoderConfiguration({"Configuration": c, "ForcePersistence": True})
    back = await media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
    got = encoder_summary(back)
    assert (got["width"], got["height"]) == (int(w), int(h)), got
    return {"encoder": got}


async def invalid(media):
    before = encoder_summary(await media.GetVideoEncoderConfiguration(
        {"ConfigurationToken": "venc_main"}))

    async def try_set(mutate):
        c = await media.GetVideoEncoderConfiguration({"ConfigurationToken": "venc_main"})
        mutate(c)
        return await expect_fault(
            media.SetVideoEncoderConfiguration({"Configuration": c, "ForcePersistence": True}),
            "InvalidArgVal", "ConfigModify")

    def size(c):
        c.Resolution.Width, c.Resolution.Height = 1234, 567

    def fps(c):
        c.RateControl.FrameRateLimit = 1000

    def kbps(c):
        c.RateControl.BitrateLimit = 10**7

    def gov(c):
        c.H264.GovLength = 0

    def prof(c):
        c.H264.H264Profile = "Extended"

    def enc(c):
        c.Encoding = "JPEG"

    def quality(c):
        c.Quality = 99

    def group(c):
        c.Multicast.Address.IPv4Address = "10.1.2.3"

    def name(c):
        c.Name = "x" * 65

    for m in (size, fps, kbps, gov, prof, enc, quality, group, name):
        await try_set(m)
    after = encoder_summary(await media.GetVideoEncoderConfiguration(
        {"ConfigurationToken": "venc_main"}))
    assert before == after, (before, after)

    c = await media.GetVideoEncoderConfiguration({"ConfigurationToken": "venc_main"})
    c.token = "no_such_encoder"
    await expect_fault(media.SetVideoEncoderConfiguration(
        {"Configuration": c, "ForcePersistence": True}), "InvalidArgVal", "NoConfig")
    await expect_fault(media.GetVideoEncoderConfiguration(
        {"ConfigurationToken": "nope"}), "InvalidArgVal", "NoConfig")

    vsc = await media.GetVideoSourceConfiguration({"ConfigurationToken": "vsc0"})
    vsc.Bounds.width = 100
    await expect_fault(media.SetVideoSourceConfiguration(
        {"Configuration": vsc, "ForcePersistence": True}), "InvalidArgVal", "ConfigModify")
    assert (await media.GetVideoSourceConfiguration(
        {"ConfigurationToken": "vsc0"})).Bounds.width == 1280

    await expect_fault(media.DeleteProfile({"ProfileToken": "main"}),
                       "Action", "DeletionOfFixedProfile")
    await expect_fault(media.CreateProfile({"Name": "dup", "Token": "main"}),
                       "InvalidArgVal", "ProfileExists")
    await expect_fault(media.AddVideoEncoderConfiguration(
        {"ProfileToken": "main", "ConfigurationToken": "nope"}), "InvalidArgVal", "NoConfig")
    await expect_fault(media.AddVideoEncoderConfiguration(
        {"ProfileToken": "nope", "ConfigurationToken": "venc_main"}),
        "InvalidArgVal", "NoProfile")
    profiles = await media.GetProfiles()
    assert [p.token for p in profiles] == ["main", "sub"], profiles
    return {"unchanged": after}


async def create(media, token, encoder):
    p = await media.CreateProfile({"Name": f"Created {token}", "Token": token})
    assert p.token == token and p.fixed is False, p
    await expect_fault(stream_uri(media, token), "Action", "IncompleteConfiguration")
    await media.AddVideoSourceConfiguration({"ProfileToken": token, "ConfigurationToken": "vsc0"})
    await media.AddVideoEncoderConfiguration(
        {"ProfileToken": token, "ConfigurationToken": encoder})
    metas = await media.GetMetadataConfigurations()
    await media.AddMetadataConfiguration(
        {"ProfileToken": token, "ConfigurationToken": metas[0].token})
    return await profile(media, token)


async def profile(media, token):
    p = await media.GetProfile({"ProfileToken": token})
    assert p.VideoEncoderConfiguration is not None, p
    assert p.VideoSourceConfiguration.SourceToken == "vs0", p
    return {
        "uri": await stream_uri(media, token),
        "encoder": encoder_summary(p.VideoEncoderConfiguration),
        "metadata": p.MetadataConfiguration.token if p.MetadataConfiguration else None,
    }


async def main():
    host, port, user, password, mode, command, *args = sys.argv[1:]
    if mode == "digest":
        use_http_digest_only(user, password)
    cam = ONVIFCamera(host, int(port), user, password, no_cache=True, adjust_time=True)
    try:
        await cam.update_xaddrs()
        dm = await cam.create_devicemgmt_service()
        media = await cam.create_media_service()
        if command == "discover":
            out = await discover(cam, dm, media, host, port)
        elif command == "set":
            out = await set_encoder(media, *args)
        elif command == "invalid":
            out = await invalid(media)
        elif command == "create":
            out = await create(media, *args)
        elif command == "set-multicast":
            token, group, mport = args
            c = await media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
            c.Multicast.Address.IPv4Address, c.Multicast.Port = group, int(mport)
            await media.SetVideoEncoderConfiguration({"Configuration": c, "ForcePersistence": True})
            out = {"encoder": encoder_summary(
                await media.GetVideoEncoderConfiguration({"ConfigurationToken": token}))}
        elif command == "set-metadata-multicast":
            token, group, mport, *auto = args
            c = await media.GetMetadataConfiguration({"ConfigurationToken": token})
            c.Multicast.Address.IPv4Address, c.Multicast.Port = group, int(mport)
            if auto:
                c.Multicast.AutoStart = auto[0] == "true"
            await media.SetMetadataConfiguration({"Configuration": c, "ForcePersistence": True})
            back = await media.GetMetadataConfiguration({"ConfigurationToken": token})
            # What was on stays on: the Set sent the configuration as read.
            assert (back.Events is None) == (c.Events is None), (c.Events, back.Events)
            out = {"metadata": {"multicast": [back.Multicast.Address.IPv4Address,
                                              back.Multicast.Port],
                                "events": back.Events is not None}}
        elif command == "add-audio":
            token = args[0]
            source = (await media.GetAudioSourceConfigurations())[0].token
            encoder = (await media.GetAudioEncoderConfigurations())[0].token
            await media.AddAudioSourceConfiguration(
                {"ProfileToken": token, "ConfigurationToken": source})
            await media.AddAudioEncoderConfiguration(
                {"ProfileToken": token, "ConfigurationToken": encoder})
            p = await media.GetProfile({"ProfileToken": token})
            assert p.AudioEncoderConfiguration.token == encoder, p
            out = {"audio": [source, encoder]}
        elif command == "set-audio-multicast":
            token, group, mport, auto = args
            c = await media.GetAudioEncoderConfiguration({"ConfigurationToken": token})
            c.Multicast.Address.IPv4Address, c.Multicast.Port = group, int(mport)
            c.Multicast.AutoStart = auto == "true"
            await media.SetAudioEncoderConfiguration({"Configuration": c, "ForcePersistence": True})
            back = await media.GetAudioEncoderConfiguration({"ConfigurationToken": token})
            out = {"audio": {"multicast": [back.Multicast.Address.IPv4Address,
                                           back.Multicast.Port, back.Multicast.AutoStart]}}
        elif command == "set-session-timeout":
            token, timeout = args
            c = await media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
            c.SessionTimeout = isodate.parse_duration(timeout)
            await media.SetVideoEncoderConfiguration({"Configuration": c, "ForcePersistence": True})
            back = await media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
            # zeep maps xs:duration to a timedelta (isodate).
            out = {"session_timeout_secs": back.SessionTimeout.total_seconds()}
        elif command == "delete":
            await media.DeleteProfile({"ProfileToken": args[0]})
            await expect_fault(media.GetProfile({"ProfileToken": args[0]}),
                               "InvalidArgVal", "NoProfile")
            out = {"deleted": args[0]}
        elif command == "profile":
            out = await profile(media, *args)
        elif command == "multicast":
            action, token = args
            req = {"ProfileToken": token}
            if action == "start":
                await media.StartMulticastStreaming(req)
            else:
                await media.StopMulticastStreaming(req)
            out = {"multicast": action}
        elif command == "sync":
            await media.SetSynchronizationPoint({"ProfileToken": args[0]})
            out = {"sync": args[0]}
        else:
            raise SystemExit(f"unknown command {command}")
    finally:
        await cam.close()
    print(json.dumps(out))


asyncio.run(main())
