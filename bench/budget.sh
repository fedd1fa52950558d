#!/bin/bash
# A camera's budget (issue 20): the release `nvt` in a cgroup v1 of 0.25 CPU
# (cpu.cfs_quota_us / cpu.cfs_period_us = 25000 / 100000) and 64 MB (memory.limit_in_bytes),
# written directly under /sys/fs/cgroup (no systemd; removed afterwards), replaying a
# 2 Mbit/s 1280x720 25 fps clip to N TCP viewers (bench/rtsp_load.rs, Digest) for SECONDS.
# Reports RTP gaps, frames delivered per viewer against frames produced (nvt's /api/status:
# frames published + frames lost at capture), frames lost at capture over the whole run,
# peak RSS (VmHWM) and peak RssAnon (sampled every 200 ms from /proc/PID/status), the
# cgroup's memory peak and failures, and how often the CPU quota throttled it (cpu.stat).
# nvt on CPU 0 and the load generator on CPU 1 (taskset), as in run.sh.
#
#   bench/budget.sh [SECONDS] [VIEWERS]       default 60 50; needs root and cgroup v1
#   env: CLIP (an Annex-B H.264 file instead of the generated one), NVT (binary),
#        CARGO_TARGET_DIR, NO_BUILD=1,
#        CPU_QUOTA_US (25000), MEM_LIMIT (64M in bytes), STAGGER_MS (20),
#        HOG=N: N CPU-bound processes (shell busy loops, default nice) in nvt's own cgroups
#        and on its CPU for the whole run, started before nvt: they take every bit of the
#        0.25 CPU quota nvt leaves, so the cgroup is throttled every period and nvt's threads
#        compete with them for what is left (what a camera's other daemons do to it). The
#        capture threads' nice value (nvt raises it to -10 where it may) is in the table.
#
# Capture priority is what the hog tests: a capture thread that is not scheduled within the
# SDK's queue (8 frames, 320 ms at 25 fps) loses frames ("frames lost at capture").
# Run as root, so nvt has CAP_SYS_NICE.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
viewers=${2:-50}
target=${CARGO_TARGET_DIR:-target}
nvt=${NVT:-$target/release/nvt}
quota=${CPU_QUOTA_US:-25000}
mem_limit=${MEM_LIMIT:-$((64 * 1024 * 1024))}
stagger=${STAGGER_MS:-20}
password=bench-Pass1
rtsp_port=18654
http_port=18655
work=$(mktemp -d)
name=nvt-budget-$$
cpu_cg=/sys/fs/cgroup/cpu/$name
mem_cg=/sys/fs/cgroup/memory/$name
hogs=${HOG:-0}
nvt_pid=
sampler_pid=
hog_pids=()
cleanup() {
    if [[ -n $sampler_pid ]]; then kill "$sampler_pid" 2>/dev/null || true; fi
    for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${hog_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ -n $nvt_pid ]]; then
        kill "$nvt_pid" 2>/dev/null || true
        wait "$nvt_pid" 2>/dev/null || true
    fi
    # A cgroup can be removed once no task is left in it.
    for cg in "$cpu_cg" "$mem_cg"; do
        if [[ -d $cg ]]; then rmdir "$cg" 2>/dev/null || echo "could not remove $cg" >&2; fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
export CLK_TCK
CLK_TCK=$(getconf CLK_TCK)

# NO_BUILD=1: the binaries are built already (another cargo holds the target directory).
if [[ ${NO_BUILD:-} != 1 ]]; then cargo build --release --bin nvt --example rtsp_load >&2; fi
clip=${CLIP:-$work/clip.h264}
if [[ -z ${CLIP:-} ]]; then
    # As run.sh's clip at half the rate: a 720p camera stream at 2 Mbit/s.
    ffmpeg -hide_banner -v error -y -f lavfi \
        -i "testsrc2=size=1280x720:rate=25,noise=alls=12:allf=t" -t 20 \
        -c:v libx264 -preset veryfast -profile:v high -bf 0 -g 50 -keyint_min 50 \
        -sc_threshold 0 -b:v 2M -maxrate 2.2M -bufsize 2M -pix_fmt yuv420p -f h264 "$clip"
