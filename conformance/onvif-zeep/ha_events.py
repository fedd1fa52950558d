"""Home Assistant's ONVIF event loop against a running nvt, with HA's client library.

usage: ha_events.py HOST PORT USER PASSWORD SECONDS

What HA does (homeassistant/components/onvif/event.py, PullPointManager): find the events
service through GetCapabilities, CreatePullPointSubscription with a relative
InitialTerminationTime (onvif-zeep-async's PullPointManager), SetSynchronizationPoint, then
PullMessages(MessageLimit=100, Timeout=60 s) in a loop, parsing each message with its topic
parser, and Renew before the termination time. The two motion parsers below are HA's
(homeassistant/components/onvif/parsers.py, async_parse_motion_alarm and
async_parse_cell_motion_detector), reduced to what they read.

Prints one JSON line per motion message: {"topic", "key", "state", "utc", "op", "recv"},
where recv is the Unix time (s) at which PullMessages returned it. Exits non-zero on any
client error or on a message HA could not parse.
"""

import asyncio
import datetime as dt
import json
import sys
import time

from onvif import ONVIFCamera


def extract_message(msg):
    return msg.Topic._value_1.rstrip("/."), msg.Message._value_1


def parse_motion_alarm(uid, msg):
    topic, payload = extract_message(msg)
    source = payload.Source.SimpleItem[0].Value
    return f"{uid}_{topic}_{source}", payload.Data.SimpleItem[0].Value == "true"


def parse_cell_motion_detector(uid, msg):
    topic, payload = extract_message(msg)
    video_source = video_analytics = rule = ""
    for source in payload.Source.SimpleItem:
        if source.Name == "VideoSourceConfigurationToken":
            video_source = source.Value
        if source.Name == "VideoAnalyticsConfigurationToken":
            video_analytics = source.Value
        if source.Name == "Rule":
            rule = source.Value
    assert video_source and video_analytics and rule, payload
    return f"{uid}_{topic}_{video_source}_{video_analytics}_{rule}", payload.Data.SimpleItem[0].Value == "true"


PARSERS = {
    "tns1:VideoSource/MotionAlarm": parse_motion_alarm,
    "tns1:RuleEngine/CellMotionDetector/Motion": parse_cell_motion_detector,
}


async def main():
    host, port, user, password, seconds = sys.argv[1:6]
    cam = ONVIFCamera(host, int(port), user, password, no_cache=True, adjust_time=True)
    try:
        await cam.update_xaddrs()
        # HA: capabilities decide whether events are set up at all.
        caps = await cam.get_capabilities()
        assert caps["Events"]["WSPullPointSupport"], caps
        events = await cam.create_events_service()
        svc_caps = await events.GetServiceCapabilities()
        assert svc_caps.MaxPullPoints >= 1, svc_caps
        props = await events.GetEventProperties()
        assert props.TopicExpressionDialect, props

        manager = await cam.create_pullpoint_manager(dt.timedelta(seconds=60), lambda: None)
        await manager.set_synchronization_point()
        pullpoint = manager.get_service()
        deadline = time.time() + float(seconds)
        renewed = False
        initialized = set()
        while time.time() < deadline:
            resp = await pullpoint.PullMessages(
                {"MessageLimit": 100, "Timeout": dt.timedelta(seconds=60)}
            )
            recv = time.time()
            assert resp.CurrentTime.tzinfo is not None and resp.TerminationTime > resp.CurrentTime, resp
            for msg in resp.NotificationMessage:
                topic, payload = extract_message(msg)
                if topic not in PARSERS:
                    continue
                key, state = PARSERS[topic]("uid", msg)
                op = payload.PropertyOperation
                if op == "Initialized":
                    initialized.add(topic)
                print(json.dumps({
                    "topic": topic,
                    "key": key,
                    "state": state,
                    "utc": payload.UtcTime.timestamp(),
                    "op": op,
                    "recv": recv,
                }), flush=True)
            if not renewed:
                # HA renews with the same relative time before the termination time.
                r = await manager._subscription.Renew(cam.get_next_termination_time(dt.timedelta(seconds=60)))
                assert (r.TerminationTime - r.CurrentTime).total_seconds() >= 59, r
                renewed = True
        assert initialized == set(PARSERS), initialized
        await manager.shutdown()
    finally:
        await cam.close()
    print("OK", flush=True)


asyncio.run(main())
