"""ONVIF audio back channel cases: the Real Time Streaming specification's RTSS-6-1-*
(Media 1, Annex A.25 "Media Profile Configuration for Backchannel Audio Streaming") and the
Media2 one's MEDIA2_RTSS-3-1-* (HelperConfigureMediaProfileForBackchannelStreaming, A.20, then
HelperBackchannelStreamingRTPUnicastUDP A.21, ...RTPRTSPTCP A.22, ...ByPOSTRTPUnicastRTSPHTTPTCP
A.58) and MEDIA2_RTSS-6-1-1 (back channel beside video and audio, A.63/A.66).

Every case: the profile is chosen (or composed) as its annex says, from the audio decoder
configuration options (the codec under test must be listed: else the case is N/A, with what
the options list) and the audio output configuration options (send primacy); then DESCRIBE with
`Require: www.onvif.org/ver20/backchannel` must show an `m=audio` marked `a=sendonly` with the
codec's rtpmap (the spec's "backchannel ... G.711 on the list of supported codecs"), SETUP of
that track (UDP, interleaved TCP, or interleaved inside the HTTP tunnel's POST for "streaming by
POST"), PLAY, all with the tag; the client sends AUDIO_SECS of RTP G.711 (a 1 kHz tone,
encoded here with the standard G.711 tables) paced in real time, and the camera must send valid
RTCP on that session meanwhile ("If DUT does not send valid RTCP packets, FAIL the test"): for
a session that only talks, receiver reports of the client's SSRC (RFC 3550 s6.4.2: a
participant that sends no RTP reports with RR). TEARDOWN with the tag. Everything changed is
put back.

Beyond the spec's criteria ("The DUT did not send G.711 RTP media streaming to Output"), the
runner hears the output: the cases run against a camera of their own, started on a copy of
the runner camera's settings with the simulator's `speaker_file` option (the simulated
speaker records every sample it plays, docs/rtsp.md "Back channel"), and what it recorded
during the case must be the tone as sent (correlation >= 0.99 with the G.711 decoding of the
bytes sent, all of them played).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import math
import re
import shutil
import struct
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from zeep.helpers import serialize_object

from conformance.applicability import NO_IPV6, NO_TLS, NO_WEBSOCKET
from conformance.cases.media2 import MEDIA2, m2case, media2
from conformance.cases.rtss_media2 import check_ip_types, get_stream_uri
from conformance.harness import NS, Context, NotApplicable, case, check
from conformance.rtsp_client import RtspClient

try:  # Python <= 3.12: the standard G.711 tables (ITU-T G.711 as ffmpeg and the SoCs use)
    import audioop
except ImportError:  # pragma: no cover
    audioop = None

MEDIA = NS["trt"]
REQUIRES = (MEDIA,)
TAG = "www.onvif.org/ver20/backchannel"
REQUIRE = {"Require": TAG}
# Seconds of audio sent: past the RTCP initial interval (RFC 3550 s6.2: 2.5 s) with margin.
AUDIO_SECS = 4.0
IDLE_SECS = 30.0
HALF_DUPLEX_SERVER = "www.onvif.org/ver20/HalfDuplex/Server"
HALF_DUPLEX_CLIENT = "www.onvif.org/ver20/HalfDuplex/Client"
RULES = [
    (r"^MEDIA2_RTSS-3-1-(13|14|15|16)$", "N/A", NO_WEBSOCKET),
    (r"^MEDIA2_RTSS-3-1-(25|26|27|28)$", "N/A", NO_TLS),
    (r"^MEDIA2_RTSS-3-1-(4|6|10|12|22|24)$", "N/A", NO_IPV6),
]


# -- the camera with a recording speaker -----------------------------------------------------

_talk: dict = {}


def _stop_talk_camera() -> None:
    nvt, state = _talk.pop("nvt", None), _talk.pop("state", None)
    try:
        if nvt is not None:
            nvt.stop()
    finally:
        if state is not None:
            shutil.rmtree(state, ignore_errors=True)


atexit.register(_stop_talk_camera)


async def talk_camera(ctx) -> Context:
    """A Context on the camera whose simulated speaker records to `_talk["speaker"]` (started
    on first use on a copy of the runner camera's settings, stopped IDLE_SECS after the last
    case that used it or at exit)."""
    from conformance.nvt import Nvt

    loop = asyncio.get_running_loop()
    if (t := _talk.get("timer")) is not None:
        t.cancel()
    if "nvt" not in _talk:
        state = Path(tempfile.mkdtemp(prefix="nvt-conformance-talk-"))
        settings = json.loads((Path(ctx.nvt.state_dir) / "settings.json").read_text())
        settings["network"]["protocols"].update(http_port=None, rtsp_port=None)
        (state / "state").mkdir()
        (state / "state" / "settings.json").write_text(json.dumps(settings))
        speaker = state / "speaker.s16"
        nvt = Nvt(ctx.nvt.binary, state / "state", ctx.password, args=["--sdk-options", f"speaker_file={speaker}"])
        try:
            await loop.run_in_executor(None, nvt.start)
        except BaseException:
            nvt.kill9()
            shutil.rmtree(state, ignore_errors=True)
            raise
        _talk.update(nvt=nvt, state=state, speaker=speaker)
    nvt = _talk["nvt"]
    if nvt.proc.poll() is not None:
        await loop.run_in_executor(None, nvt.start)
    return Context(nvt=nvt, user=ctx.user, password=ctx.password, work=ctx.work, notes=ctx.notes)


def _arm_idle_stop() -> None:
    loop = asyncio.get_running_loop()
    _talk["timer"] = loop.call_later(IDLE_SECS, lambda: loop.run_in_executor(None, _stop_talk_camera))


def recorded_bytes() -> int:
    p = _talk.get("speaker")
    return p.stat().st_size if p is not None and p.exists() else 0


# -- the signal ------------------------------------------------------------------------------


def tone(encoding: str, secs: float = AUDIO_SECS, freq: float = 1000.0) -> tuple[bytes, list[int]]:
    """A 1 kHz tone at 8 kHz encoded to G.711 (PCMU or PCMA), and the G.711 decoding of those
    bytes (what the speaker must play)."""
    check(audioop is not None, "audioop (the G.711 tables) is missing from this Python")
    n = int(8000 * secs)
    pcm = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / 8000))) for i in range(n))
    enc, dec = (audioop.lin2ulaw, audioop.ulaw2lin) if encoding == "PCMU" else (audioop.lin2alaw, audioop.alaw2lin)
    coded = enc(pcm, 2)
    ref = list(struct.unpack(f"<{n}h", dec(coded, 2)))
    return coded, ref


def rtp_packets(coded: bytes, pt: int, ssrc: int) -> list[bytes]:
    """RFC 3551 G.711: 20 ms (160 samples) a packet, timestamps in samples, marker on the
    first packet of the talk spurt."""
    out = []
    for i in range(0, len(coded), 160):
        k = i // 160
        out.append(struct.pack("!BBHII", 0x80, pt | (0x80 if k == 0 else 0), (4000 + k) & 0xFFFF, k * 160, ssrc) + coded[i:i + 160])
    return out


def best_correlation(rec: list[int], ref: list[int]) -> tuple[float, int]:
    """Normalized correlation of `ref` with `rec` at the best offset (recording may start a
    few samples late or hold leading silence)."""
    best, at = -1.0, 0
    n = min(len(ref), 4000)
    r = ref[:n]
    rn = math.sqrt(sum(x * x for x in r)) or 1.0
    for off in range(0, max(1, len(rec) - n + 1), 1):
        w = rec[off:off + n]
        if len(w) < n:
            break
        wn = math.sqrt(sum(x * x for x in w)) or 1.0
        c = sum(a * b for a, b in zip(w, r)) / (wn * rn)
        if c > best:
            best, at = c, off
        if best > 0.999:
            break
        if off > 800:  # a tenth of a second of slack is plenty
            break
    return best, at


# -- RTSP ------------------------------------------------------------------------------------


def sections(sdp: str) -> list[str]:
    return [p for p in re.split(r"(?m)^(?=m=)", sdp) if p.startswith("m=")]


def backchannel_section(sdp: str, encoding: str) -> tuple[str, int]:
    """The `m=audio` marked a=sendonly with `encoding`'s rtpmap; its payload type."""
    found = [s for s in sections(sdp) if s.startswith("m=audio") and re.search(r"(?m)^a=sendonly\s*$", s)]
    check(found, f"no backchannel in the SDP (an m=audio marked a=sendonly): {sdp!r:.400}")
    s = found[0]
    m = re.search(rf"(?m)^a=rtpmap:(\d+) {encoding}/8000", s)
    check(m, f"{encoding} is not on the backchannel's list of codecs: {s!r:.300}")
    return s, int(m.group(1))


