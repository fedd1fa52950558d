"""ONVIF Real Time Streaming Test Specification, multicast audio: RTSS-2-2-9/10 (each audio
encoder configuration's multicast port / address, set, read back and streamed with
Start/StopMulticastStreaming in a profile beside the video), RTSS-5-1-9 (video and G.711 to one
group and port, as the spec sets them, with Start/StopMulticastStreaming: one receiver, the
streams told apart by payload type), RTSS-3-2-16 (video and G.711
over RTP-Multicast/UDP through RTSP), RTSS-3-2-22/23 (video and audio encoder configurations on
different ports / different groups, StartMulticastStreaming), and the steps of RTSS-2-2-11
(G.711 alone; not registered while the device does not stream an audio-only profile), and
Media2's MEDIA2_RTSS-5-2-1 (H.264 and PCMU, each its group, through RtspMulticast). Runs in the RTP-Multicast namespace pair and camera of
cases/rtss_multicast.py (the camera in the server namespace, every client step in the client
one).

RTSS-2-2-11's steps are the spec's: CreateProfile `testprofileX`, the first compatible audio source
configuration, a compatible audio encoder configuration whose options list G711, its
SetAudioEncoderConfiguration to G711 with the options' bitrate and sample rate and a
multicast group, port, TTL and session timeout, GetStreamUri (RTP-Multicast, UDP), DESCRIBE,
SETUP RTP-Multicast, PLAY; the receivers bind to the configured group and port and check each
datagram's source and IP TTL, RTP version 2, the SDP's payload type, one SSRC (the SETUP's),
no sequence gap and no datagram dropped by a full receive buffer, 20 ms packets of 160 G.711
samples (timestamps step by 160), RTCP sender reports of that SSRC on port + 1, and decode
what arrived with ffmpeg (`-f mulaw`/`alaw`: one sample a byte); TEARDOWN stops the group. The
profile is deleted and the encoder configuration put back. RTSS-3-2-16/22/23 give an H.264
profile the audio source and a G.711 audio encoder configuration, the video and the audio
each a group (TTL 2), remove the metadata configuration, and check both groups the same way
(the video as cases/rtss_multicast.py does, decoded H.264 included); everything is put back.
"""

from __future__ import annotations

import asyncio
import re

from zeep.helpers import serialize_object

from conformance.cases import rtss_audio
from conformance.cases.media2 import MEDIA2, m2case, media2
from conformance.cases.rtss import h264_profile
from conformance.cases.rtss_multicast import (
    GroupReceiver, _arm_idle_stop, camera_pair, check_group_stream, fps_of, group, in_netns, multicast_case, multicast_uri,
    quiet_after, receive_drops, restored, set_multicast, strip_profile, teardown,
)
from conformance.harness import NS, NotApplicable, check
from conformance.rtsp_client import RtspClient, sequence_gaps

MEDIA = NS["trt"]
REQUIRES = (MEDIA,)
STREAM_SECS = 4.0
RULES: list = []


async def decoded_samples(payload: bytes, law: str) -> int:
    """Samples ffmpeg decodes from the G.711 bytes received; any decoder error fails."""
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", law, "-ar", "8000", "-ac", "1", "-i", "pipe:0",
        "-f", "s16le", "-", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(payload), 60)
    check(proc.returncode == 0 and not err.strip(), f"ffmpeg decoding the {law} received: exit {proc.returncode}: {err.decode()[-300:]}")
    return len(out) // 2


# RFC 3640 / ISO 14496-3 sampling frequency indices of an AudioSpecificConfig.
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


def adts(config: bytes, au: bytes) -> bytes:
    """One AAC access unit behind an ADTS header (ISO 14496-3 1.A.2) made from the SDP's
    AudioSpecificConfig (object type, sampling frequency index, channels), so ffmpeg's ADTS
    demuxer decodes what RTP carried."""
    obj, freq, ch = config[0] >> 3, ((config[0] & 7) << 1) | (config[1] >> 7), (config[1] >> 3) & 0xF
    n = len(au) + 7
    return bytes([0xFF, 0xF1, ((obj - 1) << 6) | (freq << 2) | (ch >> 2), ((ch & 3) << 6) | (n >> 11),
                  (n >> 3) & 0xFF, ((n & 7) << 5) | 0x1F, 0xFC]) + au


async def decoded_aac(config: bytes, units: list[bytes]) -> int:
    """Samples ffmpeg decodes from the AAC access units received; any decoder error fails."""
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "aac", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(b"".join(adts(config, u) for u in units)), 60)
    check(proc.returncode == 0 and not err.strip(), f"ffmpeg decoding the AAC received: exit {proc.returncode}: {err.decode()[-300:]}")
    return len(out) // 2


def aac_config(section: str, pt: int) -> bytes:
    """The AudioSpecificConfig of an mpeg4-generic m= section (`a=fmtp:<pt> ...config=`)."""
    m = re.search(rf"a=fmtp:{pt} \S*config=([0-9A-Fa-f]+)", section)
    check(m, f"no config= in the a=fmtp of payload type {pt}: {section!r:.300}")
    return bytes.fromhex(m.group(1))


