"""ONVIF Real Time Streaming Test Specification (RTSS-1-2-*), RTP-Multicast/UDP over IPv4: the
multicast versions of the unicast cases in cases/rtss.py, and the encoder configuration's
multicast address and port (Start/StopMulticastStreaming, RTSP SETUP with a destination).

Multicast runs only inside two network namespaces this module creates (netns.py), never on the
host's interfaces: the camera in the server namespace, every client step (ONVIF over HTTP, RTSP,
the multicast receivers, the decoder) in the client namespace: each case's steps run on an
event loop of their own in a thread that entered that namespace (setns), so every socket they
open (zeep's, the RTSP client's, the group receivers') belongs to it. One namespace pair and
camera serve all six cases (started by the first, stopped after IDLE_SECS without use or when
the runner exits); each case restores what it changed.

The receivers bind to the group address and port themselves, so a datagram they get was sent
to that group and port; the RTP (port) and RTCP (port + 1) packets are checked as in
cases/rtss.py, and the H.264 received is depacketized and decoded by ffmpeg.

The spec writes RTSS-1-2-12/21/23 for JPEG; nvt offers only H.264, so they run on H.264 (the
RTSP and multicast steps are the same). IPv6 multicast (RTSS-1-2-16/17/18/22) and JPEG/MPEG4
are N/A through applicability.py.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import re
import shutil
import socket
import struct
import tempfile
import threading
import time
from pathlib import Path

from zeep.helpers import serialize_object

from conformance.harness import NS, case, check
from conformance.netns import NetnsPair
from conformance.nvt import Nvt
from conformance.rtsp_client import Packet, RtspClient, sequence_gaps

MEDIA = NS["trt"]
REQUIRES = (MEDIA,)
# Seconds each stream is received: two GOPs at the default GOV length (2 s).
STREAM_SECS = 4.0
IDLE_SECS = 30.0
CLONE_NEWNET = 0x40000000
IP_MULTICAST_ALL = 49
SO_RCVBUFFORCE = 33
IP_RECVTTL = 12  # linux/in.h; the TTL comes as an IP_TTL control message

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"setns: {os.strerror(e)}")


def in_netns(name: str, steps, timeout: float = 240.0):
    """Runs the coroutine function `steps` on an event loop of its own, in a thread of its own
    that has entered network namespace `name`: every socket it opens and every process it
    starts belongs to that namespace, and the runner's thread (and its executor threads, which
    inherit their creator's namespace) never leaves the host's."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def settle(f, value, error):
        if not f.done():
            f.set_exception(error) if error is not None else f.set_result(value)

    def body():
        value = error = None
        try:
            fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
            try:
                _setns(fd)
            finally:
                os.close(fd)
            value = asyncio.run(asyncio.wait_for(steps(), timeout))
        except BaseException as e:  # the case's verdict (Failed) or error, for the runner
            error = e
        loop.call_soon_threadsafe(settle, done, value, error)

    threading.Thread(target=body, name=f"netns-{name}", daemon=True).start()
    return done


# -- the shared namespace pair and camera ---------------------------------------------------

_shared: dict = {}


def _stop_shared() -> None:
    cam, pair = _shared.pop("cam", None), _shared.pop("pair", None)
    try:
        if cam is not None:
            cam.stop()
    finally:
        if pair is not None:
            pair.__exit__(None, None, None)
        if (state := _shared.pop("state", None)) is not None:
            shutil.rmtree(state, ignore_errors=True)


atexit.register(_stop_shared)


def _arm_idle_stop() -> None:
    loop = asyncio.get_running_loop()
    if (t := _shared.get("timer")) is not None:
        t.cancel()
    _shared["timer"] = loop.call_later(IDLE_SECS, lambda: loop.run_in_executor(None, _stop_shared))


