"""What crosses a real link, inside network namespaces this module creates (never the host's
interfaces): the multicast column of the RTSP client matrix, and a network cut and heal under
a running stream. The camera runs in the server namespace, the clients in the client one.

The multicast cells count the packets lost: the client namespace's own `RcvbufErrors`
(/proc/net/snmp is per namespace, so only the client's sockets count) and, for ffmpeg and
ffprobe, the packets they report missed; both must be 0 (the camera paces multicast,
issue 13).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from conformance.cases.clients import SECS, ffmpeg_log, run
from conformance.harness import NotApplicable, case, check, check_gst_decoded
from conformance.netns import NetnsPair
from conformance.nvt import Nvt

HERE = Path(__file__).resolve().parents[1]


def camera_in(pair: NetnsPair, ctx, tag: str) -> Nvt:
    return Nvt(
        ctx.nvt.binary, Path(ctx.work) / f"state-{tag}", ctx.password,
        bind=pair.server_ip, prefix=["ip", "netns", "exec", pair.server],
    ).start()


def creds(url: str, ctx) -> str:
    return url.replace("rtsp://", f"rtsp://{ctx.user}:{ctx.password}@", 1)


def client_rcvbuf_errors(pair: NetnsPair) -> int:
    """UDP datagrams dropped at full receive buffers in the client namespace so far."""
    snmp = subprocess.run(pair.in_client("cat", "/proc/net/snmp"), capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in snmp.splitlines() if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def check_multicast_loss(ctx, dropped: int, missed: int | None = None) -> None:
    seen = f", {missed} missed by the client's count" if missed is not None else ""
    ctx.note(f"{dropped} datagrams dropped at the client namespace's receive buffers{seen}")
    check(dropped == 0 and not missed, f"multicast packets lost: {dropped} dropped at full receive buffers{seen}")


def multicast_case(client: str):
    async def run_it(ctx):
        with NetnsPair("m") as pair:
            cam = camera_in(pair, ctx, f"mc-{client}")
            try:
                url = creds(cam.rtsp_url(cam.profiles[0]), ctx)
                drops0 = client_rcvbuf_errors(pair)
                if client == "ffprobe":
                    rc, out, err = await run(*pair.in_client(
                        "ffprobe", "-loglevel", "level+warning", "-rtsp_transport", "udp_multicast",
                        "-show_entries", "stream=codec_name,width,height", "-of", "json", url))
                    errors, missed = ffmpeg_log(err)
                    check(rc == 0 and not errors, f"ffprobe exit {rc}: {err[-300:]}")
                    s = json.loads(out)["streams"][0]
                    check(s["codec_name"] == "h264", f"{s}")
                    ctx.note(f"h264 {s['width']}x{s['height']} from the multicast group")
                    check_multicast_loss(ctx, client_rcvbuf_errors(pair) - drops0, missed)
                elif client == "ffmpeg":
                    # A multicast member joins the group mid-GOP and decodes from the next IDR
                    # (up to one GOP, 2 s by default, later); hence 10 s and half the frames.
                    rc, out, err = await run(*pair.in_client(
                        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "level+warning", "-rtsp_transport",
                        "udp_multicast", "-i", url, "-t", "10", "-f", "framemd5", "-"))
                    frames = sum(1 for line in out.splitlines() if line and not line.startswith("#"))
                    errors, missed = ffmpeg_log(err)
                    check(rc == 0 and not errors, f"ffmpeg exit {rc}: {err[-300:]}")
                    check(frames >= 10 * 25 * 0.5, f"{frames} frames in 10 s")
                    ctx.note(f"{frames} frames decoded from the multicast group in 10 s")
                    check_multicast_loss(ctx, client_rcvbuf_errors(pair) - drops0, missed)
                elif client == "gstreamer":
                    rc, out, err = await run(*pair.in_client(
                        "gst-launch-1.0", "rtspsrc", f"location={cam.rtsp_url(cam.profiles[0])}",
                        "protocols=udp-mcast", f"user-id={ctx.user}", f"user-pw={ctx.password}", "latency=0", "!",
                        "rtph264depay", "!", "h264parse", "!", "avdec_h264", "!", "identity", "eos-after=125", "!",
                        "fakesink", "sync=false"), env={"GST_DEBUG": "*:1"})
                    check_gst_decoded(rc, out, err)
                    ctx.note("125 frames decoded from the multicast group")
                    check_multicast_loss(ctx, client_rcvbuf_errors(pair) - drops0)
            finally:
                cam.stop()

    return run_it


for _c in ("ffprobe", "ffmpeg", "gstreamer"):
    case(f"CLIENT-{_c}-multicast", f"{_c} over multicast (netns)")(multicast_case(_c))


@case("CLIENT-retina-multicast", "retina over multicast")
async def retina_multicast(ctx):
    raise NotApplicable("retina has no multicast transport")


@case("FAULT-network-cut", "network cut and heal under a stream (netns): the viewer plays again within 2 s")
async def network_cut(ctx):
    with NetnsPair("n") as pair:
        cam = camera_in(pair, ctx, "cut")
        try:
            proc = await asyncio.create_subprocess_exec(
                *pair.in_client(sys.executable, str(HERE / "reconnect_client.py"), cam.rtsp_url(cam.profiles[0]),
                                ctx.user, ctx.password, "16"),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            await asyncio.sleep(4)
            pair.link(False)
            cut_at = time.monotonic()
            await asyncio.sleep(5)
            pair.link(True)
            healed_at = time.monotonic()
            out, err = await asyncio.wait_for(proc.communicate(), 40)
            events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
            check(any(e["event"] == "first_packet" and e["at"] < cut_at for e in events), f"no stream before the cut: {events} {err.decode()[-300:]}")
            after = [e for e in events if e["event"] == "first_packet" and e["at"] > healed_at]
            check(after, f"no stream after the heal: {events}")
            delay = after[0]["at"] - healed_at
            check(delay <= 2.0, f"stream back {delay:.2f} s after the heal (bound 2 s)")
            check(cam.proc.poll() is None, "nvt died")
            ctx.note(f"5 s cut; stream back {delay * 1000:.0f} ms after the link came up")
        finally:
            cam.stop()
