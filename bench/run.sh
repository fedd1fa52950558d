#!/bin/bash
# Side-by-side RTSP load: the real `nvt` daemon in replay mode vs GStreamer's RTSP server
# (bench/gst_rtsp_server.py) vs the kernel floor (bench/rtsp_floor.rs: one write of the same
# bytes per viewer per frame, TCP only), all fed the same pre-encoded ~4 Mb/s 1280x720 25 fps
# H.264 clip as a live stream, nvt and the peer with Digest auth; N viewers from
# bench/rtsp_load.rs, TCP-interleaved and UDP unicast (default receive buffers). Server pinned
# to CPU 0, load generator to CPU 1 (taskset). For each transport and viewer count the servers
# run back to back (alternating, so they see the same machine load), each started fresh.
# Prints two Markdown tables: every row, then each server's steady CPU as a ratio to the floor
# and to each other server measured in this run, twice: whole process, and **fan-out** =
# steady minus the same server's idle row (0 viewers, the same clip: what it pays per second
# whatever the viewers), the definition docs/PERFORMANCE.md uses.
#
#   bench/run.sh [SECONDS] [VIEWERS...]      e.g. bench/run.sh 30 50 200 500
#   env: STAGGER_MS (viewer start spacing, default 20), SERVERS ("floor nvt gst", default
#        all; also "nvt-mmsg": nvt with NVT_UDP_GSO=0, UDP without GSO, and "nvt-before":
#        the binary NVT_BEFORE, and "nvt-queued": nvt with NVT_DIRECT_WRITE=0, every TCP
#        frame through its connection's writer task as before step 5), TRANSPORTS ("tcp udp", default both), CLIP (an Annex-B
#        H.264 file to use instead of the generated one), NVT (binary), CARGO_TARGET_DIR,
#        NO_BUILD=1
#
# Needs: scripts/deps.sh (ffmpeg with libx264, GStreamer, gir1.2-gst-rtsp-server-1.0,
# python3-gi). Each server is started fresh for every row.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
viewers=("${@:-50 200 500}")
# shellcheck disable=SC2206
viewers=(${viewers[@]})
stagger=${STAGGER_MS:-20}
servers=${SERVERS:-floor nvt gst}
transports=${TRANSPORTS:-tcp udp}
target=${CARGO_TARGET_DIR:-target}
nvt=${NVT:-$target/release/nvt}
work=$(mktemp -d)
srv_pid=
trap 'if [[ -n $srv_pid ]]; then kill "$srv_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
export CLK_TCK
CLK_TCK=$(getconf CLK_TCK)
password=bench-Pass1

# NO_BUILD=1: the binaries are built already (another cargo holds the target directory).
if [[ ${NO_BUILD:-} != 1 ]]; then cargo build --release --bin nvt --example rtsp_load --example rtsp_floor >&2; fi
clip=${CLIP:-$work/clip.h264}
if [[ -z ${CLIP:-} ]]; then
    # 20 s of a moving test pattern with noise, so x264 needs the bits: 1280x720, 25 fps,
    # IDR every 2 s, no B-frames (a camera's stream), ~4 Mb/s. Made here, not committed (10 MB).
    ffmpeg -hide_banner -v error -y -f lavfi \
        -i "testsrc2=size=1280x720:rate=25,noise=alls=12:allf=t" -t 20 \
        -c:v libx264 -preset veryfast -profile:v high -bf 0 -g 50 -keyint_min 50 \
        -sc_threshold 0 -b:v 4M -maxrate 4.4M -bufsize 4M -pix_fmt yuv420p -f h264 "$clip"
fi
clip_mbps=$(awk -v b="$(stat -c %s "$clip")" -v f="$(ffprobe -v error -count_frames \
    -show_entries stream=nb_read_frames -of csv=p=0 "$clip")" \
    'BEGIN {printf "%.2f", b * 8 / (f / 25) / 1e6}')
echo "clip: $clip, $clip_mbps Mbit/s of H.264 at 25 fps" >&2

start_server() { # name port
    case $1 in
    nvt | nvt-mmsg | nvt-before | nvt-queued)
        rm -rf "$work/state"
        # Every viewer comes from 127.0.0.1: lift the per-address share (32 by default).
        printf 'rtsp_max_connections_per_address = 1024\n' >"$work/nvt.toml"
        local bin=$nvt gso=1 direct=1
        if [[ $1 == nvt-before ]]; then bin=$NVT_BEFORE; fi
        if [[ $1 == nvt-mmsg ]]; then gso=0; fi
        if [[ $1 == nvt-queued ]]; then direct=0; fi
        NVT_DIRECT_WRITE=$direct NVT_UDP_GSO=$gso NVT_ADMIN_PASSWORD=$password taskset -c 0 "$bin" --config "$work/nvt.toml" \
            --state-dir "$work/state" \
            --bind 127.0.0.1 --http-port $(($2 + 1000)) --rtsp-port "$2" --no-discovery \
            --replay "$clip" --log-level warn >/dev/null 2>"$work/nvt.log" &
        ;;
    floor)
        taskset -c 0 "$target/release/examples/rtsp_floor" --clip "$clip" --port "$2" \
            2>"$work/floor.log" &
        ;;
    gst)
        taskset -c 0 /usr/bin/python3 bench/gst_rtsp_server.py "$clip" "$2" admin "$password" \
            >/dev/null 2>"$work/gst.log" &
        ;;
    esac
    srv_pid=$!
    # Ready when the RTSP port accepts (the peer parses the clip first), then settle.
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then break; fi
        sleep 0.2
    done
    sleep 2
}

