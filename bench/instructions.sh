#!/bin/bash
# What nvt's user space spends per frame per TCP viewer, in instructions: a count that does
# not depend on how busy the machine is (issue 20; wall-clock CPU % on a shared 2-core VM is
# noise). Each server runs under `valgrind --tool=callgrind` with instrumentation off (the
# ramp runs near native speed); the load generator (bench/rtsp_load.rs, natively) starts N
# TCP-interleaved viewers; once every viewer plays, instrumentation is switched on for WINDOW
# seconds (`callgrind_control -i on/off`), then the counts are dumped. Both servers are
# measured the same way in the same run:
#
# - nvt (`--replay CLIP`, Digest, as bench/run.sh runs it), which says on `/api/status` when
#   every viewer plays;
# - the floor (bench/rtsp_floor.rs: one `write` of the frame's bytes per viewer per frame).
#
# The frames are counted inside the window by callgrind itself, as calls of the function each
# server runs once per frame per viewer when the frame went out (nvt: the drop of the writer's write-or-kick pair; the
# floor: `Write::write_all`): frames delivered, not the wall clock times the frame rate (the
# on/off toggles reach a process under valgrind a fraction of a second late).
#
# Reported per row: instructions (Ir) in the window, frames, Ir per frame (all viewers) and
# Ir per frame per viewer, the kernel time the server spent in the window per frame per
# viewer (stime from /proc, 10 ms ticks: syscalls run natively under valgrind, so it is the
# kernel's own cost, though a time and so noisy on a shared machine), and nvt : floor of Ir per frame per viewer. With two or
# more viewer counts, also the marginal cost of one more viewer, per frame
# ((Ir/frame at N2 - Ir/frame at N1) / (N2 - N1)), which leaves out what is paid per frame
# whatever the viewers (replay, packetising, the simulator's motion detection).
#
# Idle and fan-out: each server is also measured with 0 viewers first (the same replay, no
# load generator; its frames are the window's length at 25 fps, nothing to count them by),
# its **idle** Ir per frame. Every row then shows that idle figure beside it and the
# **fan-out** Ir per frame per viewer = (Ir per frame - idle Ir per frame) / viewers: steady
# minus idle, the definition docs/PERFORMANCE.md uses. IDLE=0 skips the idle row.
#
#   bench/instructions.sh CLIP [VIEWERS...]      e.g. bench/instructions.sh clip.h264 50 200
#   env: WINDOW (seconds collected, default 10), SERVERS (default "floor nvt"), NVT (binary),
#        CARGO_TARGET_DIR, OUT (directory keeping the callgrind files for callgrind_annotate;
#        default a temporary one, removed)
#
# Needs valgrind (callgrind_control, vgdb). Build first, with symbols for the annotation:
#   CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
#     cargo build --release --bin nvt --example rtsp_load --example rtsp_floor
# (same code as the shipped profile; only the symbol table and line tables stay).
set -euo pipefail
cd "$(dirname "$0")/.."
clip=$1
shift
viewers=("${@:-50 200}")
# shellcheck disable=SC2206
viewers=(${viewers[@]})
if [[ ${IDLE:-1} != 0 && ${viewers[0]} != 0 ]]; then viewers=(0 "${viewers[@]}"); fi
fps=25
window=${WINDOW:-10}
servers=${SERVERS:-floor nvt}
target=${CARGO_TARGET_DIR:-target}
nvt=${NVT:-$target/release/nvt}
password=bench-Pass1
stagger=20
work=$(mktemp -d)
out=${OUT:-$work}
mkdir -p "$out"
srv_pid=
load_pid=
cleanup() {
    if [[ -n $load_pid ]]; then kill "$load_pid" 2>/dev/null || true; fi
    if [[ -n $srv_pid ]]; then kill "$srv_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
clk_tck=$(getconf CLK_TCK)

# utime stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15).
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

# How many RTSP viewers nvt's status lists on its busiest profile (the stream the load plays).
status_viewers() { # port
    curl -s --digest -u "admin:$password" "http://127.0.0.1:$1/api/status" |
        python3 -c '
import json, sys
print(max(len(p["rtsp_viewers"]) for p in json.load(sys.stdin)["profiles"]))
'
}

start_server() { # name port
    local vg=(valgrind --tool=callgrind --instr-atstart=no --max-threads=2000
        --callgrind-out-file="$out/callgrind.$1.$3" --log-file="$work/vg.$1.log")
    case $1 in
    nvt)
        rm -rf "$work/state"
        printf 'rtsp_max_connections_per_address = 1024\n' >"$work/nvt.toml"
        NVT_ADMIN_PASSWORD=$password taskset -c 0 "${vg[@]}" "$nvt" --config "$work/nvt.toml" \
            --state-dir "$work/state" --bind 127.0.0.1 --http-port $(($2 + 1000)) \
            --rtsp-port "$2" --no-discovery --replay "$clip" --log-level warn \
            >/dev/null 2>"$work/nvt.log" &
        ;;
    floor)
        taskset -c 0 "${vg[@]}" "$target/release/examples/rtsp_floor" --clip "$clip" \
            --port "$2" 2>"$work/floor.log" &
        ;;
    esac
    srv_pid=$!
    for _ in $(seq 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then break; fi
        sleep 0.5
    done
    sleep 3
}

