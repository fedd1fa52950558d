"""ONVIF Real Time Streaming using Media2 Device Test Specification, unicast G.711 audio
(MEDIA2_RTSS-2-1-1..3: audio of a profile that may hold video too, over RTP/UDP, the
RTSP-over-HTTP tunnel and RTSP interleaved TCP; MEDIA2_RTSS-2-1-21: a profile holding only
the audio source and encoder, over RTP/UDP).

The steps are the specification's helpers: HelperConfigureMediaProfileForAudioStreaming (the
first profile with an audio source and encoder whose options list PCMU, else one composed
with AddConfiguration), HelperDeviceConfigurationForAudioStreaming (SetAudioEncoderConfiguration
to that encoding, Bitrate and SampleRate nearest the current ones among the options),
...UsingOnlyAudioInProfile (every other configuration removed), HelperGetStreamUri (IPv4,
the RtspOverHttp port rule), then the streaming helper with media type audio: an anonymous
DESCRIBE answered 401 Digest, the SDP's m=audio with rtpmap PCMU and no a=sendonly, its
addresses IPv4 (cases/rtss_media2.py), SETUP of the audio track only, PLAY, the audio RTP
(version 2, payload type 0, one SSRC, no sequence gap, 20 ms packets of 160 samples) with an
RTCP sender report, TEARDOWN (cases/rtss_audio.py). The audio encoder configuration and the
profile are put back.
"""

from __future__ import annotations

from zeep.helpers import serialize_object

from conformance.cases import rtss_audio
from conformance.cases.media2 import MEDIA2, capabilities, confs, m2case, media2, profiles, supported, write
from conformance.cases.rtss_media2 import Restore, add_configuration, describe_checks, get_stream_uri, remove_configurations
from conformance.harness import Failed, NotApplicable, check

REQUIRES = (MEDIA2,)
RULES: list = []

# HelperDeviceConfigurationForAudioStreamingUsingOnlyAudioInProfile's confTypeList.
NOT_AUDIO_IN = ("VideoSource", "VideoEncoder", "AudioOutput", "AudioDecoder", "Metadata", "Analytics", "PTZ")


async def aec_option(m, aec_token: str, profile_token: str, encoding: str):
    opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": aec_token, "ProfileToken": profile_token})
    return next((o for o in opts or [] if o.Encoding == encoding), None)


async def audio_profile(m, restore: Restore, encoding: str):
    """HelperConfigureMediaProfileForAudioStreaming: (profile, aecOptions)."""
    ps = await profiles(m, "AudioSource", "AudioEncoder")
    for p in ps:
        c = confs(p)
        if {"AudioSource", "AudioEncoder"} <= set(c):
            o = await aec_option(m, c["AudioEncoder"].token, p.token, encoding)
            if o is not None:
                return p, o
    for p in ps:
        for asc in await m.GetAudioSourceConfigurations({"ProfileToken": p.token}):
            await add_configuration(m, restore, p, "AudioSource", asc.token)
            for aec in await m.GetAudioEncoderConfigurations({"ProfileToken": p.token}):
                o = await aec_option(m, aec.token, p.token, encoding)
                if o is not None:
                    await add_configuration(m, restore, (await profiles(m, "All", token=p.token))[0], "AudioEncoder", aec.token)
                    return (await profiles(m, "All", token=p.token))[0], o
    raise Failed(f"no profile can be given an audio encoder configuration offering {encoding}")


def nearest(items, value):
    return min(items, key=lambda x: abs(x - (value or 0)))


async def g711_case(ctx, protocol: str, transport: str, only_audio: bool) -> None:
    m = await media2(ctx)
    kinds = supported(await capabilities(m))
    if not {"AudioSource", "AudioEncoder"} <= set(kinds):
        raise NotApplicable(f"audio streaming is not offered (Media2 ConfigurationsSupported {' '.join(kinds)})")
    offered = [o.Encoding for o in await m.GetAudioEncoderConfigurationOptions({}) or []]
    if "PCMU" not in offered:
        raise NotApplicable(f"G.711 µ-law is not offered (audio encoder options {offered})")
    restore = Restore(m)
    saved = None
    try:
        p, o = await audio_profile(m, restore, "PCMU")
        aec = confs(p)["AudioEncoder"]
        saved = serialize_object(aec, dict)
        cfg = {"token": aec.token, "Name": aec.Name, "UseCount": aec.UseCount, "Encoding": o.Encoding,
               "Multicast": saved.get("Multicast"),
               "Bitrate": nearest(o.BitrateList.Items, aec.Bitrate), "SampleRate": nearest(o.SampleRateList.Items, aec.SampleRate)}
        await write(m.SetAudioEncoderConfiguration({"Configuration": cfg}), "SetAudioEncoderConfiguration")
        if only_audio:
            await remove_configurations(m, restore, p, NOT_AUDIO_IN)
            held = sorted(confs((await profiles(m, "All", token=p.token))[0]))
            check(held == ["AudioEncoder", "AudioSource"], f"profile {p.token} holds {held} after removing the others")
        uri = await get_stream_uri(ctx, m, protocol, p.token, ctx.nvt.http_port)
        await describe_checks(ctx, uri, media="audio", encoding="PCMU")
        note = await rtss_audio.play(ctx, uri, transport, video=False)
        check(note.startswith("PCMU"), f"streamed {note.split(':')[0]}, set PCMU")
        ctx.note(f"profile {p.token} ({'audio only' if only_audio else 'with ' + ', '.join(sorted(confs(p)))}): {note}")
    finally:
        await restore.undo()
        if saved is not None:
            await m.SetAudioEncoderConfiguration({"Configuration": saved})


for cid, (protocol, transport, only_audio) in (
    ("MEDIA2_RTSS-2-1-1", ("RtspUnicast", "udp", False)),
    ("MEDIA2_RTSS-2-1-2", ("RtspOverHttp", "http", False)),
    ("MEDIA2_RTSS-2-1-3", ("RTSP", "tcp", False)),
    ("MEDIA2_RTSS-2-1-21", ("RtspUnicast", "udp", True)),
):
    def register(cid=cid, protocol=protocol, transport=transport, only_audio=only_audio):
        @m2case(cid, requires=(MEDIA2,))
        async def run(ctx):
            await g711_case(ctx, protocol, transport, only_audio)

    register()
