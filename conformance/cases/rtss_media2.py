"""ONVIF Real Time Streaming using Media2 Device Test Specification (MEDIA2_RTSS-*), H.264
video: unicast over RTP/UDP, the RTSP-over-HTTP tunnel and RTSP interleaved TCP, the
synchronization point, the guaranteed encoder instances streamed at once, and RTP-Multicast
over IPv4 in network namespaces (as cases/rtss_multicast.py, sharing its namespace pair and
camera).

Each case follows the specification's helper procedures: the media profile is found (or
composed) for H.264 (HelperFindMediaProfileForVideoStreaming), its encoder set for streaming
(HelperSetVEC: the smallest GOV length, the highest H.264 profile, the resolution closest to
640x480, the frame rate closest to 25, the lowest quality), the stream URI asked with Media2's
protocol names and checked (HelperGetStreamUri), the RTSP server asked anonymously first (401
with a Digest challenge: HelperRTSPAuthenticationCheck), the DESCRIBE's addresses checked for
IPv4 (HelperIPAddressTypeInRTSP), then DESCRIBE/SETUP/PLAY/TEARDOWN with every RTP and RTCP
packet checked (cases/rtss.py). Each case puts back the encoder configuration and the
profiles it changed.

While Media2's write side answers ActionNotSupported (cases/media2.py, WRITES_PENDING), the
unicast streaming cases still stream the profile as it is configured and then report PENDING
with what they measured; the cases whose later steps need the write (synchronization point,
multicast group, profiles created) are PENDING at that step.
"""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urlsplit

from zeep.helpers import serialize_object

from conformance.cases import rtss, rtss_multicast
from conformance.cases.media2 import MEDIA2, confs, m2case, media2, profiles, write
from conformance.harness import Failed, Pending, check, udp_receive_drops
from conformance.rtsp_client import RtspClient

REQUIRES = (MEDIA2,)
STREAM_SECS = rtss.STREAM_SECS
H264_PROFILES = ("High", "Extended", "Main", "Baseline")

RULES = []


# --- profile and encoder (the specification's helpers) -------------------------------------


class Restore:
    """What a case changed: encoder configurations (as read before the first Set), profile
    configurations added or removed, profiles created. `undo` puts them back in reverse."""

    def __init__(self, m):
        self.m = m
        self.vecs: dict[str, dict] = {}
        self.steps: list = []

    def saved_vec(self, vec) -> None:
        self.vecs.setdefault(vec.token, serialize_object(vec, dict))

    async def undo(self) -> None:
        for kind, *args in reversed(self.steps):
            if kind == "added":  # (profile, type, previous token or None)
                profile, ctype, previous = args
                if previous is None:
                    await self.m.RemoveConfiguration({"ProfileToken": profile, "Configuration": [{"Type": ctype}]})
                else:
                    await self.m.AddConfiguration({"ProfileToken": profile, "Configuration": [{"Type": ctype, "Token": previous}]})
            elif kind == "removed":  # (profile, [(type, token)])
                profile, refs = args
                await self.m.AddConfiguration({"ProfileToken": profile, "Configuration": [{"Type": t, "Token": k} for t, k in refs]})
            elif kind == "created":  # (profile)
                await self.m.DeleteProfile({"Token": args[0]})
            elif kind == "deleted":  # (name, [(type, token)])
                name, refs = args
                await self.m.CreateProfile({"Name": name, "Configuration": [{"Type": t, "Token": k} for t, k in refs]})
        self.steps.clear()
        for v in self.vecs.values():
            await self.m.SetVideoEncoderConfiguration({"Configuration": v})
        self.vecs.clear()


async def add_configuration(m, restore: Restore, profile, ctype: str, token: str) -> None:
    previous = confs(profile).get(ctype)
    await write(m.AddConfiguration({"ProfileToken": profile.token, "Configuration": [{"Type": ctype, "Token": token}]}), "AddConfiguration")
    restore.steps.append(("added", profile.token, ctype, previous.token if previous is not None else None))


