"""The fault matrix: what the field does to a camera. Viewers killed mid-stream, a stalled
viewer beside healthy ones, slowloris on both servers, kill -9 during settings writes, a clock
at 1970 at start, and encoder errors and stalls injected in the simulator. Network cut and
heal runs in network namespaces (cases/multicast.py).
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time
from pathlib import Path

from conformance.cases.clients import ffmpeg_frames, run, with_creds
from conformance.harness import Context, case, check
from conformance.nvt import Nvt
from conformance.rtsp_client import RtspClient, sequence_gaps


def rst_close(c: RtspClient) -> None:
    """Closes the client's socket with a TCP RST (SO_LINGER 0): a viewer killed mid-stream."""
    sock = c.writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.writer.transport.abort()


async def _play_and_kill(ctx, url: str) -> None:
    c = RtspClient(url, ctx.user, ctx.password)
    await c.connect()
    try:
        d = await c.describe()
        check(d.status == 200, f"DESCRIBE {d.status}")
        control = c.control_url(d.body.decode(), d.header("content-base") or url)
        s = await c.setup_tcp(control)
        check(s.status == 200, f"SETUP {s.status}")
        p = await c.play()
        check(p.status == 200, f"PLAY {p.status}")
        # Take some media, then vanish.
        deadline = time.monotonic() + 2
        while not c.rtp() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
    finally:
        rst_close(c)
        await c.close()


async def _settle(nvt: Nvt, fds0: int, secs: float = 10.0) -> int:
    """Waits for the descriptor count to come back to `fds0` (sessions are reaped
    asynchronously); returns the last count."""
    deadline = time.monotonic() + secs
    while True:
        n = nvt.fd_count()
        if n <= fds0 or time.monotonic() > deadline:
            return n
        await asyncio.sleep(0.2)


