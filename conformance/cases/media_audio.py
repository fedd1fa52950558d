"""ONVIF Media Configuration Device Test Specification, audio (MEDIA-3-1-*, MEDIA-3-2-*,
MEDIA-3-3-*), and Media2's (MEDIA2-3-1-*, MEDIA2-3-2-*): audio sources, audio source and audio
encoder configurations, their options, use counts and writes, with the zeep client Home
Assistant uses. The use-count and consistency steps are the video ones' (cases/media.py),
run on the audio kinds.

The default profiles hold no audio (docs/settings.md "Audio": off by default), so the cases
that read a profile's audio configurations first add them to a profile of their own
(NewProfile), and every case that changes a configuration puts it back.
"""

from __future__ import annotations

from datetime import timedelta

from zeep.helpers import serialize_object

from conformance.cases.device import expect_fault
from conformance.cases.media import (
    NewProfile, check_list_matches_single, check_profiles_use_listed_configurations, diff, media, plain,
    unique_tokens, use_count, use_count_current,
)
from conformance.cases.media2 import MEDIA2, m2case, media2, no_duplicates, profiles
from conformance.harness import NS, NotApplicable, case, check

MEDIA = NS["trt"]
REQUIRES = (MEDIA,)

NO_G726 = "G.726 is not offered: the SDK's AI caps list G.711 and AAC (the contract has no G.726 codec)"
NO_AAC = ("AAC is not offered: GetAudioEncoderConfigurationOptions lists no AAC (the SDK's "
          "microphone does not encode AAC-LC)")

RULES = [
    (r"^MEDIA-3-1-15$", "N/A", NO_G726),
    (r"^MEDIA-3-2-13$|^MEDIA-3-3-13$", "N/A", "one audio source and one audio encoder configuration "
     "(the case needs two of a kind)"),
]


# --- helpers ----------------------------------------------------------------------------


async def audio_profile(m, token: str):
    """A NewProfile holding the first audio source and encoder configurations."""
    asc = (await m.GetAudioSourceConfigurations())[0]
    aec = (await m.GetAudioEncoderConfigurations())[0]
    p = NewProfile(m, token)
    await p.__aenter__()
    await m.AddAudioSourceConfiguration({"ProfileToken": token, "ConfigurationToken": asc.token})
    await m.AddAudioEncoderConfiguration({"ProfileToken": token, "ConfigurationToken": aec.token})
    return p


class AudioProfile:
    def __init__(self, m, token: str):
        self.m, self.token = m, token

    async def __aenter__(self):
        self.p = await audio_profile(self.m, self.token)
        return self

    async def __aexit__(self, *exc):
        await self.p.__aexit__(*exc)


class RestoreAudioEncoders:
    """Saves every audio encoder configuration on entry and sets them back on exit."""

    def __init__(self, m):
        self.m = m

    async def __aenter__(self):
        self.saved = [plain(c) for c in await self.m.GetAudioEncoderConfigurations()]
        return self

    async def __aexit__(self, *exc):
        for c in self.saved:
            await self.m.SetAudioEncoderConfiguration({"Configuration": c, "ForcePersistence": True})


def option_for(opts, encoding: str):
    for o in opts.Options or []:
        if o.Encoding == encoding:
            return o
    return None


def check_aec_against_options(c, opts, where: str) -> None:
    o = option_for(opts, c.Encoding)
    check(o is not None, f"{where}: Encoding {c.Encoding} not among the options {[x.Encoding for x in opts.Options or []]}")
    check(c.Bitrate in (o.BitrateList.Items or []), f"{where}: Bitrate {c.Bitrate} not in {o.BitrateList.Items}")
    check(c.SampleRate in (o.SampleRateList.Items or []), f"{where}: SampleRate {c.SampleRate} not in {o.SampleRateList.Items}")


