#!/usr/bin/env bash
# PTZ timing and accuracy on the simulator's head (issue 17; docs/PERFORMANCE.md, "PTZ"):
# starts nvt (the binary given, default target/release/nvt) on a scratch state directory and
# runs bench/ptz.py against it:
#   1a. AbsoluteMove / ContinuousMove reply -> first GetStatus showing MOVING and a moved head
#   1b. command sent -> first RTSP frame whose picture changed (capture instant read from the
#       frame's burned-in clock, and its arrival at this client)
#   2a. GetStatus against where the picture's grid lines say the head points, at rest, at 12
#       positions and zooms (snapshots)
#   2b. the same while panning, at each frame's capture instant
# Prints Markdown. Not a test: the figures depend on the machine and what else runs on it.
#   bench/ptz.sh [NVT_BINARY] [MOVES]       (MOVES per kind of move, default 30)
#   env: ONLY=status,picture,rest,moving (a subset of the parts)
# Needs: python3 (standard library only), ffmpeg, curl (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
nvt=${1:-target/release/nvt}
moves=${2:-30}
password=bench-Pass1
state=$(mktemp -d)
log=$state/nvt.log
NVT_ADMIN_PASSWORD=$password RUST_LOG=info "$nvt" --state-dir "$state" --bind 127.0.0.1 \
  --http-port 0 --rtsp-port 0 --no-discovery >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do
  grep -q "nvt running" "$log" && break
  sleep 0.2
done
http=$(grep -o 'device service at http://127.0.0.1:[0-9]*' "$log" | head -1 | sed 's/.*://')
rtsp=$(grep -o 'RTSP stream at rtsp://127.0.0.1:[0-9]*/main' "$log" | head -1 |
  sed -E 's/.*:([0-9]+)\/main/\1/')
others() { ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 {printf "%s %s%%, ", $2, $1}'; }
echo "nvt $("$nvt" --version), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" \
  "at start; busiest processes (% of a core since they started): $(others)"
python3 bench/ptz.py run --http "$http" --rtsp "$rtsp" --password "$password" \
  --moves "$moves" --only "${ONLY:-status,picture,rest,moving}"
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; busiest: $(others)"
