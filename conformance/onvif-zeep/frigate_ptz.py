"""Frigate's PTZ control and autotracker against a running nvt, call for call, with the client
library Frigate uses (onvif-zeep-async).

usage: frigate_ptz.py HOST PORT USER PASSWORD

The calls and the request shapes are Frigate's own: `frigate/ptz/onvif.py` (OnvifController)
and `frigate/ptz/autotrack.py` (PtzAutoTracker) of blakeblackshear/frigate @e3fa701; "L123"
below is a line there. What is left out is what sends nothing (metrics, queues, logging), the
numpy of `numpy.interp` (the same clipped linear map, written out) and Frigate's config objects
(the defaults of frigate/config/camera/onvif.py, with autotracking on).

Steps (each asserts what could go wrong, not just "no exception"):
  0. As the user, before Frigate starts: a preset named "home" (the autotracker's default
     return_preset, config/camera/onvif.py L51-53; nvt invents no presets).
  1. `_init_onvif` with zooming "disabled" (the default): GetServices, GetProfiles and the
     profile choice, GetVideoSources, GetConfigurationOptions, the FOV space, the one-off
     GetStatus and the RelativeMove template copied from status.Position, GetPresets' name
     map, the feature list.
  2. `_autotracker_setup`'s checks: GetServiceCapabilities MoveStatus, GetStatus MoveStatus.
  3. `_move_relative` to an object right of and above centre, then the tight GetStatus loop
     (autotrack.py L826-828): the position read right after the loop is the target (a head
     that said IDLE before it moved would fail here), polls and time counted.
  4. `_init_onvif` again with zooming "absolute": the template keeps Translation.Zoom (x from
     the GetStatus seed, TranslationGenericSpace); `_zoom_absolute` (bare floats: what zeep
     serialises is recorded); `_move_relative` at 5.5x moves 1/5.5 of the angle at 1x.
  5. `_move_to_preset("home")` (autotrack.py L554-563) and the loop: back at the preset.
  6. The manual UI: ContinuousMove PanTilt -0.5 / Zoom +0.5, `_stop` (PTZ Stop PanTilt and
     Zoom, then Imaging Stop as "focus" is a feature).

Exits 0 and prints OK and a JSON object (figures, request bodies) on the last line.
"""

import asyncio
import json
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import onvif.client as oc
from lxml import etree
from onvif import ONVIFCamera
from zeep import Plugin
from zeep.exceptions import Fault

FOV_URI = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov"
ZOOM_TRANSLATION_URI = "http://www.onvif.org/ver10/tptz/ZoomSpaces/TranslationGenericSpace"

# The simulator's head (sdk-sys/src/sim/ptz.rs): pan +-170 and tilt +-45 degrees, zoom 1x..10x,
# a 60 x 33.75 degree view at 1x. Positions in the generic space are fractions of those.
PAN_HALF, TILT_HALF, ZOOM_MIN, ZOOM_MAX = 170.0, 45.0, 1.0, 10.0
HFOV, VFOV = 60.0, 33.75
# One hundredth of a degree is the SDK's unit; GetStatus reports floats of it.
TOLERANCE = 0.002

# Every operation sent, in order, and the bodies of the ones worth showing.
SENT = []
BODIES = {}
SHOW = {"RelativeMove", "AbsoluteMove", "ContinuousMove", "Stop", "GotoPreset"}


class Recorder(Plugin):
    def egress(self, envelope, http_headers, operation, binding_options):
        SENT.append(operation.name)
        if operation.name in SHOW:
            body = envelope.find("{http://www.w3.org/2003/05/soap-envelope}Body")
            BODIES.setdefault(operation.name, []).append(etree.tostring(body[0]).decode())
        return envelope, http_headers


