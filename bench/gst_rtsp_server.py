#!/usr/bin/python3
"""The benchmark peer: GStreamer's RTSP server (gst-rtsp-server via PyGObject) serving the
same H.264 stream as nvt, configured as a user would set it up for a camera: one shared media
for all viewers (as nvt's hub), default latency and buffers, Digest authentication like nvt.

The source is live, like a camera and like nvt's replay mode: the Annex-B clip is split into
access units once, and an `appsrc` (is-live, timestamped on push) is fed one access unit every
1/FPS s from a feeder thread, looping. nvt's replay does exactly that from its capture thread.

Why not `filesrc ! matroskademux`: a file is seekable, and every PLAY with
`Range: npt=0.000-` (what ffmpeg, VLC and GStreamer send) seeks the one shared pipeline back
to the start, so each new viewer makes every other viewer receive the beginning again (RTP
timestamps go backwards, ~13% more bytes per viewer, gaps). `--file-source` keeps that setup
for comparison; see bench/README.md.

Usage: /usr/bin/python3 gst_rtsp_server.py CLIP.h264 PORT USER PASSWORD [FPS] [--file-source MKV]"""
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)
args = sys.argv[1:]
file_source = None
if "--file-source" in args:
    i = args.index("--file-source")
    file_source = args[i + 1]
    del args[i : i + 2]
clip, port, user, password = args[:4]
fps = int(args[4]) if len(args) > 4 else 25


def access_units(data):
    """Splits Annex-B H.264 into access units (H.264 s7.4.1.2.3: an AUD, SPS, PPS or SEI
    after a slice, or a slice with first_mb_in_slice = 0 after a slice, starts a new one)."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    units, current, has_slice = [], [], False
    for n, s in enumerate(starts):
        end = starts[n + 1] - 3 if n + 1 < len(starts) else len(data)
        nal = data[s:end].rstrip(b"\x00")
        if not nal:
            continue
        kind = nal[0] & 0x1F
        first_mb_zero = kind in (1, 5) and len(nal) > 1 and nal[1] & 0x80
        if has_slice and (kind in (6, 7, 8, 9) or first_mb_zero):
            units.append(b"".join(current))
            current, has_slice = [], False
        if kind == 9:
            continue
        current.append(b"\x00\x00\x00\x01" + nal)
        has_slice |= kind in (1, 5)
    if has_slice:
        units.append(b"".join(current))
    return units


with open(clip, "rb") as f:
    UNITS = access_units(f.read())
# Start at the first IDR, as nvt's replay does.
FIRST_IDR = next(i for i, u in enumerate(UNITS) if any(
    u[p + 4] & 0x1F == 5 for p in range(len(u) - 4) if u[p:p + 4] == b"\x00\x00\x00\x01"))


def on_media_configure(_factory, media):
    """Feeds a new media's appsrc one access unit every 1/fps s from a thread of its own (the
    media is shared: this runs once for all viewers). Not a GLib timer: the server's main
    loop is busy with hundreds of clients and a timer on it fires late, slowing the stream."""
    appsrc = media.get_element().get_by_name("src")
    stop = threading.Event()
    media.connect("unprepared", lambda _m: stop.set())

    def feed():
        i, n, t0 = FIRST_IDR, 0, time.monotonic()
        while not stop.is_set():
            buf = Gst.Buffer.new_wrapped(UNITS[i])
            buf.duration = Gst.SECOND // fps
            # A flow error (the media flushing or not yet playing) drops this access unit,
            # as a camera's encoder output is dropped when nobody takes it.
            appsrc.emit("push-buffer", buf)
            i = (i + 1) % len(UNITS) or FIRST_IDR
            n += 1
            # The next push on the fixed 1/fps grid, so lateness does not accumulate.
            delay = t0 + n / fps - time.monotonic()
            if delay > 0:
                stop.wait(delay)

    threading.Thread(target=feed, daemon=True).start()


server = GstRtspServer.RTSPServer()
server.set_service(port)

auth = GstRtspServer.RTSPAuth()
auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
auth.set_realm("nvt")
token = GstRtspServer.RTSPToken()
token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
auth.add_digest(user, password, token)
server.set_auth(auth)

if file_source:
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( filesrc location={file_source} ! matroskademux ! h264parse "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
else:
    factory = GstRtspServer.RTSPMediaFactory()
    factory.connect("media-configure", on_media_configure)
    factory.set_launch(
        "( appsrc name=src is-live=true do-timestamp=true format=time "
        f"caps=video/x-h264,stream-format=byte-stream,alignment=au,framerate={fps}/1 "
        "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
factory.set_shared(True)
factory.add_role_from_structure(
    Gst.Structure.new_from_string(
        "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
    )
)
server.get_mount_points().add_factory("/main", factory)
server.attach(None)
print(f"listening 0.0.0.0:{port}, {len(UNITS)} access units", flush=True)
GLib.MainLoop().run()