# From a window's dump: its instructions (the "totals:" line, event Ir); the frames delivered
# in it, as calls of the function matching the regex $2 (nvt: the drop of the writer's
# write-or-kick pair, once per frame per viewer when its write completed; the floor: `Write::write_all`, once per frame per
# viewer); the instructions spent inside nvt's per-viewer writer tasks (inclusive cost of
# calls into `writer_task`'s future); and how many times tokio polled a task (more than one
# poll per frame per viewer: wake-ups for nothing; fewer: writers that fell behind and sent
# several frames per wake-up, which happens when valgrind's slowdown leaves nvt short of CPU).
dump_figures() { # dump regex
    python3 - "$1" "$2" <<'PY'
import re, sys
names, cur, total = {}, "", 0
sums = {"frames": 0, "writer": 0, "polls": 0}
pat = re.compile(sys.argv[2])
in_call = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
    if m:
        kind, id_, name = m.groups()
        if name:
            names[id_] = name
        if kind == "cfn":
            cur = names.get(id_, "")
        continue
    m = re.match(r"^calls=(\d+)", line)
    if m:
        n = int(m.group(1))
        if pat.search(cur):
            sums["frames"] += n
        if cur == "tokio::runtime::task::raw::poll":
            sums["polls"] += n
        in_call = cur
        continue
    if in_call is not None:
        # The line after calls= is the call's inclusive cost.
        if in_call.startswith("nvt::rtsp::server::writer_task::"):
            sums["writer"] += int(line.split()[1])
        in_call = None
    if line.startswith("totals:"):
        total = int(line.split()[1])
print(total, sums["frames"], sums["writer"], sums["polls"])
PY
}

