"""ONVIF Media Configuration Device Test Specification, audio outputs and decoders
(MEDIA-3-4-*), and Media2's (MEDIA2-3-3-*, MEDIA2-3-4-*): audio output and audio decoder
configurations, their options, their place in profiles and their writes, with the zeep client
Home Assistant uses (Media 1) and zeep on the vendored Media2 WSDL (Media 2, every reply
schema-checked). Each case follows its test ID's steps and pass criteria.

Pre-requisites: "Audio output is supported by the DUT" (Media 1) is the Device service's
GetCapabilities `Extension.DeviceIO.AudioOutputs` > 0; Media2's is its ProfileCapabilities
ConfigurationsSupported listing AudioOutput / AudioDecoder. Without them a case is N/A with
what the device reports. Every case that changes a configuration or a profile puts it back.
"""

from __future__ import annotations

import contextlib

from zeep.exceptions import Fault

from conformance.cases.device import expect_fault, subcodes
from conformance.cases.media import NewProfile, diff, media, plain, unique_tokens
from conformance.cases.media2 import (
    MEDIA2, Changes, capabilities, confs, empty_profile, m2case, media2, no_duplicates, profiles, supported, write,
)
from conformance.harness import NS, NotApplicable, case, check

MEDIA = NS["trt"]
REQUIRES = (MEDIA,)

# The fields the specs compare (MEDIA-3-4-13/14, MEDIA2-3-3-4/5; MEDIA-3-4-16/17, MEDIA2-3-4-3/4).
AOC_FIELDS = ("Name", "UseCount", "token", "OutputToken", "SendPrimacy", "OutputLevel")
ADC_FIELDS = ("Name", "UseCount", "token")

RULES: list = []


def fields(c, names) -> dict:
    p = plain(c)
    return {k: p.get(k) for k in names}


def differs(a, b, names) -> str | None:
    return diff(fields(a, names), fields(b, names))


# --- pre-requisites ----------------------------------------------------------------------------


async def need_audio_output(ctx) -> None:
    """Media 1's "Audio output is supported by the DUT": GetCapabilities'
    Extension.DeviceIO.AudioOutputs (Core s.8.1.2.2), read raw: onvif-zeep-async's
    devicemgmt WSDL leaves the Extension's DeviceIO element unparsed."""
    r = await ctx.soap("<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>")
    check(not r.is_fault, "GetCapabilities answered a fault")
    found = r.find("//tds:Capabilities/tt:Extension/tt:DeviceIO/tt:AudioOutputs/text()")
    n = int(found[0]) if found else 0
    if n <= 0:
        raise NotApplicable(f"no audio output (GetCapabilities Extension.DeviceIO.AudioOutputs = {found[0] if found else 'absent'})")


async def need_media2(ctx, *kinds: str):
    """Media2's pre-requisite: ConfigurationsSupported lists every one of `kinds`."""
    m = await media2(ctx)
    have = supported(await capabilities(m))
    missing = [k for k in kinds if k not in have]
    if missing:
        raise NotApplicable(f"Media2 ConfigurationsSupported {' '.join(have)} has no {' '.join(missing)}")
    return m


class RestoreOutputs:
    """Saves every Media 1 audio output configuration on entry, sets them back on exit."""

    def __init__(self, m):
        self.m = m

    async def __aenter__(self):
        self.saved = [plain(c) for c in await self.m.GetAudioOutputConfigurations()]
        return self

    async def __aexit__(self, *exc):
        for c in self.saved:
            await self.m.SetAudioOutputConfiguration({"Configuration": c, "ForcePersistence": True})


