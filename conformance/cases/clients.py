"""The RTSP client matrix: the players NVRs and users run (ffprobe, ffmpeg, GStreamer's
rtspsrc, the retina crate) against the camera over TCP, UDP and the HTTP tunnel, each with the
ONVIF user's credentials answered by Digest. Multicast entries run in network namespaces
(cases/multicast.py). A client that cannot speak a transport is listed N/A with the reason.

The UDP cells count and check the packets each client lost (issue 13: nvt paces UDP so a
receiver with the default 208 KiB buffer loses none): the datagrams the kernel dropped at the
client's own UDP sockets (the `drops` column of /proc/net/udp for the socket inodes in
/proc/PID/fd, sampled while it runs: the per-socket form of RcvbufErrors, blind to other
processes), and the sequence gaps the client reports itself where it can (ffmpeg's "RTP:
missed N packets", retina's gaps).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

from conformance.harness import NotApplicable, case, check, check_gst_decoded

ROOT = Path(__file__).resolve().parents[2]
SECS = 6
# The retina client, built by conformance/run in the profile it tests.
RETINA = ROOT / os.environ.get("NVT_RETINA_PROBE", "target/release/examples/retina_probe")


def with_creds(url: str, ctx) -> str:
    return url.replace("rtsp://", f"rtsp://{ctx.user}:{ctx.password}@", 1)


async def run(*cmd: str, timeout: float = 90, env=None) -> tuple[int, str, str]:
    rc, out, err, _ = await run_counting_drops(*cmd, timeout=timeout, env=env, watch=False)
    return rc, out, err


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets process `pid` holds open."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    return inodes


def udp_socket_drops() -> dict[str, int]:
    """Datagrams dropped so far at each UDP socket of this network namespace, by inode (the
    `drops` column of /proc/net/udp and udp6)."""
    drops = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 12:
                drops[cols[9]] = int(cols[12])
    return drops


async def run_counting_drops(*cmd: str, timeout: float = 90, env=None, watch=True) -> tuple[int, str, str, int]:
    """As run(), and the datagrams the kernel dropped at the process's UDP sockets (sampled
    every 20 ms while it runs, so drops in its last moments before a socket closes may be
    missed: the client's own gap count covers those)."""
    p = await asyncio.create_subprocess_exec(
        *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    seen: dict[str, int] = {}

    async def sample():
        while p.returncode is None:
            inodes = socket_inodes(p.pid)
            if inodes:
                for inode, n in udp_socket_drops().items():
                    if inode in inodes:
                        seen[inode] = max(seen.get(inode, 0), n)
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample()) if watch else None
    try:
        out, err = await asyncio.wait_for(p.communicate(), timeout)
    except asyncio.TimeoutError:
        p.kill()
        await p.wait()
        return -9, "", f"timed out after {timeout:.0f} s", sum(seen.values())
    finally:
        if sampler:
            sampler.cancel()
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace"), sum(seen.values())


def ffmpeg_log(err: str) -> tuple[list[str], int]:
    """An ffmpeg/ffprobe log written with `-loglevel level+warning`: its error lines and the
    packets its RTP demuxer reported missing ("RTP: missed N packets", a warning)."""
    errors = [line for line in err.splitlines() if "[error]" in line or "[fatal]" in line]
    missed = sum(int(n) for n in re.findall(r"RTP: missed (\d+) packets", err))
    return errors, missed


def check_udp_loss(ctx, transport: str, dropped: int, missed: int | None = None) -> None:
    """Over UDP: no datagram dropped at the client's sockets and, where the client counts
    them, no sequence gap (issue 13)."""
    if transport != "udp":
        return
    seen = f", {missed} missed by the client's count" if missed is not None else ""
    ctx.note(f"UDP: {dropped} datagrams dropped at the client's sockets{seen}")
    check(dropped == 0 and not missed, f"UDP packets lost: {dropped} dropped at the client's receive buffers{seen}")


