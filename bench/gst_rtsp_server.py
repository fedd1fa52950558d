#!/usr/bin/python3
"""The benchmark peer: GStreamer's RTSP server (gst-rtsp-server via PyGObject) serving the
same H.264 stream as nvt, one shared media for all viewers (as nvt's hub), paced by the
server's clock. FILE is a Matroska file of the test clip looped (bench/run.sh makes it with
ffmpeg -stream_loop; GStreamer's RTSP server does not loop a file itself).
Usage: /usr/bin/python3 gst_rtsp_server.py FILE.mkv PORT"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
path, port = sys.argv[1], sys.argv[2]
server = GstRtspServer.RTSPServer()
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f"( filesrc location={path} ! matroskademux ! h264parse "
    "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/main", factory)
server.attach(None)
print(f"listening 0.0.0.0:{port}", flush=True)
GLib.MainLoop().run()