fi
clip_bytes=$(stat -c %s "$clip")
clip_mbps=$(awk -v b="$clip_bytes" -v f="$(ffprobe -v error -count_frames \
    -show_entries stream=nb_read_frames -of csv=p=0 "$clip")" \
    'BEGIN {printf "%.2f", b * 8 / (f / 25) / 1e6}')
echo "clip: $clip, $clip_bytes B, $clip_mbps Mbit/s of H.264 at 25 fps" >&2

mkdir "$cpu_cg" "$mem_cg"
echo 100000 >"$cpu_cg/cpu.cfs_period_us"
echo "$quota" >"$cpu_cg/cpu.cfs_quota_us"
echo "$mem_limit" >"$mem_cg/memory.limit_in_bytes"

# The hogs: each joins both cgroups, then spins on nvt's CPU.
for _ in $(seq "$hogs"); do
    taskset -c 0 sh -c 'echo $$ >"$1/cgroup.procs" && echo $$ >"$2/cgroup.procs" &&
        exec bash -c "while :; do :; done"' sh "$cpu_cg" "$mem_cg" &
    hog_pids+=($!)
done
printf 'rtsp_max_connections_per_address = 1024\n' >"$work/nvt.toml"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# The shell joins both cgroups, then becomes nvt (exec keeps the pid).
NVT_ADMIN_PASSWORD=$password taskset -c 0 sh -c \
    'echo $$ >"$1/cgroup.procs" && echo $$ >"$2/cgroup.procs" && shift 2 && exec "$@"' \
    sh "$cpu_cg" "$mem_cg" "$nvt" --config "$work/nvt.toml" --state-dir "$work/state" \
    --bind 127.0.0.1 --http-port "$http_port" --rtsp-port "$rtsp_port" --no-discovery \
    --replay "$clip" --log-level info >/dev/null 2>"$work/nvt.log" &
nvt_pid=$!
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$rtsp_port") 2>/dev/null; then break; fi
    sleep 0.2
done
sleep 2

# Peak RssAnon (VmHWM is the kernel's own peak of RSS).
(
    peak=0
    while [[ -r /proc/$nvt_pid/status ]]; do
        a=$(awk '/RssAnon/ {print $2}' "/proc/$nvt_pid/status" 2>/dev/null || echo 0)
        if ((${a:-0} > peak)); then
            peak=$a
            echo "$peak" >"$work/rssanon_peak"
        fi
        sleep 0.2
    done
) &
sampler_pid=$!

