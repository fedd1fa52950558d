#!/usr/bin/env bash
# Snapshot endpoint latency and size (docs/imaging.md): starts nvt (the binary given, default
# target/release/nvt) on a scratch state directory, then fetches each profile's snapshot N
# times in sequence with curl --digest (each request includes the 401 challenge round trip)
# and C clients at once; prints a Markdown table. Not a test: figures depend on the machine.
#   bench/snapshot.sh [NVT_BINARY] [N] [C]
set -euo pipefail
cd "$(dirname "$0")/.."
nvt=${1:-target/release/nvt}
n=${2:-30}
c=${3:-8}
state=$(mktemp -d)
log=$state/nvt.log
NVT_ADMIN_PASSWORD=bench-secret RUST_LOG=info "$nvt" --state-dir "$state" --bind 127.0.0.1 \
  --http-port 0 --rtsp-port 0 --no-discovery >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do
  grep -q "nvt running" "$log" && break
  sleep 0.2
done
port=$(grep -o 'device service at http://127.0.0.1:[0-9]*' "$log" | head -1 | sed 's/.*://')
echo "| profile | sequential median ms | mean ms | p90 ms | mean bytes | $c at once: 200 / 503 |"
echo "|---|---|---|---|---|---|"
for p in main sub; do
  args=()
  for _ in $(seq "$n"); do args+=(-o /dev/null "http://127.0.0.1:$port/snapshot/$p"); done
  curl -s --digest -u admin:bench-secret -w "%{time_total} %{size_download} %{http_code}\n" \
    "${args[@]}" >"$state/times"
  codes=$(for _ in $(seq "$c"); do
    curl -s -o /dev/null -w "%{http_code}\n" --digest -u admin:bench-secret \
      "http://127.0.0.1:$port/snapshot/$p" &
  done; wait)
  ok=$(grep -c '^200$' <<<"$codes" || true)
  busy=$(grep -c '^503$' <<<"$codes" || true)
  python3 - "$p" "$ok" "$busy" "$state/times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[4]) if l.strip()]
assert all(code == "200" for *_, code in rows), rows
t = sorted(float(a) * 1000 for a, _, _ in rows)
size = statistics.mean(int(b) for _, b, _ in rows)
p, ok, busy = sys.argv[1:4]
print(f"| {p} | {statistics.median(t):.1f} | {statistics.mean(t):.1f} | {t[int(len(t) * 0.9)]:.1f} | {size:.0f} | {ok} / {busy} |")
PY
done
