"""The Imaging service and the snapshot endpoint of a running nvt, with Home Assistant's client
library (onvif-zeep-async) for SOAP and aiohttp (Digest / Basic) for snapshots; ffprobe and
ffmpeg check what the snapshots contain.

usage: imaging.py HOST PORT USER PASSWORD STATE_DIR {first|restarted}

first:     services listed; snapshots (Digest, sizes, 401, 404, Basic refused while off);
           brightness up raises the snapshot's mean luma; out-of-range settings fault and
           change nothing (GetImagingSettings and the settings file); focus Move/GetStatus
           (MOVING then IDLE, position changed), Continuous + Stop; leaves Brightness at its
           maximum and Contrast at 60.
restarted: after a restart with network.allow_basic_auth on: the settings survived, the
           picture is still bright, Basic works with the right password only.

Exits 0 and prints OK (with the figures measured) when every step behaved.
"""

import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

import aiohttp
from onvif import ONVIFCamera

SOURCE = "vs0"


def fail(msg):
    raise AssertionError(msg)


def probe(jpeg: bytes):
    """(codec, width, height) of a JPEG, by ffprobe."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(jpeg)
        f.flush()
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
             "-of", "csv=p=0", f.name],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    codec, w, h = out.split(",")
    return codec, int(w), int(h)


def mean_luma(jpeg: bytes) -> float:
    """Mean of the Y plane, decoded by ffmpeg."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(jpeg)
        f.flush()
        y = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", f.name, "-f", "rawvideo", "-pix_fmt", "gray", "-"],
            capture_output=True, check=True,
        ).stdout
    return sum(y) / len(y)


def subcodes(err) -> str:
    """The fault's subcodes as text (zeep Fault, possibly wrapped in ONVIFError)."""
    f = err
    while f is not None and not hasattr(f, "subcodes"):
        f = f.__cause__
    if f is None:
        fail(f"not a SOAP fault: {err!r}")
    return " ".join(str(s) for s in (f.subcodes or []))