def control(section: str, base: str) -> str:
    m = re.search(r"(?m)^a=control:(\S+)", section)
    check(m, f"no a=control in {section!r:.200}")
    ctrl = m.group(1)
    return ctrl if ctrl.startswith("rtsp://") else base.rstrip("/") + "/" + ctrl


def check_rtcp_from_dut(packets, ssrc: int, where: str) -> str:
    """Valid RTCP from the camera on this session: compound packets (RFC 3550 s6.1) that start
    with an SR or RR of version 2, lengths consistent, and (the camera receives our RTP) a
    report block about our SSRC."""
    rtcp = [p for p in packets if p.rtcp]
    check(rtcp, f"{where}: the DUT sent no RTCP while the client talked for {AUDIO_SECS:.0f} s")
    blocks = 0
    for p in rtcp:
        d = p.data
        check(len(d) >= 8 and d[0] >> 6 == 2 and d[1] in (200, 201), f"{where}: RTCP not starting with an SR/RR of version 2: {d[:8].hex()}")
        off = 0
        while off + 4 <= len(d):
            v, pt, words = d[off] >> 6, d[off + 1], struct.unpack("!H", d[off + 2:off + 4])[0]
            check(v == 2 and off + 4 * (words + 1) <= len(d), f"{where}: malformed RTCP compound {d.hex()}")
            rc = d[off] & 0x1F
            if pt in (200, 201):
                first = off + (28 if pt == 200 else 8)
                for k in range(rc):
                    b = first + 24 * k
                    if b + 24 <= len(d) and struct.unpack("!I", d[b:b + 4])[0] == ssrc:
                        blocks += 1
            off += 4 * (words + 1)
        check(off == len(d), f"{where}: RTCP compound length {len(d)} does not add up")
    check(blocks, f"{where}: no RTCP report block about the talker's SSRC {ssrc:08x} in {len(rtcp)} RTCP packets")
    return f"{len(rtcp)} RTCP from the DUT ({blocks} report blocks of our SSRC)"


