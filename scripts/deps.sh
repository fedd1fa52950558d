#!/bin/sh
# Test dependencies of the RTSP engine (tests/rtsp_*.rs, bench/): real clients and the
# GStreamer RTSP server used as the benchmark peer. Idempotent: installs only what is missing.
set -eu
need=""
command -v ffmpeg >/dev/null 2>&1 || need="$need ffmpeg"
command -v gst-launch-1.0 >/dev/null 2>&1 || need="$need gstreamer1.0-tools"
for p in gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav \
         gir1.2-gst-rtsp-server-1.0 python3-gi iproute2 procps; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $need
fi
