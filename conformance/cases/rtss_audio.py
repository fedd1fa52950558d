"""ONVIF Real Time Streaming Test Specification, unicast G.711 audio (RTSS-2-1-19..21 media
streaming, 28..30 audio streaming, RTSS-3-1-10..12 video and audio) and the Media2 one
(MEDIA2_RTSS-5-1-1..3, H.26X with G.711); the same for AAC (RTSS-2-1-25..27 and 34..36,
RTSS-3-1-16..18, MEDIA2_RTSS-5-1-7..9, and MEDIA2_RTSS-2-1-7..9, the audio track alone of a
Media2 profile), N/A when the options list no AAC (the SDK's microphone does not encode it).

Each case gives an H.264 profile the audio source and a G.711 audio encoder configuration
(Media 1 AddAudio*Configuration with SetAudioEncoderConfiguration to G711 from the options;
Media 2 AddConfiguration with the PCMU or PCMA entry of the options), asks GetStreamUri for
the transport, checks the DESCRIBE (an `m=audio` with PCMU/8000 or PCMA/8000, RFC 3551), sets
up the audio track (and the video one for the video-and-audio cases) over UDP, the HTTP
tunnel or interleaved TCP, plays, and checks the audio RTP: version 2, the SDP's payload
type, one SSRC, no sequence gap, 20 ms packets of 160 samples (timestamps step by 160), an
RTCP sender report of that SSRC; with video, H.264 with an IDR too. The profile is put back.
AAC: `mpeg4-generic` at the configured rate with a dynamic payload type and an `a=fmtp` of
mode AAC-hbr with the AudioSpecificConfig (RFC 3640 s4.1), one access unit per packet
(AU-headers-length 16, its 13-bit size the rest of the payload, s3.3.6) with the marker
set, timestamps stepping by 1024.
"""

from __future__ import annotations

import asyncio
import re

from zeep.helpers import serialize_object

from conformance.cases.media2 import MEDIA2, m2case, media2
from conformance.cases.rtss import h264_profile, media, stream_uri
from conformance.harness import NS, NotApplicable, case, check
from conformance.rtsp_client import RtspClient, sequence_gaps

MEDIA = NS["trt"]
REQUIRES = (MEDIA,)
STREAM_SECS = 3.0
RULES = []


def media_section(sdp: str, kind: str) -> str:
    parts = re.split(r"(?m)^(?=m=)", sdp)
    found = [p for p in parts if p.startswith(f"m={kind}")]
    check(found, f"SDP without m={kind}: {sdp!r:.300}")
    return found[0]


def control(section: str, base: str) -> str:
    m = re.search(r"a=control:(\S+)", section)
    check(m, f"no a=control in {section!r:.200}")
    ctrl = m.group(1)
    return ctrl if ctrl.startswith("rtsp://") else base.rstrip("/") + "/" + ctrl


def audio_pt(section: str, encoding: str = "G711") -> int:
    if encoding == "AAC":
        m = re.search(r"a=rtpmap:(\d+) mpeg4-generic/(\d+)(/1)?\r?\n", section)
        check(m, f"audio media without a=rtpmap mpeg4-generic: {section!r:.200}")
        pt = int(m.group(1))
        check(96 <= pt <= 127, f"AAC with payload type {pt}, not a dynamic one (RFC 3551)")
        f = re.search(rf"a=fmtp:{pt} (\S+)", section)
        check(f, f"no a=fmtp for payload type {pt}: {section!r:.200}")
        params = dict(kv.split("=", 1) for kv in f.group(1).split(";") if "=" in kv)
        check(params.get("mode", "").lower() == "aac-hbr", f"fmtp mode {params.get('mode')!r}, not AAC-hbr")
        check((params.get("sizelength"), params.get("indexlength")) == ("13", "3"), f"fmtp {f.group(1)}")
        check(re.fullmatch(r"[0-9A-Fa-f]{4,}", params.get("config", "")), f"fmtp config {params.get('config')!r}")
        return pt
    m = re.search(r"a=rtpmap:(\d+) (PCMU|PCMA)/8000", section)
    check(m, f"audio media without a=rtpmap PCMU/8000 or PCMA/8000: {section!r:.200}")
    check(int(m.group(1)) == (0 if m.group(2) == "PCMU" else 8), f"{m.group(2)} with payload type {m.group(1)} (RFC 3551: 0, 8)")
    return int(m.group(1))


