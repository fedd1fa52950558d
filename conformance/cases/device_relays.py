"""ONVIF Base Device Test Specification, I/O (DEVICE-5-*): the relay outputs through the
Device service (Core s.8.5, GetRelayOutputs, SetRelayOutputSettings, SetRelayOutputState,
"kept for backward compatibility" beside DeviceIO's; cases/deviceio.py runs DEVICEIO-1-*
on the same relays). Each case follows its test ID's steps and pass criteria with zeep
(onvif-zeep-async's ONVIFService) on the vendored devicemgmt WSDL
(wsdl/ver10/device/wsdl/devicemgmt.wsdl), every reply checked against the ONVIF schema
(conformance/schema.py).

Where the specification is loose, the cases read it so:
- "Relay Outputs supported by DUT" (every case's pre-requisite): GetCapabilities'
  Device.IO.RelayOutputs > 0; without it the case is N/A with that count.
- "If the DUT supports <mode> with <idle> Idle state" (DEVICE-5-1-3, 5-1-9): the Device service
  has no options operation, so SetRelayOutputSettings is sent and an env:Sender/
  ter:InvalidArgVal fault is the answer "not supported"; any other fault fails.
- time1 and time2 are not given: time1 = 3 s, time2 = 5 s (different, so a device that
  keeps the older DelayTime is seen in DEVICE-5-1-3's monostable steps).
- DEVICE-5-1-3 steps 12, 16, 20 name "GetRelayOutputSettings", which the Device service does
  not have (devicemgmt.wsdl); GetRelayOutputs, as in step 8, is sent. Its steps 14 and 18
  name one idle state in the condition and send the other; the request as written is sent.
- The Device service has no state getter, so where the cases set a relay's state they also
  watch it through its tns1:Device/Trigger/Relay property event (a PullPoint subscription of
  cases/events.py, as the DeviceIO cases do): every SetRelayOutputState that changes the
  state must show as a Changed event with that LogicalState; a monostable relay must fall
  back to inactive time1 after it went active (DEVICE-5-1-7/8), and one set inactive before
  time1 must stay inactive when time1 expires (DEVICE-5-1-9, "did not change relay state as
  expected").
- The invalid-token cases accept only the fault the specification prefers
  (env:Sender/ter:InvalidArgVal/ter:RelayToken, what nvt documents in docs/deviceio.md),
  although its note accepts any fault.

Every case that changes a relay puts its settings back (as HelperRestoreRelayOutput of the
DeviceIO specification), and its state if it was active.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from zeep.exceptions import Fault

from conformance.cases import events
from conformance.cases.device import expect_fault, subcodes
from conformance.cases.deviceio import (
    RELAY_TOPIC, is_relay, no_duplicates, relay_event, restore_relay, returns_to_idle, seconds, set_relay,
)
from conformance.cases.media2 import m2case, typed_service
from conformance.harness import NS, NotApplicable, check

WSDL = "ver10/device/wsdl/devicemgmt.wsdl"
TIME1 = 3.0
TIME2 = 5.0
INVALID_TOKEN = "OnvifTest123"

RULES = []


async def device(ctx):
    return await typed_service(ctx, NS["tds"], WSDL, "DeviceBinding")


async def capability_count(d) -> int:
    """GetCapabilities (Device): Device.IO.RelayOutputs, or N/A when it is 0 or absent."""
    caps = await d.GetCapabilities({"Category": "Device"})
    check(caps.Device is not None, "GetCapabilities(Device) without Device")
    io = caps.Device.IO
    n = (io.RelayOutputs if io is not None else None) or 0
    if n == 0:
        raise NotApplicable(f"no relay outputs (GetCapabilities Device.IO.RelayOutputs = {io.RelayOutputs if io is not None else 'absent'})")
    return n


async def relays(d):
    """The pre-requisite, then GetRelayOutputs: a non-empty list, no token twice."""
    await capability_count(d)
    outs = await d.GetRelayOutputs() or []
    check(outs, "GetRelayOutputs lists no relay output")
    no_duplicates(outs, "RelayOutputs")
    return outs


async def current(d, token: str):
    got = next((x for x in await d.GetRelayOutputs() or [] if x.token == token), None)
    check(got is not None, f"{token} gone from GetRelayOutputs")
    return got.Properties


async def try_settings(d, token: str, mode: str, delay: float, idle: str) -> bool:
    """SetRelayOutputSettings; False when the device refuses it with env:Sender/
    ter:InvalidArgVal (the mode or idle state is not supported)."""
    try:
        await set_relay(d, token, mode, dt.timedelta(seconds=delay), idle)
        return True
    except Fault as f:
        if {"Sender", "InvalidArgVal"} <= set(subcodes(f)):
            return False
        raise


async def watch(ctx, token: str):
    """A PullPoint subscription on the relay topic and the relay's state from its
    Initialized message."""
    sub = await events.create_pullpoint(ctx, topic=RELAY_TOPIC)
    return sub, await relay_event(ctx, sub, token, "Initialized")


async def set_state(ctx, d, sub, token: str, state: str, was: str) -> str:
    """SetRelayOutputState; a change of state must show as a Changed event saying so."""
    await d.SetRelayOutputState({"RelayOutputToken": token, "LogicalState": state})
    if state != was:
        got = await relay_event(ctx, sub, token, "Changed")
        check(got == state, f"relay {token}: LogicalState {got} after SetRelayOutputState {state}")
    return state


async def quiet(ctx, sub, token: str, until: float) -> None:
    """No event of relay `token` until the event loop's time `until` (it stays as it is)."""
    loop = asyncio.get_running_loop()
    while (left := until - loop.time()) > 0:
        _, _, msgs = await events.pull(ctx, sub, f"PT{max(1, round(left))}S", 10)
        for m in msgs:
            check(not is_relay(m, token), f"relay {token}: {m.operation} LogicalState {m.data.get('LogicalState')} "
                                          "while time1 ran out, after it was set inactive before")


