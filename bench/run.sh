#!/bin/bash
# Side-by-side RTSP load: nvt's engine (examples/rtsp_file_server) vs GStreamer's RTSP server
# (bench/gst_rtsp_server.py), same clip, TCP interleaved viewers from bench/rtsp_load.rs.
# Server pinned to CPU 0, load generator to CPU 1 (taskset). Prints a Markdown table.
#
#   bench/run.sh [SECONDS] [VIEWERS...]      e.g. bench/run.sh 20 50 200 500
#   env: STAGGER_MS (viewer start spacing, default 2), SERVERS ("nvt gst", default both)
#
# Needs: scripts/deps.sh (ffmpeg, GStreamer, gir1.2-gst-rtsp-server-1.0, python3-gi).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
viewers=("${@:-50 200 500}")
# shellcheck disable=SC2206
viewers=(${viewers[@]})
clip=tests/data/baseline-640x360-25fps.h264
work=$(mktemp -d)
trap 'kill $srv_pid 2>/dev/null || true; rm -rf "$work"' EXIT
srv_pid=
stagger=${STAGGER_MS:-2}
servers=${SERVERS:-nvt gst}

cargo build --release --example rtsp_file_server --example rtsp_load >&2
# GStreamer's RTSP server does not loop a file: give it 10 minutes of the clip.
for _ in $(seq 150); do cat "$clip"; done >"$work/big.h264"
ffmpeg -hide_banner -v error -y -fflags +genpts -r 25 -i "$work/big.h264" -c copy "$work/peer.mkv"
rm "$work/big.h264"

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

run() { # name port
    local name=$1 port=$2 n
    sleep 2
    for n in "${viewers[@]}"; do
        local t0 t1 out
        t0=$(cpu_ticks "$srv_pid")
        out=$(taskset -c 1 target/release/examples/rtsp_load --url "rtsp://127.0.0.1:$port/main" \
            --viewers "$n" --secs "$secs" --stagger-ms "$stagger")
        t1=$(cpu_ticks "$srv_pid")
        local wall=$((secs + n * stagger / 1000 + 1))
        local cpu
        cpu=$(awk -v d=$((t1 - t0)) -v t="$tck" -v w="$wall" 'BEGIN {printf "%.1f", 100 * d / t / w}')
        echo "| $name | $n | $cpu | $(rss_kib "$srv_pid") | $out |"
        sleep 2
    done
}

echo "| server | viewers | server CPU % (1 core) | server RSS KiB | load generator result |"
echo "|---|---|---|---|---|"
if [[ " $servers " == *" nvt "* ]]; then
    taskset -c 0 target/release/examples/rtsp_file_server --file "$clip" --bind 127.0.0.1:18554 >/dev/null &
    srv_pid=$!
    run nvt 18554
    kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true
fi
if [[ " $servers " == *" gst "* ]]; then
    taskset -c 0 /usr/bin/python3 bench/gst_rtsp_server.py "$work/peer.mkv" 18555 >/dev/null &
    srv_pid=$!
    run gst-rtsp-server 18555
    kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true
fi
srv_pid=
