#!/usr/bin/env python3
"""PTZ timing and accuracy against the picture (issue 17), driven by bench/ptz.sh.

Standard library only (no numpy or PIL on the build machines): SOAP over one kept-alive
http.client connection with a WS-Security PasswordDigest UsernameToken, snapshots with
curl --digest, the RTSP stream decoded by ffmpeg to raw 8-bit luma.

Where a frame was captured comes from the frame itself: the simulator burns its capture
instant (UTC, milliseconds, truncated) into the clock band and, away from home, the head's
position as the renderer saw it (sdk-sys/src/sim/pattern.rs, 5x7 font at 4x from
sdk-sys/src/sim/font.rs). Reading that text back maps every decoded frame to the wall clock
to +-0.5 ms, with no RTCP and no guess at the network and decoder delay (the camera and this
client share the machine's CLOCK_REALTIME).

Where the head points comes from the world's geometry (sdk-sys/src/sim/panorama.rs): grid
lines every 10 degrees of pan and tilt, 1/6 degree wide, and column x of a 1280x720 picture
sees pan + (x + 1/2 - 640) * (3/64) / zoom degrees (row y: tilt - (y + 1/2 - 360) * ...).

  ptz.py frames URL            reader (a process of its own, so decoding never holds the
                               measuring process's GIL): one JSON line per decoded frame
  ptz.py run --http P --rtsp P --password PW [--moves N]
                               the measurements; prints Markdown tables
"""

import argparse
import base64
import calendar
import hashlib
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

W, H = 1280, 720
BAND = 120  # the clock band overlay: rows 0..120 (pattern.rs CLOCK_BAND_END)
DEG_PER_PX = 3 / 64  # at 1x (panorama.rs: 60 degrees / 1280 pixels)
GRID_DEG = 10.0
GRID_WIDTH_DEG = 1 / 6
# The head (sdk-sys/src/sim/ptz.rs) and the generic spaces (src/onvif/ptz/spaces.rs): linear.
PAN, TILT, ZOOM = (-170.0, 170.0), (-45.0, 45.0), (1.0, 10.0)

