"""The Home Assistant integration flow end to end, in network namespaces: the camera in one,
HA's side in the other. Discovery by WS-Discovery with the Profile/Streaming scope (the
Python WSDiscovery library, as HA's onvif discovery uses), then ha_flow_client.py: config
flow, setup (stream via GetStreamUri + ffprobe, snapshot), the event loop with motion, an
imaging change, a reboot and the reconnect.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conformance.harness import NS, case, check
from conformance.netns import NetnsPair
from conformance.nvt import Nvt


def check_steps(ctx, returncode: int, out: bytes, err: bytes) -> None:
    """Checks the report of a stepwise client (ha_flow_client.py, ha_skew_client.py): one
    JSON object a line, `{"step": ..., "ok": ...}`, ending with step `done`; notes the steps."""
    steps = [json.loads(l) for l in out.decode().splitlines() if l.startswith("{")]
    bad = [s for s in steps if not s["ok"]]
    check(not bad and returncode == 0, f"{bad or steps} {err.decode()[-400:]}")
    check(steps and steps[-1]["step"] == "done", f"flow stopped early: {steps}")
    ctx.note("; ".join(f"{s['step']}: " + ", ".join(f"{k}={v}" for k, v in s.items() if k not in ("step", "ok")) for s in steps[:-1]))

ROOT = Path(__file__).resolve().parents[2]
REQUIRES = (NS["trt"], NS["tev"], NS["timg"])


@case("HA-FLOW", "Home Assistant: discovery, config flow, stream, snapshot, motion events, imaging, reboot and reconnect")
async def ha_flow(ctx):
    wsd_py = ROOT / "target/wsd-venv/bin/python"
    zeep_py = ROOT / "target/zeep-venv/bin/python"
    check(wsd_py.exists(), "target/wsd-venv missing (scripts/deps.sh)")
    with NetnsPair("h") as pair:
        cam = Nvt(
            ctx.nvt.binary, Path(ctx.work) / "state-ha", ctx.password,
            bind="0.0.0.0", prefix=pair.in_server(), discovery=True,
        ).start()
        try:
            p = await asyncio.create_subprocess_exec(
                *pair.in_client(str(wsd_py), str(ROOT / "conformance/ws-discovery/wsd_client.py"), "search",
                                "--scope", "onvif://www.onvif.org/Profile/Streaming", "--timeout", "4"),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(p.communicate(), 60)
            found = json.loads(out.decode().strip().splitlines()[-1])["found"] if out.strip() else []
            check(found, f"camera not discovered by scope Profile/Streaming: {err.decode()[-300:]}")
            xaddr = next((x for s in found for x in s["xaddrs"] if pair.server_ip in x), None)
            check(xaddr, f"no XAddr on the link's address: {found}")
            p = await asyncio.create_subprocess_exec(
                *pair.in_client(str(zeep_py), str(ROOT / "conformance/ha_flow_client.py"), xaddr, ctx.user, ctx.password),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(p.communicate(), 240)
            check_steps(ctx, p.returncode, out, err)
        finally:
            cam.stop()
