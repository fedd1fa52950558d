"""Home Assistant's ONVIF setup against a camera whose clock is off (issue 13.4), with HA's
client library (onvif-zeep-async) called as HA calls it: `ONVIFCamera(host, port, user,
password, no_cache=True)` without `adjust_time` (homeassistant/components/onvif/device.py
`get_device`), so every UsernameToken is stamped from HA's own clock. Then HA's clock check
and repair (`async_check_date_and_time`, `async_manually_set_date_and_time`:
SetSystemDateAndTime, Manual, UTC from HA's clock), and a replayed token.

usage: ha_skew_client.py XADDR USER PASSWORD
Prints one JSON line per step ({"step", "ok", ...}); exits non-zero at the first failure.
"""

import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import sys
from urllib.parse import urlsplit

import aiohttp
from onvif import ONVIFCamera
from zeep.exceptions import Fault


def step(name, **kw):
    print(json.dumps({"step": name, "ok": True, **kw}), flush=True)


def fail(name, why):
    print(json.dumps({"step": name, "ok": False, "why": str(why)}), flush=True)
    sys.exit(1)


def cam_utc(t) -> dt.datetime:
    d, tm = t.UTCDateTime.Date, t.UTCDateTime.Time
    return dt.datetime(d.Year, d.Month, d.Day, tm.Hour, tm.Minute, tm.Second, tzinfo=dt.timezone.utc)


def token_envelope(user: str, password: str, body: str) -> str:
    """A PasswordDigest token as zeep's UsernameToken makes it, from this host's clock."""
    nonce = os.urandom(16)
    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>'
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" '
        'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
        f"<wsse:UsernameToken><wsse:Username>{user}</wsse:Username>"
        '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">'
        f"{digest}</wsse:Password><wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


async def main():
    xaddr, user, password = sys.argv[1:4]
    u = urlsplit(xaddr)
    host, port = u.hostname, u.port or 80
    # HA's config flow (config_flow.py async_setup_profiles) and setup (device.py async_setup).
    try:
        cam = ONVIFCamera(host, port, user, password, no_cache=True)
        await cam.update_xaddrs()
        dm = await cam.create_devicemgmt_service()
        info = await dm.GetDeviceInformation()
        nics = await dm.GetNetworkInterfaces()
        mac = next((n.Info.HwAddress for n in nics if n.Info), None)
        await cam.get_capabilities()
        media = await cam.create_media_service()
        profiles = await media.GetProfiles()
        uri = (await media.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                                         "ProfileToken": profiles[0].token})).Uri
        step("setup", model=info.Model, mac=mac, profiles=len(profiles), stream=uri)
    except Exception as e:
        fail("setup", e)
    # A replayed token (captured on the wire, sent again) is refused, skew or not.
    try:
        env = token_envelope(user, password, '<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/>')
        statuses = []
        async with aiohttp.ClientSession() as s:
            for _ in range(2):
                async with s.post(xaddr, data=env, headers={"Content-Type": "application/soap+xml"}) as r:
                    statuses.append((r.status, "NotAuthorized" in await r.text()))
        assert statuses[0][0] == 200 and statuses[1] == (400, True), statuses
        step("replay", statuses=[s for s, _ in statuses])
    except Exception as e:
        fail("replay", e)
    # HA's async_check_date_and_time, then async_manually_set_date_and_time.
    try:
        before = cam_utc(await dm.GetSystemDateAndTime())
        drift = (before - dt.datetime.now(dt.timezone.utc)).total_seconds()
        assert abs(drift) > 60, f"camera clock not skewed ({drift:.0f} s)"
        now = dt.datetime.now(dt.timezone.utc)
        p = dm.create_type("SetSystemDateAndTime")
        p.DateTimeType = "Manual"
        p.DaylightSavings = False
        p.UTCDateTime = {
            "Date": {"Year": now.year, "Month": now.month, "Day": now.day},
            "Time": {"Hour": now.hour, "Minute": now.minute, "Second": now.second},
        }
        # HA sends its system time zone's name first ("UTC" here). A camera that refuses
        # the name answers ter:InvalidTimeZone, which HA's loop tries the next name after;
        # the POSIX form is that next name here.
        used = None
        for tz in ("UTC", "UTC0"):
            p.TimeZone = {"TZ": tz}
            try:
                await dm.SetSystemDateAndTime(p)
                used = tz
                break
            except Fault as f:
                if "NotAuthorized" in str(f.subcodes) or "not authorized" in str(f).lower():
                    raise
        assert used, "SetSystemDateAndTime refused every time zone"
        after = cam_utc(await dm.GetSystemDateAndTime())
        left = (after - dt.datetime.now(dt.timezone.utc)).total_seconds()
        assert abs(left) < 5, f"clock still {left:.0f} s off"
        step("clock_repair", drift_before=round(drift), drift_after=round(left), tz=used)
    except Exception as e:
        fail("clock_repair", e)
    await cam.close()
    step("done")


if __name__ == "__main__":
    asyncio.run(main())