# How far the sound may run ahead of its arrival when a group starts live: the simulator's
# microphone queues 400 ms for a capture thread that falls behind (sdk-sys audio_in.rs
# QUEUE_FRAMES), which catches up in a burst on a loaded machine; a group started from the
# audio hub's recent frames would lead by seconds (up to a GOP plus 4 s, docs/rtsp.md "Audio").
LIVE_LEAD = 0.5


def lead(rtp, rate: int) -> float:
    """The most the RTP time of a packet ran ahead of its arrival, both since the first packet
    (seconds): about 0 for a stream that starts live, the backlog for one that starts with a
    burst of older sound."""
    t0, ts0 = rtp[0].at, rtp[0].timestamp
    return max(((p.timestamp - ts0) & 0xFFFFFFFF) / rate - (p.at - t0) for p in rtp)


async def check_group_audio(rx: GroupReceiver, server_ip: str, *, pt: int, ssrc: int | None, ttl: int, drops: int,
                            aac: bytes | None = None, live: bool = False) -> str:
    """G.711 (`aac` None) or AAC (`aac`: its AudioSpecificConfig) on one group: the group's
    checks (source, IP TTL, one SSRC, no loss), the RTP and RTCP checks of the unicast audio
    cases (cases/rtss_audio.py: 20 ms G.711 packets, or one AAC access unit a packet behind a
    16-bit AU header, marker set, timestamps by 1024), and ffmpeg decoding all of it. `live`: a
    group StartMulticastStreaming started (or a PLAY without video) begins with the sound of
    the moment, not a burst of older sound (`LIVE_LEAD`)."""
    where = f"{rx.addr}:{rx.port}"
    rtp = rx.rtp()
    check(rtp, f"no RTP on {where}")
    check(rx.sources == {server_ip}, f"datagrams on {where} from {sorted(rx.sources)}, not only the camera {server_ip}")
    check(rx.ttls == {ttl}, f"datagrams on {where} with IP TTL {sorted(rx.ttls)}, configured {ttl}")
    check(all(p.data[0] >> 6 == 2 for p in rtp), "RTP version is not 2")
    pts = {p.data[1] & 0x7F for p in rtp}
    check(pts == {pt}, f"RTP payload types {pts} on {where}, the SDP's {pt}")
    ssrcs = {p.ssrc for p in rtp}
    check(len(ssrcs) == 1 and (ssrc is None or ssrcs == {ssrc}), f"SSRCs {ssrcs} on {where} (SETUP: {ssrc})")
    gaps = sequence_gaps(rtp)
    check(gaps == 0 and drops == 0, f"lost on {where}: {gaps} RTP sequence gaps, {drops} datagrams dropped by full receive buffers")
    rate = AAC_RATES[((aac[0] & 7) << 1) | (aac[1] >> 7)] if aac else 8000
    per_second = rate / 1024 if aac else 50
    check(len(rtp) >= per_second * STREAM_SECS * 0.8,
          f"{len(rtp)} audio packets in {STREAM_SECS:.0f} s on {where} ({per_second:.1f} a second)")
    rtss_audio.check_audio(rx.packets, pt, where, "AAC" if aac else "G711")
    ahead = lead(rtp, rate)
    check(not live or ahead < LIVE_LEAD,
          f"the group began with {ahead:.2f} s of older sound in a burst (started live: < {LIVE_LEAD} s)")
    srs = rx.sender_reports()
    check(srs, f"no RTCP sender report on {rx.addr}:{rx.port + 1}")
    check(all(int.from_bytes(sr.data[4:8], "big") in ssrcs for sr in srs), "RTCP SR SSRC differs from the RTP SSRC")
    if aac:
        units = [p.payload[4:] for p in rtp]
        n = await decoded_aac(aac, units)
        # ffmpeg's AAC decoder gives 1024 samples a unit (the first may be held back as
        # priming).
        check(n >= 1024 * (len(units) - 1), f"ffmpeg decoded {n} samples of {len(units)} AAC units")
        what = f"{n} samples at {rate} Hz decoded from {len(units)} AAC units"
    else:
        payload = b"".join(p.payload for p in rtp)
        n = await decoded_samples(payload, "mulaw" if pt == 0 else "alaw")
        check(n == len(payload), f"ffmpeg decoded {n} samples of {len(payload)} received")
        what = f"{n} samples decoded"
    return (f"{where} TTL {ttl}: {len(rtp)} audio RTP, {what}, {gaps} gaps, {drops} dropped, {len(srs)} SR, "
            f"sound {ahead * 1000:.0f} ms ahead of arrival at most")


async def describe_aac(ctx, uri: str) -> bytes:
    """The AudioSpecificConfig a StartMulticastStreaming receiver needs to decode the AAC: the
    profile's multicast URL's SDP (DESCRIBE only, nothing set up)."""
    c = RtspClient(uri, ctx.user, ctx.password)
    await c.connect()
    try:
        d = await c.describe()
        check(d.status == 200, f"DESCRIBE {d.status} {d.reason}")
        a = rtss_audio.media_section(d.body.decode(), "audio")
        return aac_config(a, rtss_audio.audio_pt(a, "AAC"))
    finally:
        await c.close()