async def ffmpeg_frames(url: str, transport: str) -> tuple[int, str]:
    """Decodes SECS seconds; returns decoded frame count and ffmpeg's errors."""
    frames, errors, _, _ = await ffmpeg_decode(url, transport)
    return frames, errors


async def ffmpeg_decode(url: str, transport: str) -> tuple[int, str, int, int]:
    """Decodes SECS seconds; returns decoded frame count, ffmpeg's errors, the packets it
    reported missed and the datagrams dropped at its sockets."""
    rc, out, err, dropped = await run_counting_drops(
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "level+warning", "-rtsp_transport", transport,
        "-i", url, "-t", str(SECS), "-f", "framemd5", "-",
    )
    check(rc == 0, f"ffmpeg exit {rc}: {err[-300:]}")
    frames = sum(1 for line in out.splitlines() if line and not line.startswith("#"))
    errors, missed = ffmpeg_log(err)
    return frames, "\n".join(errors), missed, dropped


def matrix_case(client: str, transport: str):
    async def run_it(ctx):
        url = ctx.nvt.rtsp_url(ctx.nvt.profiles[0])
        if client == "ffprobe":
            rc, out, err, dropped = await run_counting_drops(
                "ffprobe", "-loglevel", "level+warning", "-rtsp_transport", transport, "-show_entries",
                "stream=codec_name,width,height", "-of", "json", with_creds(url, ctx),
            )
            errors, missed = ffmpeg_log(err)
            check(rc == 0 and not errors, f"ffprobe exit {rc}: {err[-300:]}")
            s = json.loads(out)["streams"][0]
            check(s["codec_name"] == "h264" and s["width"] > 0, f"{s}")
            ctx.note(f"{s['codec_name']} {s['width']}x{s['height']}")
            check_udp_loss(ctx, transport, dropped, missed)
        elif client == "ffmpeg":
            frames, errors, missed, dropped = await ffmpeg_decode(with_creds(url, ctx), transport)
            check(not errors, f"decoder errors: {errors[-300:]}")
            check(frames >= SECS * 25 * 0.8, f"{frames} frames decoded in {SECS} s")
            ctx.note(f"{frames} frames decoded in {SECS} s, no error")
            check_udp_loss(ctx, transport, dropped, missed)
        elif client == "gstreamer":
            loc = url if transport != "http" else url.replace("rtsp://", "rtsph://", 1)
            proto = {"tcp": "tcp", "udp": "udp", "http": "tcp"}[transport]
            rc, out, err, dropped = await run_counting_drops(
                "gst-launch-1.0", "rtspsrc", f"location={loc}", f"protocols={proto}", "latency=0",
                f"user-id={ctx.user}", f"user-pw={ctx.password}", "!", "rtph264depay", "!", "h264parse", "!",
                "avdec_h264", "!", "identity", "eos-after=125", "!", "fakesink", "sync=false",
                env={"GST_DEBUG": "*:1"},
            )
            check_gst_decoded(rc, out, err)
            ctx.note("125 frames decoded")
            check_udp_loss(ctx, transport, dropped)
        elif client == "retina":
            check(RETINA.exists(), f"{RETINA} not built (conformance/run builds it)")
            rc, out, err, dropped = await run_counting_drops(
                str(RETINA), url, transport, str(SECS), ctx.user, ctx.password)
            r = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"error": err}
            check("frames" in r and r["frames"] >= SECS * 25 * 0.8, f"retina: {r}")
            ctx.note(f"{r['frames']} frames, {r['gaps']} gaps, {r['rtcp']} RTCP, {r['width']}x{r['height']}")
            # No frame lost for a viewer that keeps up (DESIGN.md), over TCP and, paced, UDP.
            check(r["gaps"] == 0, f"retina over {transport} saw {r['gaps']} sequence gaps")
            check_udp_loss(ctx, transport, dropped, r["gaps"])

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