async def set_encoding(ctx, encoding: str):
    """MEDIA-3-1-14/16 (and 3-1-21): set the first configuration to `encoding` with each
    bitrate and sample rate the options list, read it back each time."""
    m = await media(ctx)
    aec = plain((await m.GetAudioEncoderConfigurations())[0])
    opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": aec["token"]})
    o = option_for(opts, encoding)
    if o is None:
        raise NotApplicable(NO_AAC if encoding == "AAC" else f"{encoding} is not offered")
    done = []
    async with RestoreAudioEncoders(m):
        for bitrate in o.BitrateList.Items:
            for rate in o.SampleRateList.Items:
                cfg = dict(aec, Encoding=encoding, Bitrate=bitrate, SampleRate=rate)
                await m.SetAudioEncoderConfiguration({"Configuration": cfg, "ForcePersistence": True})
                got = await m.GetAudioEncoderConfiguration({"ConfigurationToken": aec["token"]})
                check((got.Encoding, got.Bitrate, got.SampleRate) == (encoding, bitrate, rate),
                      f"set {encoding} {bitrate} kb/s {rate} kHz, read {got.Encoding} {got.Bitrate} {got.SampleRate}")
                done.append(f"{bitrate} kb/s {rate} kHz")
    ctx.note(f"{aec['token']} {encoding}: " + ", ".join(done))


# --- MEDIA-3-1-*: audio configuration ----------------------------------------------------


@case("MEDIA-3-1-7")
async def asc_options(ctx):
    m = await media(ctx)
    sources = unique_tokens(await m.GetAudioSources(), "audio source")
    for c in await m.GetAudioSourceConfigurations():
        opts = await m.GetAudioSourceConfigurationOptions({"ConfigurationToken": c.token})
        check(opts.InputTokensAvailable, f"{c.token}: no InputTokensAvailable")
        for t in opts.InputTokensAvailable:
            check(t in sources, f"{c.token}: input {t} not in GetAudioSources {sources}")
    async with AudioProfile(m, "conf_asc_opts"):
        opts = await m.GetAudioSourceConfigurationOptions({"ProfileToken": "conf_asc_opts"})
        check(opts.InputTokensAvailable, "profile options: no InputTokensAvailable")
    ctx.note(f"audio sources {sources}")


@case("MEDIA-3-1-14")
async def g711_encoder(ctx):
    await set_encoding(ctx, "G711")


@case("MEDIA-3-1-16")
async def aac_encoder(ctx):
    await set_encoding(ctx, "AAC")


@case("MEDIA-3-1-17")
async def asc_invalid_token(ctx):
    m = await media(ctx)
    await expect_fault(m.GetAudioSourceConfiguration({"ConfigurationToken": "conf_invalid_asc"}),
                       "Sender", "InvalidArgVal", "NoConfig")


@case("MEDIA-3-1-18")
async def asc_options_invalid_profile(ctx):
    m = await media(ctx)
    await expect_fault(m.GetAudioSourceConfigurationOptions({"ProfileToken": "conf_invalid_profile"}),
                       "Sender", "InvalidArgVal", "NoProfile")


@case("MEDIA-3-1-19")
async def asc_options_invalid_config(ctx):
    m = await media(ctx)
    await expect_fault(m.GetAudioSourceConfigurationOptions({"ConfigurationToken": "conf_invalid_asc"}),
                       "Sender", "InvalidArgVal", "NoConfig")


@case("MEDIA-3-1-20")
async def set_asc_invalid_token(ctx):
    m = await media(ctx)
    asc = plain((await m.GetAudioSourceConfigurations())[0])
    await expect_fault(m.SetAudioSourceConfiguration({"Configuration": dict(asc, token="conf_invalid_asc"), "ForcePersistence": True}),
                       "Sender", "InvalidArgVal", "NoConfig")