async def rtsp_multicast_audio(ctx, uri: str, encoding: str = "G711") -> tuple[RtspClient, dict]:
    """DESCRIBE (an m=audio with PCMU/PCMA, or mpeg4-generic for AAC, and its group) and
    SETUP RTP-Multicast of the audio."""
    c = RtspClient(uri, ctx.user, ctx.password)
    await c.connect()
    d = await c.describe()
    check(d.status == 200, f"DESCRIBE {d.status} {d.reason}")
    sdp = d.body.decode()
    check(not re.search(r"c=IN IP6", sdp), "SDP with an IPv6 address for an IPv4 stream URI")
    audio = [s for s in re.split(r"(?m)^(?=m=)", sdp) if s.startswith("m=audio")]
    check(audio, f"SDP without m=audio: {sdp!r:.300}")
    pt = rtss_audio.audio_pt(audio[0], encoding)
    ctrl = re.search(r"a=control:(\S+)", audio[0]).group(1)
    base = d.header("content-base") or uri
    control = ctrl if ctrl.startswith("rtsp://") else base.rstrip("/") + "/" + ctrl
    s = await c.request("SETUP", control, {"Transport": "RTP/AVP;multicast"})
    check(s.status == 200, f"SETUP RTP/AVP;multicast: {s.status} {s.reason}")
    tr = s.header("transport") or ""
    check("multicast" in tr and "unicast" not in tr, f"SETUP reply Transport {tr!r} is not multicast")
    dest = re.search(r"destination=([0-9.]+)", tr)
    port = re.search(r"port=(\d+)-(\d+)", tr)
    ssrc = re.search(r"ssrc=([0-9A-Fa-f]+)", tr)
    check(dest and port, f"SETUP reply Transport {tr!r} without destination and port")
    c.session = (s.header("session") or "").split(";")[0].strip()
    check(len(c.session) >= 8, f"Session {c.session!r}")
    return c, {"dest": dest.group(1), "ports": (int(port.group(1)), int(port.group(2))), "transport": tr,
               "ssrc": int(ssrc.group(1), 16) if ssrc else None, "pt": pt,
               "aac": aac_config(audio[0], pt) if encoding == "AAC" else None}


async def audio_only_multicast(ctx, pair, cam, m, *, rtsp: bool, addr: str, port: int, encoding: str = "G711") -> None:
    """RTSS-2-2-11/15 (rtsp: GetStreamUri RTP-Multicast, DESCRIBE, SETUP RTP-Multicast, PLAY,
    TEARDOWN) and RTSS-5-1-10/12 (Start/StopMulticastStreaming): a new profile `testprofileX`
    holding only the first compatible audio source configuration and a compatible audio
    encoder configuration whose options list `encoding` (G711 or AAC), set to it with a
    group; the group checked and decoded, then quiet after the stop."""
    token = "testprofileX"
    ttl = 2
    aecs0 = [serialize_object(a, dict) for a in await m.GetAudioEncoderConfigurations()]
    await m.CreateProfile({"Name": token, "Token": token})
    try:
        ascs = await m.GetCompatibleAudioSourceConfigurations({"ProfileToken": token})
        check(ascs, "GetCompatibleAudioSourceConfigurations lists none")
        await m.AddAudioSourceConfiguration({"ProfileToken": token, "ConfigurationToken": ascs[0].token})
        aec = g711 = None
        for a in await m.GetCompatibleAudioEncoderConfigurations({"ProfileToken": token}):
            opts = await m.GetAudioEncoderConfigurationOptions({"ProfileToken": token, "ConfigurationToken": a.token})
            g711 = next((o for o in opts.Options or [] if o.Encoding == encoding), None)
            if g711 is not None:
                aec = serialize_object(a, dict)
                break
        if aec is None and encoding == "AAC":
            raise NotApplicable(rtss_audio.NO_AAC)
        check(aec is not None, f"no compatible audio encoder configuration supports {encoding}")
        await m.AddAudioEncoderConfiguration({"ProfileToken": token, "ConfigurationToken": aec["token"]})
        cfg = dict(aec, Encoding=encoding, Bitrate=g711.BitrateList.Items[0], SampleRate=g711.SampleRateList.Items[0],
                   Multicast=group(addr, port, ttl), SessionTimeout="PT30S")
        await m.SetAudioEncoderConfiguration({"Configuration": cfg, "ForcePersistence": False})
        got = await m.GetAudioEncoderConfiguration({"ConfigurationToken": aec["token"]})
        check(got.Encoding == encoding and got.Multicast.Address.IPv4Address == addr and got.Multicast.Port == port
              and got.Multicast.TTL == ttl, f"SetAudioEncoderConfiguration not applied: {got.Encoding} {got.Multicast}")
        rx = GroupReceiver(addr, port, pair.client_ip)
        c = None
        try:
            uri = await multicast_uri(m, token, pair.server_ip, cam.rtsp_port)
            aac = None
            if rtsp:
                c, seen = await rtsp_multicast_audio(ctx, uri, encoding)
                check((seen["dest"], seen["ports"]) == (addr, (port, port + 1)),
                      f"SETUP reply {seen['transport']!r}, configured {addr}:{port}")
                pt, ssrc, aac = seen["pt"], seen["ssrc"], seen["aac"]
            elif encoding == "AAC":
                # A receiver of a stream nobody set up learns the AudioSpecificConfig from the
                # profile's SDP (DESCRIBE only).
                aac = await describe_aac(ctx, uri)
            drops0 = receive_drops()
            if rtsp:
                p = await c.play()
                check(p.status == 200, f"PLAY {p.status} {p.reason}")
            else:
                await m.StartMulticastStreaming({"ProfileToken": token})
            try:
                await asyncio.sleep(STREAM_SECS)
                if not rtsp:
                    # No SETUP to name it: G.711's static payload type (0 or 8), or AAC's
                    # dynamic one.
                    pt, ssrc = (rx.rtp()[0].data[1] & 0x7F if rx.rtp() else 0), None
                    want = range(96, 128) if aac else (0, 8)
                    check(pt in want, f"payload type {pt} on {addr}:{port}, not {encoding}'s")
                ctx.note(await check_group_audio(rx, pair.server_ip, pt=pt, ssrc=ssrc, ttl=ttl,
                                                 drops=receive_drops() - drops0, aac=aac, live=True))
            finally:
                if rtsp:
                    await teardown(c)
                else:
                    await m.StopMulticastStreaming({"ProfileToken": token})
            await quiet_after(rx, "the TEARDOWN" if rtsp else "StopMulticastStreaming")
        finally:
            await rx.close()
            if c is not None:
                await c.close()
    finally:
        await m.DeleteProfile({"ProfileToken": token})
        for a in aecs0:
            await m.SetAudioEncoderConfiguration({"Configuration": a, "ForcePersistence": True})


