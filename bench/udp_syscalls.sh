#!/bin/bash
# What nvt's UDP send path asks of the kernel, per frame per viewer: send syscalls
# (sendmmsg, sendmsg, sendto), buffers handed to a network device (`net:net_dev_queue`: one
# per datagram without GSO, one per GSO message with it; on loopback each then travels the
# receive path as one buffer up to the viewer's socket) and nvt's CPU, counted with
# `perf stat` on tracepoints (kernel counters, no ptrace: nvt runs at full speed, unlike under
# strace) over a steady window once every viewer plays. The nvt daemon replays CLIP as
# bench/run.sh starts it (CPU 0, Digest), bench/rtsp_load.rs plays it over UDP (CPU 1).
#
#   bench/udp_syscalls.sh CLIP VIEWERS [WINDOW_SECONDS]     (root: perf tracepoints)
#   env: NVT (binary, default $CARGO_TARGET_DIR/release/nvt), NVT_UDP_GSO (0: without GSO),
#        STAGGER_MS (default 20), CARGO_TARGET_DIR
#
# Prints one Markdown row: viewers, GSO, load average, frames in the window, then per frame
# per viewer: sendmmsg, sendmsg + sendto, device buffers, and nvt's CPU % (user + sys) and
# the load generator's gaps over the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
clip=$1
viewers=$2
window=${3:-10}
stagger=${STAGGER_MS:-20}
target=${CARGO_TARGET_DIR:-target}
nvt=${NVT:-$target/release/nvt}
gso=${NVT_UDP_GSO:-1}
password=bench-Pass1
port=19554
work=$(mktemp -d)
pid=
trap 'if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
printf 'rtsp_max_connections_per_address = 1024\n' >"$work/nvt.toml"
NVT_UDP_GSO=$gso NVT_ADMIN_PASSWORD=$password taskset -c 0 "$nvt" --config "$work/nvt.toml" \
    --state-dir "$work/state" --bind 127.0.0.1 --http-port $((port + 1000)) \
    --rtsp-port "$port" --no-discovery --replay "$clip" --log-level warn \
    >/dev/null 2>"$work/nvt.log" &
pid=$!
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.2
done
sleep 2
frames_in() {
    curl -s --digest -u "admin:$password" "http://127.0.0.1:$((port + 1000))/api/status" |
        python3 -c 'import json,sys; v=json.load(sys.stdin); print(next(p["stream"]["frames_in"] for p in v["profiles"] if p["token"]=="main"))'
}
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
ramp=$(((viewers * stagger + 999) / 1000 + 3))
secs=$((ramp + window + 3))
taskset -c 1 "$target/release/examples/rtsp_load" --url "rtsp://127.0.0.1:$port/main" \
    --viewers "$viewers" --secs "$secs" --stagger-ms "$stagger" --user admin \
    --password "$password" --transport udp >"$work/load.json" 2>"$work/load.log" &
load=$!
sleep "$ramp"
loadavg=$(cut -d' ' -f1 /proc/loadavg)
f0=$(frames_in)
t0=$(ticks)
perf stat -x, -o "$work/perf.csv" -p "$pid" \
    -e syscalls:sys_enter_sendmmsg,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,net:net_dev_queue \
    -- sleep "$window"
t1=$(ticks)
f1=$(frames_in)
wait "$load"
count() { awk -F, -v e="$1" '$3 == e {print $1 + 0}' "$work/perf.csv"; }
gaps=$(sed -E 's/.*"gaps":([0-9]+).*/\1/' "$work/load.json")
awk -v n="$viewers" -v g="$gso" -v la="$loadavg" -v f=$((f1 - f0)) -v w="$window" \
    -v mm="$(count syscalls:sys_enter_sendmmsg)" -v sm="$(count syscalls:sys_enter_sendmsg)" \
    -v st="$(count syscalls:sys_enter_sendto)" -v q="$(count net:net_dev_queue)" \
    -v cpu=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v gaps="$gaps" \
    'BEGIN { fv = f * n; printf "| %d | %s | %s | %d | %.2f | %.3f | %.2f | %.1f | %s |\n",
        n, g == "0" ? "off" : "on", la, f, mm / fv, (sm + st) / fv, q / fv,
        100 * cpu / hz / w, gaps }'