async def backchannel_stream(ctx, uri: str, transport: str, encoding: str, *, media=(), back_first=False) -> str:
    """Annex A.21 (UDP), A.22 (RTP/RTSP/TCP), A.58 (by POST, `http`): DESCRIBE, SETUP, PLAY,
    talk, RTCP, TEARDOWN, all with the Require tag. `media`: kinds the camera sends to set up
    beside the back channel (A.66: video and audio), checked as received."""
    tunnel = transport == "http"
    url = uri.replace("http://", "rtsp://", 1) if tunnel else uri
    c = RtspClient(url, ctx.user, ctx.password, tunnel=tunnel)
    await c.connect()
    try:
        # HelperRTSPAuthenticationCheck: an anonymous request is answered 401 with Digest.
        anon = await c.request("DESCRIBE", headers={"Accept": "application/sdp", **REQUIRE}, auth=False)
        check(anon.status == 401 and "Digest" in (anon.header("www-authenticate") or ""),
              f"anonymous DESCRIBE answered {anon.status} {anon.reason}, not 401 Digest")
        d = await c.request("DESCRIBE", headers={"Accept": "application/sdp", **REQUIRE})
        check(d.status == 200, f"DESCRIBE with Require: {TAG}: {d.status} {d.reason}")
        sdp = d.body.decode()
        check_ip_types(d, sdp)
        base = d.header("content-base") or url
        bc, pt = backchannel_section(sdp, encoding)
        tracks: list[tuple[str, str]] = []
        for kind in media:
            s = [x for x in sections(sdp) if x.startswith(f"m={kind}") and "a=sendonly" not in x]
            check(s, f"SDP without a received m={kind} beside the backchannel")
            tracks.append((kind, control(s[0], base)))
        tracks.insert(0 if back_first else len(tracks), ("back", control(bc, base)))
        udp: dict[str, list] = {}
        setups = []
        for i, (kind, t) in enumerate(tracks):
            if transport == "udp":
                s = await c.setup_udp(t, REQUIRE if kind == "back" else None)
                udp[kind] = c._udp[-2:]
            else:
                s = await c.setup_tcp(t, (2 * i, 2 * i + 1), REQUIRE if kind == "back" else None)
            check(s.status == 200, f"SETUP {kind} {t} ({transport}): {s.status} {s.reason}")
            setups.append(s)
        back_index = next(i for i, (k, _) in enumerate(tracks) if k == "back")
        back_channel = 2 * back_index
        tr = setups[back_index].header("transport") or ""
        if transport == "udp":
            sp = re.search(r"server_port=(\d+)", tr)
            check(sp, f"backchannel SETUP reply Transport {tr!r} without server_port")
            dest = (urlsplit(url).hostname, int(sp.group(1)))
        else:
            check(f"interleaved={back_channel}-{back_channel + 1}" in tr, f"backchannel SETUP reply Transport {tr!r}")
        # Every UDP track's packets, by the kind their sockets were set up for.
        p = await c.play(REQUIRE)
        check(p.status == 200, f"PLAY with Require: {p.status} {p.reason}")
        check((p.header("session") or "").split(";")[0] == c.session, "PLAY without the session")

        coded, ref = tone(encoding)
        ssrc = 0x5A1E0001
        pkts = rtp_packets(coded, pt, ssrc)
        rec0 = recorded_bytes()
        start = time.monotonic()
        for k, pkt in enumerate(pkts):
            due = start + 0.02 * k
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            if transport == "udp":
                udp["back"][0].sendto(pkt, dest)
            else:
                await c._send(b"$" + bytes([back_channel]) + struct.pack("!H", len(pkt)) + pkt)
        await asyncio.sleep(0.5)
        check(not c._tasks[0].done(), "RTSP connection closed by the DUT during the backchannel streaming")
        if transport == "udp":
            back_packets = [x for x in c.packets if x.rtcp and x.at >= start]
            # UDP: RTCP arrives on the back channel's client RTCP port; the packets list holds
            # every socket's, so count only RTCP whose report blocks name our SSRC.
        else:
            back_packets = [x for x in c.packets if x.rtcp]
        note = [f"{encoding} PT {pt}: {len(pkts)} RTP packets sent over {transport}"]
        for kind, _ in [t for t in tracks if t[0] != "back"]:
            pts = {0, 8} if kind == "audio" else None
            got = [x for x in c.packets if not x.rtcp and ((x.data[1] & 0x7F) in pts if pts else (x.data[1] & 0x7F) >= 96)]
            check(len(got) > 20, f"only {len(got)} {kind} RTP packets received beside the backchannel")
            note.append(f"{len(got)} {kind} RTP received")

        # What the speaker played: all of it, the tone as sent.
        want = 2 * len(ref)
        deadline = time.monotonic() + 5
        while recorded_bytes() - rec0 < want and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        got = recorded_bytes() - rec0
        check(got >= want, f"the speaker played {got // 2} of the {len(ref)} samples sent")
        raw = _talk["speaker"].read_bytes()[rec0:rec0 + got]
        rec = list(struct.unpack(f"<{len(raw) // 2}h", raw[: len(raw) // 2 * 2]))
        corr, off = best_correlation(rec, ref)
        check(corr >= 0.99, f"the speaker played something else: correlation {corr:.3f} with the tone sent")
        note.append(f"speaker played {got // 2} samples, correlation {corr:.4f} at offset {off}")
        note.append(check_rtcp_from_dut(back_packets, ssrc, transport + "; " + "; ".join(note)))

        t = await c.teardown(REQUIRE)
        check(t.status == 200, f"TEARDOWN with Require: {t.status} {t.reason}")
        return "; ".join(note)
    finally:
        await c.close()


# -- Media 1 (RTSS-6-1-*, Annex A.25) --------------------------------------------------------

DEC_OPTION = {"G711": "G711DecOptions", "G726": "G726DecOptions", "AAC": "AACDecOptions"}


def ext(profile, kind: str):
    """Media 1 keeps a profile's audio output and decoder configurations in its Extension."""
    e = getattr(profile, "Extension", None)
    return getattr(e, f"{kind}Configuration", None) if e is not None else None


def primacy_ok(opts) -> bool:
    """Send primacy "not only HalfDuplex/Server" (A.20's rule: a device that only ever sends
    cannot take a back channel)."""
    sp = list(getattr(opts, "SendPrimacyOptions", None) or [])
    return sp != [HALF_DUPLEX_SERVER]


async def media1_profile(m, codec: str, restore: list):
    """Annex A.25: a profile holding an audio output and decoder configuration whose options
    list `codec` and a usable send primacy; else one composed from the configurations.
    Returns (profile token, audio output configuration, options)."""
    profiles = await m.GetProfiles()
    for p in profiles:
        if ext(p, "AudioOutput") is not None and ext(p, "AudioDecoder") is not None:
            dec = await m.GetAudioDecoderConfigurationOptions({"ProfileToken": p.token})
            if getattr(dec, DEC_OPTION[codec], None) is None:
                continue
            aoo = await m.GetAudioOutputConfigurationOptions({"ProfileToken": p.token,
                                                              "ConfigurationToken": ext(p, "AudioOutput").token})
            if primacy_ok(aoo):
                return p.token, ext(p, "AudioOutput"), aoo
    for p in profiles:
        if p.AudioSourceConfiguration is not None or p.AudioEncoderConfiguration is not None:
            continue
        aocs = await m.GetAudioOutputConfigurations()
        for aoc in aocs:
            aoo = await m.GetAudioOutputConfigurationOptions({"ProfileToken": p.token, "ConfigurationToken": aoc.token})
            if not primacy_ok(aoo):
                continue
            held_out = ext(p, "AudioOutput")
            await m.AddAudioOutputConfiguration({"ProfileToken": p.token, "ConfigurationToken": aoc.token})
            restore.append(("AudioOutput", p.token, held_out.token if held_out is not None else None))
            for adc in await m.GetAudioDecoderConfigurations():
                dec = await m.GetAudioDecoderConfigurationOptions({"ConfigurationToken": adc.token, "ProfileToken": p.token})
                if getattr(dec, DEC_OPTION[codec], None) is not None:
                    held = ext(p, "AudioDecoder")
                    await m.AddAudioDecoderConfiguration({"ProfileToken": p.token, "ConfigurationToken": adc.token})
                    restore.append(("AudioDecoder", p.token, held.token if held is not None else None))
                    return p.token, aoc, aoo
            break
    raise NotApplicable(f"no audio decoder configuration offers {codec} (the decoder options list "
                        f"{await decoder_codecs(m)}): the SDK's speaker decodes only those")


async def decoder_codecs(m) -> list[str]:
    out = set()
    for adc in await m.GetAudioDecoderConfigurations():
        o = await m.GetAudioDecoderConfigurationOptions({"ConfigurationToken": adc.token})
        out |= {k[:-len("DecOptions")] for k in DEC_OPTION.values() if getattr(o, k, None) is not None}
    return sorted(out)


async def media1_case(ctx, codec: str, protocol: str, transport: str) -> None:
    tctx = await talk_camera(ctx)
    try:
        cam = await tctx.camera()
        m = await cam.create_media_service()
        restore: list = []
        token, aoc, aoo = await media1_profile(m, codec, restore)
        held = serialize_object(aoc, dict)
        try:
            # "SetAudioOutputConfiguration (SendPrimacy = HalfDuplex/Client, OutputLevel = o1,
            # ForcePersistence = false)": o1 from the options' range (its maximum, so the
            # speaker plays the tone at full scale); SendPrimacy only where the options offer
            # it (Media s5.20.4: a full-duplex device lists none and takes none).
            sp = list(aoo.SendPrimacyOptions or [])
            cfg = dict(held, OutputLevel=aoo.OutputLevelRange.Max)
            if HALF_DUPLEX_CLIENT in sp:
                cfg["SendPrimacy"] = HALF_DUPLEX_CLIENT
            else:
                cfg.pop("SendPrimacy", None)
                ctx.note(f"SendPrimacy left out: the options list {sp or 'none'} (full duplex)")
            await m.SetAudioOutputConfiguration({"Configuration": cfg, "ForcePersistence": False})
            r = await m.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": protocol}},
                                      "ProfileToken": token})
            check(r.Uri and "@" not in r.Uri, f"GetStreamUri {protocol}: {r.Uri!r}")
            check(r.InvalidAfterConnect is not None and r.InvalidAfterReboot is not None and r.Timeout is not None,
                  f"GetStreamUriResponse lacks InvalidAfterConnect/InvalidAfterReboot/Timeout: {r}")
            host = urlsplit(r.Uri).hostname or ""
            check(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", host), f"stream URI {r.Uri} does not name an IPv4 address")
            ctx.note(f"profile {token}: " + await backchannel_stream(tctx, r.Uri, transport, "PCMU"))
        finally:
            await m.SetAudioOutputConfiguration({"Configuration": held, "ForcePersistence": False})
            for kind, profile, tok in reversed(restore):
                if tok is None:
                    await getattr(m, f"Remove{kind}Configuration")({"ProfileToken": profile})
                else:
                    await getattr(m, f"Add{kind}Configuration")({"ProfileToken": profile, "ConfigurationToken": tok})
    finally:
        await tctx.close()
        _arm_idle_stop()


for cid, codec, protocol, transport in (
    ("RTSS-6-1-1", "G711", "UDP", "udp"), ("RTSS-6-1-3", "G711", "RTSP", "tcp"), ("RTSS-6-1-10", "G711", "HTTP", "http"),
    ("RTSS-6-1-4", "G726", "UDP", "udp"), ("RTSS-6-1-6", "G726", "RTSP", "tcp"), ("RTSS-6-1-11", "G726", "HTTP", "http"),
    ("RTSS-6-1-7", "AAC", "UDP", "udp"), ("RTSS-6-1-9", "AAC", "RTSP", "tcp"), ("RTSS-6-1-12", "AAC", "HTTP", "http"),
):
    def register(cid=cid, codec=codec, protocol=protocol, transport=transport):
        @case(cid)
        async def run(ctx):
            await media1_case(ctx, codec, protocol, transport)

    register()


# -- Media 2 (MEDIA2_RTSS-3-1-*, Annex A.20 with A.21, A.22, A.58) ---------------------------

AAC_NAMES = ("MP4A-LATM", "MPEG4-GENERIC")


def m2_confs(p):
    return p.Configurations if p.Configurations is not None else None


def decodes(opts, required: str) -> str | None:
    """The encoding name to expect for `required` in Media2 decoder options, or None."""
    names = [o.Encoding for o in opts or []]
    if required == "AAC":
        return next((n for n in ("MP4A-LATM", "MPEG4-GENERIC") if n in names), None)
    return required if required in names else None


async def media2_profile(m, required: str, added: list):
    """HelperConfigureMediaProfileForBackchannelStreaming (A.20): a profile with an audio
    output whose send primacy is not only HalfDuplex/Server and a decoder offering
    `required`; else one composed with AddConfiguration (noted in `added`). Returns
    (profile token, encoding expected, the audio output configuration)."""
    profiles = await m.GetProfiles({"Type": ["AudioOutput", "AudioDecoder"]})
    for p in profiles:
        c = m2_confs(p)
        if c is None or c.AudioOutput is None or c.AudioDecoder is None:
            continue
        aoo = await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": c.AudioOutput.token, "ProfileToken": p.token})
        if not primacy_ok(aoo):
            continue
        dec = await m.GetAudioDecoderConfigurationOptions({"ConfigurationToken": c.AudioDecoder.token, "ProfileToken": p.token})
        if (enc := decodes(dec, required)) is not None:
            return p.token, enc, c.AudioOutput
    for p in profiles:
        for aoc in await m.GetAudioOutputConfigurations({"ProfileToken": p.token}):
            aoo = await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": aoc.token, "ProfileToken": p.token})
            if not primacy_ok(aoo):
                continue
            held = m2_confs(p)
            await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "AudioOutput", "Token": aoc.token}]})
            added.append((p.token, "AudioOutput", held.AudioOutput.token if held is not None and held.AudioOutput is not None else None))
            for adc in await m.GetAudioDecoderConfigurations({"ProfileToken": p.token}):
                dec = await m.GetAudioDecoderConfigurationOptions({"ConfigurationToken": adc.token, "ProfileToken": p.token})
                if (enc := decodes(dec, required)) is not None:
                    await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "AudioDecoder", "Token": adc.token}]})
                    added.append((p.token, "AudioDecoder", held.AudioDecoder.token if held is not None and held.AudioDecoder is not None else None))
                    return p.token, enc, aoc
            break
    offered = set()
    for adc in await m.GetAudioDecoderConfigurations({}):
        offered |= {o.Encoding for o in await m.GetAudioDecoderConfigurationOptions({"ConfigurationToken": adc.token}) or []}
    if required == "AAC":
        raise NotApplicable(f"AAC back channel: no audio decoder configuration offers MP4A-LATM or MPEG4-GENERIC "
                            f"(the decoder options list {sorted(offered)}: the SDK's speaker decodes only those)")
    check(False, f"no profile can get an audio output and a decoder of {required} (decoder options: {sorted(offered)})")


