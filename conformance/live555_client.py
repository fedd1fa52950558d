"""An RTSP client that logs in and plays exactly as live555's RTSPClient does (openRTSP, VLC's
RTSP input, many NVRs), for the cases where the real live555 is not installed. Every rule
below is live555's (liveMedia/RTSPClient.cpp, DigestAuthentication.cpp, unchanged since 2012):

- a 401 is read from the *last* `WWW-Authenticate` header that starts with `Digest` (a later
  Basic one does not replace it), with the fixed
  `sscanf("Digest realm=\"%[^\"]\", nonce=\"%[^\"]\", stale=%[a-zA-Z]")` and, failing that,
  `sscanf("Digest realm=\"%[^\"]\", nonce=\"%[^\"]\"")`: realm first, nonce second, stale
  only right after the nonce; anything else and live555 gives up (handleAuthenticationFailure);
- it retries only when the realm changed or `stale` was read, so a second plain 401 ends it;
- `Authorization: Digest username, realm, nonce, uri, response` and nothing else: no qop, nc,
  cnonce, opaque or algorithm, even when the server offers qop (RFC 2069 response
  `MD5(MD5(user:realm:pass):nonce:MD5(method:uri))`, computeDigestResponse);
- the digest `uri` is the client's *base URL* for every request
  (`createAuthenticatorString(cmd, fBaseURL)`): the URL it was given until DESCRIBE answers,
  then the `Content-Base`; so SETUP of `<base>/trackID=0` is signed over `<base>`;
- SETUP URL = session control (`*` means the base URL) + "/" unless it ends with one + the
  media's control; PLAY and TEARDOWN use the session URL.

usage: live555_client.py URL USER PASSWORD udp|tcp [SECONDS]
Prints one JSON line: {"ok", "packets", "idr", "sps", "requests", "statuses", "why"}.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import sys
import time
from urllib.parse import urlsplit

SSCANF_STALE = re.compile(r'Digest realm="([^"]+)", nonce="([^"]+)", stale=([a-zA-Z]+)')
SSCANF = re.compile(r'Digest realm="([^"]+)", nonce="([^"]+)"')


def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


class Live555Like:
    def __init__(self, url: str, user: str, password: str):
        self.base_url = url  # fBaseURL
        self.user, self.password = user, password
        self.realm = self.nonce = None  # fCurrentAuthenticator
        self.cseq = 0
        self.statuses: list[int] = []
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port or 554), timeout=15)
        self.buf = b""
        self.interleaved: list[bytes] = []

    def authenticator(self, cmd: str) -> str:
        if self.realm is None or self.nonce is None:
            return ""
        url = self.base_url
        ha1 = md5(f"{self.user}:{self.realm}:{self.password}")
        resp = md5(f"{ha1}:{self.nonce}:{md5(f'{cmd}:{url}')}")
        return (f'Authorization: Digest username="{self.user}", realm="{self.realm}", '
                f'nonce="{self.nonce}", uri="{url}", response="{resp}"\r\n')

    def handle_authentication_failure(self, params: str | None) -> bool:
        if params is None:
            return False
        realm_changed, stale = False, False
        m = SSCANF_STALE.match(params)
        if m:
            realm, nonce, st = m.groups()
            stale = st.lower().startswith("true")
        else:
            m = SSCANF.match(params)
            if not m:
                return False  # bad "WWW-Authenticate:" header
            realm, nonce = m.groups()
        realm_changed = self.realm is None or self.realm != realm
        self.realm, self.nonce = realm, nonce
        return realm_changed or stale

    def read_response(self) -> tuple[int, dict[str, list[str]], bytes]:
        while True:
            # Interleaved RTP ($) may come before the reply.
            while self.buf[:1] == b"$":
                if len(self.buf) < 4:
                    break
                n = struct.unpack("!H", self.buf[2:4])[0]
                if len(self.buf) < 4 + n:
                    break
                self.interleaved.append(self.buf[4 : 4 + n])
                self.buf = self.buf[4 + n :]
            i = self.buf.find(b"\r\n\r\n")
            if self.buf[:1] != b"$" and i >= 0:
                head = self.buf[:i].decode("latin-1").split("\r\n")
                headers: dict[str, list[str]] = {}
                for line in head[1:]:
                    k, _, v = line.partition(":")
                    headers.setdefault(k.strip().lower(), []).append(v.strip())
                n = int(headers.get("content-length", ["0"])[0])
                if len(self.buf) >= i + 4 + n:
                    body = self.buf[i + 4 : i + 4 + n]
                    self.buf = self.buf[i + 4 + n :]
                    return int(head[0].split()[1]), headers, body
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buf += data

    def request(self, cmd: str, url: str, extra: str = "") -> tuple[int, dict[str, list[str]], bytes]:
        while True:
            self.cseq += 1
            msg = (f"{cmd} {url} RTSP/1.0\r\nCSeq: {self.cseq}\r\n{self.authenticator(cmd)}{extra}"
                   f"User-Agent: live555-like (nvt conformance)\r\n\r\n")
            self.sock.sendall(msg.encode())
            status, headers, body = self.read_response()
            self.statuses.append(status)
            if status != 401:
                return status, headers, body
            last_digest = None
            for v in headers.get("www-authenticate", []):
                if last_digest is None or v[:6].lower() == "digest":
                    last_digest = v
            if not self.handle_authentication_failure(last_digest):
                return status, headers, body


def nal_types(payload: bytes) -> set[int]:
    t = payload[0] & 0x1F
    if t == 28 and len(payload) > 1:  # FU-A: the type of the fragmented NAL
        return {payload[1] & 0x1F}
    if t == 24:  # STAP-A
        out, i = set(), 1
        while i + 2 < len(payload):
            n = struct.unpack("!H", payload[i : i + 2])[0]
            out.add(payload[i + 2] & 0x1F)
            i += 2 + n
        return out
    return {t}


def rtp_payload(p: bytes) -> bytes:
    cc = p[0] & 0x0F
    off = 12 + 4 * cc
    if p[0] & 0x10:
        off += 4 + 4 * struct.unpack("!H", p[off + 2 : off + 4])[0]
    return p[off:]


def main() -> int:
    url, user, password, transport = sys.argv[1:5]
    secs = float(sys.argv[5]) if len(sys.argv) > 5 else 4.0
    out = {"ok": False, "packets": 0, "idr": False, "sps": False}
    c = None
    try:
        c = Live555Like(url, user, password)
        st, _, _ = c.request("OPTIONS", c.base_url)
        assert st == 200, f"OPTIONS {st}"
        st, h, body = c.request("DESCRIBE", c.base_url, "Accept: application/sdp\r\n")
        assert st == 200, f"DESCRIBE {st}"
        if "content-base" in h:
            c.base_url = h["content-base"][0]  # setBaseURL(Content-Base)
        sdp = body.decode()
        session_control = None
        media_control = None
        in_media = False
        for line in sdp.splitlines():
            if line.startswith("m=video"):
                in_media = True
            elif line.startswith("a=control:"):
                if in_media:
                    media_control = line[len("a=control:") :]
                else:
                    session_control = line[len("a=control:") :]
        session_url = c.base_url if session_control in (None, "*") else session_control
        suffix = media_control or ""
        if ":" in suffix.split("/")[0]:
            setup_url = suffix
        else:
            sep = "" if (not session_url or session_url.endswith("/") or suffix.startswith("/")) else "/"
            setup_url = session_url + sep + suffix
        udp = None
        if transport == "udp":
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("0.0.0.0", 0))
            port = udp.getsockname()[1]
            if port % 2:
                udp.close()
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                udp.bind(("0.0.0.0", 0))
                port = udp.getsockname()[1]
            tr = f"Transport: RTP/AVP;unicast;client_port={port}-{port + 1}\r\n"
        else:
            tr = "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
        st, h, _ = c.request("SETUP", setup_url, tr)
        assert st == 200, f"SETUP {setup_url} {st}"
        session = h["session"][0].split(";")[0]
        st, _, _ = c.request("PLAY", session_url, f"Session: {session}\r\nRange: npt=0.000-\r\n")
        assert st == 200, f"PLAY {st}"
        deadline = time.time() + secs
        packets: list[bytes] = []
        if udp is not None:
            udp.settimeout(0.5)
            while time.time() < deadline:
                try:
                    packets.append(udp.recv(65536))
                except socket.timeout:
                    pass
        else:
            c.sock.settimeout(0.5)
            while time.time() < deadline:
                try:
                    data = c.sock.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                c.buf += data
                while c.buf[:1] == b"$" and len(c.buf) >= 4:
                    n = struct.unpack("!H", c.buf[2:4])[0]
                    if len(c.buf) < 4 + n:
                        break
                    if c.buf[1] == 0:
                        packets.append(c.buf[4 : 4 + n])
                    c.buf = c.buf[4 + n :]
            packets += [p for p in c.interleaved]
        types: set[int] = set()
        for p in packets:
            if len(p) > 12:
                types |= nal_types(rtp_payload(p))
        st, _, _ = c.request("TEARDOWN", session_url, f"Session: {session}\r\n")
        out.update(packets=len(packets), idr=5 in types, sps=7 in types, teardown=st)
        out["ok"] = len(packets) > 0 and 5 in types and 7 in types
        if not out["ok"]:
            out["why"] = "no video received"
    except Exception as e:  # reported, not raised: the caller reads the JSON line
        out["why"] = f"{type(e).__name__}: {e}"
    if c is not None:
        out["statuses"] = c.statuses
    print(json.dumps(out), flush=True)
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
