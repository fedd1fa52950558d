#!/usr/bin/env bash
# Builds nvt as a camera ships it and holds it to the flash budget of issue 20: the release
# profile (Cargo.toml: opt-level "s", fat LTO, one codegen unit, stripped), static for
# aarch64-unknown-linux-musl, without the simulator (`--no-default-features`, the C port
# template standing in for a vendor port: sdk-sys/README.md), `--bin nvt` alone as
# `cargo build --release` on a camera would (no dev-dependency or example unifies features
# into it). Starts it under qemu-user to its --help and fails if the stripped binary is over
# NVT_SIZE_BUDGET bytes (default 3,500,000). docs/PERFORMANCE.md has the figures and what each
# crate costs.
#
# The linker and C compiler for a static musl binary come from zig (PyPI packages ziglang and
# cargo-zigbuild, pinned below, installed once into a venv under the target directory): Debian
# has no aarch64 musl cross toolchain, and the port's C file needs musl's own headers
# (pthread types differ from glibc's). Idempotent: a second run installs nothing.
#
#   [SIM=1] [NVT_SIZE_BUDGET=bytes] scripts/size-budget.sh
#
# SIM=1 builds the simulator build instead (default features but V4L2, which needs a device;
# openh264's C++ is compiled by zig's clang against its libc++) and checks no budget: it is
# the binary docs/PERFORMANCE.md runs under qemu-user for RSS while streaming.
set -euo pipefail
source "$(dirname "$0")/apt.sh"
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-musl
budget=${NVT_SIZE_BUDGET:-3500000}
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
tools="$target_dir/tools/zig"
ZIGLANG=0.17.1
ZIGBUILD=0.24.1

if ! "$tools/bin/python" -c "import ziglang" 2>/dev/null ||
  [ "$("$tools/bin/cargo-zigbuild" --version 2>/dev/null)" != "cargo-zigbuild $ZIGBUILD" ]; then
  echo "size-budget: installing ziglang $ZIGLANG and cargo-zigbuild $ZIGBUILD into $tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q "ziglang==$ZIGLANG" "cargo-zigbuild==$ZIGBUILD"
fi
command -v qemu-aarch64 >/dev/null || apt_install qemu-user
rustup target list --installed | grep -qx "$target" || rustup target add "$target" >/dev/null

if [ "${SIM:-0}" = 1 ]; then
  features=(--no-default-features --features sim)
  port=()
else
  features=(--no-default-features)
  port=("NVT_SDK_PORT_C=$PWD/sdk-sys/port-template/nvt_port_template.c")
fi
start=$SECONDS
# cargo-zigbuild finds zig as `python -m ziglang` of the python first on PATH.
env PATH="$tools/bin:$PATH" "${port[@]}" \
  cargo zigbuild --locked -q --release --target "$target" "${features[@]}" --bin nvt
bin="$target_dir/$target/release/nvt"
file -b "$bin" | grep -q "statically linked" ||
  { echo "size-budget: $bin is not a static binary" >&2; exit 1; }
qemu-aarch64 "$bin" --help | grep -q -- "--source" ||
  { echo "size-budget: $bin --help under qemu-aarch64 did not list --source" >&2; exit 1; }
size=$(stat -c %s "$bin")
echo "size-budget: $target ${features[*]}: $size bytes (built in $((SECONDS - start)) s)"
if [ "${SIM:-0}" != 1 ] && ((size > budget)); then
  echo "size-budget: $size bytes is over the budget of $budget bytes (issue 20)" >&2
  exit 1
fi
