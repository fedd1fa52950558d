"""Home Assistant's ONVIF integration, end to end, against a camera found by discovery: what
homeassistant/components/onvif does from the config flow to a running entry, with HA's client
library (onvif-zeep-async). Runs inside the client network namespace (cases/ha_flow.py).

usage: ha_flow_client.py XADDR USER PASSWORD

Prints one JSON line per step ({"step", "ok", ...figures}); exits non-zero at the first
failure.
"""

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from urllib.parse import urlsplit

import aiohttp
from onvif import ONVIFCamera


def step(name, **kw):
    print(json.dumps({"step": name, "ok": True, **kw}), flush=True)


def fail(name, why):
    print(json.dumps({"step": name, "ok": False, "why": str(why)}), flush=True)
    sys.exit(1)


async def connect(host, port, user, password):
    cam = ONVIFCamera(host, port, user, password, no_cache=True, adjust_time=True)
    await cam.update_xaddrs()
    return cam


def ffprobe(uri, user, password):
    url = uri.replace("rtsp://", f"rtsp://{user}:{password}@", 1)
    p = subprocess.run(
        ["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
         "-show_entries", "stream=codec_name,width,height", "-of", "json", url],
        capture_output=True, text=True, timeout=60,
    )
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-300:])
    return json.loads(p.stdout)["streams"][0]


async def motion_changes(cam, wanted, timeout):
    """HA's event loop (PullPointManager): subscription, SetSynchronizationPoint, pulls."""
    manager = await cam.create_pullpoint_manager(dt.timedelta(seconds=60), lambda: None)
    await manager.set_synchronization_point()
    pullpoint = manager.get_service()
    seen = []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and len(seen) < wanted:
            resp = await pullpoint.PullMessages({"MessageLimit": 100, "Timeout": dt.timedelta(seconds=5)})
            for msg in resp.NotificationMessage:
                topic = msg.Topic._value_1.rstrip("/.")
                if topic != "tns1:VideoSource/MotionAlarm":
                    continue
                payload = msg.Message._value_1
                if payload.PropertyOperation == "Changed":
                    seen.append(payload.Data.SimpleItem[0].Value == "true")
    finally:
        await manager.shutdown()
    return seen


async def main():
    xaddr, user, password = sys.argv[1:4]
    u = urlsplit(xaddr)
    host, port = u.hostname, u.port or 80
    # Config flow: connect, device info, MAC (the unique id), capabilities, a H.264 profile.
    try:
        cam = await connect(host, port, user, password)
        dm = await cam.create_devicemgmt_service()
        info = await dm.GetDeviceInformation()
        nics = await dm.GetNetworkInterfaces()
        mac = next(n.Info.HwAddress for n in nics if n.Enabled and n.Info)
        caps = await cam.get_capabilities()
        media = await cam.create_media_service()
        profiles = [p for p in await media.GetProfiles() if p.VideoEncoderConfiguration and p.VideoEncoderConfiguration.Encoding == "H264"]
        assert profiles, "no H.264 profile"
        step("config_flow", model=info.Model, mac=mac, profiles=[p.token for p in profiles], events=bool(caps.get("Events")))
    except Exception as e:
        fail("config_flow", e)
    # Setup: stream URI for each profile (ffprobe), snapshot (HTTP Digest, JPEG).
    try:
        p = profiles[0]
        uri = (await media.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, "ProfileToken": p.token})).Uri
        s = ffprobe(uri, user, password)
        assert s["codec_name"] == "h264", s
        snap = (await media.GetSnapshotUri({"ProfileToken": p.token})).Uri
        async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware(user, password),)) as sess:
            async with sess.get(snap) as r:
                body = await r.read()
                assert r.status == 200 and body[:2] == b"\xff\xd8", (r.status, body[:20])
        step("setup", stream=f"{s['width']}x{s['height']}", snapshot_bytes=len(body))
    except Exception as e:
        fail("setup", e)
    # Events: motion on, then off, from the simulated schedule.
    try:
        t0 = time.time()
        seen = await motion_changes(cam, 2, 30)
        assert True in seen and False in seen, seen
        step("events", motion=seen, secs=round(time.time() - t0, 1))
    except Exception as e:
        fail("events", e)
    # Imaging: brightness change, read back.
    try:
        imaging = await cam.create_imaging_service()
        token = profiles[0].VideoSourceConfiguration.SourceToken
        settings = await imaging.GetImagingSettings({"VideoSourceToken": token})
        new = 70.0 if (settings.Brightness or 0) != 70.0 else 60.0
        await imaging.SetImagingSettings({"VideoSourceToken": token, "ImagingSettings": {"Brightness": new}})
        got = (await imaging.GetImagingSettings({"VideoSourceToken": token})).Brightness
        assert got == new, got
        step("imaging", brightness=got)
    except Exception as e:
        fail("imaging", e)
    # Reboot and reconnect, as HA's entry reload does.
    try:
        await dm.SystemReboot()
        await cam.close()
        # The answer comes before the restart (0.5 s later): reconnect as HA's entry reload
        # does, retrying the whole sequence until the restarted camera answers it.
        t0 = time.time()
        await asyncio.sleep(1.5)
        while True:
            try:
                cam = await connect(host, port, user, password)
                dm = await cam.create_devicemgmt_service()
                await dm.GetDeviceInformation()
                media = await cam.create_media_service()
                uri = (await media.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, "ProfileToken": profiles[0].token})).Uri
                ffprobe(uri, user, password)
                imaging = await cam.create_imaging_service()
                kept = (await imaging.GetImagingSettings({"VideoSourceToken": profiles[0].VideoSourceConfiguration.SourceToken})).Brightness
                break
            except Exception:
                try:
                    await cam.close()
                except Exception:  # already closed, or never opened
                    pass
                if time.time() - t0 > 60:
                    raise
                await asyncio.sleep(0.5)
        assert kept == new, kept
        step("reboot_reconnect", secs=round(time.time() - t0, 1), brightness_kept=kept)
        await cam.close()
    except Exception as e:
        fail("reboot_reconnect", e)
    print(json.dumps({"step": "done", "ok": True}), flush=True)


asyncio.run(main())