@multicast_case("RTSS-2-2-11")
async def g711_multicast(ctx, pair, cam, m):
    await audio_only_multicast(ctx, pair, cam, m, rtsp=True, addr="239.20.211.1", port=40410)


@multicast_case("RTSS-5-1-10")
async def start_stop_g711_only_audio(ctx, pair, cam, m):
    await audio_only_multicast(ctx, pair, cam, m, rtsp=False, addr="239.20.51.10", port=40420)


@multicast_case("RTSS-2-2-15")
async def aac_multicast(ctx, pair, cam, m):
    await audio_only_multicast(ctx, pair, cam, m, rtsp=True, addr="239.20.215.1", port=40430, encoding="AAC")


@multicast_case("RTSS-5-1-12")
async def start_stop_aac_only_audio(ctx, pair, cam, m):
    await audio_only_multicast(ctx, pair, cam, m, rtsp=False, addr="239.20.51.12", port=40440, encoding="AAC")


class Split:
    """The packets of one stream among several sent to one group and port: its RTP (`keep`)
    and the RTCP of its SSRCs, with the receiver's sources and TTLs."""

    def __init__(self, rx: GroupReceiver, keep):
        self.addr, self.port, self.sources, self.ttls = rx.addr, rx.port, rx.sources, rx.ttls
        rtp = [p for p in rx.packets if not p.rtcp and keep(p)]
        ssrcs = {p.ssrc for p in rtp}
        self.packets = rtp + [p for p in rx.packets if p.rtcp and len(p.data) >= 8
                              and int.from_bytes(p.data[4:8], "big") in ssrcs]

    rtp = GroupReceiver.rtp
    sender_reports = GroupReceiver.sender_reports