@case("MEDIA-3-1-21")
async def set_aec(ctx):
    m = await media(ctx)
    aec = plain((await m.GetAudioEncoderConfigurations())[0])
    async with RestoreAudioEncoders(m):
        # Out of the options: refused, nothing changed.
        await expect_fault(m.SetAudioEncoderConfiguration({"Configuration": dict(aec, SampleRate=aec["SampleRate"] + 1000), "ForcePersistence": True}),
                           "Sender", "InvalidArgVal", "ConfigModify")
        after = plain(await m.GetAudioEncoderConfiguration({"ConfigurationToken": aec["token"]}))
        check(diff(after, aec) is None, f"refused Set changed the configuration: {diff(after, aec)}")
        renamed = dict(aec, Name="conf audio", SessionTimeout="PT90S")
        await m.SetAudioEncoderConfiguration({"Configuration": renamed, "ForcePersistence": True})
        got = await m.GetAudioEncoderConfiguration({"ConfigurationToken": aec["token"]})
        # zeep reads an xs:duration as a timedelta.
        check((got.Name, got.SessionTimeout) == ("conf audio", timedelta(seconds=90)),
              f"read back Name {got.Name!r} SessionTimeout {got.SessionTimeout!r}")


@case("MEDIA-3-1-22")
async def asc_config(ctx):
    m = await media(ctx)
    asc = plain((await m.GetAudioSourceConfigurations())[0])
    opts = await m.GetAudioSourceConfigurationOptions({"ConfigurationToken": asc["token"]})
    try:
        for t in opts.InputTokensAvailable:
            await m.SetAudioSourceConfiguration({"Configuration": dict(asc, SourceToken=t, Name="conf mic"), "ForcePersistence": True})
            got = await m.GetAudioSourceConfiguration({"ConfigurationToken": asc["token"]})
            check((got.SourceToken, got.Name) == (t, "conf mic"), f"read back {got.SourceToken} {got.Name!r}")
    finally:
        await m.SetAudioSourceConfiguration({"Configuration": asc, "ForcePersistence": True})


@case("MEDIA-3-1-23")
async def aec_config(ctx):
    m = await media(ctx)
    for c in await m.GetAudioEncoderConfigurations():
        opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": c.token})
        check_aec_against_options(c, opts, c.token)
        check(c.Multicast is not None and c.SessionTimeout, f"{c.token}: Multicast or SessionTimeout missing")


# --- MEDIA-3-2-*: audio source configurations ---------------------------------------------


@case("MEDIA-3-2-1")
async def ascs_and_profiles(ctx):
    m = await media(ctx)
    async with AudioProfile(m, "conf_asc_profiles"):
        await check_profiles_use_listed_configurations(m, "AudioSource", "audio source configuration")


@case("MEDIA-3-2-2")
async def ascs_and_asc(ctx):
    await check_list_matches_single(await media(ctx), "AudioSource", "audio source configuration")


@case("MEDIA-3-2-3")
async def ascs_and_options(ctx):
    m = await media(ctx)
    for c in await m.GetAudioSourceConfigurations():
        opts = await m.GetAudioSourceConfigurationOptions({"ConfigurationToken": c.token})
        check(c.SourceToken in (opts.InputTokensAvailable or []), f"{c.token}: {c.SourceToken} not in {opts.InputTokensAvailable}")


@case("MEDIA-3-2-4")
async def profiles_and_asc_options(ctx):
    m = await media(ctx)
    async with AudioProfile(m, "conf_asc_popts"):
        n = 0
        for p in await m.GetProfiles():
            c = p.AudioSourceConfiguration
            if c is None:
                continue
            opts = await m.GetAudioSourceConfigurationOptions({"ProfileToken": p.token, "ConfigurationToken": c.token})
            check(c.SourceToken in (opts.InputTokensAvailable or []), f"profile {p.token}: {c.SourceToken} not in {opts.InputTokensAvailable}")
            n += 1
        check(n, "no profile with an audio source configuration")


@case("MEDIA-3-2-5")
async def ascs_and_sources(ctx):
    m = await media(ctx)
    sources = unique_tokens(await m.GetAudioSources(), "audio source")
    for c in await m.GetAudioSourceConfigurations():
        check(c.SourceToken in sources, f"{c.token}: SourceToken {c.SourceToken} not in GetAudioSources {sources}")


