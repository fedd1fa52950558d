#!/usr/bin/env bash
# What the VM tests (tests/vivid_vm.rs) need, installed idempotently and quietly: QEMU,
# busybox-static (the guest's userland), cpio (the initramfs), v4l-utils (v4l2-ctl, which a
# test copies into the guest), and Debian's current kernel package extracted into a cache
# directory of ours, with its modules.dep made by busybox's depmod (the package ships none:
# dpkg's postinst makes it on a real install); then scripts/vm-vicodec.sh adds the virtual M2M
# codec vicodec, which Debian's kernel lacks, built for that kernel. Prints the cache
# directory, which the tests read as NVT_VM_DIR or the same default.
#
#   scripts/vm-kernel.sh          (needs root or sudo for apt-get the first time)
#
# The kernel is the one Debian's linux-image-amd64 depends on now; a newer one replaces the
# cached one (the stamp names the package and its version, read from apt's local lists: a warm
# machine makes no network request).
set -euo pipefail
source "$(dirname "$0")/apt.sh"

dir=${NVT_VM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nvt-vm}

missing=()
for p in qemu-system-x86 busybox-static cpio v4l-utils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "vm-kernel: installing ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi

# The kernel package linux-image-amd64 points at, and the version apt would fetch.
pkg_of() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
pkg=$(pkg_of)
if [ -z "$pkg" ]; then
  # No package lists yet (a fresh container): fetch them once.
  apt_update
  pkg=$(pkg_of)
fi
[ -n "$pkg" ] || { echo "vm-kernel: apt knows no linux-image-amd64" >&2; exit 1; }
version=$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2}')
want="$pkg $version"

if [ "$(cat "$dir/k/stamp" 2>/dev/null)" != "$want" ]; then
  echo "vm-kernel: fetching $want into $dir" >&2
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/fetch.XXXXXX")
  # apt-get download writes into the current directory as the invoking user; as root, apt's
  # sandbox user (_apt) cannot write into our private temp directory, so root downloads itself.
  sandbox=(); [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
  (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg" >/dev/null)
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/k"
  rm -f "$tmp"/*.deb
  # Newer packages ship the modules under usr/lib only (merged /usr).
  [ -d "$tmp/k/lib/modules" ] || ln -s usr/lib "$tmp/k/lib"
  kver=${pkg#linux-image-}
  busybox depmod -b "$tmp/k" "$kver"
  echo "$want" > "$tmp/k/stamp"
  # Swapped in whole, so a run that died half-way never leaves a tree that looks complete.
  rm -rf "$dir/k"
  mv "$tmp/k" "$dir/k"
  rm -rf "$tmp"
fi
# (A new kernel above came without vicodec: its stamp lives in k/, so this rebuilds it.)
NVT_VM_DIR=$dir "$(dirname "${BASH_SOURCE[0]}")/vm-vicodec.sh"
echo "$dir"
