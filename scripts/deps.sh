#!/usr/bin/env bash
# Installs what building and testing nvt needs on a Debian machine with Rust, idempotently and
# quietly: Debian packages (only those missing, so a warm machine runs no apt at all) and the
# cargo-fuzz tool (into target/tools, once).
set -euo pipefail
cd "$(dirname "$0")/.."

# ffmpeg/ffprobe: decode what the camera streams. nasm: openh264's SIMD. libclang-dev/clang:
# the bindgen drift test. iproute2: network namespaces for multicast tests. gstreamer: the
# rtspsrc client tests. gir1.2-gst-rtsp-server-1.0 + python3-gi: the GStreamer RTSP server,
# peer of the RTSP benchmark (bench/run.sh). faketime: the conformance case that starts the
# camera with its clock at 1970.
PACKAGES=(ffmpeg nasm libclang-dev clang iproute2 procps python3-venv faketime
          gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
          gstreamer1.0-plugins-bad gstreamer1.0-libav gir1.2-gst-rtsp-server-1.0 python3-gi)

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
