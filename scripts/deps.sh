#!/usr/bin/env bash
# Installs what building and testing nvt needs on a Debian machine with Rust, idempotently and
# quietly: Debian packages (only those missing, so a warm machine runs no apt at all), the
# Python venvs and playwright. (cargo-fuzz: scripts/fuzz-smoke.sh installs it.)
set -euo pipefail
source "$(dirname "$0")/apt.sh"
cd "$(dirname "$0")/.."

# ffmpeg/ffprobe: decode what the camera streams. nasm: openh264's SIMD. libclang-dev/clang:
# the bindgen drift test. iproute2: network namespaces for multicast tests. gstreamer: the
# rtspsrc client tests. gir1.2-gst-rtsp-server-1.0 + python3-gi: the GStreamer RTSP server,
# peer of the RTSP benchmark (bench/run.sh). faketime: the conformance case that starts the
# camera with its clock at 1970. chromium (+ node and npm, below): the browser test of the
# camera page (tests/web_chromium.rs, driven by playwright-core); curl: HTTP Digest client
# of the HLS tests. tzdata: the zoneinfo database time zone names resolve in (a camera
# image without it still takes the fixed names, see docs/settings.md). util-linux:
# `unshare`, the private namespaces of the full-disk and interface tests.
PACKAGES=(ffmpeg nasm libclang-dev clang iproute2 procps python3-venv faketime curl tzdata
          util-linux
          gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
          gstreamer1.0-plugins-bad gstreamer1.0-libav gir1.2-gst-rtsp-server-1.0 python3-gi
          chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node from Debian unless a node with npm is already there (e.g. a NodeSource build, whose
# nodejs package conflicts with Debian's npm).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

# clippy is the lint stage of scripts/test-all; rustup's default profile has it, a minimal
# one does not.
if ! cargo clippy --version >/dev/null 2>&1; then
  echo "deps: adding clippy"
  rustup component add clippy >/dev/null
fi

# Python clients the conformance tests drive, each in its own venv under target/, rebuilt when
# its pinned requirements change: Home Assistant's onvif-zeep-async (tests/onvif_zeep.rs) and
# the WSDiscovery client (tests/discovery_netns.rs).
venv() {
  local req=$1 venv=$2
  if [ ! -f "$venv/installed" ] || ! cmp -s "$req" "$venv/installed"; then
    echo "deps: creating $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    cp "$req" "$venv/installed"
  fi
}
venv conformance/onvif-zeep/requirements.txt target/zeep-venv
venv conformance/ws-discovery/requirements.txt target/wsd-venv

# playwright-core drives the Debian chromium (never a browser download of its own), pinned, in
# target/node; tests/web_chromium.rs uses it.
node_pkg=tests/web/package.json
if [ ! -f target/node/installed ] || ! cmp -s "$node_pkg" target/node/installed; then
  echo "deps: installing playwright-core into target/node"
  rm -rf target/node && mkdir -p target/node
  cp "$node_pkg" target/node/package.json
  (cd target/node && npm install --silent --no-audit --no-fund --no-package-lock >/dev/null)
  cp "$node_pkg" target/node/installed
fi
