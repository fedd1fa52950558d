"""Home Assistant's ONVIF PTZ against a running nvt, call for call, with HA's client library.

usage: ha_ptz.py HOST PORT USER PASSWORD

The calls are those of homeassistant/components/onvif/device.py (home-assistant/core, the
copy in the search index without EMULATE_RELATIVE_MOVE): `async_setup` and
`async_get_profiles` at start, `async_perform_ptz` for the `onvif.ptz` action, with the
action's defaults (camera.py / services.yaml: distance 0.1, speed 0.5, move_mode
RelativeMove, continuous_duration 0.5, preset "0"; const.py: LEFT/DOWN/ZOOM_OUT -1,
RIGHT/UP/ZOOM_IN +1). Events are left out (ha_events.py covers them).

Steps:
  0. As the user, before HA starts: a preset (HA only lists tokens, it makes none).
  1. Setup: GetServices, GetCapabilities, GetSystemDateAndTime, GetDeviceInformation,
     GetNetworkInterfaces, Media GetServiceCapabilities, GetProfiles, per H.264 profile
     PTZ(continuous, relative, absolute) from its PTZConfiguration and GetPresets.
  2. ContinuousMove LEFT/UP/ZOOM_IN for 0.5 s, then HA's Stop{PanTilt=true, Zoom=false}:
     pan/tilt stop at once, the zoom runs on until DefaultPTZTimeout (5 s) ends it.
  3. RelativeMove RIGHT/DOWN, AbsoluteMove RIGHT/UP/ZOOM_IN: the positions reached.
  4. AbsoluteMove ZOOM_OUT: zoom -0.1 is outside 0..1: Sender/InvalidArgVal/InvalidPosition,
     nothing moves, and what HA does with the fault is recorded.
  5. GotoPreset by token (and HA's default "0", which it refuses without a request).
  6. Stop (no PanTilt/Zoom flags) ends a zoom HA's ContinuousMove left running.

Exits 0 and prints OK and a JSON object of figures on the last line.
"""

import asyncio
import json
import os
import sys
import time

import onvif
import onvif.client as oc
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFError
from zeep import Plugin
from zeep.exceptions import Fault

# const.py
PAN_FACTOR = {"RIGHT": 1, "LEFT": -1}
TILT_FACTOR = {"UP": 1, "DOWN": -1}
ZOOM_FACTOR = {"ZOOM_IN": 1, "ZOOM_OUT": -1}
CONTINUOUS_MOVE, RELATIVE_MOVE, ABSOLUTE_MOVE = "ContinuousMove", "RelativeMove", "AbsoluteMove"
GOTOPRESET_MOVE, STOP_MOVE = "GotoPreset", "Stop"
# The onvif.ptz action's defaults (camera.py async_setup_entry's schema).
DISTANCE, SPEED, CONTINUOUS_DURATION, PRESET = 0.1, 0.5, 0.5, "0"

# The simulator's head (sdk-sys/src/sim/ptz.rs): top speeds 120 deg/s pan, 90 tilt, 5x/s
# zoom over pan +-170, tilt +-45, zoom 1x..10x; generic positions are fractions of those.
PAN_HALF, TILT_HALF, ZOOM_SPAN = 170.0, 45.0, 9.0
TOLERANCE = 0.002

SENT = []


class Recorder(Plugin):
    def egress(self, envelope, http_headers, operation, binding_options):
        SENT.append(operation.name)
        return envelope, http_headers


