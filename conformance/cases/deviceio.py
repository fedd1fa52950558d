"""ONVIF DeviceIO Device Test Specification (DEVICEIO-*): relay outputs (settings, state in
bistable and monostable modes with their tns1:Device/Trigger/Relay events), digital inputs
(configuration, tns1:Device/Trigger/DigitalInput events) and video sources. Each case follows
its test ID's steps and pass criteria with zeep (onvif-zeep-async's ONVIFService) on the
vendored DeviceIO WSDL (wsdl/ver10/deviceio.wsdl), at the XAddr GetServices lists, every
reply checked against the ONVIF schema (conformance/schema.py); the events through the raw
PullPoint client of cases/events.py.

The cases need the DeviceIO service (REQUIRES): while GetServices does not list it they are
PENDING. A relay or input case on a device that reports none is N/A with the count it
reports. Every case that changes a relay or an input puts its settings back
(HelperRestoreRelayOutput).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from zeep.exceptions import Fault
from zeep.helpers import serialize_object

from conformance.cases import events
from conformance.cases.device import expect_fault, subcodes
from conformance.cases.media2 import MEDIA2, m2case, typed_service
from conformance.harness import NS, NotApplicable, check

DEVICEIO = "http://www.onvif.org/ver10/deviceIO/wsdl"
REQUIRES = (DEVICEIO,)
WSDL = "ver10/deviceio.wsdl"
RELAY_TOPIC = "tns1:Device/Trigger/Relay"
INPUT_TOPIC = "tns1:Device/Trigger/DigitalInput"

RULES = []


async def deviceio(ctx):
    return await typed_service(ctx, DEVICEIO, WSDL, "DeviceIOBinding")


def plain(obj):
    return serialize_object(obj, dict)


def seconds(d) -> float:
    if isinstance(d, dt.timedelta):
        return d.total_seconds()
    return float(getattr(d, "total_seconds", lambda: d)())


def no_duplicates(items, what: str) -> list[str]:
    tokens = [i.token for i in items]
    dup = sorted({t for t in tokens if tokens.count(t) > 1})
    check(not dup, f"{what} with the same token: {dup}")
    return tokens


async def relays(d, need: bool = True):
    outs = await d.GetRelayOutputs() or []
    if need and not outs:
        caps = await d.GetServiceCapabilities()
        raise NotApplicable(f"no relay outputs (DeviceIO capabilities RelayOutputs = {caps.RelayOutputs})")
    return outs


async def inputs(d, need: bool = True):
    ins = await d.GetDigitalInputs() or []
    if need and not ins:
        caps = await d.GetServiceCapabilities()
        raise NotApplicable(f"no digital inputs (DeviceIO capabilities DigitalInputs = {caps.DigitalInputs})")
    return ins


async def set_relay(d, token: str, mode: str, delay, idle: str) -> None:
    """SetRelayOutputSettings through DeviceIO or through the Device service (`d`: either
    client), whose requests differ: DeviceIO's carries a tt:RelayOutput, the Device service's
    (Core s.8.5.2) the RelayOutputToken beside the Properties."""
    props = {"Mode": mode, "DelayTime": delay, "IdleState": idle}
    if d.binding_name.startswith(f"{{{DEVICEIO}}}"):
        await d.SetRelayOutputSettings({"RelayOutput": {"token": token, "Properties": props}})
    else:
        await d.SetRelayOutputSettings({"RelayOutputToken": token, "Properties": props})


async def restore_relay(d, initial) -> None:
    """HelperRestoreRelayOutput."""
    p = initial.Properties
    await set_relay(d, initial.token, p.Mode, p.DelayTime, p.IdleState)


# --- relay outputs (DEVICEIO-1-1-*) ----------------------------------------------------------


@m2case("DEVICEIO-1-1-1")
async def get_relay_outputs(ctx):
    d = await deviceio(ctx)
    outs = await relays(d)
    tokens = no_duplicates(outs, "RelayOutputs")
    ctx.note(f"relays {', '.join(tokens)}")


@m2case("DEVICEIO-1-1-2")
async def relay_outputs_quantity(ctx):
    d = await deviceio(ctx)
    caps = await d.GetServiceCapabilities()
    outs = await relays(d)
    no_duplicates(outs, "RelayOutputs")
    check(len(outs) == caps.RelayOutputs, f"{len(outs)} relay outputs, capabilities RelayOutputs {caps.RelayOutputs}")


@m2case("DEVICEIO-1-1-3")
async def relay_output_options(ctx):
    d = await deviceio(ctx)
    outs = await relays(d)
    no_duplicates(outs, "RelayOutputs")
    opts = await d.GetRelayOutputOptions({"RelayOutputToken": outs[0].token})
    check(opts, f"GetRelayOutputOptions({outs[0].token}) is empty")
    check(all(o.token == outs[0].token for o in opts), f"options of {[o.token for o in opts]}, asked {outs[0].token}")
    check(all(o.Mode for o in opts), "relay output options without Mode")
    ctx.note(f"{outs[0].token}: modes {list(opts[0].Mode)}, delay times {list(opts[0].DelayTimes or [])}, discrete {opts[0].Discrete}")


def delay_near_5s(o) -> float:
    times = list(o.DelayTimes or [])
    if o.Discrete:
        check(times, "Discrete delay times without DelayTimes")
        return min(times, key=lambda t: abs(t - 5))
    check(len(times) == 2, f"DelayTimes {times} is not a range of two values")
    check(times[0] <= times[1], f"DelayTimes {times} is not ascending")
    return min(max(5.0, times[0]), times[1])


@m2case("DEVICEIO-1-1-4")
async def set_relay_output_settings(ctx):
    d = await deviceio(ctx)
    outs = await relays(d)
    notes = []
    for r in outs:
        opts = await d.GetRelayOutputOptions({"RelayOutputToken": r.token})
        check(opts, f"GetRelayOutputOptions({r.token}) is empty")
        check(len(opts) == 1, f"GetRelayOutputOptions({r.token}) lists {len(opts)} items")
        o = opts[0]
        check(o.token == r.token, f"GetRelayOutputOptions({r.token}) answered for {o.token}")
        try:
            if "Bistable" in o.Mode:
                await set_relay(d, r.token, "Bistable", r.Properties.DelayTime, "open")
                got = next((x for x in await d.GetRelayOutputs() if x.token == r.token), None)
                check(got is not None, f"{r.token} gone from GetRelayOutputs")
                check(got.Properties.Mode == "Bistable" and got.Properties.IdleState == "open",
                      f"{r.token}: {got.Properties.Mode}/{got.Properties.IdleState} after Bistable/open")
                notes.append(f"{r.token} Bistable open")
            if "Monostable" in o.Mode:
                check(o.DelayTimes is not None, f"{r.token}: Monostable without DelayTimes")
                delay = delay_near_5s(o)
                await set_relay(d, r.token, "Monostable", dt.timedelta(seconds=delay), "closed")
                got = next((x for x in await d.GetRelayOutputs() if x.token == r.token), None)
                check(got is not None, f"{r.token} gone from GetRelayOutputs")
                check(got.Properties.Mode == "Monostable" and got.Properties.IdleState == "closed",
                      f"{r.token}: {got.Properties.Mode}/{got.Properties.IdleState} after Monostable/closed")
                check(abs(seconds(got.Properties.DelayTime) - delay) < 1e-3, f"{r.token}: DelayTime {got.Properties.DelayTime}, set {delay} s")
                notes.append(f"{r.token} Monostable closed {delay:g} s")
        finally:
            await restore_relay(d, r)
    ctx.note("; ".join(notes))


@m2case("DEVICEIO-1-1-5")
async def set_relay_output_settings_invalid_token(ctx):
    d = await deviceio(ctx)
    await relays(d)
    await expect_fault(set_relay(d, "OnvifTest123", "Bistable", dt.timedelta(seconds=1), "open"), "Sender", "InvalidArgVal", "RelayToken")


# --- relay state and its events (DEVICEIO-1-2-*) ----------------------------------------------


async def select_relay(d, mode: str, idle: str):
    """HelperSelectRelayOutputWithRequiredMode: the first relay whose options offer `mode`
    and that takes `idle` in it (tried with SetRelayOutputSettings, then set back: the feature
    discovery's answer). (relay, options) or N/A."""
    for r in await relays(d):
        opts = await d.GetRelayOutputOptions({"RelayOutputToken": r.token})
        if not opts or mode not in opts[0].Mode:
            continue
        o = opts[0]
        delay = dt.timedelta(seconds=delay_near_5s(o)) if mode == "Monostable" and o.DelayTimes is not None else r.Properties.DelayTime
        try:
            await set_relay(d, r.token, mode, delay, idle)
        except Fault as f:
            if "InvalidArgVal" in subcodes(f):
                continue
            raise
        finally:
            await restore_relay(d, r)
        got = next((x for x in await d.GetRelayOutputs() if x.token == r.token), None)
        check(got is not None, f"{r.token} gone from GetRelayOutputs")
        return got, o
    raise NotApplicable(f"no relay output takes {mode} mode with idle state {idle}")


def is_relay(m, token: str) -> bool:
    return events.local_topic(m.topic) == "Device/Trigger/Relay" and m.source.get("RelayToken") == token


async def relay_event(ctx, sub, token: str, operation: str, full: bool = False):
    """HelperPullTriggerRelay: the next tns1:Device/Trigger/Relay message of `token`; its
    PropertyOperation must be `operation`; returns its LogicalState (`full`: the message)."""
    n = await events.pull_until(ctx, sub, lambda m: is_relay(m, token))
    check(n.operation == operation, f"relay {token}: PropertyOperation {n.operation}, expected {operation}")
    state = n.data.get("LogicalState")
    check(state in ("active", "inactive"), f"relay {token}: LogicalState {state!r} is not a tt:RelayLogicalState")
    return n if full else state


async def returns_to_idle(ctx, sub, token: str, delay: float) -> float:
    """After SetRelayOutputState(active) on monostable relay `token` answered: its Changed
    event says active, and after `delay` seconds a Changed event says inactive, stamped
    `delay` after the first (Core s.8.5.3: "the relay returns to its idle state after the
    specified time"). Returns the seconds between the two events' UtcTime."""
    t0 = asyncio.get_running_loop().time()
    on = await relay_event(ctx, sub, token, "Changed", full=True)
    check(on.data.get("LogicalState") == "active", f"relay {token}: LogicalState {on.data.get('LogicalState')} after SetRelayOutputState active")
    await asyncio.sleep(max(0.0, t0 + delay - asyncio.get_running_loop().time()))
    off = await relay_event(ctx, sub, token, "Changed", full=True)
    check(off.data.get("LogicalState") == "inactive", f"relay {token}: LogicalState {off.data.get('LogicalState')} after the {delay:g} s delay, expected inactive")
    back = (events.parse_time(off.utc, "UtcTime") - events.parse_time(on.utc, "UtcTime")).total_seconds()
    check(delay - 0.05 <= back <= delay + 1.0, f"relay {token}: back to inactive {back:.2f} s after it went active, DelayTime {delay:g} s")
    return back


async def bistable_case(ctx, idle: str) -> None:
    d = await deviceio(ctx)
    relay, _ = await select_relay(d, "Bistable", idle)
    sub = await events.create_pullpoint(ctx, topic=RELAY_TOPIC)
    try:
        initial = await relay_event(ctx, sub, relay.token, "Initialized")
        await set_relay(d, relay.token, "Bistable", relay.Properties.DelayTime, idle)
        new = "active" if initial == "inactive" else "inactive"
        await d.SetRelayOutputState({"RelayOutputToken": relay.token, "LogicalState": new})
        s1 = await relay_event(ctx, sub, relay.token, "Changed")
        check(s1 == new, f"relay {relay.token}: LogicalState {s1} after SetRelayOutputState {new}")
        await d.SetRelayOutputState({"RelayOutputToken": relay.token, "LogicalState": initial})
        s2 = await relay_event(ctx, sub, relay.token, "Changed")
        check(s2 == initial, f"relay {relay.token}: LogicalState {s2} after SetRelayOutputState {initial}")
        ctx.note(f"relay {relay.token} Bistable/{idle}: {initial} -> {new} -> {initial}, each a Changed event")
    finally:
        await restore_relay(d, relay)
        await events.cleanup(ctx, sub)


@m2case("DEVICEIO-1-2-1")
async def bistable_open(ctx):
    await bistable_case(ctx, "open")


@m2case("DEVICEIO-1-2-2")
async def bistable_closed(ctx):
    await bistable_case(ctx, "closed")


async def monostable_case(ctx, idle: str) -> None:
    d = await deviceio(ctx)
    relay, o = await select_relay(d, "Monostable", idle)
    check(not (o.Discrete and o.DelayTimes is None), f"relay {relay.token}: Discrete without DelayTimes")
    delay = min(o.DelayTimes, key=lambda t: abs(t - 5)) if o.Discrete else 5.0
    subs = []
    try:
        # HelperSetRelayOptputToMonostableInactive.
        await set_relay(d, relay.token, "Monostable", dt.timedelta(seconds=delay), idle)
        s0 = await events.create_pullpoint(ctx, topic=RELAY_TOPIC)
        subs.append(s0)
        if await relay_event(ctx, s0, relay.token, "Initialized") != "inactive":
            await d.SetRelayOutputState({"RelayOutputToken": relay.token, "LogicalState": "inactive"})
            check(await relay_event(ctx, s0, relay.token, "Changed") == "inactive", f"relay {relay.token} not inactive")
        await events.cleanup(ctx, s0)
        sub = await events.create_pullpoint(ctx, topic=RELAY_TOPIC)
        subs.append(sub)
        initial = await relay_event(ctx, sub, relay.token, "Initialized")
        check(initial == "inactive", f"relay {relay.token}: Initialized LogicalState {initial}, expected inactive")
        await d.SetRelayOutputState({"RelayOutputToken": relay.token, "LogicalState": "active"})
        back = await returns_to_idle(ctx, sub, relay.token, delay)
        ctx.note(f"relay {relay.token} Monostable/{idle}: active, back to inactive after {back:.1f} s (DelayTime {delay:g} s)")
    finally:
        await restore_relay(d, relay)
        await events.cleanup(ctx, *subs)


@m2case("DEVICEIO-1-2-3")
async def monostable_open(ctx):
    await monostable_case(ctx, "open")


@m2case("DEVICEIO-1-2-4")
async def monostable_closed(ctx):
    await monostable_case(ctx, "closed")


# --- events (DEVICEIO-2-1-*) --------------------------------------------------------------------


@m2case("DEVICEIO-2-1-1")
async def digital_input_event(ctx):
    d = await deviceio(ctx)
    await inputs(d)
    ep = await events.event_properties(ctx)
    t = ep.get(INPUT_TOPIC)
    check(t is not None, f"GetEventProperties lacks {INPUT_TOPIC}")
    check(t.is_property, f"{INPUT_TOPIC} is not a property")
    check(t.source.get("InputToken") == "tt:ReferenceToken", f"{INPUT_TOPIC} Source InputToken type {t.source.get('InputToken')!r}")
    check(t.data.get("LogicalState") == "xs:boolean", f"{INPUT_TOPIC} Data LogicalState type {t.data.get('LogicalState')!r}")
    sub = await events.create_pullpoint(ctx, topic=INPUT_TOPIC)
    try:
        n = await events.pull_until(ctx, sub, lambda m: m.operation == "Initialized")
        check(events.local_topic(n.topic) == "Device/Trigger/DigitalInput", f"Initialized message of topic {n.topic}")
        check(n.source.get("InputToken"), "no Source InputToken")
        check(n.data.get("LogicalState") in ("true", "false", "1", "0"), f"LogicalState {n.data.get('LogicalState')!r} is not an xs:boolean")
        ctx.note(f"input {n.source['InputToken']} Initialized LogicalState {n.data['LogicalState']}")
    finally:
        await events.unsubscribe(ctx, sub)


@m2case("DEVICEIO-2-1-2")
async def relay_trigger_topic(ctx):
    d = await deviceio(ctx)
    await relays(d)
    t = (await events.event_properties(ctx)).get(RELAY_TOPIC)
    check(t is not None, f"GetEventProperties lacks {RELAY_TOPIC}")
    check(t.is_property, f"{RELAY_TOPIC} is not a property")
    check(t.source.get("RelayToken") == "tt:ReferenceToken", f"{RELAY_TOPIC} Source RelayToken type {t.source.get('RelayToken')!r}")
    check(t.data.get("LogicalState") == "tt:RelayLogicalState", f"{RELAY_TOPIC} Data LogicalState type {t.data.get('LogicalState')!r}")


# --- digital inputs (DEVICEIO-3-1-*) -------------------------------------------------------------


@m2case("DEVICEIO-3-1-1")
async def get_digital_inputs(ctx):
    d = await deviceio(ctx)
    ins = await inputs(d)
    ctx.note(f"inputs {', '.join(no_duplicates(ins, 'DigitalInputs'))}")


@m2case("DEVICEIO-3-1-2")
async def digital_inputs_quantity(ctx):
    d = await deviceio(ctx)
    caps = await d.GetServiceCapabilities()
    ins = await inputs(d)
    check(len(ins) == caps.DigitalInputs, f"{len(ins)} digital inputs, capabilities DigitalInputs {caps.DigitalInputs}")


@m2case("DEVICEIO-3-1-3")
async def digital_input_options(ctx):
    d = await deviceio(ctx)
    ins = await inputs(d)
    generic = await d.GetDigitalInputConfigurationOptions({})
    check(generic is not None, "no generic DigitalInputOptions")
    for i in ins:
        o = await d.GetDigitalInputConfigurationOptions({"Token": i.token})
        check(o is not None and o.IdleState, f"no DigitalInputOptions for {i.token}")


@m2case("DEVICEIO-3-1-4")
async def digital_input_configuration(ctx):
    d = await deviceio(ctx)
    ins = await inputs(d)
    notes = []
    for i in ins:
        saved = plain(i)
        o = await d.GetDigitalInputConfigurationOptions({"Token": i.token})
        try:
            for idle in ("closed", "open"):
                if idle not in (o.IdleState or []):
                    continue
                await d.SetDigitalInputConfigurations({"DigitalInputs": [dict(saved, IdleState=idle)]})
                got = next((x for x in await d.GetDigitalInputs() if x.token == i.token), None)
                check(got is not None and got.IdleState == idle, f"input {i.token}: IdleState {getattr(got, 'IdleState', None)} after setting {idle}")
                notes.append(f"{i.token} {idle}")
        finally:
            await d.SetDigitalInputConfigurations({"DigitalInputs": [saved]})
    ctx.note("; ".join(notes))


# --- video sources (DEVICEIO-5-1-1, 7-1-1) -------------------------------------------------------


@m2case("DEVICEIO-5-1-1", requires=(DEVICEIO, NS["trt"]))
async def video_sources_media_consistency(ctx):
    d = await deviceio(ctx)
    tokens = [getattr(t, "token", t) for t in await d.GetVideoSources() or []]
    cam = await ctx.camera()
    m = await cam.create_media_service()
    media = [v.token for v in await m.GetVideoSources()]
    check(tokens == media, f"DeviceIO GetVideoSources {tokens}, Media GetVideoSources {media}")


@m2case("DEVICEIO-7-1-1", requires=(DEVICEIO, MEDIA2))
async def get_video_sources(ctx):
    d = await deviceio(ctx)
    caps = await d.GetServiceCapabilities()
    tokens = [getattr(t, "token", t) for t in await d.GetVideoSources() or []]
    check(tokens, "GetVideoSources lists none")
    check(len(tokens) == caps.VideoSources, f"{len(tokens)} video sources, capabilities VideoSources {caps.VideoSources}")
    dup = sorted({t for t in tokens if tokens.count(t) > 1})
    check(not dup, f"video sources with the same token: {dup}")
    ctx.note(f"video sources {', '.join(tokens)}")


# --- audio sources and outputs (DEVICEIO-4-1-1, 8-1-1) ------------------------------------------


async def media2_supports(ctx, kind: str) -> None:
    """The cases' pre-requisite: Media2's ProfileCapabilities.ConfigurationsSupported lists
    `kind` (AudioSource, AudioOutput); N/A otherwise, with what it lists."""
    from conformance.cases.media2 import capabilities, media2, supported

    kinds = supported(await capabilities(await media2(ctx)))
    if kind not in kinds:
        raise NotApplicable(f"Media2 ConfigurationsSupported {' '.join(kinds)} has no {kind}")


@m2case("DEVICEIO-4-1-1", requires=(DEVICEIO, MEDIA2))
async def get_audio_sources(ctx):
    await media2_supports(ctx, "AudioSource")
    d = await deviceio(ctx)
    tokens = [getattr(t, "token", t) for t in await d.GetAudioSources() or []]
    check(tokens, "GetAudioSources lists none")
    ctx.note(f"audio sources {', '.join(tokens)}")


@m2case("DEVICEIO-8-1-1", requires=(DEVICEIO, MEDIA2))
async def get_audio_outputs(ctx):
    await media2_supports(ctx, "AudioOutput")
    d = await deviceio(ctx)
    caps = await d.GetServiceCapabilities()
    tokens = [getattr(t, "token", t) for t in await d.GetAudioOutputs() or []]
    check(tokens, "GetAudioOutputs lists none")
    check(len(tokens) == caps.AudioOutputs, f"{len(tokens)} audio outputs, capabilities AudioOutputs {caps.AudioOutputs}")
    dup = sorted({t for t in tokens if tokens.count(t) > 1})
    check(not dup, f"audio outputs with the same token: {dup}")
    ctx.note(f"audio outputs {', '.join(tokens)}")