async def video_audio_multicast(ctx, pair, cam, m, video: tuple[str, int], audio: tuple[str, int], *, rtsp: bool,
                                encoding: str = "G711") -> None:
    """RTSS-3-2-16 (rtsp: DESCRIBE, SETUP of both tracks RTP-Multicast, PLAY, TEARDOWN) and
    RTSS-3-2-22/23 (StartMulticastStreaming/StopMulticastStreaming): an H.264 profile with
    the audio source and a G.711 audio encoder, video and audio each given its group."""
    ttl = 2
    p = await h264_profile(ctx, m)
    asc = (await m.GetAudioSourceConfigurations())[0]
    aec0 = serialize_object(p.AudioEncoderConfiguration or (await m.GetAudioEncoderConfigurations())[0], dict)
    held = (p.AudioSourceConfiguration, p.AudioEncoderConfiguration)
    async with restored(m) as (vecs, removed):
        try:
            if held[0] is None:
                await m.AddAudioSourceConfiguration({"ProfileToken": p.token, "ConfigurationToken": asc.token})
            if held[1] is None:
                await m.AddAudioEncoderConfiguration({"ProfileToken": p.token, "ConfigurationToken": aec0["token"]})
            await m.GetVideoEncoderConfigurationOptions({"ProfileToken": p.token})
            opts = await m.GetAudioEncoderConfigurationOptions({"ProfileToken": p.token, "ConfigurationToken": aec0["token"]})
            g711 = next((o for o in opts.Options or [] if o.Encoding == encoding), None)
            if g711 is None and encoding == "AAC":
                raise NotApplicable(rtss_audio.NO_AAC)
            check(g711 is not None, f"the audio encoder options list no {encoding}")
            vec = next(v for v in vecs if v["token"] == p.VideoEncoderConfiguration.token)
            vec = await set_multicast(m, dict(vec, SessionTimeout="PT30S"), *video, ttl)
            cfg = dict(aec0, Encoding=encoding, Bitrate=g711.BitrateList.Items[0], SampleRate=g711.SampleRateList.Items[0],
                       Multicast=group(*audio, ttl), SessionTimeout="PT30S")
            await m.SetAudioEncoderConfiguration({"Configuration": cfg, "ForcePersistence": False})
            got = await m.GetAudioEncoderConfiguration({"ConfigurationToken": aec0["token"]})
            check(got.Multicast.Address.IPv4Address == audio[0] and got.Multicast.Port == audio[1],
                  f"audio multicast not applied: {got.Multicast}")
            await strip_profile(m, await m.GetProfile({"ProfileToken": p.token}), removed, ("Metadata",))
            rxv = GroupReceiver(*video, pair.client_ip)
            # One group and port for both (RTSS-5-1-9): one receiver, its packets split by
            # payload type (and the RTCP by SSRC) below.
            rxa = rxv if audio == video else GroupReceiver(*audio, pair.client_ip)
            try:
                drops0 = receive_drops()
                c = None
                if rtsp:
                    uri = await multicast_uri(m, p.token, pair.server_ip, cam.rtsp_port)
                    c = RtspClient(uri, ctx.user, ctx.password)
                    await c.connect()
                    d = await c.describe()
                    check(d.status == 200, f"DESCRIBE {d.status} {d.reason}")
                    sdp = d.body.decode()
                    base = d.header("content-base") or uri
                    seen = {}
                    for kind in ("video", "audio"):
                        sec = [x for x in re.split(r"(?m)^(?=m=)", sdp) if x.startswith(f"m={kind}")]
                        check(sec, f"SDP without m={kind}")
                        ctrl = re.search(r"a=control:(\S+)", sec[0]).group(1)
                        ctrl = ctrl if ctrl.startswith("rtsp://") else base.rstrip("/") + "/" + ctrl
                        s_ = await c.request("SETUP", ctrl, {"Transport": "RTP/AVP;multicast"})
                        check(s_.status == 200, f"SETUP {kind} multicast: {s_.status} {s_.reason}")
                        c.session = (s_.header("session") or "").split(";")[0].strip()
                        tr = s_.header("transport") or ""
                        want = video if kind == "video" else audio
                        check(f"destination={want[0]}" in tr and f"port={want[1]}-{want[1] + 1}" in tr,
                              f"{kind} SETUP reply {tr!r}, configured {want[0]}:{want[1]}")
                        ssrc = re.search(r"ssrc=([0-9A-Fa-f]+)", tr)
                        if kind == "video":
                            pt = re.search(r"a=rtpmap:(\d+) H264/90000", sec[0])
                            check(pt, f"m={kind} without the expected rtpmap")
                            pt = int(pt.group(1))
                        else:
                            pt = rtss_audio.audio_pt(sec[0], encoding)
                            aac = aac_config(sec[0], pt) if encoding == "AAC" else None
                        seen[kind] = (pt, int(ssrc.group(1), 16) if ssrc else None)
                    pl = await c.play()
                    check(pl.status == 200, f"PLAY {pl.status} {pl.reason}")
                else:
                    seen = {"video": (None, None), "audio": (None, None)}
                    aac = None
                    if encoding == "AAC":
                        aac = await describe_aac(ctx, await multicast_uri(m, p.token, pair.server_ip, cam.rtsp_port))
                    await m.StartMulticastStreaming({"ProfileToken": p.token})
                try:
                    await asyncio.sleep(STREAM_SECS)
                    drops = receive_drops() - drops0
                    vrx, arx = rxv, rxa
                    if rxa is rxv:
                        vrx = Split(rxv, lambda p: p.data[1] & 0x7F >= 96)
                        arx = Split(rxv, lambda p: p.data[1] & 0x7F in (0, 8))  # G.711 only: RTSS-5-1-9
                    note = await check_group_stream(vrx, pair.server_ip, fps=fps_of(vec), secs=STREAM_SECS, drops=drops,
                                                    pt=seen["video"][0], ssrc=seen["video"][1], ttl=ttl)
                    apt = seen["audio"][0] if rtsp else (arx.rtp()[0].data[1] & 0x7F if arx.rtp() else 0)
                    note += "; " + await check_group_audio(arx, pair.server_ip, pt=apt, ssrc=seen["audio"][1], ttl=ttl,
                                                           drops=drops, aac=aac, live=not rtsp)
                    ctx.note(note)
                finally:
                    if rtsp:
                        await teardown(c)
                    else:
                        await m.StopMulticastStreaming({"ProfileToken": p.token})
                what = "the TEARDOWN" if rtsp else "StopMulticastStreaming"
                await quiet_after(rxv, what)
                if rxa is not rxv:
                    await quiet_after(rxa, what)
            finally:
                await rxv.close()
                if rxa is not rxv:
                    await rxa.close()
        finally:
            await m.SetAudioEncoderConfiguration({"Configuration": aec0, "ForcePersistence": True})
            if held[1] is None:
                await m.RemoveAudioEncoderConfiguration({"ProfileToken": p.token})
            if held[0] is None:
                await m.RemoveAudioSourceConfiguration({"ProfileToken": p.token})


@multicast_case("RTSS-3-2-16")
async def video_and_g711_multicast(ctx, pair, cam, m):
    await video_audio_multicast(ctx, pair, cam, m, ("239.20.216.1", 40500), ("239.20.216.2", 40502), rtsp=True)


@multicast_case("RTSS-3-2-20")
async def video_and_aac_multicast(ctx, pair, cam, m):
    await video_audio_multicast(ctx, pair, cam, m, ("239.20.220.1", 40520), ("239.20.220.2", 40522), rtsp=True,
                                encoding="AAC")