async def use_count_case(ctx, kind: str, token: str, steps):
    m = await media(ctx)
    first = (await getattr(m, f"Get{kind}Configurations")())[0]
    async with NewProfile(m, token):
        await steps(m, first)


def add(kind):
    return lambda m, p, c: getattr(m, f"Add{kind}Configuration")({"ProfileToken": p, "ConfigurationToken": c})


for kind, prefix in (("AudioSource", "MEDIA-3-2"), ("AudioEncoder", "MEDIA-3-3")):
    short = "asc" if kind == "AudioSource" else "aec"
    cur = "6" if kind == "AudioSource" else "5"

    def register(kind=kind, prefix=prefix, short=short, cur=cur):
        @case(f"{prefix}-{cur}")
        async def current(ctx):
            m = await media(ctx)
            async with AudioProfile(m, f"conf_{short}_cur"):
                configs = await use_count_current(m, kind)
            ctx.note(", ".join(f"{c.token} UseCount {c.UseCount}" for c in configs))

        @case(f"{prefix}-12")
        async def twice(ctx):
            m = await media(ctx)
            c1 = (await getattr(m, f"Get{kind}Configurations")())[0]
            token = f"conf_{short}_twice"
            async with NewProfile(m, token):
                for _ in range(2):
                    await add(kind)(m, token, c1.token)
                    n = await use_count(m, kind, c1.token)
                    check(n == c1.UseCount + 1, f"{c1.token}: UseCount {n}, expected {c1.UseCount + 1}")

        @case(f"{prefix}-14")
        async def remove(ctx):
            m = await media(ctx)
            c1 = (await getattr(m, f"Get{kind}Configurations")())[0]
            token = f"conf_{short}_remove"
            async with NewProfile(m, token):
                await add(kind)(m, token, c1.token)
                await getattr(m, f"Remove{kind}Configuration")({"ProfileToken": token})
                n = await use_count(m, kind, c1.token)
                check(n == c1.UseCount, f"{c1.token}: UseCount {n} after removal, expected {c1.UseCount}")

        @case(f"{prefix}-15")
        async def delete(ctx):
            m = await media(ctx)
            c1 = (await getattr(m, f"Get{kind}Configurations")())[0]
            token = f"conf_{short}_delete"
            async with NewProfile(m, token):
                await add(kind)(m, token, c1.token)
                await m.DeleteProfile({"ProfileToken": token})
                n = await use_count(m, kind, c1.token)
                check(n == c1.UseCount, f"{c1.token}: UseCount {n} after DeleteProfile, expected {c1.UseCount}")

        @case(f"{prefix}-16")
        async def set_(ctx):
            m = await media(ctx)
            c1 = plain((await getattr(m, f"Get{kind}Configurations")())[0])
            await getattr(m, f"Set{kind}Configuration")({"Configuration": dict(c1, UseCount=c1["UseCount"] + 5), "ForcePersistence": True})
            n = await use_count(m, kind, c1["token"])
            check(n == c1["UseCount"], f"{c1['token']}: UseCount {n} after a Set with UseCount {c1['UseCount'] + 5}")

    register()


# --- MEDIA-3-3-*: audio encoder configurations --------------------------------------------


@case("MEDIA-3-3-1")
async def aecs_and_profiles(ctx):
    m = await media(ctx)
    async with AudioProfile(m, "conf_aec_profiles"):
        await check_profiles_use_listed_configurations(m, "AudioEncoder", "audio encoder configuration")


@case("MEDIA-3-3-2")
async def aecs_and_aec(ctx):
    await check_list_matches_single(await media(ctx), "AudioEncoder", "audio encoder configuration")


@case("MEDIA-3-3-3")
async def aecs_and_options(ctx):
    m = await media(ctx)
    for c in await m.GetAudioEncoderConfigurations():
        opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": c.token})
        check_aec_against_options(c, opts, c.token)


