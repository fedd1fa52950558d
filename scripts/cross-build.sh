#!/usr/bin/env bash
# Builds nvt for the boards docs/hardware.md covers and starts each build under qemu-user to
# its --help: aarch64-unknown-linux-gnu (Raspberry Pi 3/4/5, Zero 2 W on 64-bit OS) and
# armv7-unknown-linux-gnueabihf (32-bit Raspberry Pi OS), with the V4L2 source (default
# features). Installs the cross toolchains, qemu-user and the Rust targets it needs,
# idempotently (only those of the targets asked for). Uses the `cross` profile (no
# optimisation, no debug info) unless CROSS_PROFILE names another: this proves the code and
# the C parts (openh264) build and link for the target and that the binary runs; a board
# gets `--release` (docs/hardware.md). scripts/test-all builds aarch64 with
# CROSS_PROFILE=release (its release build).
#
#   [CROSS_PROFILE=release] scripts/cross-build.sh [TARGET...]      (default: both)
set -euo pipefail
source "$(dirname "$0")/apt.sh"
cd "$(dirname "$0")/.."

targets=("$@")
((${#targets[@]})) || targets=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)

profile=${CROSS_PROFILE:-cross}
packages=(qemu-user)
for target in "${targets[@]}"; do
  case "$target" in
    aarch64-unknown-linux-gnu) packages+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu) ;;
    armv7-unknown-linux-gnueabihf) packages+=(gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf) ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "cross-build: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

for target in "${targets[@]}"; do
  case "$target" in
    aarch64-unknown-linux-gnu) gnu=aarch64-linux-gnu; qemu=qemu-aarch64 ;;
    armv7-unknown-linux-gnueabihf) gnu=arm-linux-gnueabihf; qemu=qemu-arm ;;
    *) echo "cross-build: unknown target $target" >&2; exit 2 ;;
  esac
  rustup target list --installed | grep -qx "$target" || rustup target add "$target" >/dev/null
  t=${target//-/_}
  T=${t^^}
  start=$SECONDS
  env "CARGO_TARGET_${T}_LINKER=$gnu-gcc" "CC_$t=$gnu-gcc" "CXX_$t=$gnu-g++" "AR_$t=$gnu-ar" \
    cargo build --locked -q --profile "$profile" --target "$target" --bin nvt
  bin="target/$target/$profile/nvt"
  # The binary must start on the target: --help exits 0 after clap and the whole static
  # initialisation of the process.
  "$qemu" -L "/usr/$gnu" "$bin" --help | grep -q -- "--source" ||
    { echo "cross-build: $bin --help under $qemu did not list --source" >&2; exit 1; }
  echo "cross-build: $target ok in $((SECONDS - start)) s ($(stat -c %s "$bin") bytes, profile $profile)"
done