async def remove_configurations(m, restore: Restore, profile, types) -> None:
    """HelperRemoveConfigurationsFromMediaProfile: one RemoveConfiguration of the listed types
    the profile holds."""
    held = confs((await profiles(m, "All", token=profile.token))[0])
    refs = [(t, held[t].token) for t in types if t in held]
    if refs:
        await write(m.RemoveConfiguration({"ProfileToken": profile.token, "Configuration": [{"Type": t} for t, _ in refs]}),
                    "RemoveConfiguration")
        restore.steps.append(("removed", profile.token, refs))


async def options_for(m, vec_token: str, profile_token: str, encoding: str):
    opts = await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": vec_token, "ProfileToken": profile_token})
    return next((o for o in opts or [] if o.Encoding == encoding), None)


async def find_profile(m, restore: Restore, encoding: str = "H264"):
    """HelperFindMediaProfileForVideoStreaming: (profile, options for `encoding`)."""
    ps = await profiles(m, "VideoSource", "VideoEncoder")
    for p in ps:
        c = confs(p)
        if {"VideoSource", "VideoEncoder"} <= set(c):
            o = await options_for(m, c["VideoEncoder"].token, p.token, encoding)
            if o is not None:
                return p, o
    seen = set()
    for p in ps:
        c = confs(p)
        if "VideoSource" not in c or c["VideoSource"].token in seen:
            continue
        seen.add(c["VideoSource"].token)
        for vec in await m.GetVideoEncoderConfigurations({"ProfileToken": p.token}):
            o = await options_for(m, vec.token, p.token, encoding)
            if o is not None:
                await add_configuration(m, restore, p, "VideoEncoder", vec.token)
                return (await profiles(m, "All", token=p.token))[0], o
    check(ps, "GetProfiles lists no profile")
    p = ps[0]
    await remove_configurations(m, restore, p, list(confs((await profiles(m, "All", token=p.token))[0])))
    for vsc in await m.GetVideoSourceConfigurations({"ProfileToken": p.token}):
        await add_configuration(m, restore, p, "VideoSource", vsc.token)
        for vec in await m.GetVideoEncoderConfigurations({"ProfileToken": p.token}):
            o = await options_for(m, vec.token, p.token, encoding)
            if o is not None:
                await add_configuration(m, restore, p, "VideoEncoder", vec.token)
                return (await profiles(m, "All", token=p.token))[0], o
    raise Failed(f"no profile can be given a {encoding} video encoder configuration")


def closest_resolution(opts, w=640, h=480):
    return min(opts.ResolutionsAvailable, key=lambda r: (abs(r.Width * r.Height - w * h), abs(r.Width - w)))


def streaming_vec(vec, opts, multicast=None) -> dict:
    """HelperSetVEC's configuration for streaming."""
    c = serialize_object(vec, dict)
    gov = list(opts.GovLengthRange or [])
    c["GovLength"] = min(gov) if gov else None
    profs = list(opts.ProfilesSupported or [])
    c["Profile"] = next((p for p in H264_PROFILES if p in profs), profs[0] if profs else None)
    c["Encoding"] = opts.Encoding
    r = closest_resolution(opts)
    c["Resolution"] = {"Width": r.Width, "Height": r.Height}
    rates = [f for f in opts.FrameRatesSupported or [] if f > 1]
    if rates or vec.RateControl is not None:
        rc = c.get("RateControl") or {}
        bitrate = rc.get("BitrateLimit") or 0
        if opts.BitrateRange is not None:
            bitrate = min(max(bitrate, opts.BitrateRange.Min), opts.BitrateRange.Max)
        c["RateControl"] = {
            "ConstantBitRate": bool(opts.ConstantBitRateSupported),
            "FrameRateLimit": min(rates, key=lambda f: abs(f - 25)) if rates else rc.get("FrameRateLimit"),
            "BitrateLimit": bitrate,
        }
    if multicast is not None:
        c["Multicast"] = multicast
    c["Quality"] = opts.QualityRange.Min
    return c


async def set_vec(m, restore: Restore, profile, opts, multicast=None) -> dict:
    vec = confs(profile)["VideoEncoder"]
    c = streaming_vec(vec, opts, multicast)
    await write(m.SetVideoEncoderConfiguration({"Configuration": c}), "SetVideoEncoderConfiguration")
    restore.saved_vec(vec)
    return c