async def m2_restore(m, added: list) -> None:
    for token, kind, held in reversed(added):
        if held is None:
            await m.RemoveConfiguration({"ProfileToken": token, "Configuration": [{"Type": kind}]})
        else:
            await m.AddConfiguration({"ProfileToken": token, "Configuration": [{"Type": kind, "Token": held}]})


async def media2_case(ctx, required: str, protocol: str, transport: str) -> None:
    tctx = await talk_camera(ctx)
    try:
        m = await media2(tctx)
        added: list = []
        try:
            token, enc, aoc = await media2_profile(m, required, added)
            # A.20: SetAudioOutputConfiguration only when its send primacy is HalfDuplex/Server.
            if getattr(aoc, "SendPrimacy", None) == HALF_DUPLEX_SERVER:
                check(False, "the audio output's send primacy is HalfDuplex/Server")
            uri = await get_stream_uri(tctx, m, protocol, token, tctx.nvt.http_port)
            wire = {"MP4A-LATM": "MP4A-LATM", "MPEG4-GENERIC": "mpeg4-generic"}.get(enc, enc)
            ctx.note(f"profile {token}: " + await backchannel_stream(tctx, uri, transport, wire))
        finally:
            await m2_restore(m, added)
    finally:
        await tctx.close()
        _arm_idle_stop()


