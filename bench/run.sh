#!/bin/bash
# Side-by-side RTSP load: the real `nvt` daemon in replay mode vs GStreamer's RTSP server
# (bench/gst_rtsp_server.py), both fed the same pre-encoded ~4 Mb/s 1280x720 25 fps H.264 clip
# as a live stream, both with Digest auth; N viewers from bench/rtsp_load.rs, TCP-interleaved
# and UDP unicast (default receive buffers). Server pinned to CPU 0, load generator to CPU 1
# (taskset). Prints a Markdown table.
#
#   bench/run.sh [SECONDS] [VIEWERS...]      e.g. bench/run.sh 30 50 200 500
#   env: STAGGER_MS (viewer start spacing, default 20), SERVERS ("nvt gst", default both),
#        TRANSPORTS ("tcp udp", default both), CLIP (an Annex-B H.264 file to use instead of
#        the generated one), NVT (binary)
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
servers=${SERVERS:-nvt gst}
transports=${TRANSPORTS:-tcp udp}
nvt=${NVT:-target/release/nvt}
work=$(mktemp -d)
srv_pid=
trap 'if [[ -n $srv_pid ]]; then kill "$srv_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
export CLK_TCK
CLK_TCK=$(getconf CLK_TCK)
password=bench-Pass1

cargo build --release --bin nvt --example rtsp_load >&2
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
    nvt)
        rm -rf "$work/state"
        # Every viewer comes from 127.0.0.1: lift the per-address share (32 by default).
        printf 'rtsp_max_connections_per_address = 1024\n' >"$work/nvt.toml"
        NVT_ADMIN_PASSWORD=$password taskset -c 0 "$nvt" --config "$work/nvt.toml" \
            --state-dir "$work/state" \
            --bind 127.0.0.1 --http-port 0 --rtsp-port "$2" --no-discovery \
            --replay "$clip" --log-level warn >/dev/null 2>"$work/nvt.log" &
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

load() { # port viewers transport
    taskset -c 1 target/release/examples/rtsp_load --url "rtsp://127.0.0.1:$1/main" \
        --viewers "$2" --secs "$secs" --stagger-ms "$stagger" --user admin \
        --password "$password" --server-pid "$srv_pid" --transport "$3"
}

field() { # json name
    sed -E "s/.*\"$2\":([^,}]*).*/\\1/" <<<"$1"
}

echo "| server | transport | viewers | CPU % steady (user) | CPU % incl. ramp | RSS MiB | played | gaps (rcvbuf drops) | ts regressions | Mbit/s per viewer (payload) | RTP clock / wall | first frame p50 / p95 / max ms | capture to arrival p50 / p95 / max ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
port=18554
for name in $servers; do
    for t in $transports; do
        for n in 0 "${viewers[@]}"; do
            # The idle row does not depend on the transport: once per server.
            if [[ $n == 0 && $t != "${transports%% *}" ]]; then continue; fi
            port=$((port + 1))
            start_server "$name" "$port"
            out=$(load "$port" "$n" "$t")
            rss=$(rss_mib "$srv_pid")
            stop_server
            echo "$out" >>"${RESULTS:-/dev/null}"
            printf '| %s | %s | %s | %s (%s) | %s | %s | %s | %s (%s) | %s | %s (%s) | %s | %s / %s / %s | %s / %s / %s |\n' \
                "$name" "$t" "$n" "$(field "$out" cpu_pct_steady)" "$(field "$out" cpu_user_pct_steady)" \
                "$(field "$out" cpu_pct_all)" "$rss" \
                "$(field "$out" ok)" "$(field "$out" gaps)" "$(field "$out" rcvbuf_drops)" \
                "$(field "$out" ts_regressions)" \
                "$(field "$out" mbps_per_viewer)" "$(field "$out" payload_mbps_per_viewer)" \
                "$(field "$out" rtp_clock_vs_wall)" "$(field "$out" ttff_ms_p50)" \
                "$(field "$out" ttff_ms_p95)" "$(field "$out" ttff_ms_max)" \
                "$(field "$out" latency_ms_p50)" "$(field "$out" latency_ms_p95)" \
                "$(field "$out" latency_ms_max)"
        done
    done
done
