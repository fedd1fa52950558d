"""Logins of real clients that used to fail (issue 13), in the client matrix:

- a client that logs in and plays exactly as live555 does (VLC's RTSP input, openRTSP, many
  NVRs; conformance/live555_client.py: last Digest challenge read with live555's fixed
  sscanf, RFC 2069 answer without qop, digest over the base URL for every request), over UDP
  and TCP;
- `curl --digest` calling a SOAP operation (its first POST has no body);
- Home Assistant's setup and clock repair (onvif-zeep-async as HA calls it, tokens stamped
  from HA's clock) against a camera whose clock is 1 h ahead, and 1 h behind; a replayed
  token is refused (conformance/ha_skew_client.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from conformance.cases.clients import run
from conformance.cases.ha_flow import check_steps
from conformance.harness import case, check
from conformance.nvt import Nvt

ROOT = Path(__file__).resolve().parents[2]
SECS = 5


def live555_case(transport: str):
    async def run_it(ctx):
        url = ctx.nvt.rtsp_url(ctx.nvt.profiles[0])
        rc, out, err = await run(
            "python3", str(ROOT / "conformance/live555_client.py"), url, ctx.user, ctx.password,
            transport, str(SECS),
        )
        r = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"why": err[-300:]}
        check(rc == 0 and r.get("ok"), f"live555-style client over {transport}: {r}")
        ctx.note(f"{r['packets']} RTP packets in {SECS} s with SPS and IDR; statuses {r['statuses']}")

    return run_it


for _t in ("udp", "tcp"):
    case(f"CLIENT-live555-{_t}", f"live555-style RTSP login (fixed-order challenge parse, base-URL digest, no qop) over {_t}")(
        live555_case(_t)
    )


def soap(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


async def curl_soap(ctx_work: Path, url: str, user: str, password: str, body: str, name: str) -> tuple[int, str]:
    f = Path(ctx_work) / name
    f.write_text(soap(body))
    rc, out, err = await run(
        "curl", "-s", "--max-time", "30", "-w", "\n%{http_code}", "--digest", "-u", f"{user}:{password}",
        "-H", "Content-Type: application/soap+xml; charset=utf-8", "--data", f"@{f}", url,
    )
    check(rc == 0, f"curl exit {rc}: {err[-300:]}")
    text, _, code = out.rpartition("\n")
    return int(code), text


@case("CLIENT-curl-digest-soap", "curl --digest -u USER:PASS --data @GetUsers.xml .../onvif/device_service")
async def curl_digest_soap(ctx):
    code, text = await curl_soap(ctx.work, ctx.nvt.device_url, ctx.user, ctx.password, "<tds:GetUsers/>", "GetUsers.xml")
    check(code == 200 and "GetUsersResponse" in text and f">{ctx.user}<" in text, f"{code}: {text[-300:]}")
    ctx.note("users listed over curl's Digest (empty first POST answered with the challenge)")


def ha_skew_case(offset_h: int):
    async def run_it(ctx):
        zeep_py = ROOT / "target/zeep-venv/bin/python"
        check(zeep_py.exists(), "target/zeep-venv missing (scripts/deps.sh)")
        cam = Nvt(ctx.nvt.binary, Path(ctx.work) / f"state-skew{offset_h:+d}", ctx.password).start()
        try:
            t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=offset_h)
            code, text = await curl_soap(
                ctx.work, cam.device_url, ctx.user, ctx.password,
                "<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType>"
                "<tds:DaylightSavings>false</tds:DaylightSavings><tds:UTCDateTime>"
                f"<tt:Time><tt:Hour>{t.hour}</tt:Hour><tt:Minute>{t.minute}</tt:Minute><tt:Second>{t.second}</tt:Second></tt:Time>"
                f"<tt:Date><tt:Year>{t.year}</tt:Year><tt:Month>{t.month}</tt:Month><tt:Day>{t.day}</tt:Day></tt:Date>"
                "</tds:UTCDateTime></tds:SetSystemDateAndTime>",
                f"skew{offset_h:+d}.xml",
            )
            check(code == 200, f"could not skew the camera clock: {code} {text[-300:]}")
            p = await asyncio.create_subprocess_exec(
                str(zeep_py), str(ROOT / "conformance/ha_skew_client.py"), cam.device_url, ctx.user, ctx.password,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(p.communicate(), 120)
            check_steps(ctx, p.returncode, out, err)
        finally:
            cam.stop()

    return run_it


case("HA-SKEW-ahead", "Home Assistant setup, clock repair and a refused replay, camera clock 1 h ahead")(ha_skew_case(1))
case("HA-SKEW-behind", "Home Assistant setup, clock repair and a refused replay, camera clock 1 h behind")(ha_skew_case(-1))
