"""DeviceIO and the Device relay operations of a running nvt (simulated board: 2 relays, 1
input), with Home Assistant's client library (onvif-zeep-async), which finds the service
through GetServices and parses every answer against the official WSDL.

usage: deviceio.py HOST PORT USER PASSWORD

Lists relays and inputs through both services, configures relay1 monostable (0.5 s, idle
closed), triggers relay1, and checks the faults zeep raises for an
unknown relay and a DelayTime not offered. Exits 0 and prints OK when every step behaved.
"""

import asyncio
import datetime as dt
import sys

from onvif import ONVIFCamera
from zeep.exceptions import Fault

DEVICEIO = "http://www.onvif.org/ver10/deviceIO/wsdl"


def seconds(d):
    """An xs:duration as zeep returns it (timedelta or isodate Duration) in seconds."""
    return d.total_seconds() if isinstance(d, dt.timedelta) else d.tdelta.total_seconds()


async def expect_fault(call, subcode):
    try:
        await call
    except Fault as f:
        names = [q.localname for q in f.subcodes or []]
        assert names[-1:] == [subcode], (subcode, names, f.message)
        return
    raise AssertionError(f"no {subcode} fault")


async def main():
    host, port, user, password = sys.argv[1:5]
    cam = ONVIFCamera(host, int(port), user, password, no_cache=True, adjust_time=True)
    try:
        await cam.update_xaddrs()
        assert cam.xaddrs.get(DEVICEIO) == f"http://{host}:{port}/onvif/deviceio_service", cam.xaddrs
        dio = await cam.create_deviceio_service()
        dm = await cam.create_devicemgmt_service()

        caps = await dio.GetServiceCapabilities()
        # (This library's deviceio.wsdl predates the DigitalInputOptions attribute.)
        assert (caps.RelayOutputs, caps.DigitalInputs, caps.VideoSources) == (2, 1, 1), caps
        # This library's deviceio.wsdl still sends Media's trt:GetVideoSources here (the
        # DeviceIO spec before 16.12): answered too, with whole video sources.
        sources = await dio.GetVideoSources()
        assert [v if isinstance(v, str) else v.token for v in sources] == ["vs0"], sources

        relays = await dio.GetRelayOutputs()
        assert [r.token for r in relays] == ["relay0", "relay1"], relays
        assert all(r.Properties.Mode == "Bistable" and r.Properties.IdleState == "open" for r in relays), relays
        same = await dm.GetRelayOutputs()
        assert [(r.token, r.Properties.Mode) for r in same] == [(r.token, r.Properties.Mode) for r in relays]
        options = await dio.GetRelayOutputOptions({"RelayOutputToken": "relay1"})
        assert len(options) == 1 and options[0].token == "relay1", options
        assert options[0].Mode == ["Monostable", "Bistable"], options
        assert [float(x) for x in options[0].DelayTimes] == [0.1, 3600.0], options

        await dio.SetRelayOutputSettings({"RelayOutput": {
            "token": "relay1",
            "Properties": {"Mode": "Monostable", "DelayTime": "PT0.5S", "IdleState": "closed"},
        }})
        relay1 = [r for r in await dm.GetRelayOutputs() if r.token == "relay1"][0]
        assert relay1.Properties.Mode == "Monostable", relay1
        assert relay1.Properties.IdleState == "closed", relay1
        assert seconds(relay1.Properties.DelayTime) == 0.5, relay1
        await dio.SetRelayOutputState({"RelayOutputToken": "relay1", "LogicalState": "active"})
        await dm.SetRelayOutputState({"RelayOutputToken": "relay0", "LogicalState": "inactive"})

        # This library's deviceio.wsdl predates the input configuration (IdleState,
        # Get/SetDigitalInputConfigurations): the attribute comes as an undeclared one.
        inputs = await dio.GetDigitalInputs()
        idle = [(i.token, (i._attr_1 or {}).get("IdleState")) for i in inputs]
        assert idle == [("input0", "open")], inputs

        await expect_fault(
            dio.SetRelayOutputState({"RelayOutputToken": "OnvifTest123", "LogicalState": "active"}),
            "RelayToken",
        )
        await expect_fault(
            dio.SetRelayOutputSettings({"RelayOutput": {
                "token": "relay0",
                "Properties": {"Mode": "Monostable", "DelayTime": "PT0S", "IdleState": "open"},
            }}),
            "ModeError",
        )
        print("OK")
    finally:
        await cam.close()


if __name__ == "__main__":
    asyncio.run(main())