# sdk-sys/src/sim/font.rs: rows top first, bit 4 the leftmost column.
FONT = {
    "0": [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
    "1": [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
    "2": [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
    "3": [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
    "4": [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
    "5": [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
    "6": [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
    "7": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
    "8": [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
    "9": [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
    ":": [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
    "-": [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
    ".": [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
    "+": [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
    " ": [0] * 7,
    "P": [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
    "T": [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
    "Z": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
    "x": [0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11],
}
GLYPHS = {c: [(rows[r] >> (4 - col)) & 1 for r in range(7) for col in range(5)]
          for c, rows in FONT.items()}
SCALE, ADVANCE, TEXT_Y = 4, 6, 20
CHANGED = 3  # sample pixels (of 37 rows x 1280) changed by > 40 that make a frame "changed"
CLOCK_X = 24  # the UTC clock's left edge (pattern.rs draw_band_text)
POSITION_END = W - 24  # the position text's right edge (pattern.rs POSITION_RIGHT)


def read_char(frame, x, y=TEXT_Y, alphabet=None):
    """The glyph drawn with its top-left corner at (x, y), or '?' (sampled at the centre of
    each 4x4 font pixel; text is 235 or 200 on 32, so 128 separates them after coding)."""
    bits = [1 if frame[(y + r * SCALE + 2) * W + x + col * SCALE + 2] > 128 else 0
            for r in range(7) for col in range(5)]
    best, dist = "?", 99
    for c, g in GLYPHS.items():
        if alphabet is not None and c not in alphabet:
            continue
        d = sum(a != b for a, b in zip(bits, g))
        if d < dist:
            best, dist = c, d
    return best if dist <= 3 else "?"


def capture_utc(frame):
    """The burned-in capture instant 'YYYY-MM-DD HH:MM:SS.mmm' as Unix seconds (the middle
    of the truncated millisecond), or None if unreadable."""
    s = "".join(read_char(frame, CLOCK_X + i * ADVANCE * SCALE) for i in range(23))
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})", s)
    if not m:
        return None
    y, mo, d, h, mi, se, ms = map(int, m.groups())
    return calendar.timegm((y, mo, d, h, mi, se)) + (ms + 0.5) / 1000


def frame_number(frame):
    """The burned-in frame counter ('NVT SIM  FRAME 00001234' at y 68): capture instants
    are tick k of the 25 fps grid anchored at Init, so the clock minus k * 40 ms is the
    same for every frame of a run; a frame whose two readings disagree was misread."""
    s = "".join(read_char(frame, CLOCK_X + (15 + i) * ADVANCE * SCALE, 68, "0123456789")
                for i in range(8))
    return int(s) if s.isdigit() else None


def burned_position(frame):
    """The position the renderer burned in ('P +12.34 T -5.00 Z 2.00x', right-aligned),
    in degrees and x, or None (at home there is none)."""
    chars = []
    for j in range(1, 30):
        x = POSITION_END + 4 - j * ADVANCE * SCALE
        if x < 0:
            return None
        c = read_char(frame, x)
        chars.append(c)
        if c == "P":
            break
    m = re.fullmatch(r"P ([+-]\d+\.\d\d) T ([+-]\d+\.\d\d) Z (\d+\.\d\d)x", "".join(reversed(chars)))
    return tuple(float(v) for v in m.groups()) if m else None


def runs(line, width):
    """Centres (pixel-centre coordinates: pixel i covers [i, i+1)) and widths, in pixels, of
    the grid-line runs in one row or column of luma: pixels clearly brighter than the sky
    or ground around them (the line is luma 200, sky <= 140, ground <= 110), of about the
    width a 1/6-degree line has at this zoom. Centre: centroid of the excess over the local
    background; width: that excess over the line's own contrast (robust to coding blur)."""
    n, out, i = len(line), [], 0
    lo, hi = 0.5 * width - 2, 1.6 * width + 2
    while i < n:
        if line[i] < 170:
            i += 1
            continue
        j = i
        while j < n and line[j] >= 170:
            j += 1
        if lo <= j - i <= hi and i >= 4 and j + 4 <= n:
            bg = (line[i - 4] + line[i - 3] + line[j + 2] + line[j + 3]) / 4
            # The line's own level: its plateau when it is wide enough to have one (the
            # snapshot's JPEG is full range, the stream's decode limited: not a constant).
            top = statistics.median(line[i + 1:j - 1]) if j - i >= 5 else max(line[i:j])
            if bg < 150 and top - bg > 40:
                ws = [(k + 0.5, max(0.0, line[k] - bg)) for k in range(i - 2, j + 2)]
                area = sum(w for _, w in ws)
                out.append((sum(p * w for p, w in ws) / area, area / (top - bg)))
        i = j
    return out


def lines_in(frame, zoom, rows=None, cols=None):
    """Vertical grid lines (centre x, width) found on sample rows and horizontal ones
    (centre y, width) on sample columns below the band: each kept if most samples agree,
    as the median of them."""
    width = GRID_WIDTH_DEG / (DEG_PER_PX / zoom)

    def cluster(found, samples):
        found.sort()
        groups, cur = [], []
        for c, w in found:
            if cur and c - cur[-1][0] > 2:
                groups.append(cur)
                cur = []
            cur.append((c, w))
        if cur:
            groups.append(cur)
        return [(statistics.median(c for c, _ in g), statistics.median(w for _, w in g))
                for g in groups if len(g) >= max(2, samples // 2)]

    rows = rows if rows is not None else range(BAND + 12, H - 4, 24)
    cols = cols if cols is not None else range(20, W - 20, 60)
    v = [r for y in rows for r in runs(frame[y * W:(y + 1) * W], width)]
    h = [(BAND + c, w) for x in cols for c, w in runs(frame[BAND * W + x::W], width)]
    return cluster(v, len(rows)), cluster(h, len(cols))


def pointing(vlines, hlines, guess):
    """Where the picture says the head points, from its grid lines and a guess (pan, tilt,
    zoom) within 5 degrees (to name each line's angle): (pan, tilt, zoom) with None for what
    no line shows. Zoom from the spacing of two lines 10 degrees apart if the picture shows
    two, else from a line's width."""
    gp, gt, gz = guess
    s = DEG_PER_PX / gz
    # Each line's angle: the multiple of 10 degrees nearest to where the guess puts it.
    pan_lines = [(round((gp + (x - W / 2) * s) / GRID_DEG) * GRID_DEG, x) for x, _ in vlines]
    tilt_lines = [(round((gt - (y - H / 2) * s) / GRID_DEG) * GRID_DEG, y) for y, _ in hlines]
    spacings = [b[0] - a[0] for a, b in zip(vlines, vlines[1:])] + \
               [b[0] - a[0] for a, b in zip(hlines, hlines[1:])]
    spacings = [d for d in spacings if abs(d * DEG_PER_PX / gz - GRID_DEG) < 2]
    if spacings:
        zoom = statistics.mean(spacings) * DEG_PER_PX / GRID_DEG
    else:
        widths = [w for _, w in vlines + hlines]
        zoom = statistics.mean(widths) * DEG_PER_PX / GRID_WIDTH_DEG if widths else None
    # The measured scale where the picture gives one (two lines), else the guessed zoom's:
    # a line's width is too coarse a ruler to place a line far from the centre.
    s = DEG_PER_PX / (zoom if spacings else gz)
    pans = [a - (x - W / 2) * s for a, x in pan_lines]
    tilts = [a + (y - H / 2) * s for a, y in tilt_lines]
    mean = lambda v: statistics.mean(v) if v else None  # noqa: E731
    return mean(pans), mean(tilts), zoom


# ---------------------------------------------------------------- the frame reader process

def frames(url, zoom):
    """Decodes the stream and prints one JSON line per frame: arrival time, the burned-in
    capture instant and position, how many sampled pixels below the band changed by more
    than 40 since the previous frame, and the vertical grid lines on the rows above the
    horizon-level landmarks."""
    ff = subprocess.Popen(
        # One decoder thread: frame threading would hold frames back (one per thread).
        ["ffmpeg", "-hide_banner", "-v", "error", "-fflags", "nobuffer", "-flags", "low_delay",
         "-rtsp_transport", "tcp", "-threads", "1", "-i", url, "-map", "0:v", "-f", "rawvideo", "-pix_fmt",
         "gray", "-"], stdout=subprocess.PIPE)
    # Stopped by the measuring process: take ffmpeg along, quietly (no broken-pipe noise).
    signal.signal(signal.SIGTERM, lambda *_: (ff.kill(), os._exit(0)))
    prev = None
    sample_rows = range(BAND + 8, H, 16)
    out = sys.stdout
    while True:
        frame = ff.stdout.read(W * H)
        if len(frame) < W * H:
            break
        arrival = time.time()
        # Changed sample pixels, counted up to the threshold the measurement uses (3):
        # at rest rows are byte-equal and cost nothing; moving, the first row decides.
        changed = 0
        if prev is not None:
            for y in sample_rows:
                a, b = frame[y * W:(y + 1) * W], prev[y * W:(y + 1) * W]
                if a != b:
                    changed += sum(1 for p, q in zip(a, b) if abs(p - q) > 40)
                    if changed >= CHANGED:
                        break
        prev = frame
        v, _ = lines_in(frame, zoom, rows=range(BAND + 10, BAND + 190, 30), cols=[])
        out.write(json.dumps({"arrival": arrival, "utc": capture_utc(frame),
                              "number": frame_number(frame),
                              "pos": burned_position(frame), "changed": changed,
                              "vlines": v}) + "\n")
        out.flush()


class Reader:
    """The frame reader as a child process; frames collected by a thread."""

    def __init__(self, url, zoom=1.0):
        self.proc = subprocess.Popen([sys.executable, __file__, "frames", url, "--zoom", str(zoom)],
                                     stdout=subprocess.PIPE, text=True)
        self.frames, self.lock, self.misread = [], threading.Lock(), 0
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self):
        anchors = []
        for line in self.proc.stdout:
            f = json.loads(line)
            # Keep a frame only if its clock and its counter agree (see frame_number).
            if f["utc"] is not None and f["number"] is not None:
                anchors.append(f["utc"] - f["number"] * 0.04)
                anchor = statistics.median(anchors[-50:])
                ok = abs(f["utc"] - f["number"] * 0.04 - anchor) < 0.0015
            else:
                ok = False
            with self.lock:
                self.misread += not ok
                if not ok:
                    f["utc"] = None
                self.frames.append(f)

    def since(self, t):
        with self.lock:
            return [f for f in self.frames if f["utc"] is not None and f["utc"] >= t]

    def wait_frames(self, n, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if len(self.frames) >= n:
                    return
            time.sleep(0.05)
        raise RuntimeError("no frames from the stream")

    def close(self):
        self.proc.terminate()
        self.proc.wait()


# ---------------------------------------------------------------- SOAP

class Soap:
    """PTZ calls on one kept-alive connection, WS-Security UsernameToken PasswordDigest
    (UsernameToken Profile 1.0 s.3.1) with a fresh nonce each."""

    def __init__(self, port, password):
        self.port, self.password = port, password
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def call(self, body):
        nonce = os.urandom(16)
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        digest = base64.b64encode(hashlib.sha1(nonce + created.encode() +
                                               self.password.encode()).digest()).decode()
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><s:Envelope '
            'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" '
            'xmlns:tt="http://www.onvif.org/ver10/schema"><s:Header><wsse:Security '
            'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" '
            'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
            '<wsse:UsernameToken><wsse:Username>admin</wsse:Username><wsse:Password '
            'Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">'
            f'{digest}</wsse:Password><wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f'<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>'
            f'</s:Header><s:Body>{body}</s:Body></s:Envelope>')
        for attempt in range(2):
            try:
                self.conn.request("POST", "/onvif/ptz_service", xml,
                                  {"Content-Type": "application/soap+xml"})
                r = self.conn.getresponse()
                text = r.read().decode()
                break
            except (http.client.HTTPException, OSError):
                # The server closed the kept-alive connection: once more on a new one.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port)
                if attempt:
                    raise
        if r.status != 200:
            raise RuntimeError(f"{body[:60]}: HTTP {r.status}: {text[:400]}")
        return text

    def status(self):
        """GetStatus: (sent, replied, pan deg, tilt deg, zoom x, pan/tilt state, zoom state)."""
        sent = time.time()
        x = self.call("<tptz:GetStatus><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GetStatus>")
        replied = time.time()
        pos = re.search(r"<[\w]*:?Position>(.*?)</[\w]*:?Position>", x).group(1)
        pt = re.search(r'PanTilt[^>]*?x="([^"]+)"[^>]*?y="([^"]+)"', pos)
        z = re.search(r'Zoom[^>]*?x="([^"]+)"', pos)
        ms = re.search(r"MoveStatus>(.*?)</[\w]*:?MoveStatus", x).group(1)
        states = re.findall(r"(IDLE|MOVING|UNKNOWN)", ms)
        return (sent, replied, generic_to_deg(float(pt.group(1)), PAN),
                generic_to_deg(float(pt.group(2)), TILT),
                ZOOM[0] + float(z.group(1)) * (ZOOM[1] - ZOOM[0]), states[0], states[1])

    def absolute(self, pan, tilt, zoom):
        return self.call(
            "<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position>"
            f'<tt:PanTilt x="{deg_to_generic(pan, PAN):.6f}" y="{deg_to_generic(tilt, TILT):.6f}"/>'
            f'<tt:Zoom x="{(zoom - ZOOM[0]) / (ZOOM[1] - ZOOM[0]):.6f}"/></tptz:Position>'
            # Top speed, not the configuration's default: figures that do not depend on it.
            '<tptz:Speed><tt:PanTilt x="1" y="1"/><tt:Zoom x="1"/></tptz:Speed>'
            "</tptz:AbsoluteMove>")

    def continuous(self, vx, vy=0.0):
        return self.call(
            "<tptz:ContinuousMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Velocity>"
            f'<tt:PanTilt x="{vx}" y="{vy}"/></tptz:Velocity></tptz:ContinuousMove>')

    def stop(self):
        return self.call("<tptz:Stop><tptz:ProfileToken>main</tptz:ProfileToken>"
                         "<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom></tptz:Stop>")

    def wait_idle(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            s = self.status()
            if s[5] == "IDLE" and s[6] == "IDLE":
                return s
            time.sleep(0.02)
        raise RuntimeError("the head never came to rest")


def generic_to_deg(v, rng):
    return rng[0] + (v + 1) / 2 * (rng[1] - rng[0])


def deg_to_generic(d, rng):
    return (d - rng[0]) / (rng[1] - rng[0]) * 2 - 1


# ---------------------------------------------------------------- statistics and output

def pct(v, p):
    """The p-th percentile, nearest rank."""
    s = sorted(v)
    return s[min(len(s) - 1, max(0, -(-len(s) * p // 100) - 1))]


def dist(v, unit="ms", scale=1000.0, digits=1):
    """median / p95 / min..max of a magnitude."""
    if not v:
        return "n/a"
    v = [x * scale for x in v]
    f = f"{{:.{digits}f}}"
    return (f"{f.format(statistics.median(v))} / {f.format(pct(v, 95))} / "
            f"{f.format(min(v))}..{f.format(max(v))} {unit} (n={len(v)})")


def signed(v, unit, scale=1.0, digits=3):
    """A signed error: its median (the bias), then the p95 of its size, and its range."""
    if not v:
        return "n/a"
    v = [x * scale for x in v]
    f = f"{{:+.{digits}f}}"
    return (f"median {f.format(statistics.median(v))}, p95 of size "
            f"{f.format(pct([abs(x) for x in v], 95))[1:]}, range {f.format(min(v))}.."
            f"{f.format(max(v))} {unit} (n={len(v)})")


# ---------------------------------------------------------------- the measurements

START = (95.0, 20.0)  # 1x: pan 65..125, tilt 3..37: sky, grid, the yellow square; no tile


def motion_by_status(soap, n):
    """1a: command reply -> first GetStatus reply showing MOVING and a changed position,
    GetStatus polled back to back. AbsoluteMove by 5 degrees (alternating), and
    ContinuousMove at pan velocity 0.5 (60 deg/s)."""
    res = {"absolute": [], "continuous": [], "moving_only": [], "rtt": [], "polls": []}
    soap.absolute(*START, 1.0)
    soap.wait_idle()
    for i in range(n):
        for kind in ("absolute", "continuous"):
            before = soap.wait_idle()
            time.sleep(0.1 + random.uniform(0, 0.04))  # no phase lock to the frame grid
            if kind == "absolute":
                target = START[0] + 5.0 if abs(before[2] - START[0]) < 0.5 else START[0]
                soap.absolute(target, START[1], 1.0)
            else:
                soap.continuous(0.5)
            replied = time.time()
            polls, first_moving = 0, None
            while True:
                s = soap.status()
                polls += 1
                res["rtt"].append(s[1] - s[0])
                if s[5] == "MOVING" and first_moving is None:
                    first_moving = s[1] - replied
                if s[5] == "MOVING" and (s[2], s[3]) != (before[2], before[3]):
                    res[kind].append(s[1] - replied)
                    break
                if polls > 1000:
                    raise RuntimeError(f"{kind}: no motion seen")
            res["moving_only"].append(first_moving)
            res["polls"].append(polls)
            if kind == "continuous":
                soap.stop()
                soap.wait_idle()
                soap.absolute(*START, 1.0)
    return res


def motion_by_picture(soap, reader, n):
    """1b: command sent -> the first frame (capture instant, and arrival at this client)
    whose picture below the band changed. Same moves as 1a; the stream is the only load."""
    res = {"absolute": [], "continuous": [], "abs_arrival": [], "cont_arrival": [],
           "false": 0, "latency": [], "rest": 0}
    soap.absolute(*START, 1.0)
    soap.wait_idle()
    for i in range(n):
        for kind in ("absolute", "continuous"):
            before = soap.wait_idle()
            # Several frames of the head at rest, and a random phase against the 40 ms
            # capture grid (a fixed rhythm of polls and sleeps would lock onto it).
            time.sleep(0.4 + random.uniform(0, 0.04))
            sent = time.time()
            if kind == "absolute":
                target = START[0] + 5.0 if abs(before[2] - START[0]) < 0.5 else START[0]
                soap.absolute(target, START[1], 1.0)
            else:
                soap.continuous(0.5)
            first = None
            end = time.time() + 3
            while first is None and time.time() < end:
                time.sleep(0.01)
                first = next((f for f in reader.since(sent)
                              if f["changed"] >= CHANGED), None)
            if first is None:
                raise RuntimeError(f"{kind}: the picture never changed")
            # The frames of the head at rest just before: none may count as changed.
            rest = [f for f in reader.since(sent - 0.3) if f["utc"] < sent]
            res["rest"] += len(rest)
            res["false"] += sum(f["changed"] >= CHANGED for f in rest)
            key = "abs_arrival" if kind == "absolute" else "cont_arrival"
            res[kind].append(first["utc"] - sent)
            res[key].append(first["arrival"] - sent)
            res["latency"].append(first["arrival"] - first["utc"])
            if kind == "continuous":
                soap.stop()
                soap.wait_idle()
                soap.absolute(*START, 1.0)
    return res


POSITIONS = [  # (pan, tilt, zoom): across the range, clear of the pattern tile
    (-163.7, 12.3, 1.0), (-101.3, -27.9, 1.6), (-47.2, 33.1, 2.5), (44.4, -38.6, 1.3),
    (75.3, 21.4, 4.0), (118.9, -8.2, 6.0), (161.2, 41.7, 10.0), (-128.6, -41.5, 8.0),
    (9.6, 44.0, 3.0), (-12.4, -35.3, 1.0), (135.0, 5.5, 2.0), (-74.6, -1.6, 5.0),
]


def snapshot(port, password, work):
    """The main profile's snapshot as 8-bit luma (curl --digest, ffmpeg to gray)."""
    jpg = os.path.join(work, "snap.jpg")
    subprocess.run(["curl", "-sf", "--digest", "-u", f"admin:{password}", "-o", jpg,
                    f"http://127.0.0.1:{port}/snapshot/main"], check=True)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", jpg, "-f", "rawvideo", "-pix_fmt",
                          "gray", "-"], check=True, capture_output=True).stdout
    if len(raw) != W * H:
        raise RuntimeError(f"snapshot is not {W}x{H}")
    return raw


def accuracy_at_rest(soap, port, password, work):
    rows = []
    for pan, tilt, zoom in POSITIONS:
        soap.absolute(pan, tilt, zoom)
        s = soap.wait_idle()
        time.sleep(0.1)  # a capture instant after the head stopped
        frame = snapshot(port, password, work)
        v, h = lines_in(frame, s[4])
        pic = pointing(v, h, (s[2], s[3], s[4]))
        rows.append({"cmd": (pan, tilt, zoom), "status": s[2:5], "picture": pic,
                     "burned": burned_position(frame), "lines": (len(v), len(h)),
                     "spacing": len(v) >= 2 or len(h) >= 2})
    return rows


def accuracy_moving(soap, reader, passes=4, secs=2.5, velocity=0.25):
    """GetStatus (polled every ~10 ms, each sample at the middle of its round trip) against
    the picture of every frame of steady continuous pans, at the frame's capture instant
    (and at its arrival). Passes alternate between pan 65 -> 140 and back, tilt 20: sky and
    grid, no pattern tile. Errors are signed along the motion: positive = picture behind."""
    speed = velocity * 120.0  # deg/s: generic velocity 1 is the top speed, 120 deg/s
    out = []
    for k in range(passes):
        direction = 1 if k % 2 == 0 else -1
        soap.absolute(65.0 if direction > 0 else 140.0, START[1], 1.0)
        soap.wait_idle()
        time.sleep(0.3)
        samples = []
        t0 = time.time()
        soap.continuous(velocity * direction)
        while time.time() - t0 < secs:
            s = soap.status()
            samples.append(((s[0] + s[1]) / 2, s[1] - s[0], s[2], s[5]))
            time.sleep(0.01)
        soap.stop()
        soap.wait_idle()
        # Steady speed only: accelerating takes speed / 240 s (sim/ptz.rs ACCEL.pan).
        steady_from = t0 + speed / 240 + 0.1

        def at(t):
            """GetStatus pan at `t`, interpolated between the samples around it, and the
            larger round trip of the two (the timing uncertainty is half of it)."""
            i = next(i for i, sm in enumerate(samples) if sm[0] >= t)
            (ta, rta, pa, _), (tb, rtb, pb, _) = samples[i - 1], samples[i]
            return pa + (pb - pa) * (t - ta) / (tb - ta), max(rta, rtb)

        for f in reader.since(steady_from):
            if f["arrival"] > samples[-1][0] - 0.05 or not f["vlines"]:
                continue
            st_pan, rtt = at(f["utc"])
            pic_pan, _, _ = pointing(f["vlines"], [], (st_pan, START[1], 1.0))
            if pic_pan is None:
                continue
            out.append({"status": (st_pan - pic_pan) * direction, "rtt": rtt,
                        "burned": None if f["pos"] is None
                        else (f["pos"][0] - pic_pan) * direction,
                        "at_arrival": (at(f["arrival"])[0] - pic_pan) * direction,
                        "latency": f["arrival"] - f["utc"]})
    return out, speed


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    fr = sub.add_parser("frames")
    fr.add_argument("url")
    fr.add_argument("--zoom", type=float, default=1.0)
    rn = sub.add_parser("run")
    rn.add_argument("--http", type=int, required=True)
    rn.add_argument("--rtsp", type=int, required=True)
    rn.add_argument("--password", required=True)
    rn.add_argument("--moves", type=int, default=30)
    rn.add_argument("--only", default="status,picture,rest,moving")
    a = ap.parse_args()
    if a.cmd == "frames":
        return frames(a.url, a.zoom)
    only = a.only.split(",")
    soap = Soap(a.http, a.password)
    url = f"rtsp://admin:{a.password}@127.0.0.1:{a.rtsp}/main"
    p = lambda *x: print(*x, flush=True)  # noqa: E731

    if "status" in only:
        r = motion_by_status(soap, a.moves)
        p("\n### 1a. Command reply to the first GetStatus showing MOVING and a changed position")
        p("median / p95 / min..max, GetStatus polled back to back, no stream running\n")
        p("| move | reply -> MOVING + moved | reply -> MOVING |")
        p("|---|---|---|")
        n = len(r["absolute"])
        p(f"| AbsoluteMove 5 deg pan, top speed | {dist(r['absolute'])} | "
          f"{dist(r['moving_only'][0::2])} |")
        p(f"| ContinuousMove pan 0.5 (60 deg/s) | {dist(r['continuous'])} | "
          f"{dist(r['moving_only'][1::2])} |")
        p(f"\nGetStatus round trip {dist(r['rtt'])}; polls until moved: median "
          f"{statistics.median(r['polls'])}, max {max(r['polls'])} ({n} moves of each kind)")

    if "picture" in only:
        reader = Reader(url)
        reader.wait_frames(25)
        r = motion_by_picture(soap, reader, a.moves)
        misread = reader.misread
        reader.close()
        p("\n### 1b. Command sent to the first RTSP frame whose picture changed")
        p("capture instant read from the frame's burned-in clock (+-0.5 ms); arrival: when "
          "ffmpeg handed this client the decoded frame\n")
        p("| move | sent -> capture of first changed frame | sent -> its arrival here |")
        p("|---|---|---|")
        p(f"| AbsoluteMove 5 deg pan, top speed | {dist(r['absolute'])} | {dist(r['abs_arrival'])} |")
        p(f"| ContinuousMove pan 0.5 | {dist(r['continuous'])} | {dist(r['cont_arrival'])} |")
        p(f"\ncapture -> arrival (encode, RTP over TCP, ffmpeg decode, pipe to Python) "
          f"{dist(r['latency'])}; frames at rest (the 0.3 s before each command) counted as "
          f"changed: {r['false']} of {r['rest']}; frames whose burned-in clock and counter "
          f"disagreed (misread, dropped): {misread}")

    if "rest" in only:
        with tempfile.TemporaryDirectory() as work:
            rows = accuracy_at_rest(soap, a.http, a.password, work)
        p("\n### 2a. GetStatus against the picture, head at rest (main snapshot, 1280x720)")
        p("picture: grid lines (every 10 deg, panorama.rs) located to sub-pixel; error = "
          "GetStatus - picture; 1 px = 3/64 deg / zoom\n")
        p("| commanded pan, tilt, zoom | GetStatus | picture | pan error deg (px) | "
          "tilt error deg (px) | zoom error | burned-in text | lines v/h |")
        p("|---|---|---|---|---|---|---|---|")
        pe, te, pp, tp, zs, zw = [], [], [], [], [], []
        for row in rows:
            (sp, stl, sz), (xp, xt, xz) = row["status"], row["picture"]
            px = DEG_PER_PX / sz

            def cell(err, acc_deg, acc_px):
                if err is None:
                    return "no line"
                acc_deg.append(abs(err))
                acc_px.append(abs(err) / px)
                return f"{err:+.4f} ({err / px:+.2f})"
            ep = None if xp is None else (sp - xp + 180) % 360 - 180
            et = None if xt is None else stl - xt
            if xz:
                (zs if row["spacing"] else zw).append(abs(sz - xz) / sz)
            b = row["burned"]
            p(f"| {row['cmd'][0]:+.1f}, {row['cmd'][1]:+.1f}, {row['cmd'][2]:.1f}x | "
              f"{sp:+.3f}, {stl:+.3f}, {sz:.3f}x | "
              f"{'-' if xp is None else f'{xp:+.3f}'}, {'-' if xt is None else f'{xt:+.3f}'}, "
              f"{'-' if xz is None else f'{xz:.3f}'}x | {cell(ep, pe, pp)} | {cell(et, te, tp)} | "
              f"{'-' if not xz else f'{(sz - xz) / sz * 100:+.2f}%'} | "
              f"{'-' if b is None else f'{b[0]:+.2f}, {b[1]:+.2f}, {b[2]:.2f}x'} | "
              f"{row['lines'][0]}/{row['lines'][1]} |")
        p(f"\n|error| pan: {dist(pe, 'deg', 1, 4)}; in px {dist(pp, 'px', 1, 2)}. tilt: "
          f"{dist(te, 'deg', 1, 4)}; in px {dist(tp, 'px', 1, 2)}. zoom (two lines "
          f"10 deg apart): {dist(zs, '%', 100, 2)}; (one line's width): "
          f"{dist(zw, '%', 100, 2)}")

    if "moving" in only:
        reader = Reader(url)
        reader.wait_frames(25)
        out, speed = accuracy_moving(soap, reader)
        misread = reader.misread
        reader.close()
        px = DEG_PER_PX
        tight = [o for o in out if o["rtt"] <= 0.004]
        err = [o["status"] for o in tight]
        burned = [o["burned"] for o in out if o["burned"] is not None]
        behind = [o["at_arrival"] for o in out]
        p(f"\n### 2b. GetStatus against the picture while panning at {speed:.0f} deg/s (1x)")
        p("GetStatus (polled every ~10 ms) interpolated to each frame's burned-in capture "
          "instant; error = GetStatus - picture along the motion (positive: the picture is "
          "behind), lag = error / speed; 4 passes of 2.5 s, both directions; only frames whose two "
          f"GetStatus samples took <= 4 ms ({len(tight)} of {len(out)})\n")
        p(f"- GetStatus - picture at the capture instant: {signed(err, 'deg')}; in px "
          f"{signed([e / px for e in err], 'px', 1, 2)}; as lag "
          f"{signed([e / speed for e in err], 'ms', 1000, 1)}")
        p(f"- burned-in position - picture: {signed(burned, 'deg')} "
          f"(the renderer against its own geometry)")
        p(f"- what a client sees: GetStatus when the frame arrives - that frame's picture: "
          f"{signed([e / speed for e in behind], 'ms', 1000, 1)} of motion (capture -> "
          f"arrival {dist([o['latency'] for o in out])})")
        p(f"- GetStatus round trip (larger of the two samples): {dist([o['rtt'] for o in out])}; "
          f"frames misread (dropped): {misread}")

if __name__ == "__main__":
    main()