for cid, required, protocol, transport in (
    ("MEDIA2_RTSS-3-1-1", "PCMU", "RtspUnicast", "udp"), ("MEDIA2_RTSS-3-1-3", "PCMU", "RTSP", "tcp"),
    ("MEDIA2_RTSS-3-1-21", "PCMU", "RtspOverHttp", "http"),
    ("MEDIA2_RTSS-3-1-7", "AAC", "RtspUnicast", "udp"), ("MEDIA2_RTSS-3-1-9", "AAC", "RTSP", "tcp"),
    ("MEDIA2_RTSS-3-1-23", "AAC", "RtspOverHttp", "http"),
):
    def register2(cid=cid, required=required, protocol=protocol, transport=transport):
        @m2case(cid, requires=(MEDIA2,))
        async def run(ctx):
            await media2_case(ctx, required, protocol, transport)

    register2()


# -- MEDIA2_RTSS-6-1-1 (Annex A.63 with A.66) ------------------------------------------------

KINDS = ("VideoSource", "VideoEncoder", "AudioSource", "AudioEncoder", "Analytics", "PTZ", "Metadata",
         "AudioOutput", "AudioDecoder")


@m2case("MEDIA2_RTSS-6-1-1", requires=(MEDIA2,))
async def backchannel_with_video_and_audio(ctx):
    """HelperDeviceConfigurationForBackchannelAndVideoAndAudioStreaming: the first profile
    emptied, then an audio output, a PCMU decoder, the video source and an H.264 encoder, the
    audio source and a G.711 encoder; SetAudioOutputConfiguration (SendPrimacy skipped); then
    HelperBackchannelAndMediaStreamingRTPUnicastUDP: SETUP of the back channel (with the tag),
    the video and the audio over UDP, PLAY, talk; video and audio RTP must arrive and RTCP
    too. The profile and the encoder configurations are put back."""
    tctx = await talk_camera(ctx)
    try:
        m = await media2(tctx)
        p = (await m.GetProfiles({"Type": ["All"]}))[0]
        c = p.Configurations
        held = {k: getattr(c, k).token for k in KINDS if c is not None and getattr(c, k, None) is not None}
        vecs0 = [serialize_object(v, dict) for v in await m.GetVideoEncoderConfigurations({})]
        aecs0 = [serialize_object(a, dict) for a in await m.GetAudioEncoderConfigurations({})]
        try:
            if held:
                await m.RemoveConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": k} for k in held]})
            aocs = await m.GetAudioOutputConfigurations({"ProfileToken": p.token})
            check(aocs, "no audio output configuration")
            await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "AudioOutput", "Token": aocs[0].token}]})
            adc = None
            for a in await m.GetAudioDecoderConfigurations({"ProfileToken": p.token}):
                if decodes(await m.GetAudioDecoderConfigurationOptions({"ConfigurationToken": a.token, "ProfileToken": p.token}), "PCMU"):
                    adc = a
                    break
            check(adc is not None, "no audio decoder configuration decodes PCMU")
            await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "AudioDecoder", "Token": adc.token}]})
            vsc = (await m.GetVideoSourceConfigurations({"ProfileToken": p.token}))[0]
            await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": "VideoSource", "Token": vsc.token}]})
            vec = next((v for v in await m.GetVideoEncoderConfigurations({"ProfileToken": p.token}) if v.Encoding == "H264"), None)
            check(vec is not None, "no compatible H.264 video encoder configuration")
            asc = (await m.GetAudioSourceConfigurations({"ProfileToken": p.token}))[0]
            aec = serialize_object((await m.GetAudioEncoderConfigurations({"ProfileToken": p.token}))[0], dict)
            await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [
                {"Type": "VideoEncoder", "Token": vec.token}, {"Type": "AudioSource", "Token": asc.token},
                {"Type": "AudioEncoder", "Token": aec["token"]}]})
            opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": aec["token"], "ProfileToken": p.token})
            g711 = next((o for o in opts if o.Encoding in ("PCMU", "PCMA")), None)
            check(g711 is not None, f"the audio encoder options list no G.711: {[o.Encoding for o in opts]}")
            await m.SetAudioEncoderConfiguration({"Configuration": dict(
                aec, Encoding=g711.Encoding, Bitrate=g711.BitrateList.Items[0], SampleRate=g711.SampleRateList.Items[0])})
            got = (await m.GetProfiles({"Token": p.token, "Type": ["All"]}))[0].Configurations
            check(all(getattr(got, k, None) is not None for k in ("AudioOutput", "AudioDecoder", "VideoSource", "VideoEncoder",
                                                                 "AudioSource", "AudioEncoder")),
                  "the profile did not take every configuration")
            ao = serialize_object(got.AudioOutput, dict)
            ao.pop("SendPrimacy", None)
            await m.SetAudioOutputConfiguration({"Configuration": ao})
            uri = await get_stream_uri(tctx, m, "RtspUnicast", p.token, tctx.nvt.http_port)
            ctx.note(f"profile {p.token} ({got.VideoEncoder.Encoding}, {got.AudioEncoder.Encoding}): "
                     + await backchannel_stream(tctx, uri, "udp", "PCMU", media=("video", "audio"), back_first=True))
        finally:
            now = (await m.GetProfiles({"Token": p.token, "Type": ["All"]}))[0].Configurations
            present = [k for k in KINDS if now is not None and getattr(now, k, None) is not None]
            if present:
                await m.RemoveConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": k} for k in present]})
            if held:
                await m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": k, "Token": t} for k, t in held.items()]})
            for v in vecs0:
                await m.SetVideoEncoderConfiguration({"Configuration": v})
            for a in aecs0:
                await m.SetAudioEncoderConfiguration({"Configuration": a})
    finally:
        await tctx.close()
        _arm_idle_stop()