async def get_stream_uri(ctx, m, protocol: str, token: str, web_port: int) -> str:
    """HelperGetStreamUri (IPv4)."""
    uri = await m.GetStreamUri({"Protocol": protocol, "ProfileToken": token})
    check(uri, f"GetStreamUri {protocol}: empty Uri")
    check(len(uri.encode()) <= 128, f"GetStreamUri {protocol}: {len(uri.encode())} octets (more than 128): {uri}")
    check("@" not in uri, f"GetStreamUri {protocol}: credentials in {uri}")
    u = urlsplit(uri)
    check(u.hostname and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", u.hostname), f"GetStreamUri {protocol}: {uri} does not name an IPv4 address")
    if protocol == "RtspOverHttp":
        check(u.scheme == "http" and (u.port or 80) == web_port,
              f"GetStreamUri RtspOverHttp: {uri}; the spec (HelperGetStreamUri) needs the web service's scheme and port "
              f"(http, {web_port})")
    else:
        check(u.scheme == "rtsp", f"GetStreamUri {protocol}: scheme of {uri} is not rtsp")
    return uri


# --- RTSP checks ----------------------------------------------------------------------------


IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def check_ip_types(resp, sdp: str) -> None:
    """HelperIPAddressTypeInRTSP for an IPv4 stream URI."""
    for name in ("content-base", "content-location"):
        v = resp.header(name)
        host = (urlsplit(v).hostname or "") if v else ""
        if IPV4.match(host) or ":" in host:  # an IP literal, not a name
            check(IPV4.match(host), f"{name} {v} is not IPv4")
    for ctrl in re.findall(r"^a=control:(\S+)", sdp, re.M):
        if ctrl.startswith("rtsp://"):
            host = urlsplit(ctrl).hostname or ""
            check(":" not in host, f"a=control {ctrl} is not IPv4")
    for line in re.findall(r"^o=.*$", sdp, re.M):
        f = line.split()
        check(len(f) >= 6 and f[4] == "IP4" and IPV4.match(f[5]), f"SDP origin {line!r} is not IP4 with an IPv4 address")
    for line in re.findall(r"^c=.*$", sdp, re.M):
        f = line.split()
        check(len(f) >= 3 and f[1] == "IP4" and IPV4.match(f[2].split("/")[0]), f"SDP connection {line!r} is not IP4 with an IPv4 address")


async def describe_checks(ctx, uri: str, media: str = "video", encoding: str = "H264") -> str:
    """The DESCRIBE steps: anonymous first (HelperRTSPAuthenticationCheck: 401 with a Digest
    challenge), then with Digest: the media with its rtpmap and not sendonly, IPv4 addresses.
    Returns the SDP."""
    # An RtspOverHttp URI (http://, the web service's port) is asked through the HTTP tunnel.
    tunnel = uri.startswith("http://")
    c = RtspClient(uri.replace("http://", "rtsp://", 1) if tunnel else uri, ctx.user, ctx.password, tunnel=tunnel)
    await c.connect()
    try:
        anon = await c.request("DESCRIBE", headers={"Accept": "application/sdp"}, auth=False)
        check(anon.status == 401, f"anonymous DESCRIBE answered {anon.status} {anon.reason}, not 401")
        www = anon.header("www-authenticate") or ""
        check(re.search(r"(^|,\s*)Digest ", www), f"401 without a WWW-Authenticate: Digest challenge: {www!r}")
        d = await c.describe()
        check(d.status == 200, f"DESCRIBE {d.status} {d.reason}")
        sdp = d.body.decode()
        section = sdp.split(f"m={media}", 1)
        check(len(section) == 2, f"SDP without m={media}")
        check(re.search(rf"a=rtpmap:\d+ {encoding}/", section[1]), f"SDP m={media} without a=rtpmap {encoding}")
        check("a=sendonly" not in sdp, "SDP with a=sendonly")
        check_ip_types(d, sdp)
        return sdp
    finally:
        await c.close()


async def stream(ctx, uri: str, transport: str) -> str:
    """DESCRIBE, SETUP, PLAY (cases/rtss.py's checks of every answer), STREAM_SECS of media
    with every RTP and RTCP packet checked, TEARDOWN."""
    await describe_checks(ctx, uri)
    drops0 = udp_receive_drops()
    c, seen = await rtss.play(ctx, uri, transport)
    try:
        await asyncio.sleep(STREAM_SECS)
        note = rtss.check_media(c, seen) + f", {udp_receive_drops() - drops0} RcvbufErrors host-wide"
        check(not c._tasks[0].done(), "RTSP connection closed by the camera during streaming")
        t = await c.teardown()
        check(t.status == 200, f"TEARDOWN {t.status}")
        return note
    finally:
        await c.close()


# --- unicast --------------------------------------------------------------------------------


async def unicast_case(ctx, protocol: str, transport: str) -> None:
    m = await media2(ctx)
    restore = Restore(m)
    deferred: Pending | None = None
    try:
        p, opts = await find_profile(m, restore)
        try:
            await set_vec(m, restore, p, opts)
        except Pending as e:
            # The encoder cannot be set yet: the streaming steps run on the profile as it is.
            deferred = e
        uri = await get_stream_uri(ctx, m, protocol, p.token, ctx.nvt.http_port)
        vec = confs((await profiles(m, "VideoEncoder", token=p.token))[0])["VideoEncoder"]
        ctx.note(f"profile {p.token}, {vec.Encoding} {vec.Resolution.Width}x{vec.Resolution.Height}: " + await stream(ctx, uri, transport))
    finally:
        await restore.undo()
    if deferred is not None:
        raise deferred


@m2case("MEDIA2_RTSS-1-1-1")
async def h264_udp(ctx):
    await unicast_case(ctx, "RtspUnicast", "udp")


@m2case("MEDIA2_RTSS-1-1-2")
async def h264_http(ctx):
    await unicast_case(ctx, "RtspOverHttp", "http")


@m2case("MEDIA2_RTSS-1-1-3")
async def h264_tcp(ctx):
    await unicast_case(ctx, "RTSP", "tcp")


@m2case("MEDIA2_RTSS-1-1-4")
async def set_synchronization_point(ctx):
    m = await media2(ctx)
    restore = Restore(m)
    try:
        p, opts = await find_profile(m, restore)
        vec = await set_vec(m, restore, p, opts)
        # 'I-frame insertion time interval' (Annex): the client configures a GOV length large
        # enough for a clear gap between I-frames: the range's maximum.
        gov = list(opts.GovLengthRange or [])
        if gov:
            vec = dict(vec, GovLength=max(gov))
            await write(m.SetVideoEncoderConfiguration({"Configuration": vec}), "SetVideoEncoderConfiguration")
        fps = (vec.get("RateControl") or {}).get("FrameRateLimit") or 25
        interval = (vec.get("GovLength") or fps * 2) / fps
        uri = await get_stream_uri(ctx, m, "RtspUnicast", p.token, ctx.nvt.http_port)
        await describe_checks(ctx, uri)
        c, seen = await rtss.play(ctx, uri, "udp")
        try:
            await asyncio.sleep(1.0)
            check(c.rtp(), "no RTP over UDP")
            check(c.rtcp_sender_reports(), "no RTCP sender report in the first second")
            # 'I-frame insertion time interval': wait for an I-frame, then at once the
            # request, with a timer shorter than the interval started at that I-frame.
            start = time.monotonic()
            while not (idr := first_idr_after(c, start)):
                check(time.monotonic() - start < 2 * interval + 1, f"no I-frame within {2 * interval + 1:.1f} s")
                await asyncio.sleep(0.005)
            seen_at = idr[1]
            asked = time.monotonic()
            await write(m.SetSynchronizationPoint({"ProfileToken": p.token}), "SetSynchronizationPoint")
            timeout = interval * 0.75
            await asyncio.sleep(max(0.0, seen_at + timeout - time.monotonic()))
            nxt = first_idr_after(c, asked, not_ts=idr[0])
            check(nxt and nxt[1] < seen_at + timeout,
                  f"no I-frame within {timeout:.2f} s of the last one after SetSynchronizationPoint "
                  f"(GOV {vec.get('GovLength')} at {fps} fps: {interval:.1f} s)")
            after = [nxt[1]]
            ctx.note(f"I-frame {1000 * (after[0] - asked):.0f} ms after SetSynchronizationPoint (I-frame interval {interval:.1f} s)")
            t = await c.teardown()
            check(t.status == 200, f"TEARDOWN {t.status}")
        finally:
            await c.close()
    finally:
        await restore.undo()


def first_idr_after(c, t: float, not_ts: int | None = None):
    """(RTP timestamp, arrival) of the first I-frame whose first packet arrived after `t`
    (packets of one frame share a timestamp; `not_ts`: a frame to skip)."""
    first: dict[int, float] = {}
    for x in c.rtp():
        if 5 in x.nal_types():
            first.setdefault(x.timestamp, x.at)
    for ts, at in first.items():
        if at > t and ts != not_ts:
            return ts, at
    return None


# --- encoder instances (MEDIA2_RTSS-1-1-23/24) ----------------------------------------------


def instances_for(info, encoding: str | None) -> int:
    """HelperNumberOfInstansesForEncoding (encoding None: Total)."""
    if encoding is not None:
        for c in info.Codec or []:
            if c.Encoding == encoding:
                return c.Number
    return info.Total


async def instances_case(ctx, encoding: str | None) -> None:
    m = await media2(ctx)
    list1 = await profiles(m, "All")
    cap = await m.GetServiceCapabilities()
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    infos = {v.token: await m.GetVideoEncoderInstances({"ConfigurationToken": v.token}) for v in vscs}
    vecs = await m.GetVideoEncoderConfigurations({})
    wanted = {t: instances_for(i, encoding) for t, i in infos.items()}
    total = sum(wanted.values())
    fixed = sum(1 for p in list1 if p.fixed)
    check(total <= cap.ProfileCapabilities.MaximumNumberOfProfiles - fixed,
          f"{total} profiles to create, MaximumNumberOfProfiles {cap.ProfileCapabilities.MaximumNumberOfProfiles}, {fixed} fixed")
    check(total <= len(vecs), f"{total} profiles to create, {len(vecs)} video encoder configurations")
    restore = Restore(m)
    clients = []
    try:
        # HelperMediaProfilesCleanUp: fixed profiles emptied, the others deleted.
        for p in list1:
            refs = [(t, c.token) for t, c in confs(p).items()]
            if p.fixed:
                await write(m.RemoveConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "All"}]}), "RemoveConfiguration")
                if refs:
                    restore.steps.append(("removed", p.token, refs))
            else:
                await write(m.DeleteProfile({"Token": p.token}), "DeleteProfile")
                restore.steps.append(("deleted", p.Name, refs))
        configured: list = []
        used: set[str] = set()
        for vsc in vscs:
            mine: list = []
            while len(mine) < wanted[vsc.token]:
                token = await write(m.CreateProfile({"Name": "testMedia"}), "CreateProfile")
                restore.steps.append(("created", token))
                compatible = await m.GetVideoSourceConfigurations({"ProfileToken": token})
                check(vsc.token in [c.token for c in compatible], f"{vsc.token} not compatible with the new profile {token}")
                await write(m.AddConfiguration({"ProfileToken": token, "Configuration": [{"Type": "VideoSource", "Token": vsc.token}]}), "AddConfiguration")
                cand = [v for v in await m.GetVideoEncoderConfigurations({"ProfileToken": token}) if v.token not in used]
                check(cand, f"no unused video encoder configuration for profile {len(mine) + 1} of {vsc.token}")
                pick = None
                for v in cand:
                    for o in await m.GetVideoEncoderConfigurationOptions({"ConfigurationToken": v.token, "ProfileToken": token}) or []:
                        if encoding is not None:
                            ok = o.Encoding == encoding
                        else:
                            limit = next((c.Number for c in infos[vsc.token].Codec or [] if c.Encoding == o.Encoding), None)
                            ok = limit is None or sum(1 for e in mine if e[1] == o.Encoding) < limit
                        if ok:
                            pick = (v, o)
                            break
                    if pick:
                        break
                check(pick, f"no video encoder configuration for profile {len(mine) + 1} of {vsc.token}")
                v, o = pick
                r = o.ResolutionsAvailable[0]
                await write(m.SetVideoEncoderConfiguration({"Configuration": {
                    "token": v.token, "Name": v.Name, "UseCount": v.UseCount, "Encoding": o.Encoding,
                    "Resolution": {"Width": r.Width, "Height": r.Height}, "Multicast": serialize_object(v.Multicast, dict),
                    "Quality": o.QualityRange.Min}}), "SetVideoEncoderConfiguration")
                restore.saved_vec(v)
                await write(m.AddConfiguration({"ProfileToken": token, "Configuration": [{"Type": "VideoEncoder", "Token": v.token}]}), "AddConfiguration")
                used.add(v.token)
                mine.append((token, o.Encoding))
            configured += mine
        # HelperStreamingRTPUnicastUDPInstances: every profile streamed at once.
        drops0 = udp_receive_drops()
        for token, enc in configured:
            uri = await get_stream_uri(ctx, m, "RtspUnicast", token, ctx.nvt.http_port)
            await describe_checks(ctx, uri, encoding=enc)
            clients.append(await rtss.play(ctx, uri, "udp"))
        await asyncio.sleep(STREAM_SECS)
        for c, seen in clients:
            check(not c._tasks[0].done(), "RTSP connection closed by the camera during streaming")
            rtss.check_media(c, seen)
        for c, _ in clients:
            t = await c.teardown()
            check(t.status == 200, f"TEARDOWN {t.status}")
        ctx.note(f"{len(configured)} profiles streamed at once ({', '.join(f'{t} {e}' for t, e in configured)}), "
                 f"{udp_receive_drops() - drops0} RcvbufErrors host-wide")
    finally:
        for c, _ in clients:
            await c.close()
        await restore.undo()