async def camera_pair(ctx):
    """(pair, nvt in the server namespace), started on first use."""
    if (t := _shared.get("timer")) is not None:
        t.cancel()
    loop = asyncio.get_running_loop()
    if "pair" not in _shared:
        pair = NetnsPair("r")
        pair.__enter__()
        _shared["pair"] = pair
    pair = _shared["pair"]
    if "cam" not in _shared:
        # A state directory of its own: the camera may outlive the runner's work directory
        # by up to IDLE_SECS.
        _shared["state"] = state = Path(tempfile.mkdtemp(prefix="nvt-conformance-rtss-mc-"))
        cam = Nvt(ctx.nvt.binary, state / "state", ctx.password, bind=pair.server_ip, prefix=pair.in_server())
        try:
            await loop.run_in_executor(None, cam.start)
        except BaseException:
            cam.kill9()
            raise
        _shared["cam"] = cam
    cam = _shared["cam"]
    if cam.proc.poll() is not None:
        await loop.run_in_executor(None, cam.start)
    return pair, cam


def multicast_case(id: str):
    """Registers a case run in the client namespace against the shared camera."""

    def wrap(fn):
        async def run(ctx):
            pair, cam = await camera_pair(ctx)

            async def steps():
                onvif_cam, m = await media_in_ns(ctx, pair, cam)
                try:
                    await fn(ctx, pair, cam, m)
                finally:
                    await onvif_cam.close()

            try:
                await in_netns(pair.client, steps)
            finally:
                _arm_idle_stop()
            check(cam.proc.poll() is None, f"nvt died (exit {cam.proc.returncode})")

        return case(id)(run)

    return wrap


async def media_in_ns(ctx, pair, cam):
    """A zeep camera (as Home Assistant builds it) to the camera in the server namespace, and
    its Media service."""
    from onvif import ONVIFCamera

    c = ONVIFCamera(pair.server_ip, cam.http_port, ctx.user, ctx.password, no_cache=True, adjust_time=True)
    try:
        await c.update_xaddrs()
        return c, await c.create_media_service()
    except BaseException:
        await c.close()
        raise


# -- configuration ---------------------------------------------------------------------------


def group(addr: str, port: int, ttl: int = 1) -> dict:
    return {"Address": {"Type": "IPv4", "IPv4Address": addr}, "Port": port, "TTL": ttl, "AutoStart": False}


async def set_multicast(m, vec: dict, addr: str, port: int, ttl: int = 1) -> dict:
    """SetVideoEncoderConfiguration with the group, then GetVideoEncoderConfiguration shows it."""
    vec = dict(vec, Multicast=group(addr, port, ttl))
    await m.SetVideoEncoderConfiguration({"Configuration": vec, "ForcePersistence": False})
    got = await m.GetVideoEncoderConfiguration({"ConfigurationToken": vec["token"]})
    mc = got.Multicast
    check(mc is not None and mc.Address.Type == "IPv4" and mc.Address.IPv4Address == addr and mc.Port == port and mc.TTL == ttl,
          f"{vec['token']}: multicast not applied: {mc}")
    return vec


@contextlib.asynccontextmanager
async def restored(m):
    """Encoder configurations, and the configurations removed from profiles, as they were."""
    vecs = [serialize_object(v) for v in await m.GetVideoEncoderConfigurations()]
    removed: list[tuple[str, str, str]] = []  # (kind, profile, configuration)
    try:
        yield vecs, removed
    finally:
        for v in vecs:
            await m.SetVideoEncoderConfiguration({"Configuration": v, "ForcePersistence": True})
        for kind, profile, token in reversed(removed):
            await getattr(m, f"Add{kind}Configuration")({"ProfileToken": profile, "ConfigurationToken": token})
        now = {v.token: serialize_object(v) for v in await m.GetVideoEncoderConfigurations()}
        for v in vecs:
            got = now.get(v["token"]) or {}
            check(all(got.get(k) == v[k] for k in ("Multicast", "Resolution", "Encoding", "SessionTimeout")),
                  f"{v['token']} not restored: {got.get('Multicast')}")
        for kind, profile, token in removed:
            p = await m.GetProfile({"ProfileToken": profile})
            conf = getattr(p, f"{kind}Configuration", None)
            check(conf is not None and conf.token == token, f"{profile}: {kind} configuration {token} not restored")


async def strip_profile(m, profile, removed: list, kinds=("AudioEncoder", "Metadata")) -> None:
    """The spec's "removes Audio Encoder Configuration and Metadata Configuration from the
    Media Profile that will be used for multicast streaming" (nvt has no audio: only the
    metadata configuration is ever there), each noted in `removed` to be added back."""
    for kind in kinds:
        conf = getattr(profile, f"{kind}Configuration", None)
        if conf is not None:
            await getattr(m, f"Remove{kind}Configuration")({"ProfileToken": profile.token})
            removed.append((kind, profile.token, conf.token))


