#!/usr/bin/env bash
# Installs what building and testing nvt needs on a Debian machine with Rust, idempotently and
# quietly: Debian packages (only those missing, so a warm machine runs no apt at all) and the
# cargo-fuzz tool (into target/tools, once).
set -euo pipefail
cd "$(dirname "$0")/.."

# ffmpeg/ffprobe: decode what the camera streams. nasm: openh264's SIMD. libclang-dev/clang:
# the bindgen drift test. iproute2: network namespaces for multicast tests. gstreamer: the
# rtspsrc client tests.
PACKAGES=(ffmpeg nasm libclang-dev clang iproute2 procps python3-venv
          gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
          gstreamer1.0-plugins-bad gstreamer1.0-libav)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# cargo-fuzz drives the fuzz targets; pinned so every run builds the same tool.
if [ ! -x target/tools/bin/cargo-fuzz ]; then
  echo "deps: installing cargo-fuzz"
  cargo install -q cargo-fuzz --version 0.13.2 --locked --root target/tools
fi