class RecordingClient(oc.ZeepAsyncClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plugins.append(Recorder())


oc.ZeepAsyncClient = RecordingClient


def interp(x, xp, fp):
    """numpy.interp for two points: linear, clipped at both ends."""
    (x0, x1), (f0, f1) = xp, fp
    if x <= x0:
        return f0
    if x >= x1:
        return f1
    return f0 + (x - x0) * (f1 - f0) / (x1 - x0)


def find_by_key(dictionary, target_key):
    """frigate/util/builtin.py L361-370."""
    if target_key in dictionary:
        return dictionary[target_key]
    for value in dictionary.values():
        if isinstance(value, dict):
            result = find_by_key(value, target_key)
            if result is not None:
                return result
    return None


def magnification(zoom):
    return ZOOM_MIN + zoom * (ZOOM_MAX - ZOOM_MIN)


class Frigate:
    """The part of OnvifController (and the PtzMetrics it shares with the autotracker) that
    talks to the camera, for one camera."""

    def __init__(self, cam, zooming):
        self.onvif = cam
        self.zooming = zooming  # config.cameras[c].onvif.autotracking.zooming
        self.cam = {"features": [], "presets": {}, "active": False}
        # PtzMetrics: motor_stopped is an Event the status loop waits on.
        self.motor_stopped = False
        self.zoom_level = 0.0
        self.warnings = []

    async def init_onvif(self):
        """_init_onvif, L182-548."""
        onvif, c = self.onvif, self.cam
        await onvif.update_xaddrs()  # L185
        media = await onvif.create_media_service()  # L191
        onvif.get_definition("ptz")  # L196: raises when no PTZ XAddr is known
        profiles = await media.GetProfiles()  # L205
        valid_profiles = [  # L214-223
            p
            for p in profiles
            if p.VideoEncoderConfiguration
            and p.PTZConfiguration
            and (
                p.PTZConfiguration.DefaultContinuousPanTiltVelocitySpace is not None
                or p.PTZConfiguration.DefaultContinuousZoomVelocitySpace is not None
            )
        ]
        c["profiles"] = [{"name": getattr(p, "Name", None) or p.token, "token": p.token}
                         for p in valid_profiles]
        # No onvif.profile configured: the first valid one (L264-266).
        profile = valid_profiles[0] if valid_profiles else None
        assert profile is not None, "No appropriate Onvif profiles found"
        configs = profile.PTZConfiguration  # L278
        ptz = await onvif.create_ptz_service()  # L288
        c["ptz"] = ptz
        imaging = await onvif.create_imaging_service()  # L292
        c["imaging"] = imaging
        video_sources = await media.GetVideoSources()  # L298
        c["video_source_token"] = video_sources[0].token if video_sources else None

        move_request = ptz.create_type("ContinuousMove")  # L306-308
        move_request.ProfileToken = profile.token
        c["move_request"] = move_request

        request = ptz.create_type("GetConfigurationOptions")  # L315-317
        request.ConfigurationToken = profile.PTZConfiguration.token
        ptz_config = await ptz.GetConfigurationOptions(request)

        fov_space_id = next(  # L329-338
            (i for i, space in enumerate(ptz_config.Spaces.RelativePanTiltTranslationSpace)
             if "TranslationSpaceFov" in space["URI"]),
            None,
        )
        autotracking_enabled = True  # enabled_in_config and enabled (L343-345)

        status_request = ptz.create_type("GetStatus")  # L350-352
        status_request.ProfileToken = profile.token
        c["status_request"] = status_request
        c["service_capabilities_request"] = ptz.create_type("GetServiceCapabilities")

        if fov_space_id is not None and configs.DefaultRelativePanTiltTranslationSpace is not None:
            one_off_status_request = ptz.create_type("GetStatus")  # L367-369
            one_off_status_request.ProfileToken = profile.token
            status = await ptz.GetStatus(one_off_status_request)

            rel_move_request = ptz.create_type("RelativeMove")  # L374-375
            rel_move_request.ProfileToken = profile.token
            fov_uri = ptz_config["Spaces"]["RelativePanTiltTranslationSpace"][fov_space_id]["URI"]
            if rel_move_request.Translation is None:  # L382-386: seeded from the position
                rel_move_request.Translation = status.Position
                rel_move_request.Translation.PanTilt.space = fov_uri

            if autotracking_enabled and self.zooming != "disabled":  # L394-417
                zoom_space_id = next(
                    (i for i, space in enumerate(ptz_config.Spaces.RelativeZoomTranslationSpace)
                     if "TranslationGenericSpace" in space["URI"]),
                    None,
                )
                if zoom_space_id is not None:
                    rel_move_request.Translation.Zoom.space = ptz_config["Spaces"][
                        "RelativeZoomTranslationSpace"][zoom_space_id]["URI"]
            else:  # L418-429
                if (rel_move_request["Translation"] is not None
                        and "Zoom" in rel_move_request["Translation"]):
                    del rel_move_request["Translation"]["Zoom"]
                if rel_move_request["Speed"] is not None and "Zoom" in rel_move_request["Speed"]:
                    del rel_move_request["Speed"]["Zoom"]

            if rel_move_request.Speed is None:  # L434-435
                rel_move_request.Speed = configs.DefaultPTZSpeed if configs else None
            c["relative_move_request"] = rel_move_request

        abs_move_request = ptz.create_type("AbsoluteMove")  # L442-444
        abs_move_request.ProfileToken = profile.token
        c["absolute_move_request"] = abs_move_request

        presets = await ptz.GetPresets({"ProfileToken": profile.token})  # L448
        for preset in presets:  # L453-462
            preset_name = getattr(preset, "Name") or f"preset {preset['token']}"
            try:
                preset_name = preset_name.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
            c["presets"][preset_name.lower()] = preset["token"]

        supported_features = []  # L465-546
        if configs.DefaultContinuousPanTiltVelocitySpace:
            supported_features.append("pt")
        if configs.DefaultContinuousZoomVelocitySpace:
            supported_features.append("zoom")
        if configs.DefaultRelativePanTiltTranslationSpace:
            supported_features.append("pt-r")
        if configs.DefaultRelativeZoomTranslationSpace:
            supported_features.append("zoom-r")
            c["relative_zoom_range"] = ptz_config.Spaces.RelativeZoomTranslationSpace[0]
        if configs.DefaultAbsoluteZoomPositionSpace:
            supported_features.append("zoom-a")
            c["absolute_zoom_range"] = ptz_config.Spaces.AbsoluteZoomPositionSpace[0]
            c["zoom_limits"] = configs.ZoomLimits
        if c["video_source_token"] is not None and imaging is not None:  # L520-534
            imaging_capabilities = await imaging.GetImagingSettings(
                {"VideoSourceToken": c["video_source_token"]})
            if hasattr(imaging_capabilities, "Focus") and imaging_capabilities.Focus:
                supported_features.append("focus")
        if fov_space_id is not None and configs.DefaultRelativePanTiltTranslationSpace is not None:
            supported_features.append("pt-r-fov")  # L537-544
            c["relative_fov_range"] = ptz_config.Spaces.RelativePanTiltTranslationSpace[
                fov_space_id]
        c["features"] = supported_features
        c["profile"] = profile
        c["ptz_config"] = ptz_config
        return True

    async def get_service_capabilities(self):
        """L950-976: MoveStatus, found anywhere in the answer's values."""
        caps = await self.cam["ptz"].GetServiceCapabilities(
            self.cam["service_capabilities_request"])
        return find_by_key(vars(caps), "MoveStatus")

    async def get_camera_status(self):
        """L978-1081: one GetStatus; IDLE sets motor_stopped, anything else clears it."""
        status = await self.cam["ptz"].GetStatus(self.cam["status_request"])
        pan_tilt_status = getattr(status.MoveStatus, "PanTilt", None)
        zoom_status = getattr(status.MoveStatus, "Zoom", None)
        if pan_tilt_status is None:
            pan_tilt_status = getattr(status, "MoveStatus", None)
            if pan_tilt_status is None or pan_tilt_status not in ["IDLE", "MOVING"]:
                self.warnings.append("does not support the ONVIF GetStatus method")
                return None
        if pan_tilt_status == "IDLE" and (zoom_status is None or zoom_status == "IDLE"):
            self.cam["active"] = False
            self.motor_stopped = True
        else:
            self.cam["active"] = True
            self.motor_stopped = False
        if self.zooming != "disabled":  # L1046-1058
            r = self.cam["absolute_zoom_range"]
            self.zoom_level = interp(round(status.Position.Zoom.x, 2),
                                     [r["XRange"]["Min"], r["XRange"]["Max"]], [0, 1])
        return status

    async def move_relative(self, pan, tilt, zoom, speed):
        """_move_relative, L612-687."""
        c = self.cam
        assert "pt-r-fov" in c["features"]
        assert not c["active"], "already performing an action"
        c["active"] = True
        self.motor_stopped = False  # motor_stopped.clear() (L628)
        move_request = c["relative_move_request"]
        fov = c["relative_fov_range"]
        pan = interp(pan, [-1, 1], [fov["XRange"]["Min"], fov["XRange"]["Max"]])  # L640-655
        tilt = interp(tilt, [-1, 1], [fov["YRange"]["Min"], fov["YRange"]["Max"]])
        move_request.Speed = {"PanTilt": {"x": speed, "y": speed}}  # L657-662
        move_request.Translation.PanTilt.x = pan  # L664-665
        move_request.Translation.PanTilt.y = tilt
        if zoom != 0 and "zoom-r" in c["features"]:  # L668-676
            move_request.Speed = {"PanTilt": {"x": speed, "y": speed}, "Zoom": {"x": speed}}
            move_request["Translation"]["Zoom"] = {"x": zoom}
        await c["ptz"].RelativeMove(move_request)  # L678
        move_request.Translation.PanTilt.x = 0  # L681-685
        move_request.Translation.PanTilt.y = 0
        if zoom != 0 and "zoom-r" in c["features"]:
            del move_request["Translation"]["Zoom"]
        c["active"] = False

    async def zoom_absolute(self, zoom, speed):
        """_zoom_absolute, L732-773: Speed and Position carry bare floats."""
        c = self.cam
        assert "zoom-a" in c["features"]
        assert not c["active"]
        c["active"] = True
        self.motor_stopped = False
        move_request = c["absolute_move_request"]
        r = c["absolute_zoom_range"]
        zoom = interp(zoom, [0, 1], [r["XRange"]["Min"], r["XRange"]["Max"]])
        move_request.Speed = {"Zoom": speed}
        move_request.Position = {"Zoom": zoom}
        await c["ptz"].AbsoluteMove(move_request)
        c["active"] = False

    async def move_to_preset(self, preset):
        """_move_to_preset, L689-709 (no Speed)."""
        preset = preset.lower()
        assert preset in self.cam["presets"], f"{preset} is not a valid preset"
        self.cam["active"] = True
        await self.cam["ptz"].GotoPreset({
            "ProfileToken": self.cam["move_request"].ProfileToken,
            "PresetToken": self.cam["presets"][preset],
        })
        self.cam["active"] = False

    async def move(self, x, y):
        """_move, L574-610 (move_left/right/up/down: one component +-0.5)."""
        c = self.cam
        if c["active"]:
            await self.stop()
        assert "pt" in c["features"]
        c["active"] = True
        c["move_request"].Velocity = {"PanTilt": {"x": x, "y": y}}
        await c["ptz"].ContinuousMove(c["move_request"])

    async def zoom(self, x):
        """_zoom, L711-730."""
        c = self.cam
        if c["active"]:
            await self.stop()
        assert "zoom" in c["features"]
        c["active"] = True
        c["move_request"].Velocity = {"Zoom": {"x": x}}
        await c["ptz"].ContinuousMove(c["move_request"])

    async def stop(self):
        """_stop, L550-572: PTZ Stop of both groups, then the focus motor's."""
        c = self.cam
        await c["ptz"].Stop({
            "ProfileToken": c["move_request"].ProfileToken,
            "PanTilt": True,
            "Zoom": True,
        })
        if "focus" in c["features"] and c["video_source_token"] and c["imaging"] is not None:
            stop_request = c["imaging"].create_type("Stop")
            stop_request.VideoSourceToken = c["video_source_token"]
            await c["imaging"].Stop(stop_request)
        c["active"] = False

    async def wait_stopped(self):
        """The autotracker's wait (autotrack.py L826-828, L836-838, L561-563): GetStatus in
        a tight loop, no sleep, until motor_stopped. Returns (polls, seconds)."""
        t0, polls = time.monotonic(), 0
        while not self.motor_stopped:
            await self.get_camera_status()
            polls += 1
            # Frigate warns after 10 s still MOVING (onvif.py L1063-1081).
            assert time.monotonic() - t0 < 10, "still in ONVIF 'MOVING' status"
        return polls, round(time.monotonic() - t0, 3)


async def position(ptz, token="main"):
    s = await ptz.GetStatus({"ProfileToken": token})
    p = s.Position
    return p.PanTilt.x, p.PanTilt.y, p.Zoom.x


def near(got, want, what):
    assert all(abs(g - w) < TOLERANCE for g, w in zip(got, want)), (what, got, want)


async def scenario(host, port, user, password, cams):
    out = {}
    wsdl_dir = str(Path(find_spec("onvif").origin).parent / "wsdl")

    # 0. The user's "home" preset, made before Frigate starts (Frigate reads presets once).
    user_cam = ONVIFCamera(host, int(port), user, password, wsdl_dir=wsdl_dir)
    cams.append(user_cam)
    await user_cam.update_xaddrs()
    uptz = await user_cam.create_ptz_service()
    home = (-0.1, 0.05, 0.0)
    await uptz.AbsoluteMove({"ProfileToken": "main", "Position": {
        "PanTilt": {"x": home[0], "y": home[1]}, "Zoom": {"x": home[2]}}})
    while (await uptz.GetStatus({"ProfileToken": "main"})).MoveStatus.PanTilt != "IDLE":
        await asyncio.sleep(0.05)
    near(await position(uptz), home, "user's home")
    token = await uptz.SetPreset({"ProfileToken": "main", "PresetName": "home"})
    out["home_token"] = token

    # 1. _init_onvif with Frigate's defaults (autotracking zooming disabled).
    # L155-164: adjust_time=ignore_time_mismatch (default False), encrypt=not tls_insecure.
    cam = ONVIFCamera(host, int(port), user, password, wsdl_dir=wsdl_dir,
                      adjust_time=False, encrypt=True)
    cams.append(cam)
    f = Frigate(cam, "disabled")
    SENT.clear()
    assert await f.init_onvif()
    init_calls = list(SENT)
    # update_xaddrs found PTZ through GetServices (no GetCapabilities fallback); no call
    # faulted into a fallback or a retry.
    assert init_calls == ["GetServices", "GetProfiles", "GetVideoSources",
                          "GetConfigurationOptions", "GetStatus", "GetPresets",
                          "GetImagingSettings"], init_calls
    c = f.cam
    assert c["profile"].token == "main", c["profiles"]
    assert [p["token"] for p in c["profiles"]] == ["main", "sub"], c["profiles"]
    features = c["features"]
    for want in ("pt", "zoom", "pt-r", "zoom-r", "zoom-a", "pt-r-fov"):
        assert want in features, (want, features)
    # The FOV range is finite (-1..1), so numpy.interp gives numbers, not NaN.
    fov = c["relative_fov_range"]
    assert fov["URI"] == FOV_URI, fov
    assert (fov["XRange"]["Min"], fov["XRange"]["Max"]) == (-1, 1), fov
    assert (fov["YRange"]["Min"], fov["YRange"]["Max"]) == (-1, 1), fov
    # The template: Translation copied from status.Position, PanTilt in the FOV space, Zoom
    # deleted (zooming disabled); Speed the configuration's DefaultPTZSpeed.
    t = c["relative_move_request"].Translation
    assert t.PanTilt.space == FOV_URI and "Zoom" not in t, t
    speed = c["relative_move_request"].Speed
    assert speed is c["profile"].PTZConfiguration.DefaultPTZSpeed and speed.PanTilt.x > 0, speed
    assert c["presets"] == {"home": token}, c["presets"]
    out["init_calls"] = init_calls
    out["features"] = features

    # 2. _autotracker_setup's checks (autotrack.py L345-369).
    move_status = await f.get_service_capabilities()
    # The library's ptz.wsdl predates the MoveStatus attribute: zeep leaves it in _attr_1 as
    # the string "true", which find_by_key finds and L355-360 accept like a bool True.
    assert (isinstance(move_status, bool) and move_status) or (
        isinstance(move_status, str) and move_status.lower() == "true"), move_status
    out["move_status"] = repr(move_status)
    await f.get_camera_status()
    assert f.motor_stopped and not f.warnings, f.warnings

    # 3. A person at 3/4 of the width, 3/10 of the height: autotrack.py L1197-1198.
    cx, cy = 0.75, 0.3
    pan, tilt = (cx - 0.5) * 2, (0.5 - cy) * 2
    before = await position(c["ptz"])
    await f.move_relative(pan, tilt, 0, 1)  # autotrack.py L824: speed 1, zoom 0
    polls, took = await f.wait_stopped()
    after = await position(c["ptz"])
    m = magnification(before[2])
    want = (before[0] + pan * HFOV / 2 / m / PAN_HALF,
            before[1] + tilt * VFOV / 2 / m / TILT_HALF, before[2])
    near(after, want, "FOV move at 1x")
    assert polls >= 2, f"IDLE at the first poll after a {pan * HFOV / 2:.1f} degree pan"
    out["move_1x"] = {"pan_deg": pan * HFOV / 2 / m, "tilt_deg": tilt * VFOV / 2 / m,
                      "polls": polls, "seconds": took, "polls_per_second": round(polls / took)}
    out["relative_move_body"] = BODIES["RelativeMove"][-1]

    # 4. Zooming "absolute": a new controller, as after a config change (init again).
    fa = Frigate(cam, "absolute")
    assert await fa.init_onvif()
    ta = fa.cam["relative_move_request"].Translation
    # L394-417: Zoom kept, x seeded from GetStatus (the head is at 1x: 0), generic space.
    assert ta.Zoom.space == ZOOM_TRANSLATION_URI and ta.Zoom.x == 0.0, ta
    await fa.get_camera_status()
    assert fa.zoom_level == 0.0, fa.zoom_level
    await fa.zoom_absolute(0.5, 1)  # autotrack.py L834: the wanted zoom, speed 1
    polls_z, took_z = await fa.wait_stopped()
    assert abs(fa.zoom_level - 0.5) < 0.011, fa.zoom_level  # round(x, 2) as Frigate reads it
    zoomed = await position(fa.cam["ptz"])
    near(zoomed, (after[0], after[1], 0.5), "absolute zoom")
    out["zoom_absolute_body"] = BODIES["AbsoluteMove"][-1]
    out["zoom_absolute"] = {"polls": polls_z, "seconds": took_z}
    # At 5.5x the same FOV move turns 1/5.5 as far: the corner of the narrower view.
    await fa.move_relative(-1, -1, 0, 1)
    polls_t, took_t = await fa.wait_stopped()
    moved = await position(fa.cam["ptz"])
    m = magnification(zoomed[2])
    want = (zoomed[0] - HFOV / 2 / m / PAN_HALF, zoomed[1] - VFOV / 2 / m / TILT_HALF, 0.5)
    # The template's Zoom translation of x=0 (the seed) left the zoom where it was.
    near(moved, want, "FOV move at 5.5x")
    out["move_5x"] = {"polls": polls_t, "seconds": took_t, "body": BODIES["RelativeMove"][-1]}

    # 5. Back to the return preset (autotrack.py L554-563: GotoPreset, then the loop).
    fa.motor_stopped = False  # L559
    await fa.move_to_preset("home")
    polls_p, took_p = await fa.wait_stopped()
    near(await position(fa.cam["ptz"]), home, "GotoPreset home")
    out["goto_preset"] = {"polls": polls_p, "seconds": took_p}

    # 6. The UI's buttons: move left, stop; zoom in, stop.
    start = await position(f.cam["ptz"])
    await f.move(-0.5, 0)  # L588-589
    await asyncio.sleep(0.5)
    await f.stop()
    f.motor_stopped = False
    await f.wait_stopped()  # braking takes a moment; then it stays put
    left = await position(f.cam["ptz"])
    # Half speed (60 deg/s) for ~0.5 s: 20..45 degrees left with the ramps, tilt and zoom kept.
    turned = (start[0] - left[0]) * PAN_HALF
    assert 15 < turned < 45 and abs(left[1] - start[1]) < TOLERANCE, (start, left)
    assert abs(left[2] - start[2]) < TOLERANCE, (start, left)
    await asyncio.sleep(0.3)
    near(await position(f.cam["ptz"]), left, "still after Stop")
    await f.zoom(0.5)  # L725-726
    await asyncio.sleep(0.5)
    await f.stop()
    f.motor_stopped = False
    await f.wait_stopped()
    zin = await position(f.cam["ptz"])
    assert zin[2] > left[2] + 0.05 and abs(zin[0] - left[0]) < TOLERANCE, (left, zin)
    out["manual"] = {"pan_deg": round(turned, 2), "zoom_gain": round(zin[2] - left[2], 3)}
    out["stop_body"] = next(b for b in reversed(BODIES["Stop"]) if "ver20/ptz/wsdl" in b)
    assert not f.warnings and not fa.warnings, (f.warnings, fa.warnings)

    return out


async def main():
    host, port, user, password = sys.argv[1:5]
    cams = []
    try:
        out = await scenario(host, port, user, password, cams)
    finally:
        for cam in cams:
            await cam.close()
    print("OK")
    print(json.dumps(out))


try:
    asyncio.run(main())
except Fault as e:
    raise SystemExit(f"fault: {e.message} {e.subcodes}") from e