@case("MEDIA-3-3-4")
async def profiles_and_aec_options(ctx):
    m = await media(ctx)
    async with AudioProfile(m, "conf_aec_popts"):
        n = 0
        for p in await m.GetProfiles():
            c = p.AudioEncoderConfiguration
            if c is None:
                continue
            opts = await m.GetAudioEncoderConfigurationOptions({"ProfileToken": p.token, "ConfigurationToken": c.token})
            check_aec_against_options(c, opts, f"profile {p.token}, {c.token}")
            n += 1
        check(n, "no profile with an audio encoder configuration")


@case("MEDIA-3-3-11")
async def aec_options_bitrate_samplerate(ctx):
    m = await media(ctx)
    opts = await m.GetAudioEncoderConfigurationOptions({})
    check(opts.Options, "no audio encoder options")
    for o in opts.Options:
        check(o.BitrateList and o.BitrateList.Items, f"{o.Encoding}: empty BitrateList")
        check(o.SampleRateList and o.SampleRateList.Items, f"{o.Encoding}: empty SampleRateList")
    await set_encoding(ctx, opts.Options[0].Encoding)


# --- MEDIA2-3-*: Media2 audio ---------------------------------------------------------------


@m2case("MEDIA2-3-1-1", requires=(MEDIA2,))
async def m2_asc_options(ctx):
    m = await media2(ctx)
    for c in await m.GetAudioSourceConfigurations({}):
        opts = await m.GetAudioSourceConfigurationOptions({"ConfigurationToken": c.token})
        check(opts.InputTokensAvailable, f"{c.token}: no InputTokensAvailable")
    opts = await m.GetAudioSourceConfigurationOptions({})
    check(opts.InputTokensAvailable, "no InputTokensAvailable")


@m2case("MEDIA2-3-1-2", requires=(MEDIA2,))
async def m2_ascs(ctx):
    m = await media2(ctx)
    complete = await m.GetAudioSourceConfigurations({})
    tokens = no_duplicates(complete, "audio source configurations")
    for t in tokens:
        one = await m.GetAudioSourceConfigurations({"ConfigurationToken": t})
        check(len(one) == 1 and one[0].token == t, f"GetAudioSourceConfigurations({t}) returned {[c.token for c in one]}")
    ctx.note(f"{len(tokens)} audio source configuration(s)")


@m2case("MEDIA2-3-1-3", requires=(MEDIA2,))
async def m2_ascs_and_options(ctx):
    m = await media2(ctx)
    for c in await m.GetAudioSourceConfigurations({}):
        opts = await m.GetAudioSourceConfigurationOptions({"ConfigurationToken": c.token})
        check(c.SourceToken in (opts.InputTokensAvailable or []), f"{c.token}: {c.SourceToken} not in {opts.InputTokensAvailable}")


@m2case("MEDIA2-3-1-4", requires=(MEDIA2,))
async def m2_profiles_and_ascs(ctx):
    m = await media2(ctx)
    asc = (await m.GetAudioSourceConfigurations({}))[0]
    token = await m.CreateProfile({"Name": "conf m2 audio", "Configuration": [{"Type": "AudioSource", "Token": asc.token}]})
    try:
        n = 0
        for p in await profiles(m, "AudioSource"):
            c = p.Configurations.AudioSource if p.Configurations is not None else None
            if c is None:
                continue
            got = await m.GetAudioSourceConfigurations({"ConfigurationToken": c.token})
            d = diff(plain(got[0]), plain(c))
            check(d is None, f"profile {p.token}: {c.token} differs at {d}")
            n += 1
        check(n, "no profile with an audio source configuration")
    finally:
        await m.DeleteProfile({"Token": token})


