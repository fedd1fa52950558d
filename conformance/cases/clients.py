"""The RTSP client matrix: the players NVRs and users run (ffprobe, ffmpeg, GStreamer's
rtspsrc, the retina crate) against the camera over TCP, UDP and the HTTP tunnel, each with the
ONVIF user's credentials answered by Digest. Multicast entries run in network namespaces
(cases/multicast.py). A client that cannot speak a transport is listed N/A with the reason.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from conformance.harness import NotApplicable, case, check, check_gst_decoded, udp_receive_drops

ROOT = Path(__file__).resolve().parents[2]
SECS = 6
RETINA = ROOT / "target/release/examples/retina_probe"


def with_creds(url: str, ctx) -> str:
    return url.replace("rtsp://", f"rtsp://{ctx.user}:{ctx.password}@", 1)


async def run(*cmd: str, timeout: float = 90, env=None) -> tuple[int, str, str]:
    p = await asyncio.create_subprocess_exec(
        *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        out, err = await asyncio.wait_for(p.communicate(), timeout)
    except asyncio.TimeoutError:
        p.kill()
        await p.wait()
        return -9, "", f"timed out after {timeout:.0f} s"
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def ffmpeg_frames(url: str, transport: str) -> tuple[int, str]:
    """Decodes SECS seconds; returns decoded frame count and ffmpeg's errors."""
    rc, out, err = await run(
        "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", transport,
        "-i", url, "-t", str(SECS), "-f", "framemd5", "-",
    )
    check(rc == 0, f"ffmpeg exit {rc}: {err[-300:]}")
    frames = sum(1 for line in out.splitlines() if line and not line.startswith("#"))
    return frames, err


def matrix_case(client: str, transport: str):
    async def run_it(ctx):
        url = ctx.nvt.rtsp_url(ctx.nvt.profiles[0])
        if client == "ffprobe":
            rc, out, err = await run(
                "ffprobe", "-v", "error", "-rtsp_transport", transport, "-show_entries",
                "stream=codec_name,width,height", "-of", "json", with_creds(url, ctx),
            )
            check(rc == 0 and not err.strip(), f"ffprobe exit {rc}: {err[-300:]}")
            s = json.loads(out)["streams"][0]
            check(s["codec_name"] == "h264" and s["width"] > 0, f"{s}")
            ctx.note(f"{s['codec_name']} {s['width']}x{s['height']}")
        elif client == "ffmpeg":
            frames, err = await ffmpeg_frames(with_creds(url, ctx), transport)
            check(not err.strip(), f"decoder errors: {err[-300:]}")
            check(frames >= SECS * 25 * 0.8, f"{frames} frames decoded in {SECS} s")
            ctx.note(f"{frames} frames decoded in {SECS} s, no error")
        elif client == "gstreamer":
            loc = url if transport != "http" else url.replace("rtsp://", "rtsph://", 1)
            proto = {"tcp": "tcp", "udp": "udp", "http": "tcp"}[transport]
            rc, out, err = await run(
                "gst-launch-1.0", "rtspsrc", f"location={loc}", f"protocols={proto}", "latency=0",
                f"user-id={ctx.user}", f"user-pw={ctx.password}", "!", "rtph264depay", "!", "h264parse", "!",
                "avdec_h264", "!", "identity", "eos-after=125", "!", "fakesink", "sync=false",
                env={"GST_DEBUG": "*:1"},
            )
            check_gst_decoded(rc, out, err)
            ctx.note("125 frames decoded")
        elif client == "retina":
            check(RETINA.exists(), f"{RETINA} not built (cargo build --release --example retina_probe)")
            drops0 = udp_receive_drops()
            rc, out, err = await run(str(RETINA), url, transport, str(SECS), ctx.user, ctx.password)
            drops = udp_receive_drops() - drops0
            r = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"error": err}
            check("frames" in r and r["frames"] >= SECS * 25 * 0.8, f"retina: {r}")
            if transport == "tcp":
                # TCP: the server must not lose anything (DESIGN.md: no frame lost for a
                # viewer that keeps up).
                check(r["gaps"] == 0, f"retina over TCP saw {r['gaps']} sequence gaps")
            else:
                # Over UDP the kernel drops datagrams at a receiver whose buffer is full while
                # it is descheduled (RcvbufErrors); the camera cannot know. Every gap must be
                # one of those.
                check(r["gaps"] <= drops, f"retina over UDP lost {r['gaps']} packets, only {drops} at full receive buffers")
                ctx.note(f"{drops} datagrams dropped at full client receive buffers")
            ctx.note(f"{r['frames']} frames, {r['gaps']} gaps, {r['rtcp']} RTCP, {r['width']}x{r['height']}")

    return run_it


def not_applicable(reason: str):
    async def run_it(ctx):
        raise NotApplicable(reason)

    return run_it


for _client in ("ffprobe", "ffmpeg", "gstreamer", "retina"):
    for _t in ("tcp", "udp", "http"):
        _id = f"CLIENT-{_client}-{_t}"
        if _client == "retina" and _t == "http":
            case(_id, f"{_client} over {_t}")(not_applicable("retina has no RTSP-over-HTTP tunnel"))
        else:
            case(_id, f"{_client} over {_t}")(matrix_case(_client, _t))