echo "| server | viewers | playing | frames per viewer in window | Ir in window | Ir per frame | idle Ir per frame (0 viewers) | Ir per frame per viewer | fan-out Ir per frame per viewer (minus idle) | of which in writer tasks | task polls per frame per viewer | kernel µs per frame per viewer (stime) | user ms per s under valgrind |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
declare -A per_fv per_f idle_f
port=19554
for n in "${viewers[@]}"; do
    for name in $servers; do
        port=$((port + 1))
        start_server "$name" "$port" "$n"
        if ((n == 0)); then
            # Idle: the server alone, past its start-up.
            sleep 5
            read -r u0 s0 < <(ticks "$srv_pid")
            callgrind_control -i on "$srv_pid" >/dev/null
            t0=$(date +%s.%N)
            sleep "$window"
            callgrind_control -i off "$srv_pid" >/dev/null
            t1=$(date +%s.%N)
            read -r u1 s1 < <(ticks "$srv_pid")
            callgrind_control -d "window" "$srv_pid" >/dev/null
            sleep 1
            # shellcheck disable=SC2012
            dump=$(ls -t "$out/callgrind.$name.0".* | head -1)
            read -r ir _ _ _ < <(dump_figures "$dump" '^$')
            kill "$srv_pid"
            wait "$srv_pid" 2>/dev/null || true
            srv_pid=
            sleep 2
            read -r frames pf ums < <(awk -v ir="$ir" -v a="$t0" -v b="$t1" -v f="$fps" \
                -v du=$((u1 - u0)) -v hz="$clk_tck" 'BEGIN {
                    fr = (b - a) * f; printf "%.0f %.0f %.0f\n", fr, ir / fr, du * 1000 / hz / (b - a) }')
            idle_f[$name]=$pf
            per_f[$name/0]=$pf
            echo "| $name | 0 | 0 | ($frames produced) | $ir | $pf | $pf | - | - | - | - | - | $ums |"
            continue
        fi
        secs=$((n * stagger / 1000 + 20 + window + 15))
        args=()
        if [[ $name == nvt ]]; then args=(--user admin --password "$password"); fi
        taskset -c 1 "$target/release/examples/rtsp_load" --url "rtsp://127.0.0.1:$port/main" \
            --viewers "$n" --secs "$secs" --stagger-ms "$stagger" --transport tcp "${args[@]}" \
            >"$work/load.json" 2>"$work/load.log" &
        load_pid=$!
        # Past the ramp, then until every viewer plays (nvt says; the floor: 10 s more).
        sleep $((n * stagger / 1000 + 5))
        playing=$n
        if [[ $name == nvt ]]; then
            for _ in $(seq 60); do
                playing=$(status_viewers $((port + 1000)))
                if ((playing >= n)); then break; fi
                sleep 1
            done
            sleep 3
        else
            sleep 10
        fi
        read -r u0 s0 < <(ticks "$srv_pid")
        callgrind_control -i on "$srv_pid" >/dev/null
        t0=$(date +%s.%N)
        sleep "$window"
        callgrind_control -i off "$srv_pid" >/dev/null
        t1=$(date +%s.%N)
        read -r u1 s1 < <(ticks "$srv_pid")
        callgrind_control -d "window" "$srv_pid" >/dev/null
        sleep 1
        # shellcheck disable=SC2012
        dump=$(ls -t "$out/callgrind.$name.$n".* | head -1)
        # nvt: the drop of the writer's (write, kick) pair, once per frame per viewer after the
        # write (`Viewer::sent_armed`, which replaced `Viewer::sent` there, is inlined).
        # With the direct write (docs/PERFORMANCE.md, step 5), also the frames the publisher
        # wrote whole itself (`rtsp::direct_write::whole`, not inlined for this count).
        if [[ $name == nvt ]]; then per=$'drop_in_place<\\(nvt::rtsp::delivery::write_interleaved|nvt::rtsp::direct_write::whole$'; else per=$'Write::write_all$'; fi
        read -r ir frames writer polls < <(dump_figures "$dump" "$per")
        kill "$load_pid" 2>/dev/null || true
        wait "$load_pid" 2>/dev/null || true
        load_pid=
        kill "$srv_pid"
        wait "$srv_pid" 2>/dev/null || true
        srv_pid=
        sleep 2
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
        row=$(awk -v ir="$ir" -v fr="$frames" -v n="$n" -v w="$wall" -v ds=$((s1 - s0)) \
            -v du=$((u1 - u0)) -v hz="$clk_tck" -v wr="$writer" -v po="$polls" 'BEGIN {
                if (fr == 0) fr = 1;
                fpv = fr / n; pf = ir / fpv;
                printf "%.0f %.0f %.0f %.0f %.0f %.2f %.1f %.0f", fpv, ir, pf, ir / fr,
                    wr / fr, po / fr, ds * 1e6 / hz / fr, du * 1000 / hz / w }')
        read -r fpv ir pf pfv wpfv ppfv kus ums <<<"$row"
        if [[ $name != nvt ]]; then wpfv=-; fi
        per_fv[$name/$n]=$pfv
        per_f[$name/$n]=$pf
        idle=${idle_f[$name]:-}
        fan=$(awk -v pf="$pf" -v i="$idle" -v n="$n" \
            'BEGIN { if (i == "") print "-"; else printf "%.0f", (pf - i) / n }')
        echo "| $name | $n | $playing | $fpv | $ir | $pf | ${idle:--} | $pfv | $fan | $wpfv | $ppfv | $kus | $ums |"
    done
done

echo
echo "| viewers | nvt : floor (Ir per frame per viewer) |"
echo "|---|---|"
for n in "${viewers[@]}"; do
    if ((n == 0)); then continue; fi
    echo "| $n | $(awk -v a="${per_fv[nvt/$n]:-}" -v b="${per_fv[floor/$n]:-}" \
        'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }') |"
done
loaded=()
for n in "${viewers[@]}"; do if ((n > 0)); then loaded+=("$n"); fi; done
if ((${#loaded[@]} >= 2)); then
    a=${loaded[0]}
    b=${loaded[-1]}
    echo
    echo "Marginal Ir per frame per added viewer ($a -> $b viewers):"
    for name in $servers; do
        echo "- $name: $(awk -v x="${per_f[$name/$a]:-}" -v y="${per_f[$name/$b]:-}" -v a="$a" \
            -v b="$b" 'BEGIN { if (x == "" || y == "") print "-"; else printf "%.0f", (y - x) / (b - a) }')"
    done
fi