def basic_auth(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def snapshot(session, url):
    async with session.get(url) as r:
        return r.status, r.headers, await r.read()


def isp_in_file(state_dir):
    with open(os.path.join(state_dir, "settings.json")) as f:
        s = json.load(f)
    return [i for i in s["imaging"] if i["source_token"] == SOURCE][0]["isp"]


def levels(s):
    return (s.Brightness, s.Contrast, s.ColorSaturation, s.Sharpness, s.IrCutFilter)


async def expect_fault(coro, subcode):
    try:
        await coro
    except Exception as e:  # noqa: BLE001 - zeep Fault or ONVIFError wrapping it
        codes = subcodes(e)
        if subcode not in codes:
            fail(f"fault {codes!r} lacks {subcode}: {e}")
        return
    fail(f"no fault (expected {subcode})")


async def first(host, port, user, password, state_dir):
    base = f"http://{host}:{port}"
    cam = ONVIFCamera(host, port, user, password, no_cache=True, adjust_time=True)
    figures = {}
    try:
        await cam.update_xaddrs()
        dm = await cam.create_devicemgmt_service()
        caps = await dm.GetCapabilities({"Category": "All"})
        if caps.Imaging is None or caps.Imaging.XAddr != f"{base}/onvif/imaging_service":
            fail(f"GetCapabilities Imaging: {caps.Imaging}")
        services = await dm.GetServices({"IncludeCapability": True})
        img = [s for s in services if s.Namespace == "http://www.onvif.org/ver20/imaging/wsdl"]
        if len(img) != 1 or img[0].XAddr != f"{base}/onvif/imaging_service":
            fail(f"GetServices: {services}")
        imaging = await cam.create_imaging_service()
        sc = await imaging.GetServiceCapabilities()
        if sc.ImageStabilization is not False:
            fail(f"GetServiceCapabilities: {sc}")

        # Snapshots.
        async with aiohttp.ClientSession() as anon:
            st, headers, _ = await snapshot(anon, f"{base}/snapshot/main")
            challenges = headers.getall("WWW-Authenticate", [])
            if st != 401 or not any(c.startswith("Digest ") for c in challenges):
                fail(f"no credentials: {st} {challenges}")
            if any(c.startswith("Basic") for c in challenges):
                fail(f"Basic offered while off: {challenges}")
            async with anon.get(f"{base}/snapshot/main", headers=basic_auth(user, password)) as r:
                if r.status != 401:
                    fail(f"Basic accepted while off: {r.status}")
        digest = aiohttp.ClientSession(
            middlewares=(aiohttp.DigestAuthMiddleware(user, password),))
        async with digest:
            for profile, size in (("main", (1280, 720)), ("sub", (640, 360))):
                st, headers, jpeg = await snapshot(digest, f"{base}/snapshot/{profile}")
                if st != 200 or headers.get("Content-Type") != "image/jpeg":
                    fail(f"snapshot {profile}: {st} {headers}")
                if probe(jpeg) != ("mjpeg", *size):
                    fail(f"snapshot {profile}: {probe(jpeg)} is not a {size} JPEG")
            st, _, body = await snapshot(digest, f"{base}/snapshot/no-such-profile")
            if st != 404:
                fail(f"unknown profile: {st} {body!r}")
            t0 = time.monotonic()
            n = 10
            sizes = []
            for _ in range(n):
                st, _, jpeg = await snapshot(digest, f"{base}/snapshot/main")
                sizes.append(len(jpeg))
            figures["snapshot_720p_ms"] = round((time.monotonic() - t0) * 1000 / n, 1)
            figures["snapshot_720p_bytes"] = sum(sizes) // n

            # Brightness up raises the mean luma of the picture.
            options = await imaging.GetOptions({"VideoSourceToken": SOURCE})
            bmax = options.Brightness.Max
            if (options.Brightness.Min, bmax) != (0, 100):
                fail(f"Brightness range {options.Brightness}")
            before = await imaging.GetImagingSettings({"VideoSourceToken": SOURCE})
            _, _, jpeg = await snapshot(digest, f"{base}/snapshot/main")
            luma0 = mean_luma(jpeg)
            await imaging.SetImagingSettings(
                {"VideoSourceToken": SOURCE, "ImagingSettings": {"Brightness": bmax}})
            luma1 = luma0
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and luma1 < luma0 + 20:
                await asyncio.sleep(0.2)
                _, _, jpeg = await snapshot(digest, f"{base}/snapshot/main")
                luma1 = mean_luma(jpeg)
            figures["luma_before"] = round(luma0, 1)
            figures["luma_after"] = round(luma1, 1)
            if luma1 < luma0 + 20:
                fail(f"brightness {before.Brightness} -> {bmax}: mean luma {luma0} -> {luma1}")
            now = await imaging.GetImagingSettings({"VideoSourceToken": SOURCE})
            if now.Brightness != bmax or isp_in_file(state_dir)["brightness"] != bmax:
                fail(f"brightness not kept: {now.Brightness}, file {isp_in_file(state_dir)}")

        # Out of range (alone, or beside a valid change): fault, nothing changes.
        settled = await imaging.GetImagingSettings({"VideoSourceToken": SOURCE})
        file_before = isp_in_file(state_dir)
        await expect_fault(imaging.SetImagingSettings(
            {"VideoSourceToken": SOURCE, "ImagingSettings": {"Brightness": bmax + 1}}),
            "SettingsInvalid")
        await expect_fault(imaging.SetImagingSettings(
            {"VideoSourceToken": SOURCE,
             "ImagingSettings": {"Contrast": 10, "Sharpness": options.Sharpness.Max + 50}}),
            "SettingsInvalid")
        await expect_fault(imaging.SetImagingSettings(
            {"VideoSourceToken": SOURCE,
             "ImagingSettings": {"Focus": {"AutoFocusMode": "AUTO"}}}),
            "SettingsInvalid")
        await expect_fault(imaging.GetImagingSettings({"VideoSourceToken": "vs9"}), "NoSource")
        after = await imaging.GetImagingSettings({"VideoSourceToken": SOURCE})
        if levels(after) != levels(settled) or isp_in_file(state_dir) != file_before:
            fail(f"a refused Set changed something: {levels(settled)} -> {levels(after)}")
        await imaging.SetImagingSettings(
            {"VideoSourceToken": SOURCE, "ImagingSettings": {"Contrast": 60}})

        # Focus.
        mo = await imaging.GetMoveOptions({"VideoSourceToken": SOURCE})
        if mo.Absolute is None or mo.Relative is None or mo.Continuous is None:
            fail(f"GetMoveOptions: {mo}")
        lo, hi = mo.Absolute.Position.Min, mo.Absolute.Position.Max
        s0 = (await imaging.GetStatus({"VideoSourceToken": SOURCE})).FocusStatus20
        if s0.MoveStatus != "IDLE":
            fail(f"focus not idle at start: {s0}")
        p0 = s0.Position
        target = p0 + 400 if p0 + 400 <= hi else p0 - 400
        # 400 units at 100/s: four seconds of travel, long enough to see it moving.
        await imaging.Move({"VideoSourceToken": SOURCE,
                            "Focus": {"Absolute": {"Position": target, "Speed": 100}}})
        s1 = (await imaging.GetStatus({"VideoSourceToken": SOURCE})).FocusStatus20
        if s1.MoveStatus != "MOVING" or not min(p0, target) <= s1.Position <= max(p0, target):
            fail(f"right after Move: {s1}")
        deadline = time.monotonic() + 30
        while True:
            s2 = (await imaging.GetStatus({"VideoSourceToken": SOURCE})).FocusStatus20
            if s2.MoveStatus == "IDLE" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        if s2.MoveStatus != "IDLE" or s2.Position != target:
            fail(f"focus did not arrive at {target}: {s2}")
        await expect_fault(imaging.Move(
            {"VideoSourceToken": SOURCE, "Focus": {"Absolute": {"Position": hi + 1}}}),
            "InvalidArgVal")
        direction = -1 if target > lo + 100 else 1
        await imaging.Move({"VideoSourceToken": SOURCE,
                            "Focus": {"Continuous": {"Speed": direction * 50}}})
        await asyncio.sleep(1.0)
        await imaging.Stop({"VideoSourceToken": SOURCE})
        s3 = (await imaging.GetStatus({"VideoSourceToken": SOURCE})).FocusStatus20
        if s3.MoveStatus != "IDLE" or (s3.Position - target) * direction <= 0:
            fail(f"continuous move then Stop: {s3} (from {target})")
        await asyncio.sleep(0.5)
        s4 = (await imaging.GetStatus({"VideoSourceToken": SOURCE})).FocusStatus20
        if s4.Position != s3.Position:
            fail(f"focus moved after Stop: {s3} -> {s4}")
        figures["focus"] = f"{p0}->{target}->{s3.Position}"
    finally:
        await cam.close()
    print("OK " + " ".join(f"{k}={v}" for k, v in figures.items()))


async def restarted(host, port, user, password, state_dir):
    base = f"http://{host}:{port}"
    cam = ONVIFCamera(host, port, user, password, no_cache=True, adjust_time=True)
    try:
        await cam.update_xaddrs()
        imaging = await cam.create_imaging_service()
        options = await imaging.GetOptions({"VideoSourceToken": SOURCE})
        s = await imaging.GetImagingSettings({"VideoSourceToken": SOURCE})
        if s.Brightness != options.Brightness.Max or s.Contrast != 60:
            fail(f"settings lost across the restart: {s}")
        async with aiohttp.ClientSession() as anon:
            async with anon.get(f"{base}/snapshot/main", headers=basic_auth(user, password)) as r:
                jpeg = await r.read()
                if r.status != 200 or probe(jpeg) != ("mjpeg", 1280, 720):
                    fail(f"Basic snapshot: {r.status}")
            luma = mean_luma(jpeg)
            if luma < 128:
                fail(f"picture not bright after the restart: mean luma {luma}")
            wrong = basic_auth(user, password + "x")
            async with anon.get(f"{base}/snapshot/main", headers=wrong) as r:
                offers = r.headers.getall("WWW-Authenticate", [])
                if r.status != 401 or not any(o.startswith("Basic ") for o in offers):
                    fail(f"wrong Basic password: {r.status} {offers}")
    finally:
        await cam.close()
    print(f"OK luma_after_restart={luma:.1f}")


def main():
    host, port, user, password, state_dir, phase = sys.argv[1:7]
    run = {"first": first, "restarted": restarted}[phase]
    asyncio.run(run(host, int(port), user, password, state_dir))


if __name__ == "__main__":
    main()