async def restore(ctx, d, sub, initial, state: str, was: str) -> None:
    """Settings back, then the state the relay had."""
    await restore_relay(d, initial)
    if was == "active" and state != "active":
        await d.SetRelayOutputState({"RelayOutputToken": initial.token, "LogicalState": "active"})
    await events.cleanup(ctx, sub)


# --- GetRelayOutputs (DEVICE-5-1-1, 5-1-2) ---------------------------------------------------


@m2case("DEVICE-5-1-1")
async def get_relay_outputs(ctx):
    d = await device(ctx)
    outs = await relays(d)
    ctx.note(f"relays {', '.join(o.token for o in outs)}")


@m2case("DEVICE-5-1-2")
async def relay_outputs_count(ctx):
    d = await device(ctx)
    n = await capability_count(d)
    outs = await d.GetRelayOutputs() or []
    check(len(outs) == n, f"{len(outs)} relay outputs in GetRelayOutputs, GetCapabilities Device.IO.RelayOutputs {n}")
    ctx.note(f"{n} relay outputs in both")


# --- SetRelayOutputSettings (DEVICE-5-1-3) --------------------------------------------------


@m2case("DEVICE-5-1-3")
async def set_relay_output_settings(ctx):
    d = await device(ctx)
    notes = []
    for r in await relays(d):
        taken = []
        try:
            for mode, idle, delay in (("Bistable", "open", TIME1), ("Bistable", "closed", TIME1),
                                      ("Monostable", "open", TIME2), ("Monostable", "closed", TIME2)):
                if not await try_settings(d, r.token, mode, delay, idle):
                    continue
                p = await current(d, r.token)
                check((p.Mode, p.IdleState) == (mode, idle), f"{r.token}: {p.Mode}/{p.IdleState} after {mode}/{idle}")
                if mode == "Monostable":
                    got = seconds(p.DelayTime)
                    check(abs(got - delay) < 1e-3, f"{r.token}: DelayTime {got:g} s after Monostable/{idle} with {delay:g} s")
                taken.append(f"{mode}/{idle}")
        finally:
            await restore_relay(d, r)
        check(taken, f"{r.token}: none of Bistable/open, Bistable/closed, Monostable/open, Monostable/closed taken")
        notes.append(f"{r.token}: {', '.join(taken)}")
    ctx.note("; ".join(notes))


# --- SetRelayOutputState (DEVICE-5-1-5 to 5-1-9) --------------------------------------------