class RecordingClient(oc.ZeepAsyncClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plugins.append(Recorder())


oc.ZeepAsyncClient = RecordingClient


def get_device(host, port, username, password):
    """device.py get_device."""
    return ONVIFCamera(host, port, username, password,
                       f"{os.path.dirname(onvif.__file__)}/wsdl/", no_cache=True)


async def setup(device):
    """async_setup up to the events: the calls, and the profiles as HA keeps them."""
    await device.update_xaddrs()
    await device.get_capabilities()
    dm = await device.create_devicemgmt_service()
    await dm.GetSystemDateAndTime()  # async_check_date_and_time
    await dm.GetDeviceInformation()  # async_get_device_info
    await dm.GetNetworkInterfaces()
    media = await device.create_media_service()  # async_get_capabilities
    await media.GetServiceCapabilities()
    device.get_definition("ptz")  # raises when no PTZ XAddr is known: then ptz = False
    await device.create_imaging_service()

    profiles = []  # async_get_profiles
    for key, onvif_profile in enumerate(await media.GetProfiles()):
        if (not onvif_profile.VideoEncoderConfiguration
                or onvif_profile.VideoEncoderConfiguration.Encoding != "H264"):
            continue
        profile = {"index": key, "token": onvif_profile.token, "ptz": None}
        if onvif_profile.PTZConfiguration:
            c = onvif_profile.PTZConfiguration
            profile["ptz"] = {
                "continuous": c.DefaultContinuousPanTiltVelocitySpace is not None,
                "relative": c.DefaultRelativePanTiltTranslationSpace is not None,
                "absolute": c.DefaultAbsolutePantTiltPositionSpace is not None,
                "timeout": c.DefaultPTZTimeout.total_seconds(),
            }
            try:
                ptz_service = await device.create_ptz_service()
                presets = await ptz_service.GetPresets(profile["token"])
                profile["ptz"]["presets"] = [preset.token for preset in presets if preset]
            except Fault:
                profile["ptz"]["presets"] = []
        profiles.append(profile)
    await device.create_ptz_service()
    return profiles


async def perform_ptz(device, profile, move_mode, pan=None, tilt=None, zoom=None,
                      distance=DISTANCE, speed=SPEED, continuous_duration=CONTINUOUS_DURATION,
                      preset=PRESET):
    """async_perform_ptz. Returns what HA would log at warning/error level (None if nothing);
    a fault that escapes HA's `except ONVIFError` propagates, as in HA."""
    ptz_service = await device.create_ptz_service()
    pan_val = distance * PAN_FACTOR.get(pan, 0)
    tilt_val = distance * TILT_FACTOR.get(tilt, 0)
    zoom_val = distance * ZOOM_FACTOR.get(zoom, 0)
    speed_val = speed
    preset_val = preset
    try:
        req = ptz_service.create_type(move_mode)
        req.ProfileToken = profile["token"]
        if move_mode == CONTINUOUS_MOVE:
            if not profile["ptz"] or not profile["ptz"]["continuous"]:
                return "ContinuousMove not supported"
            velocity = {}
            if pan is not None or tilt is not None:
                velocity["PanTilt"] = {"x": pan_val, "y": tilt_val}
            if zoom is not None:
                velocity["Zoom"] = {"x": zoom_val}
            req.Velocity = velocity
            await ptz_service.ContinuousMove(req)
            await asyncio.sleep(continuous_duration)
            req = ptz_service.create_type("Stop")
            req.ProfileToken = profile["token"]
            await ptz_service.Stop(
                {"ProfileToken": req.ProfileToken, "PanTilt": True, "Zoom": False})
        elif move_mode == RELATIVE_MOVE:
            if not profile["ptz"] or not profile["ptz"]["relative"]:
                return "RelativeMove not supported"
            req.Translation = {"PanTilt": {"x": pan_val, "y": tilt_val}, "Zoom": {"x": zoom_val}}
            req.Speed = {"PanTilt": {"x": speed_val, "y": speed_val}, "Zoom": {"x": speed_val}}
            await ptz_service.RelativeMove(req)
        elif move_mode == ABSOLUTE_MOVE:
            if not profile["ptz"] or not profile["ptz"]["absolute"]:
                return "AbsoluteMove not supported"
            req.Position = {"PanTilt": {"x": pan_val, "y": tilt_val}, "Zoom": {"x": zoom_val}}
            req.Speed = {"PanTilt": {"x": speed_val, "y": speed_val}, "Zoom": {"x": speed_val}}
            await ptz_service.AbsoluteMove(req)
        elif move_mode == GOTOPRESET_MOVE:
            if not profile["ptz"] or not profile["ptz"]["presets"]:
                return "Absolute Presets not supported"
            if preset_val not in profile["ptz"]["presets"]:
                return f"PTZ preset '{preset_val}' does not exist"
            req.PresetToken = preset_val
            req.Speed = {"PanTilt": {"x": speed_val, "y": speed_val}, "Zoom": {"x": speed_val}}
            await ptz_service.GotoPreset(req)
        elif move_mode == STOP_MOVE:
            await ptz_service.Stop(req)
    except ONVIFError as err:
        if "Bad Request" in err.reason:
            return "doesn't support PTZ"
        return f"Error trying to perform PTZ action: {err}"
    return None


async def status(ptz):
    s = await ptz.GetStatus({"ProfileToken": "main"})
    p = s.Position
    return {"pan": p.PanTilt.x, "tilt": p.PanTilt.y, "zoom": p.Zoom.x,
            "pt": s.MoveStatus.PanTilt, "z": s.MoveStatus.Zoom}


async def wait_idle(ptz, limit=15.0):
    """Polls (every 50 ms, not HA's business: it never reads the status) until both groups
    are IDLE; returns the status and the seconds waited."""
    t0 = time.monotonic()
    while True:
        s = await status(ptz)
        if s["pt"] == "IDLE" and s["z"] == "IDLE":
            return s, time.monotonic() - t0
        assert time.monotonic() - t0 < limit, s
        await asyncio.sleep(0.05)


def near(s, pan, tilt, zoom, what):
    got = (s["pan"], s["tilt"], s["zoom"])
    assert all(abs(g - w) < TOLERANCE for g, w in zip(got, (pan, tilt, zoom))), (what, got)


def subcodes(fault):
    return [q.localname if hasattr(q, "localname") else str(q).split("}")[-1]
            for q in (fault.subcodes or [])]


async def scenario(host, port, user, password, cams):
    out = {}
    # 0. The user's preset (made elsewhere: HA has no SetPreset).
    user_cam = ONVIFCamera(host, port, user, password)
    cams.append(user_cam)
    await user_cam.update_xaddrs()
    ptz = await user_cam.create_ptz_service()
    await ptz.AbsoluteMove({"ProfileToken": "main", "Position": {
        "PanTilt": {"x": -0.2, "y": 0.1}, "Zoom": {"x": 0.0}}})
    gate, _ = await wait_idle(ptz)
    token = await ptz.SetPreset({"ProfileToken": "main", "PresetName": "gate"})

    # 1. HA's setup.
    device = get_device(host, port, user, password)
    cams.append(device)
    SENT.clear()
    profiles = await setup(device)
    assert SENT == ["GetServices", "GetCapabilities", "GetSystemDateAndTime",
                    "GetDeviceInformation", "GetNetworkInterfaces", "GetServiceCapabilities",
                    "GetProfiles", "GetPresets", "GetPresets"], SENT
    assert [p["token"] for p in profiles] == ["main", "sub"], profiles
    for p in profiles:
        ptz_caps = p["ptz"]
        assert ptz_caps and ptz_caps["continuous"] and ptz_caps["relative"] \
            and ptz_caps["absolute"], p
        # Presets belong to the head: both profiles list the same one.
        assert ptz_caps["presets"] == [token], p
    main = profiles[0]
    timeout = main["ptz"]["timeout"]
    assert timeout == 5.0, timeout  # short, as HA never stops its own continuous zoom
    out["setup_calls"] = list(SENT)

    # 2. ContinuousMove with every axis, HA's Stop leaves the zoom running.
    before = await status(ptz)
    t0 = time.monotonic()
    logged = await perform_ptz(device, main, CONTINUOUS_MOVE, "LEFT", "UP", "ZOOM_IN")
    assert logged is None, logged
    await asyncio.sleep(0.6)  # the pan/tilt brake (0.1 of top speed: a few ms)
    s = await status(ptz)
    assert (s["pt"], s["z"]) == ("IDLE", "MOVING"), s
    # 12 deg/s left and 9 deg/s up for ~0.5 s.
    assert 4.5 < (before["pan"] - s["pan"]) * PAN_HALF < 7.5, (before, s)
    assert 3.5 < (s["tilt"] - before["tilt"]) * TILT_HALF < 5.5, (before, s)
    while s["z"] == "MOVING":
        assert time.monotonic() - t0 < timeout + 3, s
        await asyncio.sleep(0.05)
        s = await status(ptz)
    zoom_idle_after = time.monotonic() - t0
    assert timeout - 0.2 < zoom_idle_after < timeout + 1.5, zoom_idle_after
    # 0.5x per second for the 5 s: 2.5x of the 9x range.
    gained = (s["zoom"] - before["zoom"]) * ZOOM_SPAN
    assert 2.2 < gained < 2.8, (before, s)
    out["continuous"] = {"zoom_idle_after_s": round(zoom_idle_after, 2),
                         "zoom_gain_x": round(gained, 2)}

    # 3. RelativeMove (generic translation: 0.1 of the position space) and AbsoluteMove.
    start = s
    assert await perform_ptz(device, main, RELATIVE_MOVE, "RIGHT", "DOWN") is None
    s, took = await wait_idle(ptz)
    near(s, start["pan"] + 0.1, start["tilt"] - 0.1, start["zoom"], "RelativeMove")
    out["relative_idle_s"] = round(took, 2)
    assert await perform_ptz(device, main, ABSOLUTE_MOVE, "RIGHT", "UP", "ZOOM_IN") is None
    s, took = await wait_idle(ptz)
    near(s, 0.1, 0.1, 0.1, "AbsoluteMove")
    out["absolute_idle_s"] = round(took, 2)

    # 4. ZOOM_OUT as an absolute position: -0.1 is no zoom position.
    try:
        logged = await perform_ptz(device, main, ABSOLUTE_MOVE, zoom="ZOOM_OUT")
        raise AssertionError(f"no fault; HA logged {logged!r}")
    except Fault as f:
        # The library awaits outside its ONVIFError wrapper: the zeep Fault passes HA's
        # `except ONVIFError` and fails the action call, which HA reports as an error.
        assert subcodes(f) == ["InvalidArgVal", "InvalidPosition"], (subcodes(f), f.message)
        assert "Bad Request" not in (f.message or ""), f.message
        out["zoom_out_fault"] = {"subcodes": subcodes(f), "message": f.message,
                                 "ha": "raised from the onvif.ptz action (zeep Fault)"}
    s = await status(ptz)
    assert (s["pt"], s["z"]) == ("IDLE", "IDLE"), s
    near(s, 0.1, 0.1, 0.1, "after the refused move")

    # 5. GotoPreset: HA's default preset "0" is no token here (no request), the listed one is.
    n = len(SENT)
    assert await perform_ptz(device, main, GOTOPRESET_MOVE) == "PTZ preset '0' does not exist"
    assert len(SENT) == n, SENT[n:]
    assert await perform_ptz(device, main, GOTOPRESET_MOVE, preset=token) is None
    s, took = await wait_idle(ptz)
    near(s, gate["pan"], gate["tilt"], gate["zoom"], "GotoPreset")
    out["goto_preset_idle_s"] = round(took, 2)

    # 6. A continuous zoom alone (Velocity without PanTilt), then HA's Stop action.
    assert await perform_ptz(device, main, CONTINUOUS_MOVE, zoom="ZOOM_IN") is None
    s = await status(ptz)
    assert s["z"] == "MOVING", s
    t1 = time.monotonic()
    assert await perform_ptz(device, main, STOP_MOVE) is None
    s, _ = await wait_idle(ptz, limit=1.0)
    out["stop_idle_s"] = round(time.monotonic() - t1, 2)
    assert s["zoom"] > gate["zoom"], s
    return out


async def main():
    host, port, user, password = sys.argv[1:5]
    cams = []
    try:
        out = await scenario(host, int(port), user, password, cams)
    finally:
        for cam in cams:
            await cam.close()
    print("OK")
    print(json.dumps(out))


asyncio.run(main())