@case("FAULT-viewer-kill-1000", "1000 viewers killed mid-stream: fds and RSS back to baseline")
async def viewers_killed(ctx):
    nvt = ctx.nvt
    url = nvt.rtsp_url(nvt.profiles[0])
    for _ in range(20):  # warm-up: allocator pools, nonce table
        await _play_and_kill(ctx, url)
    await asyncio.sleep(1)
    fds0, rss0 = await _settle(nvt, 10**9, 0), nvt.rss_kib()
    sem = asyncio.Semaphore(8)

    async def one():
        async with sem:
            await _play_and_kill(ctx, url)

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(980)))
    # And 20 real players killed with SIGKILL mid-stream.
    for _ in range(20):
        p = await asyncio.create_subprocess_exec(
            "ffmpeg", "-nostdin", "-v", "quiet", "-rtsp_transport", "tcp", "-i", with_creds(url, ctx),
            "-f", "null", "-", stdin=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(random.uniform(0.5, 1.0))
        p.kill()
        await p.wait()
    secs = time.monotonic() - t0
    fds = await _settle(nvt, fds0)
    await asyncio.sleep(1)
    rss = nvt.rss_kib()
    check(fds <= fds0, f"descriptors {fds0} -> {fds} after 1000 killed viewers")
    check(rss <= rss0 + 4096, f"RSS {rss0} -> {rss} KiB after 1000 killed viewers")
    ctx.note(f"1000 viewers in {secs:.0f} s; fds {fds0} -> {fds}; RSS {rss0 // 1024} -> {rss // 1024} MiB")


@case("FAULT-stalled-viewer", "a stalled viewer beside a healthy one")
async def stalled_viewer(ctx):
    nvt = ctx.nvt
    url = nvt.rtsp_url(nvt.profiles[0])
    # The stalled viewer: plays over TCP with a tiny receive buffer, then never reads.
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", nvt.rtsp_port))
    c = RtspClient(url, ctx.user, ctx.password)
    await c.connect()
    healthy, seen = None, None
    try:
        from conformance.cases.rtss import play

        healthy, seen = await play(ctx, url, "tcp")
        await asyncio.sleep(2)
        rss0 = nvt.rss_kib()  # warm: encoder, hub and one viewer running
        await _raw_play(stalled, url, ctx)
        stalled_at = time.monotonic()
        await asyncio.sleep(8)
        gaps = sequence_gaps(healthy.rtp())
        check(gaps == 0, f"healthy viewer saw {gaps} gaps beside a stalled one")
        check(len(healthy.rtp()) > 100, f"healthy viewer got {len(healthy.rtp())} packets")
        # The stalled one is cut once it lags past the bound (3 s): draining its socket ends
        # in EOF or a reset.
        stalled.setblocking(False)
        closed_at = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and closed_at is None:
            try:
                while True:
                    b = stalled.recv(1 << 20)
                    if not b:
                        closed_at = time.monotonic()
                        break
            except BlockingIOError:
                await asyncio.sleep(0.05)
            except ConnectionResetError:
                closed_at = time.monotonic()
        check(closed_at is not None, "stalled viewer still connected 18 s after it stalled")
        rss = nvt.rss_kib()
        check(rss <= rss0 + 8192, f"RSS {rss0} -> {rss} KiB with a stalled viewer")
        ctx.note(f"healthy: {len(healthy.rtp())} packets, 0 gaps; stalled cut after <= {closed_at - stalled_at:.1f} s "
                 f"(incl. draining); RSS {rss0 // 1024} -> {rss // 1024} MiB")
    finally:
        stalled.close()
        if healthy:
            await healthy.close()
        await c.close()


async def _raw_play(sock: socket.socket, url: str, ctx) -> None:
    """DESCRIBE/SETUP/PLAY over a blocking socket (Digest answered), leaving it playing."""
    from conformance.rtsp_client import digest_header

    loop = asyncio.get_running_loop()
    buf = b""

    def exchange(req: str) -> tuple[int, dict, bytes]:
        nonlocal buf
        sock.sendall(req.encode())
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(65536)
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        hdrs = {}
        for k, _, v in (l.partition(":") for l in lines[1:]):
            # Keep the first of repeated headers: the MD5 Digest challenge comes first.
            hdrs.setdefault(k.strip().lower(), v.strip())
        n = int(hdrs.get("content-length", "0"))
        while len(rest) < n:
            rest += sock.recv(65536)
        body, buf = rest[:n], rest[n:]
        return int(lines[0].split()[1]), hdrs, body

    def go():
        st, h, _ = exchange(f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        ch = h.get("www-authenticate", "")
        auth = lambda m, u: digest_header(m, u, ctx.user, ctx.password, ch[ch.index("Digest"):])
        st, h, body = exchange(f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\nAuthorization: {auth('DESCRIBE', url)}\r\n\r\n")
        assert st == 200, st
        ctrl = url + "/trackID=0"
        import re

        m = re.search(r"a=control:(\S+)", body.decode().split("m=video", 1)[1])
        if m and m.group(1).startswith("rtsp://"):
            ctrl = m.group(1)
        elif m:
            ctrl = (h.get("content-base") or url).rstrip("/") + "/" + m.group(1)
        st, h, _ = exchange(f"SETUP {ctrl} RTSP/1.0\r\nCSeq: 3\r\nAuthorization: {auth('SETUP', ctrl)}\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n")
        assert st == 200, st
        sess = h["session"].split(";")[0]
        st, h, _ = exchange(f"PLAY {url} RTSP/1.0\r\nCSeq: 4\r\nSession: {sess}\r\nAuthorization: {auth('PLAY', url)}\r\n\r\n")
        assert st == 200, st

    await loop.run_in_executor(None, go)


@case("FAULT-slowloris-200", "200 slowloris connections on each server while a client is served")
async def slowloris(ctx):
    nvt = ctx.nvt
    socks = []
    for port, head in ((nvt.http_port, b"POST /onvif/device_service HTTP/1.1\r\nHost: x\r\n"),
                       (nvt.rtsp_port, b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n")):
        for i in range(200):
            s = socket.socket()
            # From 10 other loopback addresses: one address gets 32 connections of each
            # server (docs/security.md), and the client served below is another one.
            s.bind((f"127.0.0.{10 + i % 10}", 0))
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            socks.append((s, head))
    await asyncio.sleep(0.5)
    for s, head in socks:
        try:
            s.send(head)
        except OSError:
            pass
    t0 = time.monotonic()
    try:
        # While they dribble: a SOAP request and a stream are served.
        r = await ctx.soap("<tds:GetDeviceInformation/>")
        check(r.status == 200, f"SOAP during slowloris: HTTP {r.status}")
        soap_ms = 1000 * (time.monotonic() - t0)
        frames, err = await ffmpeg_frames(with_creds(nvt.rtsp_url(nvt.profiles[0]), ctx), "tcp")
        check(frames > 100, f"stream during slowloris: {frames} frames")
        # Dribble a header byte every 2 s; the servers cut them at their header timeout (10 s).
        open_ = {id(s_): s_ for s_, _ in socks}
        cut_after = []
        deadline = t0 + 25
        while open_ and time.monotonic() < deadline:
            for key, s_ in list(open_.items()):
                try:
                    s_.send(b"X")
                    if s_.recv(4096) is not None:  # EOF or an error answer: the server ended it
                        cut_after.append(time.monotonic() - t0)
                        del open_[key]
                except BlockingIOError:
                    pass
                except OSError:
                    cut_after.append(time.monotonic() - t0)
                    del open_[key]
            await asyncio.sleep(2)
        check(len(cut_after) >= len(socks), f"{len(socks) - len(cut_after)} slowloris connections still open after 25 s")
        ctx.note(f"SOAP answered in {soap_ms:.0f} ms and {frames} frames streamed during 400 slowloris "
                 f"connections; all cut by {max(cut_after):.0f} s")
    finally:
        for s, _ in socks:
            s.close()


@case("FAULT-kill9-settings", "kill -9 during settings writes", disruptive=True)
async def kill9_during_writes(ctx):
    nvt = ctx.nvt
    written: list[str] = []
    for i in range(10):
        names = [f"k9-{i}-{j}" for j in range(40)]

        async def writer():
            for n in names:
                r = await ctx.soap(f"<tds:SetHostname><tds:Name>{n}</tds:Name></tds:SetHostname>")
                if r.status == 200:
                    written.append(n)

        task = asyncio.create_task(writer())
        await asyncio.sleep(random.uniform(0.05, 0.4))
        nvt.kill9()
        try:
            await task
        except Exception:  # the connection died with the process
            pass
        nvt.start()
        r = await ctx.soap("<tds:GetHostname/>", auth=None)
        check(r.status == 200, f"restart after kill -9 #{i}: HTTP {r.status}")
        name = r.find("//tt:Name/text()")
        # The stored name is one that was acknowledged, or the one in flight when killed.
        allowed = set(written) | set(names)
        check(name and name[0] in allowed | {None}, f"hostname after kill -9: {name}")
    ctx.note(f"10 kills during {len(written)} acknowledged writes; every restart read a complete settings file")


@case("FAULT-clock-1970", "clock at 1970 at start: auth through GetSystemDateAndTime")
async def clock_1970(ctx):
    lib = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"), None)
    check(lib is not None, "libfaketime missing (scripts/deps.sh installs faketime)")
    other = Nvt(
        ctx.nvt.binary, Path(ctx.work) / "state-1970", ctx.password,
        env={"LD_PRELOAD": str(lib), "FAKETIME": "@1970-01-01 00:00:00", "FAKETIME_DONT_FAKE_MONOTONIC": "1"},
    ).start()
    try:
        sub = Context(nvt=other, user=ctx.user, password=ctx.password, work=ctx.work)
        cam = await sub.camera()  # adjust_time: stamps tokens from GetSystemDateAndTime
        dm = await cam.create_devicemgmt_service()
        t = await dm.GetSystemDateAndTime()
        check(t.UTCDateTime.Date.Year == 1970, f"device year {t.UTCDateTime.Date.Year}")
        info = await dm.GetDeviceInformation()
        check(info.Manufacturer, "GetDeviceInformation with a UsernameToken at the device's 1970 clock")
        r = await sub.soap("<tds:GetDeviceInformation/>", auth="digest")
        check(r.status == 200, f"HTTP Digest at 1970: {r.status}")
        await sub.close()
        ctx.note("device clock 1970: WS-UsernameToken stamped from GetSystemDateAndTime and HTTP Digest both work")
    finally:
        other.stop()


async def _sdk_fault(ctx, kind: str):
    other = Nvt(
        ctx.nvt.binary, Path(ctx.work) / f"state-{kind}", ctx.password,
        args=["--sdk-options", f"fault={kind};fault_period_ms=3000;fault_ms=700"],
    ).start()
    try:
        sub = Context(nvt=other, user=ctx.user, password=ctx.password, work=ctx.work)
        url = other.rtsp_url(other.profiles[0])
        # 9 s of stream across three injected faults: ffmpeg must decode without one error
        # (lost frames are never followed by P-frames that reference them).
        rc, out, err = await run(
            "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
            "-i", with_creds(url, sub), "-t", "9", "-f", "framemd5", "-",
        )
        frames = sum(1 for line in out.splitlines() if line and not line.startswith("#"))
        check(rc == 0, f"ffmpeg exit {rc}: {err[-300:]}")
        check(not err.strip(), f"decode errors across {kind} faults: {err[-400:]}")
        check(frames >= 9 * 25 * 0.5, f"{frames} frames in 9 s across {kind} faults")
        log = "\n".join(other.snapshot())
        check("recovered at an IDR" in log, "no recovery logged")
        check("panicked" not in log and "panic" not in log.lower(), "a panic in the log")
        check(other.proc.poll() is None, "nvt died")
        ctx.note(f"{frames} frames decoded without error across {log.count('recovered at an IDR')} recoveries")
    finally:
        other.stop()


@case("FAULT-sdk-error", "encoder errors injected in the simulator")
async def sdk_error(ctx):
    await _sdk_fault(ctx, "error")


@case("FAULT-sdk-stall", "encoder stalls injected in the simulator")
async def sdk_stall(ctx):
    await _sdk_fault(ctx, "stall")