async def bistable_case(ctx, idle: str) -> None:
    d = await device(ctx)
    r = (await relays(d))[0]
    sub, was = await watch(ctx, r.token)
    state = was
    try:
        await set_relay(d, r.token, "Bistable", dt.timedelta(seconds=TIME1), idle)
        state = await set_state(ctx, d, sub, r.token, "active", state)
        state = await set_state(ctx, d, sub, r.token, "inactive", state)
        ctx.note(f"relay {r.token} Bistable/{idle}: {was} -> active -> inactive")
    finally:
        await restore(ctx, d, sub, r, state, was)


@m2case("DEVICE-5-1-5")
async def bistable_open(ctx):
    await bistable_case(ctx, "open")


@m2case("DEVICE-5-1-6")
async def bistable_closed(ctx):
    await bistable_case(ctx, "closed")


async def monostable_case(ctx, idle: str) -> None:
    d = await device(ctx)
    r = (await relays(d))[0]
    sub, was = await watch(ctx, r.token)
    try:
        if was == "active":
            # Made inactive first: an active relay made monostable would fall back on its own.
            await set_state(ctx, d, sub, r.token, "inactive", was)
        await set_relay(d, r.token, "Monostable", dt.timedelta(seconds=TIME1), idle)
        await d.SetRelayOutputState({"RelayOutputToken": r.token, "LogicalState": "active"})
        back = await returns_to_idle(ctx, sub, r.token, TIME1)
        ctx.note(f"relay {r.token} Monostable/{idle}: active, inactive again {back:.2f} s later (time1 {TIME1:g} s)")
    finally:
        await restore(ctx, d, sub, r, "inactive", was)


@m2case("DEVICE-5-1-7")
async def monostable_open(ctx):
    await monostable_case(ctx, "open")


@m2case("DEVICE-5-1-8")
async def monostable_closed(ctx):
    await monostable_case(ctx, "closed")


@m2case("DEVICE-5-1-9")
async def monostable_inactive_before_delay(ctx):
    d = await device(ctx)
    r = (await relays(d))[0]
    sub, was = await watch(ctx, r.token)
    loop = asyncio.get_running_loop()
    notes = []
    try:
        if was == "active":
            await set_state(ctx, d, sub, r.token, "inactive", was)
        for idle in ("open", "closed"):
            if not await try_settings(d, r.token, "Monostable", TIME1, idle):
                continue
            await set_state(ctx, d, sub, r.token, "active", "inactive")
            t0 = loop.time()
            await set_state(ctx, d, sub, r.token, "inactive", "active")
            early = loop.time() - t0
            check(early < TIME1, f"relay {r.token}: set inactive {early:.1f} s after active, not before time1 ({TIME1:g} s)")
            await quiet(ctx, sub, r.token, t0 + TIME1 + 1.0)
            notes.append(f"Monostable/{idle}: inactive {early:.2f} s after active, no change when time1 expired")
        if not notes:
            raise NotApplicable(f"relay {r.token} takes Monostable with neither idle state")
        ctx.note(f"relay {r.token} " + "; ".join(notes))
    finally:
        await restore(ctx, d, sub, r, "inactive", was)


# --- invalid tokens (DEVICE-5-1-11, 5-1-12) ------------------------------------------------


def invalid_token(outs) -> str:
    tokens = {o.token for o in outs}
    check(INVALID_TOKEN not in tokens, f"the device has a relay {INVALID_TOKEN}")
    return INVALID_TOKEN


@m2case("DEVICE-5-1-11")
async def set_relay_output_settings_invalid_token(ctx):
    d = await device(ctx)
    token = invalid_token(await relays(d))
    before = [(o.token, o.Properties.Mode, seconds(o.Properties.DelayTime), o.Properties.IdleState) for o in await d.GetRelayOutputs()]
    await expect_fault(set_relay(d, token, "Bistable", dt.timedelta(seconds=TIME1), "open"), "Sender", "InvalidArgVal", "RelayToken")
    after = [(o.token, o.Properties.Mode, seconds(o.Properties.DelayTime), o.Properties.IdleState) for o in await d.GetRelayOutputs()]
    check(after == before, f"relay outputs changed by a refused request: {before} -> {after}")


@m2case("DEVICE-5-1-12")
async def set_relay_output_state_invalid_token(ctx):
    d = await device(ctx)
    await capability_count(d)
    await expect_fault(d.SetRelayOutputState({"RelayOutputToken": INVALID_TOKEN, "LogicalState": "active"}),
                       "Sender", "InvalidArgVal", "RelayToken")