@m2case("MEDIA2-3-1-5", requires=(MEDIA2,))
async def m2_modify_ascs(ctx):
    m = await media2(ctx)
    for c in await m.GetAudioSourceConfigurations({}):
        saved = serialize_object(c, dict)
        opts = await m.GetAudioSourceConfigurationOptions({"ConfigurationToken": c.token})
        try:
            for t in opts.InputTokensAvailable:
                await m.SetAudioSourceConfiguration({"Configuration": dict(saved, SourceToken=t, Name="conf m2 mic")})
                got = (await m.GetAudioSourceConfigurations({"ConfigurationToken": c.token}))[0]
                check((got.SourceToken, got.Name) == (t, "conf m2 mic"), f"read back {got.SourceToken} {got.Name!r}")
        finally:
            await m.SetAudioSourceConfiguration({"Configuration": saved})


@m2case("MEDIA2-3-1-6", requires=(MEDIA2,))
async def m2_asc_invalid_token(ctx):
    m = await media2(ctx)
    await expect_fault(m.GetAudioSourceConfigurations({"ConfigurationToken": "conf_invalid_asc"}), "Sender", "InvalidArgVal", "NoConfig")


async def m2_set_encoding(ctx, names: tuple[str, ...]):
    m = await media2(ctx)
    aec = serialize_object((await m.GetAudioEncoderConfigurations({}))[0], dict)
    opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": aec["token"]})
    chosen = [o for o in opts if o.Encoding in names]
    if not chosen:
        raise NotApplicable(NO_AAC if "mpeg4-generic" in names else f"none of {names} offered")
    done = []
    try:
        for o in chosen:
            for bitrate in o.BitrateList.Items:
                for rate in o.SampleRateList.Items:
                    await m.SetAudioEncoderConfiguration({"Configuration": dict(aec, Encoding=o.Encoding, Bitrate=bitrate, SampleRate=rate)})
                    got = (await m.GetAudioEncoderConfigurations({"ConfigurationToken": aec["token"]}))[0]
                    check((got.Encoding, got.Bitrate, got.SampleRate) == (o.Encoding, bitrate, rate),
                          f"set {o.Encoding} {bitrate} {rate}, read {got.Encoding} {got.Bitrate} {got.SampleRate}")
                    done.append(f"{o.Encoding} {bitrate} kb/s {rate} kHz")
    finally:
        await m.SetAudioEncoderConfiguration({"Configuration": aec})
    ctx.note(", ".join(done))


@m2case("MEDIA2-3-2-1", requires=(MEDIA2,))
async def m2_g711(ctx):
    await m2_set_encoding(ctx, ("PCMU", "PCMA"))


@m2case("MEDIA2-3-2-2", requires=(MEDIA2,))
async def m2_aac(ctx):
    await m2_set_encoding(ctx, ("MP4A-LATM", "mpeg4-generic"))


@m2case("MEDIA2-3-2-3", requires=(MEDIA2,))
async def m2_aec_options(ctx):
    m = await media2(ctx)
    opts = await m.GetAudioEncoderConfigurationOptions({})
    check(opts, "no audio encoder options")
    names = [o.Encoding for o in opts]
    check(len(names) == len(set(names)), f"an encoding listed twice: {names}")
    for o in opts:
        check(o.BitrateList.Items and o.SampleRateList.Items, f"{o.Encoding}: empty list")
    ctx.note(", ".join(names))


@m2case("MEDIA2-3-2-4", requires=(MEDIA2,))
async def m2_aecs_and_options(ctx):
    m = await media2(ctx)
    for c in await m.GetAudioEncoderConfigurations({}):
        opts = await m.GetAudioEncoderConfigurationOptions({"ConfigurationToken": c.token})
        o = [x for x in opts if x.Encoding == c.Encoding]
        check(o, f"{c.token}: Encoding {c.Encoding} not among {[x.Encoding for x in opts]}")
        check(c.Bitrate in o[0].BitrateList.Items and c.SampleRate in o[0].SampleRateList.Items,
              f"{c.token}: {c.Bitrate} kb/s {c.SampleRate} kHz outside {o[0].BitrateList.Items} / {o[0].SampleRateList.Items}")