stop_server() {
    kill "$srv_pid"
    wait "$srv_pid" 2>/dev/null || true
    srv_pid=
    sleep 2
}

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

load() { # port viewers transport server
    local status=()
    # nvt says how many frames it produced and lost at capture (frames delivered are counted
    # against that); the others produce 25 a second.
    if [[ $4 == nvt* ]]; then status=(--status-url "http://127.0.0.1:$(($1 + 1000))/api/status"); fi
    taskset -c 1 "$target/release/examples/rtsp_load" --url "rtsp://127.0.0.1:$1/main" \
        --viewers "$2" --secs "$secs" --stagger-ms "$stagger" --user admin \
        --password "$password" --server-pid "$srv_pid" --transport "$3" "${status[@]}"
}

field() { # json name
    sed -E "s/.*\"$2\":([^,}]*).*/\\1/" <<<"$1"
}

echo "| server | transport | viewers | load avg | CPU % steady (user) | CPU % incl. ramp | RSS MiB | played | gaps (rcvbuf drops) | ts regressions | Mbit/s per viewer (payload) | RTP clock / wall | frames per viewer mean / min of produced (lost at capture) | incomplete / skipped frames | first frame p50 / p95 / max ms | capture to arrival p50 / p95 / max ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
declare -A cpu
port=18554
for t in $transports; do
    for n in 0 "${viewers[@]}"; do
        # The idle row does not depend on the transport: once per server.
        if [[ $n == 0 && $t != "${transports%% *}" ]]; then continue; fi
        for name in $servers; do
            # The floor speaks TCP only.
            if [[ $name == floor && $t != tcp ]]; then continue; fi
            port=$((port + 1))
            start_server "$name" "$port"
            loadavg=$(cut -d' ' -f1 /proc/loadavg)
            out=$(load "$port" "$n" "$t" "$name")
            rss=$(rss_mib "$srv_pid")
            stop_server
            echo "$out" >>"${RESULTS:-/dev/null}"
            cpu[$name/$t/$n]=$(field "$out" cpu_pct_steady)
            printf '| %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s (%s) | %s | %s (%s) | %s | %s / %s of %s (%s) | %s / %s | %s / %s / %s | %s / %s / %s |\n' \
                "$name" "$t" "$n" "$loadavg" "$(field "$out" cpu_pct_steady)" "$(field "$out" cpu_user_pct_steady)" \
                "$(field "$out" cpu_pct_all)" "$rss" \
                "$(field "$out" ok)" "$(field "$out" gaps)" "$(field "$out" rcvbuf_drops)" \
                "$(field "$out" ts_regressions)" \
                "$(field "$out" mbps_per_viewer)" "$(field "$out" payload_mbps_per_viewer)" \
                "$(field "$out" rtp_clock_vs_wall)" \
                "$(field "$out" frames_per_viewer)" "$(field "$out" frames_min_viewer)" \
                "$(field "$out" frames_produced)" "$(field "$out" frames_lost_at_capture)" \
                "$(field "$out" frames_incomplete)" "$(field "$out" frames_skipped)" \
                "$(field "$out" ttff_ms_p50)" \
                "$(field "$out" ttff_ms_p95)" "$(field "$out" ttff_ms_max)" \
                "$(field "$out" latency_ms_p50)" "$(field "$out" latency_ms_p95)" \
                "$(field "$out" latency_ms_max)"
        done
    done
done

# Ratios of steady CPU, each pair measured back to back in this run.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
# A server's steady CPU minus its idle row's (measured once, with the first transport).
fanout() { # server transport viewers
    awk -v a="${cpu[$1/$2/$3]:-}" -v i="${cpu[$1/${transports%% *}/0]:-}" \
        'BEGIN { if (a == "" || i == "") print ""; else printf "%.2f", a - i }'
}
# shellcheck disable=SC2206
list=($servers)
pairs=()
for ((i = 0; i < ${#list[@]}; i++)); do
    for ((j = i + 1; j < ${#list[@]}; j++)); do
        # Against the floor, "server / floor"; between servers, in the order given.
        if [[ ${list[i]} == floor ]]; then pairs+=("${list[j]}/floor"); else pairs+=("${list[i]}/${list[j]}"); fi
    done
done
echo
printf '| transport | viewers |'
for p in "${pairs[@]}"; do printf ' %s |' "${p/\// : }"; done
for p in "${pairs[@]}"; do printf ' %s, fan-out (minus idle) |' "${p/\// : }"; done
echo
printf '|---|---|'
for _ in "${pairs[@]}" "${pairs[@]}"; do printf -- '---|'; done
echo
for t in $transports; do
    for n in "${viewers[@]}"; do
        printf '| %s | %s |' "$t" "$n"
        for p in "${pairs[@]}"; do
            printf ' %s |' "$(ratio "${cpu[${p%/*}/$t/$n]:-}" "${cpu[${p#*/}/$t/$n]:-}")"
        done
        for p in "${pairs[@]}"; do
            printf ' %s |' "$(ratio "$(fanout "${p%/*}" "$t" "$n")" "$(fanout "${p#*/}" "$t" "$n")")"
        done
        echo
    done
done