@multicast_case("RTSS-3-2-22")
async def video_audio_different_ports(ctx, pair, cam, m):
    # The same group, a port each.
    await video_audio_multicast(ctx, pair, cam, m, ("239.20.222.1", 40600), ("239.20.222.1", 40602), rtsp=False)


@multicast_case("RTSS-3-2-23")
async def video_audio_different_addresses(ctx, pair, cam, m):
    # The same port, a group each.
    await video_audio_multicast(ctx, pair, cam, m, ("239.20.223.1", 40700), ("239.20.223.2", 40700), rtsp=False)


async def aec_multicast(ctx, pair, cam, m, groups) -> None:
    """RTSS-2-2-9/10: every audio encoder configuration gets its group (checked with Get);
    then each, G.711, in a profile with the video (whose encoder gets a group of its own, "other
    entities from profile if required"), is streamed with Start/StopMulticastStreaming and its
    group checked."""
    ttl = 1
    aecs0 = [serialize_object(a, dict) for a in await m.GetAudioEncoderConfigurations()]
    check(aecs0, "no audio encoder configuration")
    check(len(groups) >= len(aecs0), "more audio encoder configurations than groups to give")
    p = await h264_profile(ctx, m)
    held = (p.AudioSourceConfiguration, p.AudioEncoderConfiguration)
    notes = []
    async with restored(m) as (vecs, removed):
        try:
            for a, (addr, port) in zip(aecs0, groups):
                await m.SetAudioEncoderConfiguration({"Configuration": dict(a, Multicast=group(addr, port, ttl)), "ForcePersistence": False})
                got = await m.GetAudioEncoderConfiguration({"ConfigurationToken": a["token"]})
                check(got.Multicast.Address.Type == "IPv4" and got.Multicast.Address.IPv4Address == addr and got.Multicast.Port == port,
                      f"{a['token']}: multicast not applied: {got.Multicast}")
            vec = next(v for v in vecs if v["token"] == p.VideoEncoderConfiguration.token)
            vec = await set_multicast(m, vec, "239.20.29.250", 40900, ttl)
            await strip_profile(m, p, removed, ("Metadata",))
            if held[0] is None:
                asc = (await m.GetCompatibleAudioSourceConfigurations({"ProfileToken": p.token}))[0]
                await m.AddAudioSourceConfiguration({"ProfileToken": p.token, "ConfigurationToken": asc.token})
            for a, (addr, port) in zip(aecs0, groups):
                await m.AddAudioEncoderConfiguration({"ProfileToken": p.token, "ConfigurationToken": a["token"]})
                opts = await m.GetAudioEncoderConfigurationOptions({"ProfileToken": p.token, "ConfigurationToken": a["token"]})
                g711 = next((o for o in opts.Options or [] if o.Encoding == "G711"), None)
                check(g711 is not None, f"{a['token']}: the options list no G711")
                cur = serialize_object(await m.GetAudioEncoderConfiguration({"ConfigurationToken": a["token"]}), dict)
                await m.SetAudioEncoderConfiguration({"Configuration": dict(
                    cur, Encoding="G711", Bitrate=g711.BitrateList.Items[0], SampleRate=g711.SampleRateList.Items[0]),
                    "ForcePersistence": False})
                rx = GroupReceiver(addr, port, pair.client_ip)
                try:
                    drops0 = receive_drops()
                    await m.StartMulticastStreaming({"ProfileToken": p.token})
                    try:
                        await asyncio.sleep(STREAM_SECS)
                        pt = rx.rtp()[0].data[1] & 0x7F if rx.rtp() else 0
                        notes.append(f"{a['token']} " + await check_group_audio(
                            rx, pair.server_ip, pt=pt, ssrc=None, ttl=ttl, drops=receive_drops() - drops0, live=True))
                    finally:
                        await m.StopMulticastStreaming({"ProfileToken": p.token})
                    await quiet_after(rx, "StopMulticastStreaming")
                finally:
                    await rx.close()
        finally:
            for a in aecs0:
                await m.SetAudioEncoderConfiguration({"Configuration": a, "ForcePersistence": True})
            if held[1] is None:
                await m.RemoveAudioEncoderConfiguration({"ProfileToken": p.token})
            else:
                await m.AddAudioEncoderConfiguration({"ProfileToken": p.token, "ConfigurationToken": held[1].token})
            if held[0] is None:
                await m.RemoveAudioSourceConfiguration({"ProfileToken": p.token})
    ctx.note("; ".join(notes))


@multicast_case("RTSS-2-2-9")
async def aec_multicast_port(ctx, pair, cam, m):
    # The same group, a port each.
    await aec_multicast(ctx, pair, cam, m, [("239.20.29.1", 40800 + 2 * i) for i in range(8)])


@multicast_case("RTSS-2-2-10")
async def aec_multicast_address(ctx, pair, cam, m):
    # The same port, a group each.
    await aec_multicast(ctx, pair, cam, m, [(f"239.20.210.{i + 1}", 40850) for i in range(8)])


