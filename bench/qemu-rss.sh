#!/usr/bin/env bash
# RSS of an nvt binary for another architecture under qemu-user (docs/PERFORMANCE.md, "Binary
# size for a camera"): idle for IDLE seconds, then VIEWERS ffmpeg viewers over RTSP/TCP for
# SECONDS seconds, sampling the qemu process's VmRSS / RssAnon / RssFile every second. The
# figures are the emulator's process: they include qemu's own code and its translation cache
# (a few MB), so they are an upper bound for the same binary on the board.
#
#   bench/qemu-rss.sh NVT CLIP [VIEWERS=5] [SECONDS=30] [IDLE=20]
#
# NVT: a simulator build (SIM=1 scripts/size-budget.sh); CLIP: an H.264 Annex B file it
# replays (--replay; the simulator's encoder under emulation could not keep up). Ports
# HTTP_PORT/RTSP_PORT (default 28480/28554) on 127.0.0.1.
set -euo pipefail
nvt=$1 clip=$2 viewers=${3:-5} secs=${4:-30} idle=${5:-20}
qemu=${QEMU:-qemu-aarch64}
work=$(mktemp -d)
password=bench-secret
http_port=${HTTP_PORT:-28480} rtsp_port=${RTSP_PORT:-28554}
cleanup() {
  for p in "${viewer_pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -n "${nvt_pid:-}" ] && kill "$nvt_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
viewer_pids=()

NVT_ADMIN_PASSWORD=$password "$qemu" "$nvt" --state-dir "$work/state" --bind 127.0.0.1 \
  --http-port "$http_port" --rtsp-port "$rtsp_port" --replay "$clip" --log-level warn 2>"$work/nvt.log" &
nvt_pid=$!

# One line of the three figures (KiB), the largest VmRSS over $1 seconds.
sample() {
  local n=$1 max=0 line=""
  for ((i = 0; i < n; i++)); do
    sleep 1
    kill -0 "$nvt_pid" 2>/dev/null || { echo "qemu-rss: nvt exited" >&2; cat "$work/nvt.log" >&2; exit 1; }
    local rss anon file
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$nvt_pid/status")
    anon=$(awk '/^RssAnon/ {print $2}' "/proc/$nvt_pid/status")
    file=$(awk '/^RssFile/ {print $2}' "/proc/$nvt_pid/status")
    if ((rss > max)); then max=$rss; line="VmRSS $rss KiB (RssAnon $anon, RssFile $file)"; fi
  done
  echo "$line"
}

line=$(sample "$idle") && [ -n "$line" ] || exit 1
echo "idle ${idle} s: $line"
for ((v = 0; v < viewers; v++)); do
  ffmpeg -hide_banner -v error -rtsp_transport tcp \
    -i "rtsp://admin:$password@127.0.0.1:$rtsp_port/main" -t "$secs" -c copy -f null - \
    >"$work/viewer$v.log" 2>&1 &
  viewer_pids+=($!)
done
line=$(sample "$secs") && [ -n "$line" ] || exit 1
echo "$viewers viewers ${secs} s: $line"
for ((v = 0; v < viewers; v++)); do
  wait "${viewer_pids[$v]}" || { echo "qemu-rss: viewer $v failed:" >&2; cat "$work/viewer$v.log" >&2; exit 1; }
done
viewer_pids=()
echo "viewers done"