@m2case("MEDIA2_RTSS-1-1-23", disruptive=True)
async def encoder_instances(ctx):
    await instances_case(ctx, None)


@m2case("MEDIA2_RTSS-1-1-24", disruptive=True)
async def encoder_instances_h264(ctx):
    await instances_case(ctx, "H264")


# --- multicast (MEDIA2_RTSS-1-2-1) ---------------------------------------------------------


@m2case("MEDIA2_RTSS-1-2-1")
async def h264_multicast(ctx):
    pair, cam = await rtss_multicast.camera_pair(ctx)

    async def steps():
        m = await media2(ctx, pair.server_ip, cam.http_port)
        restore = Restore(m)
        try:
            p, opts = await find_profile(m, restore)
            await remove_configurations(m, restore, p, ("AudioEncoder", "Metadata"))
            addr, port = "239.20.41.1", 40400
            vec = await set_vec(m, restore, p, opts, multicast={
                "Address": {"Type": "IPv4", "IPv4Address": addr}, "Port": port, "TTL": 1, "AutoStart": False})
            uri = await get_stream_uri(ctx, m, "RtspMulticast", p.token, cam.http_port)
            await describe_checks(ctx, uri)
            c, seen = await rtss_multicast.rtsp_multicast(ctx, uri)
            try:
                check((seen["dest"], seen["ports"]) == (addr, (port, port + 1)), f"SETUP reply {seen['transport']!r}, configured {addr}:{port}")
                rx = rtss_multicast.GroupReceiver(addr, port, pair.client_ip)
                try:
                    drops0 = rtss_multicast.receive_drops()
                    await rtss_multicast.play(c)
                    await asyncio.sleep(rtss_multicast.STREAM_SECS)
                    ctx.note(await rtss_multicast.check_group_stream(
                        rx, pair.server_ip, fps=rtss_multicast.fps_of(vec), secs=rtss_multicast.STREAM_SECS,
                        drops=rtss_multicast.receive_drops() - drops0, pt=seen["pt"], ssrc=seen["ssrc"], ttl=1))
                    await rtss_multicast.teardown(c)
                    await rtss_multicast.quiet_after(rx, "TEARDOWN")
                finally:
                    await rx.close()
            finally:
                await c.close()
        finally:
            try:
                await restore.undo()
            finally:
                await m.close()
                await m.cam.close()

    try:
        await rtss_multicast.in_netns(pair.client, steps)
    finally:
        rtss_multicast._arm_idle_stop()
    check(cam.proc.poll() is None, f"nvt died (exit {cam.proc.returncode})")
