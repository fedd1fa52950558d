"""Home Assistant's view of nvt's tamper events, with HA's client library.

usage: ha_tamper.py HOST PORT USER PASSWORD TURNED_FILE

HA's event loop (homeassistant/components/onvif/event.py: CreatePullPointSubscription,
SetSynchronizationPoint, PullMessages in a loop) with its four tamper parsers
(homeassistant/components/onvif/parsers.py, async_parse_image_too_dark, ..._too_bright,
..._too_blurry and async_parse_scene_change), reduced to what they read: the entity's
unique id is "{uid}_{topic}_{Source[0].Value}", its state Data[0].Value == "true", the
name, device class and entity category are theirs. As a client would, this script then
makes the picture dark (Brightness 0), white (manual exposure at its maximum), blurred
(focus to an end stop) and turns the camera on its mount (creates TURNED_FILE, nvt's
simulator's `turned_file` option: a PTZ move is asked for and is no tampering), restoring
each, and waits for the entity HA would show to follow.

Prints one JSON line per tamper message: {"key", "name", "device_class", "category",
"state", "op", "step"} where step is what was being done; then "OK". Exits non-zero on a
client error, a message HA could not parse, or an entity that does not follow in time.
"""

import asyncio
import datetime as dt
import json
import sys
import time

from onvif import ONVIFCamera

SOURCE = "vs0"
WAIT = 20.0


def entity(uid, msg, name, device_class, category):
    """HA's tamper parsers: (unique id, name, device class, category, state)."""
    topic = msg.Topic._value_1
    payload = msg.Message._value_1
    source = payload.Source.SimpleItem[0].Value
    return (f"{uid}_{topic}_{source}", name, device_class, category,
            payload.Data.SimpleItem[0].Value == "true")


PARSERS = {
    "tns1:VideoSource/ImageTooDark/ImagingService": ("Image Too Dark", "problem", "diagnostic"),
    "tns1:VideoSource/ImageTooBright/ImagingService": ("Image Too Bright", "problem", "diagnostic"),
    "tns1:VideoSource/ImageTooBlurry/ImagingService": ("Image Too Blurry", "problem", "diagnostic"),
    "tns1:VideoSource/GlobalSceneChange/ImagingService": ("Global Scene Change", "problem", None),
}


class Ha:
    """The entities HA would hold, fed by its pull loop."""

    def __init__(self, pullpoint):
        self.pullpoint = pullpoint
        self.states = {}
        self.step = "start"

    async def pull(self, timeout):
        resp = await self.pullpoint.PullMessages(
            {"MessageLimit": 100, "Timeout": dt.timedelta(seconds=timeout)})
        for msg in resp.NotificationMessage:
            topic = msg.Topic._value_1
            if topic not in PARSERS:
                continue
            key, name, device_class, category, state = entity("uid", msg, *PARSERS[topic])
            self.states[name] = state
            print(json.dumps({
                "key": key, "name": name, "device_class": device_class,
                "category": category, "state": state,
                "op": msg.Message._value_1.PropertyOperation, "step": self.step,
            }), flush=True)

    async def until(self, name, state):
        deadline = time.monotonic() + WAIT
        while self.states.get(name) != state:
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.step}: {name} not {state} within {WAIT} s: {self.states}")
            await self.pull(1)


async def main():
    host, port, user, password, turned_file = sys.argv[1:6]
    cam = ONVIFCamera(host, int(port), user, password, no_cache=True, adjust_time=True)
    try:
        await cam.update_xaddrs()
        events = await cam.create_events_service()
        props = await events.GetEventProperties()
        assert props.TopicExpressionDialect, props
        manager = await cam.create_pullpoint_manager(dt.timedelta(seconds=120), lambda: None)
        await manager.set_synchronization_point()
        ha = Ha(manager.get_service())
        # The initial states: four entities, all off.
        deadline = time.monotonic() + WAIT
        while len(ha.states) < 4 and time.monotonic() < deadline:
            await ha.pull(1)
        assert ha.states == {name: False for name, _, _ in PARSERS.values()}, ha.states

        imaging = await cam.create_imaging_service()
        settings = lambda s: imaging.SetImagingSettings(
            {"VideoSourceToken": SOURCE, "ImagingSettings": s})

        ha.step = "brightness 0"
        await settings({"Brightness": 0})
        await ha.until("Image Too Dark", True)
        ha.step = "brightness 50"
        await settings({"Brightness": 50})
        await ha.until("Image Too Dark", False)

        ha.step = "exposure max"
        await settings({"Exposure": {"Mode": "MANUAL", "ExposureTime": 40000, "Gain": 100}})
        await ha.until("Image Too Bright", True)
        ha.step = "exposure auto"
        await settings({"Exposure": {"Mode": "AUTO"}})
        await ha.until("Image Too Bright", False)

        ha.step = "focus 1000"
        await imaging.Move({"VideoSourceToken": SOURCE,
                            "Focus": {"Absolute": {"Position": 1000, "Speed": 250}}})
        await ha.until("Image Too Blurry", True)
        ha.step = "focus 500"
        await imaging.Move({"VideoSourceToken": SOURCE,
                            "Focus": {"Absolute": {"Position": 500, "Speed": 250}}})
        await ha.until("Image Too Blurry", False)

        ha.step = "turned"
        open(turned_file, "w").close()
        await ha.until("Global Scene Change", True)
        await ha.until("Global Scene Change", False)

        await manager.shutdown()
    finally:
        await cam.close()
    print("OK", flush=True)


asyncio.run(main())