# The hogs' CPU (utime + stime, clock ticks) from here to the end of the load.
hog_ticks() {
    local t=0 p
    for p in "${hog_pids[@]}"; do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
hog_ticks0=$(hog_ticks)
hog_t0=$(date +%s.%N)
throttled0=$(awk '/nr_throttled/ {print $2}' "$cpu_cg/cpu.stat")
periods0=$(awk '/nr_periods/ {print $2}' "$cpu_cg/cpu.stat")
out=$(taskset -c 1 "$target/release/examples/rtsp_load" --url "rtsp://127.0.0.1:$rtsp_port/main" \
    --viewers "$viewers" --secs "$secs" --stagger-ms "$stagger" --user admin \
    --password "$password" --server-pid "$nvt_pid" --transport tcp \
    --status-url "http://127.0.0.1:$http_port/api/status")
echo "$out" >>"${RESULTS:-/dev/null}"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
hog_pct=$(awk -v t=$(($(hog_ticks) - hog_ticks0)) -v hz="$CLK_TCK" -v a="$hog_t0" \
    -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", t / hz / (b - a) * 100}')
# The nice value of each capture thread (venc0, venc1: /proc/PID/task/TID/stat field 19).
capture_nice=$(for t in /proc/$nvt_pid/task/*; do
    if [[ $(cat "$t/comm") == venc* ]]; then
        echo "$(cat "$t/comm") $(awk '{sub(/.*\) /, ""); print $17}' "$t/stat")"
    fi
done | sort | paste -sd, -)
status=$(curl -s --digest -u "admin:$password" "http://127.0.0.1:$http_port/api/status")
main_counts=$(python3 -c '
import json, sys
p = next(p for p in json.load(sys.stdin)["profiles"] if p["token"] == "main")
print(p["stream"]["frames_in"], p["stream"]["frames_lost_at_capture"])' <<<"$status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$nvt_pid/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$nvt_pid/status")
anon=$(awk '/RssAnon/ {print $2}' "/proc/$nvt_pid/status")
file=$(awk '/RssFile/ {print $2}' "/proc/$nvt_pid/status")
anon_peak=$(cat "$work/rssanon_peak" 2>/dev/null || echo "$anon")
mem_peak=$(cat "$mem_cg/memory.max_usage_in_bytes")
mem_failcnt=$(cat "$mem_cg/memory.failcnt")
throttled=$(($(awk '/nr_throttled/ {print $2}' "$cpu_cg/cpu.stat") - throttled0))
periods=$(($(awk '/nr_periods/ {print $2}' "$cpu_cg/cpu.stat") - periods0))
throttled_ms=$(awk '/throttled_time/ {printf "%.0f", $2 / 1e6}' "$cpu_cg/cpu.stat")
lost_log=$(grep -c -i "recovered at an IDR\|encoder stream error" "$work/nvt.log" || true)

field() { sed -E "s/.*\"$2\":([^,}]*).*/\\1/" <<<"$1"; }
kib_mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
cat <<EOF
| what | figure |
|---|---|
| budget | cpu.cfs_quota_us $quota / cpu.cfs_period_us 100000, memory.limit_in_bytes $mem_limit |
| hogs in nvt's cgroup (CPU-bound, nice 0) / their CPU % of one core during the load | $hogs / $hog_pct |
| capture threads' nice | $capture_nice |
| clip | $clip_mbps Mbit/s, 1280x720 25 fps, $clip_bytes B |
| load average (1/5/15 min) at start / end | $load_start / $load_end |
| viewers played / failed | $(field "$out" ok) / $(field "$out" failed) $(field "$out" errors) |
| RTP sequence gaps (all viewers) | $(field "$out" gaps) |
| Mbit/s per viewer (payload), RTP clock / wall | $(field "$out" mbps_per_viewer) ($(field "$out" payload_mbps_per_viewer)), $(field "$out" rtp_clock_vs_wall) |
| steady window frames produced (nvt: published + lost at capture) | $(field "$out" frames_produced) |
| frames per viewer in it, mean / min (ratio mean / min) | $(field "$out" frames_per_viewer) / $(field "$out" frames_min_viewer) ($(field "$out" frames_delivered_ratio) / $(field "$out" frames_delivered_ratio_min)) |
| incomplete / skipped frames (all viewers, window) | $(field "$out" frames_incomplete) / $(field "$out" frames_skipped) |
| frames lost at capture: window / whole run (frames published, whole run) | $(field "$out" frames_lost_at_capture) / ${main_counts#* } (${main_counts% *}) |
| capture-loss recoveries in the log (recovered at an IDR, stream errors) | $lost_log |
| nvt CPU % of one core, steady (user) / incl. ramp | $(field "$out" cpu_pct_steady) ($(field "$out" cpu_user_pct_steady)) / $(field "$out" cpu_pct_all) |
| CFS periods throttled during the load / periods | $throttled / $periods (throttled time since start $throttled_ms ms) |
| capture to arrival p50 / p95 / max ms | $(field "$out" latency_ms_p50) / $(field "$out" latency_ms_p95) / $(field "$out" latency_ms_max) |
| first frame p50 / p95 / max ms | $(field "$out" ttff_ms_p50) / $(field "$out" ttff_ms_p95) / $(field "$out" ttff_ms_max) |
| peak RSS (VmHWM) / RSS at end | $(kib_mib "$hwm") / $(kib_mib "$rss") MiB |
| peak RssAnon / at end (RssFile at end) | $(kib_mib "$anon_peak") / $(kib_mib "$anon") MiB ($(kib_mib "$file") MiB) |
| peak RssAnon without the clip's bytes (--replay holds them) | $(awk -v a="$anon_peak" -v c="$clip_bytes" 'BEGIN {printf "%.1f", (a * 1024 - c) / 1048576}') MiB |
| cgroup memory.max_usage_in_bytes / failcnt | $(awk -v b="$mem_peak" 'BEGIN {printf "%.1f", b / 1048576}') MiB / $mem_failcnt |
EOF
