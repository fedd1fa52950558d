"""Home Assistant's ONVIF setup sequence against a running nvt, with the HA client library.

usage: ha_device_setup.py HOST PORT USER PASSWORD {wsse|digest}

wsse:   WS-UsernameToken PasswordDigest, as onvif-zeep-async sends it (with WS-Addressing).
digest: the same calls authenticated only by HTTP Digest (aiohttp's DigestAuthMiddleware
        answers the 401 challenge; the UsernameToken is switched off).

Exits 0 and prints OK when every step behaved; any assertion or client error fails.
"""

import asyncio
import datetime as dt
import sys

import aiohttp
import onvif.client as oc
from onvif import ONVIFCamera


ORIGINAL_SESSION = oc.ClientSession


def use_http_digest_only(user, password):
    def session(*args, **kwargs):
        kwargs["middlewares"] = (aiohttp.DigestAuthMiddleware(user, password),)
        return ORIGINAL_SESSION(*args, **kwargs)

    oc.ClientSession = session
    oc.UsernameDigestTokenDtDiff.apply = lambda self, envelope, headers: (envelope, headers)



TT = "{http://www.onvif.org/ver10/schema}"


def deviceio_caps(caps):
    """GetCapabilities' Extension/DeviceIO as {field: text}, or None. zeep puts the element in
    `_value_1` raw: tt:CapabilitiesExtension opens with a lax xs:any, which zeep fills first."""
    ext = caps.Extension
    if ext is None:
        return None
    if ext.DeviceIO is not None:
        return {k: str(v) for k, v in ext.DeviceIO.__values__.items() if v is not None}
    for e in ext._value_1 or []:
        if e.tag == TT + "DeviceIO":
            return {c.tag[len(TT):]: c.text for c in e}
    return None


async def main():
    host, port, user, password, mode = sys.argv[1:6]
    if mode == "digest":
        use_http_digest_only(user, password)
    cam = ONVIFCamera(host, int(port), user, password, no_cache=True, adjust_time=True)
    try:
        # HA: update_xaddrs (GetSystemDateAndTime for the clock offset, GetServices or
        # GetCapabilities), then device info, MAC, capabilities.
        await cam.update_xaddrs()
        dm = await cam.create_devicemgmt_service()
        t = await dm.GetSystemDateAndTime()
        assert t.UTCDateTime.Date.Year >= 2024, t
        assert t.TimeZone.TZ, t

        caps = await dm.GetCapabilities({"Category": "All"})
        assert caps.Device.XAddr == f"http://{host}:{port}/onvif/device_service", caps.Device.XAddr
        # Only services that exist are listed, the same ones both ways.
        assert caps.Media.XAddr == f"http://{host}:{port}/onvif/media_service", caps.Media
        assert caps.Events is not None and caps.Events.WSPullPointSupport, caps
        # DeviceIO has no category: the schema puts it under Capabilities/Extension.
        deviceio = deviceio_caps(caps)
        assert deviceio is not None, caps.Extension
        assert deviceio["XAddr"] == f"http://{host}:{port}/onvif/deviceio_service", deviceio
        assert deviceio["RelayOutputs"] == "2", deviceio
        listed = sorted([c.XAddr for c in (caps.Device, caps.Media, caps.Events, caps.Imaging, caps.PTZ) if c] + [deviceio["XAddr"]])
        services = await dm.GetServices({"IncludeCapability": False})
        # Media2 (ver20) is the one service GetCapabilities cannot name (its categories
        # predate it): GetServices lists it besides the others.
        media2 = [s.XAddr for s in services if s.Namespace == "http://www.onvif.org/ver20/media/wsdl"]
        assert media2 == [f"http://{host}:{port}/onvif/media2_service"], services
        assert media2[0] not in listed, caps
        assert sorted(s.XAddr for s in services if s.XAddr not in media2) == listed, (services, caps)

        info = await dm.GetDeviceInformation()
        assert info.Manufacturer and info.Model and info.SerialNumber, info

        # HA's device id: the MAC of the first enabled interface. Enabled is the real state
        # (this runs on the camera's host: compare with sysfs), and the first listed
        # interface is the one the identity (mac scope, EPR) comes from.
        ifaces = await dm.GetNetworkInterfaces()
        for i in ifaces:
            sys_net = f"/sys/class/net/{i.token}"
            flags = int(open(f"{sys_net}/flags").read(), 16)
            oper = open(f"{sys_net}/operstate").read().strip()
            up = bool(flags & 1) and oper not in ("down", "lowerlayerdown", "notpresent")
            assert i.Enabled == up, (i.token, i.Enabled, oper)
        enabled = [i for i in ifaces if i.Enabled]
        assert enabled and enabled[0] is ifaces[0], ifaces
        mac = enabled[0].Info.HwAddress
        assert len(mac) == 17 and mac.count(":") == 5, mac
        scopes = [s.ScopeItem for s in await dm.GetScopes()]
        assert f"onvif://www.onvif.org/mac/{mac.lower()}" in scopes, (mac, scopes)

        # HA's clock repair sends its host's zone name first (str(tzinfo): "UTC", "CET"...),
        # then the device's TZ, then none: the name must be taken.
        host_tz = str(dt.datetime.now(dt.timezone.utc).astimezone().tzinfo)
        await dm.SetSystemDateAndTime(
            {"DateTimeType": "NTP", "DaylightSavings": False, "TimeZone": {"TZ": host_tz}}
        )
        t1 = await dm.GetSystemDateAndTime()
        assert t1.TimeZone.TZ and t1.TimeZone.TZ[0].isalpha(), t1

        # SetSystemDateAndTime: manual, one hour ahead, CET. The device stores an offset and
        # reports the shifted clock.
        target = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        await dm.SetSystemDateAndTime(
            {
                "DateTimeType": "Manual",
                "DaylightSavings": False,
                "TimeZone": {"TZ": "CET-1"},
                "UTCDateTime": {
                    "Date": {"Year": target.year, "Month": target.month, "Day": target.day},
                    "Time": {"Hour": target.hour, "Minute": target.minute, "Second": target.second},
                },
            }
        )
        t2 = await dm.GetSystemDateAndTime()
        assert t2.DateTimeType == "Manual", t2
        u = t2.UTCDateTime
        reported = dt.datetime(u.Date.Year, u.Date.Month, u.Date.Day, u.Time.Hour, u.Time.Minute,
                               u.Time.Second, tzinfo=dt.timezone.utc)
        assert abs((reported - target).total_seconds()) < 120, (reported, target)
        local = t2.LocalDateTime
        assert (local.Time.Hour - u.Time.Hour) % 24 == 1, t2

        # HA re-synchronises its token clock from the device and carries on.
        await cam.update_xaddrs()
        dm = await cam.create_devicemgmt_service()
        assert (await dm.GetDeviceInformation()).Model == info.Model

        # Put the clock back for whoever runs next.
        await dm.SetSystemDateAndTime({"DateTimeType": "NTP", "DaylightSavings": False,
                                       "TimeZone": {"TZ": "UTC0"}})
    finally:
        await cam.close()

    # Wrong password: refused.
    if mode == "digest":
        use_http_digest_only(user, password + "x")
    bad = ONVIFCamera(host, int(port), user, password + "x", no_cache=True)
    try:
        dm = await bad.create_devicemgmt_service()
        try:
            await dm.GetDeviceInformation()
        except Exception as e:  # zeep Fault or ONVIFAuthError, depending on the scheme
            print("wrong password refused:", type(e).__name__)
        else:
            raise AssertionError("wrong password accepted")
    finally:
        await bad.close()
    print("OK")


asyncio.run(main())
