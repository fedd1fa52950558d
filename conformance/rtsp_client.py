"""A small RTSP 1.0 client for the streaming test cases: the steps of the RTSS test IDs need to
see every header and packet (RTP-Info, Session timeout, RTCP sender reports, keepalives,
base64 line breaks in the HTTP tunnel), which ffmpeg and GStreamer hide. Digest auth
(RFC 2617, MD5), UDP (RFC 2326 s12.39 client_port), TCP interleaved (s10.12) and the
RTSP-over-HTTP tunnel (x-sessioncookie GET/POST).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import socket
import struct
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Packet:
    """One RTP or RTCP packet as received (channel: interleaved channel or UDP port role)."""

    rtcp: bool
    data: bytes
    at: float

    @property
    def seq(self) -> int:
        return struct.unpack("!H", self.data[2:4])[0]

    @property
    def timestamp(self) -> int:
        return struct.unpack("!I", self.data[4:8])[0]

    @property
    def ssrc(self) -> int:
        return struct.unpack("!I", self.data[8:12])[0]

    @property
    def payload(self) -> bytes:
        cc = self.data[0] & 0x0F
        off = 12 + 4 * cc
        if self.data[0] & 0x10:  # header extension
            ext_len = struct.unpack("!H", self.data[off + 2 : off + 4])[0]
            off += 4 + 4 * ext_len
        return self.data[off:]

    def nal_types(self) -> list[int]:
        """H.264 NAL unit types carried (RFC 6184: single NAL, STAP-A, FU-A start)."""
        p = self.payload
        if not p:
            return []
        t = p[0] & 0x1F
        if t == 24:  # STAP-A
            out, i = [], 1
            while i + 2 < len(p):
                n = struct.unpack("!H", p[i : i + 2])[0]
                out.append(p[i + 2] & 0x1F)
                i += 2 + n
            return out
        if t == 28:  # FU-A: type of the fragmented NAL on its start fragment
            return [p[1] & 0x1F] if p[1] & 0x80 else []
        return [t]


_NC: dict[str, int] = {}


def digest_header(method: str, uri: str, user: str, password: str, challenge: str) -> str:
    """RFC 2617 s3.2.2 response; the nonce count goes up with each use of a nonce (servers
    refuse a repeated one as a replay)."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = params["realm"], params["nonce"]
    _NC[nonce] = nc = _NC.get(nonce, 0) + 1
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    if "qop" in params:
        cnonce = os.urandom(8).hex()
        resp = hashlib.md5(f"{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        return (
            f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{resp}", qop=auth, nc={nc:08x}, cnonce="{cnonce}", algorithm=MD5'
        )
    resp = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    return f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", response="{resp}"'