def check_against_options(c, o, where: str) -> None:
    """MEDIA-3-4-11/12, MEDIA2-3-3-3: an audio output configuration within its options."""
    tokens = list(o.OutputTokensAvailable or [])
    check(len(tokens) == len(set(tokens)), f"{where}: OutputTokensAvailable lists a token twice: {tokens}")
    check(c.OutputToken in tokens, f"{where}: OutputToken {c.OutputToken} not in OutputTokensAvailable {tokens}")
    if c.SendPrimacy is not None:
        prim = list(o.SendPrimacyOptions or [])
        check(prim, f"{where}: SendPrimacy {c.SendPrimacy} but no SendPrimacyOptions")
        check(c.SendPrimacy in prim, f"{where}: SendPrimacy {c.SendPrimacy} not in {prim}")
    r = o.OutputLevelRange
    check(r is not None and r.Min <= c.OutputLevel <= r.Max,
          f"{where}: OutputLevel {c.OutputLevel} outside {getattr(r, 'Min', None)}..{getattr(r, 'Max', None)}")


# --- MEDIA-3-4-*: Media 1 ------------------------------------------------------------------------


@case("MEDIA-3-4-4")
async def set_aoc(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    aocs = await m.GetAudioOutputConfigurations()
    check(aocs, "GetAudioOutputConfigurations lists none")
    done = []
    async with RestoreOutputs(m):
        for aoc in aocs:
            o = await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": aoc.token})
            check(o.OutputTokensAvailable, f"{aoc.token}: no OutputTokensAvailable")
            prim = list(o.SendPrimacyOptions or [])
            ot, level = o.OutputTokensAvailable[-1], (o.OutputLevelRange.Min + o.OutputLevelRange.Max) // 2
            cfg = {"token": aoc.token, "Name": "NewName", "UseCount": aoc.UseCount, "OutputToken": ot,
                   "SendPrimacy": prim[0] if prim else None, "OutputLevel": level}
            await m.SetAudioOutputConfiguration({"Configuration": cfg, "ForcePersistence": False})
            got = await m.GetAudioOutputConfiguration({"ConfigurationToken": aoc.token})
            seen = (got.Name, got.OutputToken, got.SendPrimacy, got.OutputLevel)
            want = ("NewName", ot, cfg["SendPrimacy"], level)
            check(seen == want, f"{aoc.token}: (Name, OutputToken, SendPrimacy, OutputLevel) {seen}, set {want}")
            done.append(f"{aoc.token}: {ot} level {level}")
    ctx.note(", ".join(done))


@case("MEDIA-3-4-6")
async def set_aoc_invalid_values(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    aocs = await m.GetAudioOutputConfigurations()
    check(aocs, "GetAudioOutputConfigurations lists none")
    async with RestoreOutputs(m):
        for aoc in aocs:
            o = await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": aoc.token})
            bad_token = "conf_invalid_output"
            check(bad_token not in (o.OutputTokensAvailable or []), "the invalid output token is offered")
            bad_primacy = "www.onvif.org/ver20/HalfDuplex/conf-invalid"
            check(bad_primacy not in (o.SendPrimacyOptions or []), "the invalid SendPrimacy is offered")
            cfg = {"token": aoc.token, "Name": "NewName", "UseCount": aoc.UseCount, "OutputToken": bad_token,
                   "SendPrimacy": bad_primacy, "OutputLevel": o.OutputLevelRange.Max + 1}
            await expect_fault(m.SetAudioOutputConfiguration({"Configuration": cfg, "ForcePersistence": False}),
                               "Sender", "InvalidArgVal", "ConfigModify")
            got = await m.GetAudioOutputConfiguration({"ConfigurationToken": aoc.token})
            d = differs(got, aoc, AOC_FIELDS)
            check(d is None, f"{aoc.token}: a refused Set changed the configuration at {d}")


@case("MEDIA-3-4-7")
async def set_aoc_invalid_token(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    tokens = [c.token for c in await m.GetAudioOutputConfigurations()]
    check(tokens, "GetAudioOutputConfigurations lists none")
    o = await m.GetAudioOutputConfigurationOptions({})
    cfg = {"token": "InvalidAudioOutput", "Name": "NewName", "UseCount": 0,
           "OutputToken": (o.OutputTokensAvailable or ["aout0"])[0], "OutputLevel": o.OutputLevelRange.Min}
    check(cfg["token"] not in tokens, "InvalidAudioOutput is a configuration")
    await expect_fault(m.SetAudioOutputConfiguration({"Configuration": cfg, "ForcePersistence": False}),
                       "Sender", "InvalidArgVal", "NoConfig")


@case("MEDIA-3-4-8")
async def aoc_options(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    async with NewProfile(m, "conf_aoc_opts", "TestProfile"):
        compatible = await m.GetCompatibleAudioOutputConfigurations({"ProfileToken": "conf_aoc_opts"})
        check(compatible, "GetCompatibleAudioOutputConfigurations lists none for an empty profile")
        token = compatible[0].token
        for req in ({"ConfigurationToken": token, "ProfileToken": "conf_aoc_opts"}, {"ProfileToken": "conf_aoc_opts"},
                    {"ConfigurationToken": token}, {}):
            o = await m.GetAudioOutputConfigurationOptions(req)
            check(o is not None, f"GetAudioOutputConfigurationOptions({req}) sent no Options")
    ctx.note(f"options of {token} asked four ways")


@case("MEDIA-3-4-9")
async def aoc_operations(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    async with NewProfile(m, "conf_aoc", "TestProfile"), RestoreOutputs(m):
        outputs = await m.GetAudioOutputs()
        check(outputs, "GetAudioOutputs lists none")
        compatible = await m.GetCompatibleAudioOutputConfigurations({"ProfileToken": "conf_aoc"})
        check(compatible, "GetCompatibleAudioOutputConfigurations lists none")
        first = compatible[0]
        await m.AddAudioOutputConfiguration({"ProfileToken": "conf_aoc", "ConfigurationToken": first.token})
        o = await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": first.token})
        base = {"Name": first.Name, "UseCount": first.UseCount, "token": first.token,
                "OutputToken": first.OutputToken, "SendPrimacy": first.SendPrimacy}
        await expect_fault(m.SetAudioOutputConfiguration({"Configuration": dict(base, OutputLevel=o.OutputLevelRange.Min - 1),
                                                          "ForcePersistence": False}),
                           "Sender", "InvalidArgVal", "ConfigModify")
        level = o.OutputLevelRange.Max
        await m.SetAudioOutputConfiguration({"Configuration": dict(base, OutputLevel=level), "ForcePersistence": False})
        got = await m.GetAudioOutputConfiguration({"ConfigurationToken": first.token})
        seen = (got.Name, got.token, got.OutputToken, got.SendPrimacy, got.OutputLevel)
        want = (first.Name, first.token, first.OutputToken, first.SendPrimacy, level)
        check(seen == want, f"(Name, token, OutputToken, SendPrimacy, OutputLevel) {seen}, expected {want}")
        await m.RemoveAudioOutputConfiguration({"ProfileToken": "conf_aoc"})
    ctx.note(f"{first.token}: level {o.OutputLevelRange.Min - 1} refused, {level} set")


@case("MEDIA-3-4-10")
async def adc_operations(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    async with NewProfile(m, "conf_adc", "TestProfile"):
        aocs = await m.GetCompatibleAudioOutputConfigurations({"ProfileToken": "conf_adc"})
        check(aocs, "GetCompatibleAudioOutputConfigurations lists none")
        await m.AddAudioOutputConfiguration({"ProfileToken": "conf_adc", "ConfigurationToken": aocs[0].token})
        check(await m.GetAudioDecoderConfigurations(), "GetAudioDecoderConfigurations lists none")
        adcs = await m.GetCompatibleAudioDecoderConfigurations({"ProfileToken": "conf_adc"})
        check(adcs, "GetCompatibleAudioDecoderConfigurations lists none")
        await m.AddAudioDecoderConfiguration({"ProfileToken": "conf_adc", "ConfigurationToken": adcs[0].token})
        p = await m.GetProfile({"ProfileToken": "conf_adc"})
        aoc = profile_part(p, "AudioOutput")
        adc = profile_part(p, "AudioDecoder")
        check(aoc is not None, "the profile has no Extension.AudioOutputConfiguration")
        check(aoc.token == aocs[0].token, f"Extension.AudioOutputConfiguration {aoc.token}, added {aocs[0].token}")
        check(adc is not None, "the profile has no Extension.AudioDecoderConfiguration")
        check(adc.token == adcs[0].token, f"Extension.AudioDecoderConfiguration {adc.token}, added {adcs[0].token}")
        await m.RemoveAudioDecoderConfiguration({"ProfileToken": "conf_adc"})
        await m.RemoveAudioOutputConfiguration({"ProfileToken": "conf_adc"})
    ctx.note(f"{aocs[0].token} and {adcs[0].token} added and removed")


@case("MEDIA-3-4-11")
async def aocs_and_options(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    aocs = await m.GetAudioOutputConfigurations()
    check(aocs, "GetAudioOutputConfigurations lists none")
    for c in aocs:
        check_against_options(c, await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": c.token}), c.token)


@contextlib.asynccontextmanager
async def speaker_profile(m, token: str):
    """A profile of the case's own holding the first audio output and decoder configurations,
    so that the profile steps have one to look at (deleted on exit)."""
    async with NewProfile(m, token):
        aoc = (await m.GetCompatibleAudioOutputConfigurations({"ProfileToken": token}))[0]
        await m.AddAudioOutputConfiguration({"ProfileToken": token, "ConfigurationToken": aoc.token})
        adc = (await m.GetCompatibleAudioDecoderConfigurations({"ProfileToken": token}))[0]
        await m.AddAudioDecoderConfiguration({"ProfileToken": token, "ConfigurationToken": adc.token})
        yield


def profile_part(p, kind: str):
    """A Media 1 profile's `Extension.<kind>Configuration`. tt:ProfileExtension opens with an
    xs:any, which zeep fills greedily: the configurations land, typed, in `_value_1`."""
    ext = p.Extension
    if ext is None:
        return None
    c = getattr(ext, f"{kind}Configuration", None)
    if c is not None:
        return c
    return next((x for x in getattr(ext, "_value_1", None) or [] if type(x).__name__ == f"{kind}Configuration"), None)


@case("MEDIA-3-4-12")
async def profiles_and_aoc_options(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    async with speaker_profile(m, "conf_aoc_popts"):
        ps = await m.GetProfiles()
        check(ps, "GetProfiles lists none")
        n = 0
        for p in ps:
            c = profile_part(p, "AudioOutput")
            if c is None:
                continue
            o = await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": c.token, "ProfileToken": p.token})
            check_against_options(c, o, f"profile {p.token}, {c.token}")
            n += 1
    ctx.note(f"{n} profile(s) with an audio output configuration")


async def profiles_and_list(ctx, kind: str, names, token: str):
    """MEDIA-3-4-13/16: each profile's configuration of `kind` is the listed one."""
    await need_audio_output(ctx)
    m = await media(ctx)
    async with speaker_profile(m, token):
        ps = await m.GetProfiles()
        check(ps, "GetProfiles lists none")
        listed = await getattr(m, f"Get{kind}Configurations")()
        check(listed, f"Get{kind}Configurations lists none")
        unique_tokens(listed, f"{kind} configuration")
        by_token = {c.token: c for c in listed}
        n = 0
        for p in ps:
            c = profile_part(p, kind)
            if c is None:
                continue
            check(c.token in by_token, f"profile {p.token}: {c.token} not in Get{kind}Configurations")
            d = differs(c, by_token[c.token], names)
            check(d is None, f"profile {p.token}: {c.token} differs from Get{kind}Configurations at {d}")
            n += 1
    ctx.note(f"{n} profile(s) with an {kind} configuration")


@case("MEDIA-3-4-13")
async def profiles_and_aocs(ctx):
    await profiles_and_list(ctx, "AudioOutput", AOC_FIELDS, "conf_aoc_profiles")


@case("MEDIA-3-4-16")
async def profiles_and_adcs(ctx):
    await profiles_and_list(ctx, "AudioDecoder", ADC_FIELDS, "conf_adc_profiles")


async def list_and_single(ctx, kind: str, names):
    """MEDIA-3-4-14/17: Get<kind>Configurations and Get<kind>Configuration agree."""
    await need_audio_output(ctx)
    m = await media(ctx)
    listed = await getattr(m, f"Get{kind}Configurations")()
    check(listed, f"Get{kind}Configurations lists none")
    for c in listed:
        one = await getattr(m, f"Get{kind}Configuration")({"ConfigurationToken": c.token})
        d = differs(c, one, names)
        check(d is None, f"{c.token}: Get{kind}Configurations and Get{kind}Configuration differ at {d}")
    ctx.note(f"{len(listed)} configuration(s)")


@case("MEDIA-3-4-14")
async def aocs_and_aoc(ctx):
    await list_and_single(ctx, "AudioOutput", AOC_FIELDS)


@case("MEDIA-3-4-17")
async def adcs_and_adc(ctx):
    await list_and_single(ctx, "AudioDecoder", ADC_FIELDS)


@case("MEDIA-3-4-15")
async def aocs_and_outputs(ctx):
    await need_audio_output(ctx)
    m = await media(ctx)
    aocs = await m.GetAudioOutputConfigurations()
    check(aocs, "GetAudioOutputConfigurations lists none")
    outputs = await m.GetAudioOutputs()
    check(outputs, "GetAudioOutputs lists none")
    tokens = unique_tokens(outputs, "audio output")
    for c in aocs:
        check(c.OutputToken in tokens, f"{c.token}: OutputToken {c.OutputToken} not in GetAudioOutputs {tokens}")
    ctx.note(f"outputs {', '.join(tokens)}")


# --- MEDIA2-3-3-*: Media2 audio output configurations -------------------------------------------


async def m2_profile_with(m, kinds: tuple[str, ...], restore: list):
    """Annex helpers (HelperGetMediaProfileWithAudioOutput, ...WithAudioOutputAndDecoder): a
    profile holding every one of `kinds`, composed with AddConfiguration on the first profile
    if none does (what was added noted in `restore` as (profile, type))."""
    ps = await profiles(m, *kinds)
    check(ps, f"GetProfiles({', '.join(kinds)}) lists no profile")
    for p in ps:
        if set(kinds) <= set(confs(p)):
            return p
    p = ps[0]
    for kind in kinds:
        if kind in confs(p):
            continue
        cs = await getattr(m, f"Get{kind}Configurations")({"ProfileToken": p.token})
        check(cs, f"no {kind} configuration compatible with {p.token}")
        await write(m.AddConfiguration({"ProfileToken": p.token, "Configuration": [{"Type": kind, "Token": cs[0].token}]}),
                    "AddConfiguration")
        restore.append((p.token, kind))
    return (await profiles(m, "All", token=p.token))[0]


async def m2_undo(m, restore: list) -> None:
    for token, kind in reversed(restore):
        await m.RemoveConfiguration({"ProfileToken": token, "Configuration": [{"Type": kind}]})
    restore.clear()


@m2case("MEDIA2-3-3-1", requires=(MEDIA2,))
async def m2_aoc_options(ctx):
    m = await need_media2(ctx, "AudioOutput")
    o = await m.GetAudioOutputConfigurationOptions({})
    check(o.OutputLevelRange.Min <= o.OutputLevelRange.Max,
          f"OutputLevelRange Min {o.OutputLevelRange.Min} > Max {o.OutputLevelRange.Max}")
    aocs = await m.GetAudioOutputConfigurations({})
    check(aocs, "GetAudioOutputConfigurations lists none")
    await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": aocs[0].token})
    restore: list = []
    try:
        p = await m2_profile_with(m, ("AudioOutput",), restore)
        await m.GetAudioOutputConfigurationOptions({"ProfileToken": p.token})
    finally:
        await m2_undo(m, restore)
    ctx.note(f"OutputLevelRange {o.OutputLevelRange.Min}..{o.OutputLevelRange.Max}; profile {p.token}")


async def m2_lists(ctx, kind: str):
    """MEDIA2-3-3-2, MEDIA2-3-4-2: the complete list, each by token, each profile's."""
    m = await need_media2(ctx, kind)
    complete = await getattr(m, f"Get{kind}Configurations")({})
    check(complete, f"Get{kind}Configurations lists none")
    tokens = no_duplicates(complete, f"{kind} configurations")
    for t in tokens:
        one = await getattr(m, f"Get{kind}Configurations")({"ConfigurationToken": t})
        check(one, f"Get{kind}Configurations({t}) lists none")
        check(len(one) == 1, f"Get{kind}Configurations({t}) lists {len(one)}")
        check(one[0].token == t, f"Get{kind}Configurations({t}) returned {one[0].token}")
    ps = await profiles(m, kind)
    for p in ps:
        listed = await getattr(m, f"Get{kind}Configurations")({"ProfileToken": p.token})
        got = no_duplicates(listed, f"{kind} configurations of profile {p.token}")
        check(any(t in tokens for t in got), f"profile {p.token}: none of {got} in the complete list {tokens}")
        c = confs(p).get(kind)
        if c is not None:
            check(c.token in got, f"profile {p.token}: its {c.token} not among its compatible {got}")
    ctx.note(f"{len(tokens)} {kind} configuration(s), {len(ps)} profile(s)")


@m2case("MEDIA2-3-3-2", requires=(MEDIA2,))
async def m2_aocs(ctx):
    await m2_lists(ctx, "AudioOutput")


@m2case("MEDIA2-3-3-3", requires=(MEDIA2,))
async def m2_aocs_and_options(ctx):
    m = await need_media2(ctx, "AudioOutput")
    aocs = await m.GetAudioOutputConfigurations({})
    check(aocs, "GetAudioOutputConfigurations lists none")
    for c in aocs:
        check_against_options(c, await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": c.token}), c.token)


async def m2_profiles_consistent(ctx, kind: str, names):
    """MEDIA2-3-3-4, MEDIA2-3-4-3: each profile's configuration equals the one listed."""
    m = await need_media2(ctx, kind)
    n = 0
    for p in await profiles(m, kind):
        c = confs(p).get(kind)
        if c is None:
            continue
        got = await getattr(m, f"Get{kind}Configurations")({"ConfigurationToken": c.token})
        check(got, f"Get{kind}Configurations({c.token}) lists none")
        d = differs(got[0], c, names)
        check(d is None, f"profile {p.token}: {c.token} differs at {d}")
        n += 1
    ctx.note(f"{n} profile(s) with an {kind} configuration")


@m2case("MEDIA2-3-3-4", requires=(MEDIA2,))
async def m2_profiles_and_aocs(ctx):
    await m2_profiles_consistent(ctx, "AudioOutput", ("Name", "OutputToken", "SendPrimacy", "OutputLevel"))


@m2case("MEDIA2-3-3-5", requires=(MEDIA2,))
async def m2_modify_aocs(ctx):
    m = await need_media2(ctx, "AudioOutput")
    aocs = await m.GetAudioOutputConfigurations({})
    check(aocs, "GetAudioOutputConfigurations lists none")
    done = []
    async with Changes(ctx) as ev:
        await ev.open("tns1:Media/ConfigurationChanged")
        for aoc in aocs:
            saved = plain(aoc)
            o = await m.GetAudioOutputConfigurationOptions({"ConfigurationToken": aoc.token})
            check(o.OutputTokensAvailable, f"{aoc.token}: no OutputTokensAvailable")
            prim = list(o.SendPrimacyOptions or [])
            try:
                for name, pick in (("TestName1", 0), ("TestName2", -1)):
                    cfg = {"token": aoc.token, "Name": name, "UseCount": aoc.UseCount,
                           "OutputToken": o.OutputTokensAvailable[pick],
                           "SendPrimacy": prim[pick] if prim else aoc.SendPrimacy,
                           "OutputLevel": o.OutputLevelRange.Min if pick == 0 else o.OutputLevelRange.Max}
                    await write(m.SetAudioOutputConfiguration({"Configuration": cfg}), "SetAudioOutputConfiguration")
                    await ev.configuration_changed(aoc.token, "AudioOutput")
                    got = (await m.GetAudioOutputConfigurations({"ConfigurationToken": aoc.token}))[0]
                    d = differs(got, cfg, ("OutputToken", "Name", "SendPrimacy", "OutputLevel"))
                    check(d is None, f"{aoc.token} after {name}: differs from what was set at {d}")
                    done.append(f"{aoc.token} {name} level {cfg['OutputLevel']}")
            finally:
                await m.SetAudioOutputConfiguration({"Configuration": saved})
    ctx.note(", ".join(done))


@m2case("MEDIA2-3-3-6", requires=(MEDIA2,))
async def m2_aoc_invalid_token(ctx):
    m = await need_media2(ctx, "AudioOutput")
    tokens = [c.token for c in await m.GetAudioOutputConfigurations({})]
    bad = "conf_invalid_aoc"
    check(bad not in tokens, f"{bad} is listed")
    await expect_fault(m.GetAudioOutputConfigurations({"ConfigurationToken": bad}), "Sender", "InvalidArgVal", "NoConfig")


# --- MEDIA2-3-4-*: Media2 audio decoder configurations ------------------------------------------


@m2case("MEDIA2-3-4-1", requires=(MEDIA2,))
async def m2_adc_options(ctx):
    m = await need_media2(ctx, "AudioOutput", "AudioDecoder")
    opts = await m.GetAudioDecoderConfigurationOptions({})
    adcs = await m.GetAudioDecoderConfigurations({})
    check(adcs, "GetAudioDecoderConfigurations lists none")
    await m.GetAudioDecoderConfigurationOptions({"ConfigurationToken": adcs[0].token})
    restore: list = []
    try:
        p = await m2_profile_with(m, ("AudioOutput", "AudioDecoder"), restore)
        await m.GetAudioDecoderConfigurationOptions({"ProfileToken": p.token})
    finally:
        await m2_undo(m, restore)
    ctx.note(f"decodes {', '.join(o.Encoding for o in opts or [])}; profile {p.token}")


@m2case("MEDIA2-3-4-2", requires=(MEDIA2,))
async def m2_adcs(ctx):
    await m2_lists(ctx, "AudioDecoder")


@m2case("MEDIA2-3-4-3", requires=(MEDIA2,))
async def m2_profiles_and_adcs(ctx):
    await m2_profiles_consistent(ctx, "AudioDecoder", ("Name",))


@m2case("MEDIA2-3-4-4", requires=(MEDIA2,))
async def m2_modify_adcs(ctx):
    m = await need_media2(ctx, "AudioDecoder")
    adcs = await m.GetAudioDecoderConfigurations({})
    check(adcs, "GetAudioDecoderConfigurations lists none")
    async with Changes(ctx) as ev:
        await ev.open("tns1:Media/ConfigurationChanged")
        for adc in adcs:
            saved = plain(adc)
            cfg = dict(saved, Name="TestName1")
            try:
                await write(m.SetAudioDecoderConfiguration({"Configuration": cfg}), "SetAudioDecoderConfiguration")
                await ev.configuration_changed(adc.token, "AudioDecoder")
                got = (await m.GetAudioDecoderConfigurations({"ConfigurationToken": adc.token}))[0]
                check(got.Name == "TestName1", f"{adc.token}: Name {got.Name!r} after setting TestName1")
            finally:
                await m.SetAudioDecoderConfiguration({"Configuration": saved})
    ctx.note(f"{len(adcs)} decoder configuration(s) renamed and put back")


@m2case("MEDIA2-3-4-5", requires=(MEDIA2,))
async def m2_adc_invalid_token(ctx):
    m = await need_media2(ctx, "AudioDecoder")
    tokens = [c.token for c in await m.GetAudioDecoderConfigurations({})]
    bad = "conf_invalid_adc"
    check(bad not in tokens, f"{bad} is listed")
    await expect_fault(m.GetAudioDecoderConfigurations({"ConfigurationToken": bad}), "Sender", "InvalidArgVal", "NoConfig")
