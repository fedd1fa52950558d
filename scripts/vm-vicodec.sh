#!/usr/bin/env bash
# The kernel's virtual memory-to-memory codec `vicodec` for the VM tests' kernel, built out of
# tree and installed into the cache scripts/vm-kernel.sh fills (it calls this script), so that
# nvt's V4L2 M2M (stateful hardware encoder) code meets a real kernel M2M driver in the VM.
#
#   scripts/vm-vicodec.sh         (needs root or sudo for apt-get the first time)
#
# Why build: Debian's kernel ships no vicodec (CONFIG_VIDEO_VICODEC is not set) and its
# videodev is built without CONFIG_V4L2_MEM2MEM_DEV, so neither v4l2-mem2mem.ko (the v4l2_m2m_*
# helpers) nor vicodec.ko exists for it. Both are built here from the source of exactly the
# kernel in the cache (linux-source-6.1 of the same Debian version) against that kernel's
# headers package, with the gcc the kernel was built with (gcc-12 on bookworm), and installed
# as lib/modules/KVER/extra/{v4l2-mem2mem,vicodec}.ko with modules.dep remade, so the tests
# resolve vicodec's dependencies (videobuf2-vmalloc, videodev, mc, ...) as they do vivid's.
# The modules are unsigned: Debian's kernel does not force signatures (CONFIG_MODULE_SIG_FORCE
# is not set, and the VM boots without Secure Boot, so no lockdown), so loading one only
# taints the kernel.
#
# Idempotent: the stamp k/vicodec-stamp names the recipe (RECIPE below) and the kernel package
# and version built for; a new kernel (vm-kernel.sh replaces k/ whole) or recipe rebuilds. Measured on the 2-core machine: 30 s cold
# (4 s of downloads, ~150 MB; 17 s of xz over the source tarball; 10 s of gcc), 40 s with a
# Rust build beside it; 0.02 s warm.
set -euo pipefail
source "$(dirname "$0")/apt.sh"

dir=${NVT_VM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nvt-vm}

# What vm-kernel.sh fetched: "linux-image-KVER VERSION".
read -r pkg version 2>/dev/null < "$dir/k/stamp" \
  || { echo "vm-vicodec: no kernel in $dir/k: run scripts/vm-kernel.sh" >&2; exit 1; }
kver=${pkg#linux-image-}
# The stamp names the recipe too: bump RECIPE when what is built or how changes, and every
# cache rebuilds once.
RECIPE=1
want="vicodec v4l2-mem2mem (recipe $RECIPE) for $pkg $version"
[ "$(cat "$dir/k/vicodec-stamp" 2>/dev/null)" != "$want" ] || exit 0

# The headers package's Makefile names its compiler (gcc-12 on bookworm); its kbuild tools
# (modpost, objtool, fixdep: linux-kbuild-*) link libelf and libssl; the source is .tar.xz.
# The headers and kbuild packages themselves are only extracted, never installed.
missing=()
for p in make gcc-12 libelf1 libssl3 xz-utils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "vm-vicodec: installing ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi

# linux-headers-KVER needs linux-headers-*-common (the tree) and linux-kbuild-X.Y (the tools);
# the source package of the same version is linux-source-X.Y.
deps=$(apt-cache depends "linux-headers-$kver=$version" 2>/dev/null \
  | awk '/Depends: linux-(headers-.*-common|kbuild-)/{print $2}')
series=$(echo "$kver" | cut -d. -f1,2)
debs=("linux-headers-$kver" $deps "linux-source-$series")
[ "${#debs[@]}" -eq 4 ] || { echo "vm-vicodec: apt knows no linux-headers-$kver=$version" >&2; exit 1; }

echo "vm-vicodec: building vicodec for $pkg $version" >&2
tmp=$(mktemp -d "$dir/vicodec.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# As in vm-kernel.sh: as root, apt's sandbox user (_apt) cannot write into our temp directory.
sandbox=(); [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
(cd "$tmp" && apt-get download -qq "${sandbox[@]}" "${debs[@]/%/=$version}" >/dev/null)

h="$tmp/h/usr/src/linux-headers-$kver"
for d in "$tmp"/linux-headers-*.deb "$tmp"/linux-kbuild-*.deb; do dpkg-deb -x "$d" "$tmp/h"; done
# The arch headers' Makefile includes the common tree by its installed absolute path; the
# other links between the packages are relative.
sed -i "s#^include /usr/src/#include $tmp/h/usr/src/#" "$h/Makefile"

# Only the 6 files needed, streamed out of the source tarball inside the .deb (the tree is
# 1.3 GB unpacked); ~17 s of xz on one core.
m="$tmp/m"; mkdir -p "$m"
top="linux-source-$series"
dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb \
  | tar -xO "./usr/src/linux-source-$series.tar.xz" \
  | tar -xJ -C "$m" --transform "s#.*/##" \
      "$top/drivers/media/test-drivers/vicodec/vicodec-core.c" \
      "$top/drivers/media/test-drivers/vicodec/codec-fwht.c" \
      "$top/drivers/media/test-drivers/vicodec/codec-fwht.h" \
      "$top/drivers/media/test-drivers/vicodec/codec-v4l2-fwht.c" \
      "$top/drivers/media/test-drivers/vicodec/codec-v4l2-fwht.h" \
      "$top/drivers/media/v4l2-core/v4l2-mem2mem.c"
rm -f "$tmp"/*.deb
# One external build of both: modpost resolves vicodec's v4l2_m2m_* against the sibling
# module, the rest against the kernel's Module.symvers (modversions match).
cat > "$m/Kbuild" <<'EOF'
obj-m := v4l2-mem2mem.o vicodec.o
vicodec-objs := vicodec-core.o codec-fwht.o codec-v4l2-fwht.o
EOF
# (Quiet unless it fails; it says "Skipping BTF generation" for each module: no vmlinux here.)
make -C "$h" M="$m" -j"$(nproc)" modules > "$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log" >&2; echo "vm-vicodec: build failed" >&2; exit 1; }

extra="$dir/k/lib/modules/$kver/extra"
mkdir -p "$extra"
for ko in v4l2-mem2mem vicodec; do
  # Without debug info, as `make modules_install INSTALL_MOD_STRIP=1` would (they go into
  # every initramfs that loads them).
  strip --strip-debug -o "$extra/$ko.ko" "$m/$ko.ko"
done
busybox depmod -b "$dir/k" "$kver"
echo "$want" > "$dir/k/vicodec-stamp"
