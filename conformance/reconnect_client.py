"""An RTSP viewer that reconnects as an NVR does: plays over TCP, and when no packet came for
1.5 s drops the connection and retries every 200 ms until media flows again. Prints one JSON
line per event with CLOCK_MONOTONIC times (comparable across processes). Runs inside the
client network namespace for the network cut case.

usage: reconnect_client.py URL USER PASSWORD SECONDS
"""

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conformance.rtsp_client import RtspClient  # noqa: E402


def event(kind, **kw):
    print(json.dumps({"event": kind, "at": time.monotonic(), **kw}), flush=True)


async def session(url, user, password):
    c = RtspClient(url, user, password)
    await asyncio.wait_for(c.connect(), 1.0)
    d = await c.describe()
    control = c.control_url(d.body.decode(), d.header("content-base") or url)
    await c.setup_tcp(control)
    p = await c.play()
    if p.status != 200:
        raise ConnectionError(f"PLAY {p.status}")
    return c


async def main():
    url, user, password, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    end = time.monotonic() + secs
    c = None
    while time.monotonic() < end:
        if c is None:
            try:
                c = await session(url, user, password)
                event("playing")
                seen, last = 0, time.monotonic()
            except (OSError, asyncio.TimeoutError, ConnectionError):
                c = None
                await asyncio.sleep(0.2)
                continue
        await asyncio.sleep(0.05)
        n = len(c.rtp())
        if n > seen:
            if seen == 0:
                event("first_packet")
            seen, last = n, time.monotonic()
        elif time.monotonic() - last > 1.5:
            event("stalled", packets=n)
            await c.close()
            c = None
    if c:
        await c.close()
    event("done")


asyncio.run(main())