def check_audio(packets, pt: int, where: str, encoding: str = "G711") -> str:
    rtp = [p for p in packets if not p.rtcp and p.data[1] & 0x7F == pt]
    # 50 packets a second of G.711; AAC's at 8 kHz, the least rate offered, 7.8 a second.
    least = 50 if encoding == "G711" else 20
    check(len(rtp) >= least, f"{where}: only {len(rtp)} audio RTP packets in {STREAM_SECS} s")
    check(all(p.data[0] >> 6 == 2 for p in rtp), "RTP version is not 2")
    check(len({p.ssrc for p in rtp}) == 1, "more than one SSRC on the audio track")
    gaps = sequence_gaps(rtp)
    check(gaps == 0, f"{gaps} sequence gaps on the audio track")
    steps = {(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in zip(rtp, rtp[1:])}
    if encoding == "AAC":
        check(steps == {1024}, f"AAC timestamps step by {sorted(steps)[:5]}, not 1024 (one access unit)")
        for p in rtp:
            pl = p.payload
            check(len(pl) > 4 and int.from_bytes(pl[0:2], "big") == 16,
                  f"an AAC packet without one 16-bit AU header: {pl[:4].hex()}")
            check(int.from_bytes(pl[2:4], "big") >> 3 == len(pl) - 4,
                  f"AU size {int.from_bytes(pl[2:4], 'big') >> 3} for {len(pl) - 4} bytes of access unit")
            check(p.data[1] & 0x80, "an AAC packet without the marker (RFC 3640 s3.2.1)")
    else:
        check(steps == {160}, f"audio timestamps step by {sorted(steps)[:5]}, not 160 (20 ms at 8 kHz)")
        check(all(len(p.payload) == 160 for p in rtp), "an audio packet without 160 G.711 samples")
    srs = [p for p in packets if p.rtcp and len(p.data) >= 8 and p.data[1] == 200
           and int.from_bytes(p.data[4:8], "big") == rtp[0].ssrc]
    check(srs, "no RTCP sender report for the audio SSRC")
    return f"{len(rtp)} audio RTP, {len(srs)} SR"


async def play(ctx, uri: str, transport: str, video: bool, encoding: str = "G711") -> str:
    tunnel = transport == "http"
    url = uri if uri.startswith("rtsp://") else uri.replace("http://", "rtsp://", 1)
    c = RtspClient(url, ctx.user, ctx.password, tunnel=tunnel)
    await c.connect()
    try:
        d = await c.describe()
        check(d.status == 200, f"DESCRIBE {d.status} {d.reason}")
        sdp = d.body.decode()
        base = d.header("content-base") or url
        a = media_section(sdp, "audio")
        pt = audio_pt(a, encoding)
        tracks = [control(a, base)]
        if video:
            v = media_section(sdp, "video")
            check(re.search(r"a=rtpmap:\d+ H264/90000", v), "video media without H264/90000")
            tracks.insert(0, control(v, base))
        for i, t in enumerate(tracks):
            s = await (c.setup_udp(t) if transport == "udp" else c.setup_tcp(t, (2 * i, 2 * i + 1)))
            check(s.status == 200, f"SETUP {t}: {s.status} {s.reason}")
        p = await c.play()
        check(p.status == 200, f"PLAY {p.status} {p.reason}")
        info = p.header("rtp-info") or ""
        check(info.count("seq=") == len(tracks), f"RTP-Info {info!r} for {len(tracks)} tracks")
        await asyncio.sleep(STREAM_SECS)
        note = check_audio(c.packets, pt, transport, encoding)
        if video:
            vrtp = [x for x in c.packets if not x.rtcp and x.data[1] & 0x7F not in (0, 8, pt)]
            nals = {n for x in vrtp for n in x.nal_types()}
            check({5, 7, 8} <= nals, f"no IDR with SPS/PPS in the video (NAL types {sorted(nals)})")
            note += f", {len(vrtp)} video RTP"
        t = await c.teardown()
        check(t.status == 200, f"TEARDOWN {t.status}")
        name = "AAC" if encoding == "AAC" else "PCMU" if pt == 0 else "PCMA"
        return f"{name}: {note}"
    finally:
        await c.close()


NO_AAC = "the audio encoder options list no AAC (the SDK's microphone does not encode AAC-LC)"


async def media1_case(ctx, protocol: str, transport: str, video: bool, encoding: str = "G711") -> None:
    _, m = await media(ctx)
    p = await h264_profile(ctx, m)
    asc = (await m.GetAudioSourceConfigurations())[0]
    aec = serialize_object((await m.GetAudioEncoderConfigurations())[0], dict)
    opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": aec["token"], "ProfileToken": p.token})
    g711 = [o for o in opts.Options or [] if o.Encoding == encoding]
    if encoding == "AAC" and not g711:
        raise NotApplicable(NO_AAC)
    check(g711, f"the options list no {encoding}")
    held = (p.AudioSourceConfiguration, p.AudioEncoderConfiguration)
    try:
        await m.AddAudioSourceConfiguration({"ProfileToken": p.token, "ConfigurationToken": asc.token})
        await m.AddAudioEncoderConfiguration({"ProfileToken": p.token, "ConfigurationToken": aec["token"]})
        cfg = dict(aec, Encoding=encoding, Bitrate=g711[0].BitrateList.Items[0], SampleRate=g711[0].SampleRateList.Items[0])
        await m.SetAudioEncoderConfiguration({"Configuration": cfg, "ForcePersistence": True})
        uri = await stream_uri(m, p.token, protocol)
        ctx.note(f"profile {p.token}: " + await play(ctx, uri, transport, video, encoding))
    finally:
        await m.SetAudioEncoderConfiguration({"Configuration": aec, "ForcePersistence": True})
        if held[1] is None:
            await m.RemoveAudioEncoderConfiguration({"ProfileToken": p.token})
        if held[0] is None:
            await m.RemoveAudioSourceConfiguration({"ProfileToken": p.token})


for ids, video, encoding in ((("RTSS-2-1-19", "RTSS-2-1-20", "RTSS-2-1-21"), False, "G711"),
                             (("RTSS-2-1-28", "RTSS-2-1-29", "RTSS-2-1-30"), False, "G711"),
                             (("RTSS-3-1-10", "RTSS-3-1-11", "RTSS-3-1-12"), True, "G711"),
                             (("RTSS-2-1-25", "RTSS-2-1-26", "RTSS-2-1-27"), False, "AAC"),
                             (("RTSS-2-1-34", "RTSS-2-1-35", "RTSS-2-1-36"), False, "AAC"),
                             (("RTSS-3-1-16", "RTSS-3-1-17", "RTSS-3-1-18"), True, "AAC")):
    for cid, (protocol, transport) in zip(ids, (("UDP", "udp"), ("HTTP", "http"), ("RTSP", "tcp"))):
        def register(cid=cid, protocol=protocol, transport=transport, video=video, encoding=encoding):
            @case(cid)
            async def run(ctx):
                await media1_case(ctx, protocol, transport, video, encoding)

        register()


async def media2_case(ctx, protocol: str, transport: str, encoding: str = "G711", video: bool = True) -> None:
    m = await media2(ctx)
    profiles = await m.GetProfiles({"Type": ["All"]})
    p = next((x for x in profiles if x.Configurations is not None and x.Configurations.VideoEncoder is not None
              and x.Configurations.VideoEncoder.Encoding == "H264"), None)
    check(p is not None, "no profile with an H.264 encoder")
    held = (p.Configurations.AudioSource, p.Configurations.AudioEncoder)
    asc = (await m.GetAudioSourceConfigurations({}))[0]
    aec = serialize_object((await m.GetAudioEncoderConfigurations({}))[0], dict)
    opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": aec["token"]})
    names = ("PCMU", "PCMA") if encoding == "G711" else ("mpeg4-generic",)
    g711 = [o for o in opts if o.Encoding in names]
    if encoding == "AAC" and not g711:
        raise NotApplicable(NO_AAC)
    check(g711, f"the options list no {' or '.join(names)}: {[o.Encoding for o in opts]}")
    try:
        await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [
            {"Type": "AudioSource", "Token": asc.token}, {"Type": "AudioEncoder", "Token": aec["token"]}]})
        cfg = dict(aec, Encoding=g711[0].Encoding, Bitrate=g711[0].BitrateList.Items[0], SampleRate=g711[0].SampleRateList.Items[0])
        await m.SetAudioEncoderConfiguration({"Configuration": cfg})
        uri = await m.GetStreamUri({"Protocol": protocol, "ProfileToken": p.token})
        check(uri and "@" not in uri, f"GetStreamUri {protocol}: {uri!r}")
        ctx.note(f"profile {p.token}: " + await play(ctx, uri, transport, video, encoding))
    finally:
        await m.SetAudioEncoderConfiguration({"Configuration": aec})
        gone = [t for t, h in (("AudioSource", held[0]), ("AudioEncoder", held[1])) if h is None]
        if gone:
            await m.RemoveConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": t} for t in gone]})


for ids, encoding, video in ((("MEDIA2_RTSS-5-1-1", "MEDIA2_RTSS-5-1-2", "MEDIA2_RTSS-5-1-3"), "G711", True),
                             (("MEDIA2_RTSS-5-1-7", "MEDIA2_RTSS-5-1-8", "MEDIA2_RTSS-5-1-9"), "AAC", True),
                             (("MEDIA2_RTSS-2-1-7", "MEDIA2_RTSS-2-1-8", "MEDIA2_RTSS-2-1-9"), "AAC", False)):
    for cid, (protocol, transport) in zip(ids, (("RtspUnicast", "udp"), ("RtspOverHttp", "http"),
                                                ("RtspUnicast", "tcp"))):
        def register2(cid=cid, protocol=protocol, transport=transport, encoding=encoding, video=video):
            @m2case(cid, requires=(MEDIA2,))
            async def run(ctx):
                await media2_case(ctx, protocol, transport, encoding, video)

        register2()