class RtspClient:
    """One RTSP connection. `tunnel=True` carries it in the HTTP tunnel (GET for answers and
    media, POSTs of base64 requests; `line_breaks` splits that base64 every 20 characters)."""

    def __init__(self, url: str, user: str, password: str, *, tunnel: bool = False, line_breaks: bool = False):
        self.url = url
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port or 554
        self.user, self.password = user, password
        self.tunnel, self.line_breaks = tunnel, line_breaks
        self.cseq = 0
        self.session: str | None = None
        self.challenge: str | None = None
        self.packets: list[Packet] = []
        self._pending: asyncio.Queue[Response] = asyncio.Queue()
        self._udp: list[socket.socket] = []
        self._tasks: list[asyncio.Task] = []

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        if self.tunnel:
            cookie = os.urandom(8).hex()
            path = urlsplit(self.url).path or "/"
            self.writer.write(
                f"GET {path} HTTP/1.0\r\nx-sessioncookie: {cookie}\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n".encode()
            )
            await self.writer.drain()
            status = await self.reader.readline()
            if b" 200 " not in status:
                raise ConnectionError(f"tunnel GET refused: {status!r}")
            while (await self.reader.readline()) not in (b"\r\n", b""):
                pass
            self._post_reader, self._post = await asyncio.open_connection(self.host, self.port)
            self._post.write(
                f"POST {path} HTTP/1.0\r\nx-sessioncookie: {cookie}\r\nContent-Type: application/x-rtsp-tunnelled\r\n"
                "Content-Length: 32767\r\n\r\n".encode()
            )
            await self._post.drain()
        self._tasks.append(asyncio.create_task(self._read_loop()))

    async def _read_loop(self) -> None:
        r = self.reader
        try:
            while True:
                first = await r.readexactly(1)
                if first == b"$":
                    ch, n = struct.unpack("!BH", await r.readexactly(3))
                    data = await r.readexactly(n)
                    self.packets.append(Packet(rtcp=bool(ch % 2), data=data, at=time.monotonic()))
                    continue
                line = first + await r.readline()
                if not line.startswith(b"RTSP/1.0"):
                    continue
                m = re.match(rb"RTSP/1.0 (\d+) ?(.*)\r\n", line)
                headers: dict[str, str] = {}
                while True:
                    h = await r.readline()
                    if h in (b"\r\n", b""):
                        break
                    k, _, v = h.decode().partition(":")
                    key = k.strip().lower()
                    headers[key] = (headers[key] + ", " + v.strip()) if key in headers else v.strip()
                body = await r.readexactly(int(headers.get("content-length", "0")))
                await self._pending.put(Response(int(m.group(1)), m.group(2).decode(), headers, body))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return

    async def request(self, method: str, uri: str | None = None, headers: dict[str, str] | None = None, *, auth: bool = True) -> Response:
        uri = uri or self.url
        for attempt in range(2):
            self.cseq += 1
            h = {"CSeq": str(self.cseq), "User-Agent": "nvt-conformance"}
            if self.session:
                h["Session"] = self.session
            if auth and self.challenge:
                h["Authorization"] = digest_header(method, uri, self.user, self.password, self.challenge)
            h.update(headers or {})
            msg = f"{method} {uri} RTSP/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
            await self._send(msg.encode())
            resp = await asyncio.wait_for(self._pending.get(), 10)
            if resp.status == 401 and auth and attempt == 0:
                www = resp.header("www-authenticate") or ""
                m = re.search(r"Digest [^\n]*", www)
                if m:
                    self.challenge = m.group(0)
                    continue
            return resp
        return resp

    async def _send(self, data: bytes) -> None:
        if self.tunnel:
            b = base64.b64encode(data)
            if self.line_breaks:
                b = b"\r\n".join(b[i : i + 20] for i in range(0, len(b), 20)) + b"\r\n"
            self._post.write(b)
            await self._post.drain()
        else:
            self.writer.write(data)
            await self.writer.drain()

    async def describe(self) -> Response:
        return await self.request("DESCRIBE", headers={"Accept": "application/sdp"})

    def control_url(self, sdp: str, base: str) -> str:
        """The video media's a=control, resolved against the Content-Base (RFC 2326 C.1.1)."""
        video = sdp.split("m=video", 1)[1] if "m=video" in sdp else sdp
        m = re.search(r"a=control:(\S+)", video)
        ctrl = m.group(1) if m else "*"
        if ctrl.startswith("rtsp://"):
            return ctrl
        return base.rstrip("/") + "/" + ctrl if ctrl != "*" else base

    async def setup_tcp(self, control: str, channels=(0, 1), headers: dict[str, str] | None = None) -> Response:
        r = await self.request("SETUP", control, {"Transport": f"RTP/AVP/TCP;unicast;interleaved={channels[0]}-{channels[1]}", **(headers or {})})
        self._take_session(r)
        return r

    async def setup_udp(self, control: str, headers: dict[str, str] | None = None) -> Response:
        rtp, rtcp = _udp_pair()
        self._udp += [rtp, rtcp]  # every track's pair, closed with the client
        port = rtp.getsockname()[1]
        r = await self.request("SETUP", control, {"Transport": f"RTP/AVP;unicast;client_port={port}-{port + 1}", **(headers or {})})
        self._take_session(r)
        loop = asyncio.get_running_loop()
        for s, is_rtcp in ((rtp, False), (rtcp, True)):
            s.setblocking(False)
            self._tasks.append(asyncio.create_task(self._udp_loop(loop, s, is_rtcp)))
        return r

    async def _udp_loop(self, loop, s: socket.socket, rtcp: bool) -> None:
        try:
            while True:
                data = await loop.sock_recv(s, 65536)
                self.packets.append(Packet(rtcp=rtcp, data=data, at=time.monotonic()))
        except (OSError, asyncio.CancelledError):
            return

    def _take_session(self, r: Response) -> None:
        s = r.header("session")
        if s and r.status == 200:
            self.session = s.split(";")[0].strip()

    async def play(self, headers: dict[str, str] | None = None) -> Response:
        return await self.request("PLAY", self.url, {"Range": "npt=0.000-", **(headers or {})})

    async def teardown(self, headers: dict[str, str] | None = None) -> Response:
        return await self.request("TEARDOWN", self.url, headers)

    def rtp(self) -> list[Packet]:
        return [p for p in self.packets if not p.rtcp]

    def rtcp_sender_reports(self) -> list[Packet]:
        return [p for p in self.packets if p.rtcp and len(p.data) >= 8 and p.data[1] == 200]

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        # Let the cancelled readers unregister their sockets before the sockets close.
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for s in self._udp:
            s.close()
        for w in [getattr(self, "writer", None), getattr(self, "_post", None)]:
            if w is not None:
                w.close()


def _udp_pair() -> tuple[socket.socket, socket.socket]:
    """Two UDP sockets on an even/odd port pair (RFC 3550 s11)."""
    for _ in range(100):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        if port % 2:
            a.close()
            continue
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            b.bind(("127.0.0.1", port + 1))
            return a, b
        except OSError:
            a.close()
            b.close()
    raise OSError("no free UDP port pair")


def sequence_gaps(packets: list[Packet]) -> int:
    """RTP sequence numbers skipped (16-bit wrap aware)."""
    gaps, prev = 0, None
    for p in packets:
        if prev is not None:
            gaps += (p.seq - prev - 1) & 0xFFFF
        prev = p.seq
    return gaps
