# Sourced by the scripts that install Debian packages (deps.sh, cross-build.sh, size-budget.sh,
# vm-kernel.sh, vm-vicodec.sh). scripts/test-all runs several of them side by side, and
# `apt-get update` takes apt's lists lock without waiting, whatever DPkg::Lock::Timeout says:
# on a fresh machine two stages updating at once made one fail ("Could not get lock
# /var/lib/apt/lists/lock", the armv7 stage of 2026-12-07). Every apt-get here goes through
# one lock file, so they take turns.

# apt_update: refresh the package lists.
apt_update() {
  apt_locked update -qq
}

# apt_install PACKAGE...: refresh the lists and install the packages, quietly.
apt_install() {
  apt_locked update -qq && DEBIAN_FRONTEND=noninteractive \
    apt_locked install -y -qq --no-install-recommends "$@" >/dev/null
}

# apt_locked ARGS...: apt-get ARGS under the shared lock (root, or sudo for others); waits up
# to 20 minutes for another script's install.
apt_locked() {
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo --preserve-env=DEBIAN_FRONTEND)
  (
    flock -w 1200 9 || { echo "apt: another install held the lock for 20 minutes" >&2; exit 1; }
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 "$@"
  ) 9>>"${TMPDIR:-/tmp}/nvt-apt.lock"
}