async def multicast_uri(m, profile_token: str, host: str, rtsp_port: int) -> str:
    r = await m.GetStreamUri({"StreamSetup": {"Stream": "RTP-Multicast", "Transport": {"Protocol": "UDP"}}, "ProfileToken": profile_token})
    check(r.Uri and "@" not in r.Uri, f"GetStreamUri RTP-Multicast: {r.Uri!r}")
    check(r.Uri.startswith(f"rtsp://{host}:{rtsp_port}/"), f"URI {r.Uri} does not name the camera's IPv4 address and RTSP port")
    check(r.InvalidAfterConnect is not None and r.InvalidAfterReboot is not None and r.Timeout is not None,
          f"GetStreamUriResponse lacks InvalidAfterConnect/InvalidAfterReboot/Timeout: {r}")
    return r.Uri


# -- receiving a group -----------------------------------------------------------------------


class GroupReceiver:
    """RTP on group:port and RTCP on group:port+1, joined on the client's veth. The sockets are
    bound to the group address (and IP_MULTICAST_ALL is off), so they get only datagrams sent
    to that group and port."""

    def __init__(self, addr: str, port: int, iface_ip: str):
        self.addr, self.port = addr, port
        self.packets: list[Packet] = []
        self.sources: set[str] = set()
        # IP TTLs the datagrams arrived with (nothing routes between the namespaces, so these
        # are the TTLs the camera sent).
        self.ttls: set[int] = set()
        self._socks: list[socket.socket] = []
        mreq = socket.inet_aton(addr) + socket.inet_aton(iface_ip)
        for p in (port, port + 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # FORCE: past net.core.rmem_max (root), so a loaded machine drops less here.
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
            s.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
            s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            s.bind((addr, p))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            s.setblocking(False)
            self._socks.append(s)
        loop = asyncio.get_running_loop()
        for s, rtcp in zip(self._socks, (False, True)):
            loop.add_reader(s.fileno(), self._read, s, rtcp)
        self._loop = loop

    def _read(self, s: socket.socket, rtcp: bool) -> None:
        while True:
            try:
                data, anc, _, src = s.recvmsg(65536, socket.CMSG_SPACE(4))
            except (BlockingIOError, InterruptedError):
                return
            for level, kind, value in anc:
                if level == socket.IPPROTO_IP and kind == socket.IP_TTL:
                    self.ttls.add(int.from_bytes(value[:4], "little"))
            self.sources.add(src[0])
            self.packets.append(Packet(rtcp=rtcp, data=data, at=time.monotonic()))

    def rtp(self) -> list[Packet]:
        return [p for p in self.packets if not p.rtcp]

    def sender_reports(self) -> list[Packet]:
        # A compound RTCP packet starts with the SR (RFC 3550 s6.1).
        return [p for p in self.packets if p.rtcp and len(p.data) >= 28 and p.data[1] == 200]

    async def close(self) -> None:
        for s in self._socks:
            self._loop.remove_reader(s.fileno())
            s.close()


def receive_drops() -> int:
    """UDP datagrams dropped at full receive buffers in this thread's namespace."""
    with open("/proc/thread-self/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def annex_b(packets: list[Packet]) -> bytes:
    """RFC 6184 depacketization (single NAL, STAP-A, FU-A) into Annex B, from the first SPS to
    the last complete access unit (RTP marker bit: the packets are taken while the stream still
    runs, so the last frame may be cut short). After a sequence gap (a datagram this
    receiver's full buffer dropped) it waits for the next SPS, as a real receiver
    resynchronises at the next IDR."""
    last = max((i for i, p in enumerate(packets) if p.data[1] & 0x80), default=-1)
    out, started, prev, fu = bytearray(), False, None, None
    for p in packets[: last + 1]:
        if prev is not None and p.seq != (prev + 1) & 0xFFFF:
            started, fu = False, None
        prev = p.seq
        pl = p.payload
        if not pl:
            continue
        t = pl[0] & 0x1F
        nals: list[bytes] = []
        if t == 24:
            i = 1
            while i + 2 <= len(pl):
                n = struct.unpack("!H", pl[i : i + 2])[0]
                nals.append(pl[i + 2 : i + 2 + n])
                i += 2 + n
        elif t == 28 and len(pl) > 2:
            if pl[1] & 0x80:
                fu = bytearray([(pl[0] & 0xE0) | (pl[1] & 0x1F)])
            if fu is not None:
                fu += pl[2:]
                if pl[1] & 0x40:
                    nals.append(bytes(fu))
                    fu = None
        elif 1 <= t <= 23:
            nals.append(pl)
        for n in nals:
            started = started or (n[0] & 0x1F) == 7
            if started:
                out += b"\x00\x00\x00\x01" + n
    return bytes(out)


async def decoded_frames(h264: bytes, where: str) -> int:
    """Frames ffmpeg decodes from the Annex B stream; any decoder error fails the case."""
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "h264", "-i", "pipe:0", "-f", "framemd5", "-",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(h264), 60)
    check(proc.returncode == 0 and not err.strip(), f"ffmpeg decoding the H.264 received on {where}: exit {proc.returncode}: {err.decode()[-300:]}")
    return sum(1 for line in out.decode().splitlines() if line and not line.startswith("#"))


async def check_group_stream(rx: GroupReceiver, server_ip: str, *, fps: float, secs: float, drops: int,
                             pt: int | None = None, ssrc: int | None = None, ttl: int = 1) -> str:
    """The RTP/RTCP received on rx's group: valid headers, one SSRC (the SETUP's, when given),
    sent by the camera, nothing lost (no sequence gap, and `drops`, the datagrams the client
    namespace's kernel dropped at full receive buffers meanwhile, is 0: the camera paces its
    multicast, issue 13), IDR with SPS/PPS, an RTCP SR of the same SSRC, the configured IP
    TTL, and decodable H.264 at about the configured frame rate."""
    where = f"{rx.addr}:{rx.port}"
    rtp = rx.rtp()
    check(rtp, f"no RTP on {where}")
    check(rx.sources == {server_ip}, f"datagrams on {where} from {sorted(rx.sources)}, not only the camera {server_ip}")
    check(rx.ttls == {ttl}, f"datagrams on {where} with IP TTL {sorted(rx.ttls)}, configured {ttl}")
    check(all(p.data[0] >> 6 == 2 for p in rtp), "RTP version is not 2")
    pts = {p.data[1] & 0x7F for p in rtp}
    check(len(pts) == 1 and (pt in pts if pt is not None else 96 <= min(pts) <= 127), f"RTP payload types {pts} (SDP: {pt})")
    ssrcs = {p.ssrc for p in rtp}
    check(len(ssrcs) == 1, f"{len(ssrcs)} SSRCs on {where}")
    check(ssrc is None or ssrcs == {ssrc}, f"SSRC {ssrcs} differs from the SETUP's {ssrc}")
    gaps = sequence_gaps(rtp)
    check(gaps == 0 and drops == 0, f"lost on {where}: {gaps} RTP sequence gaps, {drops} datagrams dropped by full receive buffers")
    frames = len({p.timestamp for p in rtp})
    check(frames >= fps * secs * 0.5, f"{frames} frames in {secs:.0f} s on {where} (configured {fps} fps)")
    nals = {t for p in rtp for t in p.nal_types()}
    check({5, 7, 8} <= nals, f"no IDR with SPS/PPS on {where} (NAL types {sorted(nals)})")
    srs = rx.sender_reports()
    check(srs, f"no RTCP sender report on {rx.addr}:{rx.port + 1}")
    check(all(int.from_bytes(sr.data[4:8], "big") in ssrcs for sr in srs), "RTCP SR SSRC differs from the RTP SSRC")
    decoded = await decoded_frames(annex_b(rtp), f"{where} ({gaps} gaps)")
    check(decoded >= fps * secs * 0.3, f"ffmpeg decoded {decoded} frames of {frames} received on {where}")
    return f"{where} TTL {ttl}: {len(rtp)} RTP, {frames} frames ({decoded} decoded), {gaps} gaps, {drops} dropped, {len(srs)} SR"


async def quiet_after(rx: GroupReceiver, what: str) -> None:
    """Nothing more reaches the group once it is stopped (after in-flight datagrams)."""
    await asyncio.sleep(0.5)
    n = len(rx.rtp())
    await asyncio.sleep(1.0)
    check(len(rx.rtp()) == n, f"RTP still sent to {rx.addr}:{rx.port} after {what}")


# -- RTSP ------------------------------------------------------------------------------------


async def rtsp_multicast(ctx, uri: str, transport: str = "RTP/AVP;multicast") -> tuple[RtspClient, dict]:
    """DESCRIBE and SETUP with RTP-Multicast/UDP (PLAY is the caller's, once it listens)."""
    c = RtspClient(uri, ctx.user, ctx.password)
    await c.connect()
    d = await c.describe()
    check(d.status == 200, f"DESCRIBE {d.status} {d.reason}")
    sdp = d.body.decode()
    check("m=video" in sdp and re.search(r"a=rtpmap:\d+ H264/90000", sdp), "SDP without an H.264 video media")
    check(not re.search(r"c=IN IP6", sdp), "SDP with an IPv6 address for an IPv4 stream URI")
    control = c.control_url(sdp, d.header("content-base") or uri)
    s = await c.request("SETUP", control, {"Transport": transport})
    check(s.status == 200, f"SETUP {transport}: {s.status} {s.reason}")
    tr = s.header("transport") or ""
    check("multicast" in tr and "unicast" not in tr, f"SETUP reply Transport {tr!r} is not multicast")
    dest = re.search(r"destination=([0-9.]+)", tr)
    port = re.search(r"port=(\d+)-(\d+)", tr)
    ssrc = re.search(r"ssrc=([0-9A-Fa-f]+)", tr)
    check(dest and port, f"SETUP reply Transport {tr!r} without destination and port")
    sess = s.header("session") or ""
    c.session = sess.split(";")[0].strip()
    check(len(c.session) >= 8, f"Session {sess!r}")
    return c, {
        "dest": dest.group(1), "ports": (int(port.group(1)), int(port.group(2))),
        "ssrc": int(ssrc.group(1), 16) if ssrc else None,
        "pt": int(re.search(r"a=rtpmap:(\d+) H264", sdp).group(1)), "transport": tr,
    }


async def play(c: RtspClient) -> None:
    p = await c.play()
    check(p.status == 200, f"PLAY {p.status} {p.reason}")
    check((p.header("session") or "").split(";")[0] == c.session, "PLAY Session differs")


async def teardown(c: RtspClient) -> None:
    try:
        t = await c.teardown()
        check(t.status == 200, f"TEARDOWN {t.status} {t.reason}")
    finally:
        await c.close()


def fps_of(vec) -> float:
    rc = vec["RateControl"] if isinstance(vec, dict) else vec.RateControl
    return float((rc["FrameRateLimit"] if isinstance(rc, dict) else rc.FrameRateLimit) or 25)


# -- the cases -------------------------------------------------------------------------------


@multicast_case("RTSS-1-2-15")
async def h264_multicast(ctx, pair, cam, m):
    profiles = await m.GetProfiles()
    profile = next((p for p in profiles if p.VideoEncoderConfiguration is not None and p.VideoEncoderConfiguration.Encoding == "H264"), None)
    check(profile is not None, "no profile with an H.264 encoder configuration")
    async with restored(m) as (vecs, removed):
        vec = next(v for v in vecs if v["token"] == profile.VideoEncoderConfiguration.token)
        addr, port, ttl = "239.20.15.1", 40000, 3
        vec = dict(vec, Encoding="H264", SessionTimeout="PT30S")
        await set_multicast(m, vec, addr, port, ttl)
        await strip_profile(m, profile, removed)
        uri = await multicast_uri(m, profile.token, pair.server_ip, cam.rtsp_port)
        c, seen = await rtsp_multicast(ctx, uri)
        try:
            check((seen["dest"], seen["ports"]) == (addr, (port, port + 1)), f"SETUP reply {seen['transport']!r}, configured {addr}:{port}")
            check(f"ttl={ttl}" in seen["transport"], f"SETUP reply {seen['transport']!r}, configured TTL {ttl}")
            rx = GroupReceiver(addr, port, pair.client_ip)
            try:
                drops0 = receive_drops()
                await play(c)
                await asyncio.sleep(STREAM_SECS)
                ctx.note(await check_group_stream(rx, pair.server_ip, fps=fps_of(vec), secs=STREAM_SECS,
                                                  drops=receive_drops() - drops0, pt=seen["pt"], ssrc=seen["ssrc"], ttl=ttl))
                await teardown(c)
                await quiet_after(rx, "the last TEARDOWN")
            finally:
                await rx.close()
        finally:
            await c.close()


@multicast_case("RTSS-1-2-21")
async def setup_destination(ctx, pair, cam, m):
    profiles = await m.GetProfiles()
    profile = next((p for p in profiles if p.VideoEncoderConfiguration is not None), None)
    check(profile is not None, "no profile with a video encoder configuration")
    async with restored(m) as (vecs, removed):
        vec = next(v for v in vecs if v["token"] == profile.VideoEncoderConfiguration.token)
        addr, port, ttl = "239.20.21.7", 40010, 2
        vec = dict(vec, SessionTimeout="PT30S")
        await set_multicast(m, vec, addr, port, ttl)
        await strip_profile(m, profile, removed)
        uri = await multicast_uri(m, profile.token, pair.server_ip, cam.rtsp_port)
        c, seen = await rtsp_multicast(ctx, uri, f"RTP/AVP;multicast;destination={addr};port={port}-{port + 1}")
        try:
            check((seen["dest"], seen["ports"]) == (addr, (port, port + 1)),
                  f"SETUP reply {seen['transport']!r}, asked destination={addr};port={port}-{port + 1}")
            rx = GroupReceiver(addr, port, pair.client_ip)
            try:
                drops0 = receive_drops()
                await play(c)
                await asyncio.sleep(STREAM_SECS)
                ctx.note(await check_group_stream(rx, pair.server_ip, fps=fps_of(vec), secs=STREAM_SECS,
                                                  drops=receive_drops() - drops0, pt=seen["pt"], ssrc=seen["ssrc"], ttl=ttl))
                await teardown(c)
                await quiet_after(rx, "the last TEARDOWN")
            finally:
                await rx.close()
        finally:
            await c.close()
    ctx.note("run on H.264 (JPEG is not offered)")


async def _start_stop(ctx, pair, cam, m, groups) -> None:
    """RTSS-1-2-19/20: every encoder configuration gets its group (checked with Get), then
    each is streamed with Start/StopMulticastStreaming on a profile using it."""
    async with restored(m) as (vecs, removed):
        check(len(groups) >= len(vecs), "more encoder configurations than groups to give")
        set_vecs = [await set_multicast(m, v, *g) for v, g in zip(vecs, groups)]
        profiles = await m.GetProfiles()
        notes = []
        for vec, (addr, port) in zip(set_vecs, groups):
            profile = next((p for p in profiles if p.VideoEncoderConfiguration is not None
                            and p.VideoEncoderConfiguration.token == vec["token"] and p.VideoSourceConfiguration is not None), None)
            check(profile is not None, f"no profile with {vec['token']} and a video source")
            await strip_profile(m, profile, removed, ("AudioEncoder", "AudioSource", "Metadata"))
            rx = GroupReceiver(addr, port, pair.client_ip)
            try:
                drops0 = receive_drops()
                await m.StartMulticastStreaming({"ProfileToken": profile.token})
                try:
                    await asyncio.sleep(STREAM_SECS)
                    drops = receive_drops() - drops0
                    notes.append(f"{vec['token']} " + await check_group_stream(
                        rx, pair.server_ip, fps=fps_of(vec), secs=STREAM_SECS, drops=drops))
                finally:
                    await m.StopMulticastStreaming({"ProfileToken": profile.token})
                await quiet_after(rx, "StopMulticastStreaming")
            finally:
                await rx.close()
        ctx.note("; ".join(notes))


@multicast_case("RTSS-1-2-19")
async def multicast_port(ctx, pair, cam, m):
    # The same group, a different port per encoder configuration.
    await _start_stop(ctx, pair, cam, m, [("239.20.19.1", 40100 + 2 * i) for i in range(8)])


@multicast_case("RTSS-1-2-20")
async def multicast_address(ctx, pair, cam, m):
    # The same port, a different group per encoder configuration.
    await _start_stop(ctx, pair, cam, m, [(f"239.20.20.{i + 1}", 40200) for i in range(8)])


async def _guaranteed(ctx, pair, cam, m, all_sources: bool) -> None:
    """RTSS-1-2-12/23: TotalNumber multicast streams of a video source configuration at once,
    through RTSP (one per encoder configuration: profiles sharing one share its group)."""
    vscs = await m.GetVideoSourceConfigurations()
    check(vscs, "no video source configuration")
    sources = vscs if all_sources else vscs[:1] + vscs[1:][-1:] + vscs[1:-1][:1]
    notes = []
    for vsc in sources:
        n = await m.GetGuaranteedNumberOfVideoEncoderInstances({"ConfigurationToken": vsc.token})
        total = n.TotalNumber
        check(total >= 1, f"TotalNumber {total}")
        async with restored(m) as (vecs, removed):
            profiles = [p for p in await m.GetProfiles()
                        if p.VideoSourceConfiguration is not None and p.VideoSourceConfiguration.token == vsc.token
                        and p.VideoEncoderConfiguration is not None]
            by_vec: dict[str, object] = {}
            for p in profiles:
                by_vec.setdefault(p.VideoEncoderConfiguration.token, p)
            created = []
            try:
                i = 0
                while len(by_vec) < total:
                    compatible = [v for v in await m.GetCompatibleVideoEncoderConfigurations({"ProfileToken": profiles[0].token})
                                  if v.token not in by_vec] if profiles else []
                    check(compatible, f"{len(by_vec)} encoder configurations for {vsc.token}, TotalNumber {total}")
                    tok = f"mcguar{i}"
                    i += 1
                    await m.CreateProfile({"Name": tok, "Token": tok})
                    created.append(tok)
                    await m.AddVideoSourceConfiguration({"ProfileToken": tok, "ConfigurationToken": vsc.token})
                    await m.AddVideoEncoderConfiguration({"ProfileToken": tok, "ConfigurationToken": compatible[0].token})
                    by_vec[compatible[0].token] = await m.GetProfile({"ProfileToken": tok})
                streams = []
                try:
                    for k, (vtok, p) in enumerate(list(by_vec.items())[:total]):
                        vec = next(v for v in vecs if v["token"] == vtok)
                        addr, port = f"239.20.{12 if not all_sources else 23}.{k + 1}", 40300 + 2 * k
                        await set_multicast(m, vec, addr, port)
                        await strip_profile(m, p, removed)
                        uri = await multicast_uri(m, p.token, pair.server_ip, cam.rtsp_port)
                        c, seen = await rtsp_multicast(ctx, uri)
                        streams.append((c, seen, vec, GroupReceiver(addr, port, pair.client_ip)))
                        check((seen["dest"], seen["ports"][0]) == (addr, port), f"SETUP reply {seen['transport']!r}, configured {addr}:{port}")
                    drops0 = receive_drops()
                    for c, *_ in streams:
                        await play(c)
                    await asyncio.sleep(STREAM_SECS)
                    drops = receive_drops() - drops0
                    for c, seen, vec, rx in streams:
                        # The RTSP reader ends when the camera closes the connection.
                        check(not c._tasks[0].done(), "RTSP connection closed by the camera during streaming")
                        await check_group_stream(rx, pair.server_ip, fps=fps_of(vec), secs=STREAM_SECS,
                                                 drops=drops, pt=seen["pt"], ssrc=seen["ssrc"])
                    for c, *_ in streams:
                        await teardown(c)
                finally:
                    for c, _, _, rx in streams:
                        await c.close()
                        await rx.close()
                notes.append(f"{vsc.token}: {total} multicast streams at once ({', '.join(s[1]['dest'] + ':' + str(s[1]['ports'][0]) for s in streams)})")
            finally:
                for tok in created:
                    await m.DeleteProfile({"ProfileToken": tok})
    ctx.note("; ".join(notes) + "; run on H.264 (JPEG is not offered)")


@multicast_case("RTSS-1-2-12")
async def guaranteed_multicast(ctx, pair, cam, m):
    await _guaranteed(ctx, pair, cam, m, all_sources=False)


@multicast_case("RTSS-1-2-23")
async def guaranteed_multicast_all(ctx, pair, cam, m):
    await _guaranteed(ctx, pair, cam, m, all_sources=True)
