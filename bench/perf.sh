#!/bin/bash
# Where nvt's CPU goes while it fans a 4 Mbit/s stream out to N TCP viewers: `perf record -g`
# of the daemon (pinned to CPU 0, load generator on CPU 1, as run.sh) over SECONDS of the
# steady state, then the split by DSO (kernel / nvt / libc) and the top symbols.
#
#   bench/perf.sh CLIP [VIEWERS] [SECONDS]       default 200 viewers, 15 s of samples
#   env: NVT (a release binary with its symbol table: the profile strips it, so build one with
#        the same flags and `-C strip=none` for the binary only, e.g.
#        `touch src/main.rs; RUSTC_WRAPPER=WRAPPER cargo build --release --bin nvt
#        --example rtsp_load` with a wrapper adding `-C strip=none` when rustc is given
#        `--crate-name nvt` and src/main.rs: the code is the same, only the symbols stay),
#        CARGO_TARGET_DIR, OUT (perf.data path)
#
# perf falls back to the cpu-clock software event where the VM exposes no hardware counters.
set -euo pipefail
cd "$(dirname "$0")/.."
clip=$1
viewers=${2:-200}
secs=${3:-15}
target=${CARGO_TARGET_DIR:-target}
nvt=${NVT:-$target/release/nvt}
password=bench-Pass1
work=$(mktemp -d)
out=${OUT:-$work/perf.data}
nvt_pid=
trap 'if [[ -n $nvt_pid ]]; then kill "$nvt_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
export CLK_TCK
CLK_TCK=$(getconf CLK_TCK)

printf 'rtsp_max_connections_per_address = 1024\n' >"$work/nvt.toml"
NVT_ADMIN_PASSWORD=$password taskset -c 0 "$nvt" --config "$work/nvt.toml" \
    --state-dir "$work/state" --bind 127.0.0.1 --http-port 18755 --rtsp-port 18754 \
    --no-discovery --replay "$clip" --log-level warn >/dev/null 2>"$work/nvt.log" &
nvt_pid=$!
sleep 3
stagger=20
taskset -c 1 "$target/release/examples/rtsp_load" --url rtsp://127.0.0.1:18754/main \
    --viewers "$viewers" --secs $((secs + 5)) --stagger-ms $stagger --user admin \
    --password "$password" --server-pid "$nvt_pid" --transport tcp >"$work/load.json" &
load_pid=$!
# Past the ramp and 2 s more: every viewer playing.
sleep "$(awk -v n="$viewers" -v s=$stagger 'BEGIN {print n * s / 1000 + 2}')"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
perf record -F 999 -g -p "$nvt_pid" -o "$out" -- sleep "$secs" 2>&1 | tail -1 >&2
wait "$load_pid"
cat "$work/load.json"
echo
echo '### by DSO (self time)'
perf report -i "$out" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
echo '### top symbols (self time)'
perf report -i "$out" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
echo '### top nvt symbols (self time, % of all samples)'
perf report -i "$out" --no-children --dsos "$(basename "$nvt")" --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25
echo '### syscalls and callers (children, top 30)'
perf report -i "$out" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30