async def media2_video_and_audio_multicast(ctx, encoding: str = "PCMU"):
    """MEDIA2_RTSS-5-2-1 (HelperDeviceConfigurationForVideoAndAudioStreaming with
    RtspMulticast, then HelperStreamingRTPMulticast of video then audio): an H.264 profile,
    the audio source and a PCMU encoder added (Media2 AddConfiguration), each encoder a group;
    GetStreamUri RtspMulticast, DESCRIBE, SETUP of both tracks RTP-Multicast, PLAY; both groups
    checked and decoded; TEARDOWN; everything put back."""
    from conformance.cases import rtss_media2 as r2

    pair, cam = await camera_pair(ctx)

    async def steps():
        m = await media2(ctx, pair.server_ip, cam.http_port)
        restore = r2.Restore(m)
        aec0 = None
        try:
            p, opts = await r2.find_profile(m, restore)
            await r2.remove_configurations(m, restore, p, ("Metadata",))
            c = r2.confs((await r2.profiles(m, "All", token=p.token))[0])
            if "AudioSource" not in c:
                asc = (await m.GetAudioSourceConfigurations({"ProfileToken": p.token}))[0]
                await r2.add_configuration(m, restore, p, "AudioSource", asc.token)
            if "AudioEncoder" not in c:
                aec = (await m.GetAudioEncoderConfigurations({"ProfileToken": p.token}))[0]
                await r2.add_configuration(m, restore, p, "AudioEncoder", aec.token)
            p = (await r2.profiles(m, "All", token=p.token))[0]
            aec0 = serialize_object(r2.confs(p)["AudioEncoder"], dict)
            aopts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": aec0["token"], "ProfileToken": p.token})
            pcmu = next((o for o in aopts if o.Encoding == encoding), None)
            if pcmu is None and encoding != "PCMU":
                raise NotApplicable(rtss_audio.NO_AAC)
            check(pcmu is not None, f"the audio encoder options list no {encoding}: {[o.Encoding for o in aopts]}")
            ttl = 1
            video, audio = ("239.20.52.1", 40950), ("239.20.52.2", 40952)
            vec = await r2.set_vec(m, restore, p, opts, multicast={
                "Address": {"Type": "IPv4", "IPv4Address": video[0]}, "Port": video[1], "TTL": ttl, "AutoStart": False})
            await m.SetAudioEncoderConfiguration({"Configuration": dict(
                aec0, Encoding=encoding, Bitrate=pcmu.BitrateList.Items[0], SampleRate=pcmu.SampleRateList.Items[0],
                Multicast={"Address": {"Type": "IPv4", "IPv4Address": audio[0]}, "Port": audio[1], "TTL": ttl, "AutoStart": False})})
            uri = await r2.get_stream_uri(ctx, m, "RtspMulticast", p.token, cam.http_port)
            await r2.describe_checks(ctx, uri)
            await r2.describe_checks(ctx, uri, "audio", encoding)
            cl = RtspClient(uri, ctx.user, ctx.password)
            await cl.connect()
            rxv = GroupReceiver(*video, pair.client_ip)
            rxa = GroupReceiver(*audio, pair.client_ip)
            try:
                d = await cl.describe()
                check(d.status == 200, f"DESCRIBE {d.status}")
                sdp = d.body.decode()
                base = d.header("content-base") or uri
                seen = {}
                for kind, want in (("video", video), ("audio", audio)):
                    sec = [x for x in re.split(r"(?m)^(?=m=)", sdp) if x.startswith(f"m={kind}")][0]
                    ctrl = re.search(r"a=control:(\S+)", sec).group(1)
                    ctrl = ctrl if ctrl.startswith("rtsp://") else base.rstrip("/") + "/" + ctrl
                    s_ = await cl.request("SETUP", ctrl, {"Transport": "RTP/AVP;multicast"})
                    check(s_.status == 200, f"SETUP {kind} multicast: {s_.status} {s_.reason}")
                    cl.session = (s_.header("session") or "").split(";")[0].strip()
                    tr = s_.header("transport") or ""
                    check(f"destination={want[0]}" in tr and f"port={want[1]}-{want[1] + 1}" in tr,
                          f"{kind} SETUP reply {tr!r}, configured {want[0]}:{want[1]}")
                    ssrc = re.search(r"ssrc=([0-9A-Fa-f]+)", tr)
                    if kind == "video":
                        pt = re.search(r"a=rtpmap:(\d+) H264/90000", sec)
                        check(pt, f"m={kind} without the expected rtpmap")
                        pt = int(pt.group(1))
                    else:
                        pt = rtss_audio.audio_pt(sec, "G711" if encoding == "PCMU" else "AAC")
                        aac = aac_config(sec, pt) if encoding != "PCMU" else None
                    seen[kind] = (pt, int(ssrc.group(1), 16) if ssrc else None)
                drops0 = receive_drops()
                pl = await cl.play()
                check(pl.status == 200, f"PLAY {pl.status} {pl.reason}")
                await asyncio.sleep(STREAM_SECS)
                drops = receive_drops() - drops0
                note = await check_group_stream(rxv, pair.server_ip, fps=fps_of(vec), secs=STREAM_SECS, drops=drops,
                                                pt=seen["video"][0], ssrc=seen["video"][1], ttl=ttl)
                note += "; " + await check_group_audio(rxa, pair.server_ip, pt=seen["audio"][0], ssrc=seen["audio"][1],
                                                       ttl=ttl, drops=drops, aac=aac)
                ctx.note(note)
                await teardown(cl)
                await quiet_after(rxv, "the TEARDOWN")
                await quiet_after(rxa, "the TEARDOWN")
            finally:
                await rxv.close()
                await rxa.close()
                await cl.close()
        finally:
            try:
                if aec0 is not None:
                    await m.SetAudioEncoderConfiguration({"Configuration": aec0})
                await restore.undo()
            finally:
                await m.close()
                await m.cam.close()

    try:
        await in_netns(pair.client, steps)
    finally:
        _arm_idle_stop()
    check(cam.proc.poll() is None, f"nvt died (exit {cam.proc.returncode})")


