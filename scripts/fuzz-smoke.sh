#!/usr/bin/env bash
# Runs every fuzz target for a short, fixed time on its committed corpus (CI smoke run).
# Longer runs: FUZZ_SECONDS=3600 FUZZ_SANITIZER=address FUZZ_PROFILE=release \
#   scripts/fuzz-smoke.sh [target...]   (see docs/fuzzing.md).
#
# The smoke run builds unoptimised (FUZZ_PROFILE=dev, the default): 207 s from scratch on the
# 2-core machine, where the optimised build took 807 s beside the other CI jobs, and overflow
# checks are on; a few seconds per target need no speed. Long runs should build optimised.
#
# The smoke run builds without a sanitizer: the parsers are safe Rust, where the failures to
# find are panics, which libFuzzer catches without one; AddressSanitizer doubles the build
# time for little gain there. Long runs should use it (it also covers sdk-sys).
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer, coverage instrumentation). The
# stable toolchain ships the sanitizer runtimes; RUSTC_BOOTSTRAP=1 lets it accept the flags,
# so no second toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-12}
sanitizer=${FUZZ_SANITIZER:-none}
case ${FUZZ_PROFILE:-dev} in
  dev) profile=--dev ;;
  release) profile=--release ;;
  *) echo "fuzz: FUZZ_PROFILE must be dev or release" >&2; exit 2 ;;
esac
export RUSTC_BOOTSTRAP=1
# cargo-fuzz drives the fuzz targets; pinned so every run builds the same tool. Installed
# here rather than in scripts/deps.sh: scripts/test-all runs this beside the conformance
# stage, where its build costs no time of its own.
if [ ! -x target/tools/bin/cargo-fuzz ]; then
  echo "fuzz: installing cargo-fuzz"
  cargo install -q cargo-fuzz --version 0.13.2 --locked --root target/tools
fi
fuzz=(target/tools/bin/cargo-fuzz fuzz)
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir fuzz)
  # Every target in one cargo build (their links run in parallel); each run below then
  # finds its binary built.
  log=$(mktemp)
  if ! "${fuzz[@]}" build --fuzz-dir fuzz "$profile" --sanitizer "$sanitizer" >"$log" 2>&1; then
    cat "$log"; rm -f "$log"; exit 1
  fi
  rm -f "$log"
fi
failed=0
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus"
  # Work on a scratch copy: new inputs found in CI are not committed by accident.
  work=$(mktemp -d)
  cp -r "$corpus/." "$work/" 2>/dev/null || true
  if "${fuzz[@]}" run --fuzz-dir fuzz "$profile" --sanitizer "$sanitizer" "$t" "$work" -- \
       -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0 >"$work.log" 2>&1; then
    echo "fuzz: $t ok ($seconds s)"
  else
    echo "fuzz: $t FAILED"; tail -40 "$work.log"; failed=1
    ls fuzz/artifacts/"$t" 2>/dev/null || true
  fi
  rm -rf "$work" "$work.log"
done
exit $failed