@m2case("MEDIA2_RTSS-5-2-1", requires=(MEDIA2,))
async def media2_video_and_g711_multicast(ctx):
    await media2_video_and_audio_multicast(ctx, "PCMU")


@m2case("MEDIA2_RTSS-5-2-3", requires=(MEDIA2,))
async def media2_video_and_aac_multicast(ctx):
    await media2_video_and_audio_multicast(ctx, "mpeg4-generic")


async def media2_audio_multicast(ctx, encoding: str, addr: str, port: int) -> None:
    """MEDIA2_RTSS-2-2-1 (PCMU) and 2-2-3 (AAC: Media2's `mpeg4-generic`):
    HelperDeviceConfigurationForAudioStreaming with RtspMulticast (the audio profile of
    cases/rtss_media2_g711.py, its video encoder and metadata configurations removed, the
    audio encoder set to `encoding` with a group, TTL 1), GetStreamUri RtspMulticast and the
    DESCRIBE checks, then HelperStreamingRTPMulticast of the audio alone: SETUP of the audio
    RTP-Multicast, PLAY, the group checked and decoded, TEARDOWN; everything put back."""
    from conformance.cases import rtss_media2 as r2
    from conformance.cases.rtss_media2_g711 import audio_profile, nearest

    pair, cam = await camera_pair(ctx)
    aac = encoding != "PCMU"

    async def steps():
        m = await media2(ctx, pair.server_ip, cam.http_port)
        restore = r2.Restore(m)
        saved = None
        try:
            offered = [o.Encoding for o in await m.GetAudioEncoderConfigurationOptions({}) or []]
            if aac and encoding not in offered:
                raise NotApplicable(rtss_audio.NO_AAC)
            p, o = await audio_profile(m, restore, encoding)
            await r2.remove_configurations(m, restore, p, ("VideoEncoder", "Metadata"))
            aec = r2.confs(p)["AudioEncoder"]
            saved = serialize_object(aec, dict)
            ttl = 1
            await m.SetAudioEncoderConfiguration({"Configuration": {
                "token": aec.token, "Name": aec.Name, "UseCount": aec.UseCount, "Encoding": o.Encoding,
                "Multicast": {"Address": {"Type": "IPv4", "IPv4Address": addr}, "Port": port, "TTL": ttl, "AutoStart": False},
                "Bitrate": nearest(o.BitrateList.Items, aec.Bitrate), "SampleRate": nearest(o.SampleRateList.Items, aec.SampleRate)}})
            uri = await r2.get_stream_uri(ctx, m, "RtspMulticast", p.token, cam.http_port)
            await r2.describe_checks(ctx, uri, "audio", encoding)
            rx = GroupReceiver(addr, port, pair.client_ip)
            c = None
            try:
                c, seen = await rtsp_multicast_audio(ctx, uri, "AAC" if aac else "G711")
                check((seen["dest"], seen["ports"]) == (addr, (port, port + 1)),
                      f"SETUP reply {seen['transport']!r}, configured {addr}:{port}")
                drops0 = receive_drops()
                pl = await c.play()
                check(pl.status == 200, f"PLAY {pl.status} {pl.reason}")
                check(pl.header("rtp-info"), "PLAY without RTP-Info")
                await asyncio.sleep(STREAM_SECS)
                ctx.note(f"profile {p.token}: " + await check_group_audio(
                    rx, pair.server_ip, pt=seen["pt"], ssrc=seen["ssrc"], ttl=ttl, drops=receive_drops() - drops0,
                    aac=seen["aac"], live=True))
                await teardown(c)
                await quiet_after(rx, "the TEARDOWN")
            finally:
                await rx.close()
                if c is not None:
                    await c.close()
        finally:
            try:
                if saved is not None:
                    await m.SetAudioEncoderConfiguration({"Configuration": saved})
                await restore.undo()
            finally:
                await m.close()
                await m.cam.close()

    try:
        await in_netns(pair.client, steps)
    finally:
        _arm_idle_stop()
    check(cam.proc.poll() is None, f"nvt died (exit {cam.proc.returncode})")


@m2case("MEDIA2_RTSS-2-2-1", requires=(MEDIA2,))
async def media2_g711_multicast(ctx):
    await media2_audio_multicast(ctx, "PCMU", "239.20.221.1", 40460)


@m2case("MEDIA2_RTSS-2-2-3", requires=(MEDIA2,))
async def media2_aac_multicast(ctx):
    await media2_audio_multicast(ctx, "mpeg4-generic", "239.20.223.1", 40470)


@multicast_case("RTSS-5-1-9")
async def start_stop_video_and_g711(ctx, pair, cam, m):
    # The spec gives the video and the audio encoder configuration the same group and port.
    await video_audio_multicast(ctx, pair, cam, m, ("239.20.59.1", 40980), ("239.20.59.1", 40980), rtsp=False)
