#!/usr/bin/env bash
# Set up a development machine (Debian or Ubuntu) and either run the appliance or test it.
#
#   provisioning/dev.sh run [ARGS…]   the whole appliance, simulated when there is no Pi
#   provisioning/dev.sh test [ARGS…]  ruff, mypy, then the whole test suite (ARGS go to pytest)
#   provisioning/dev.sh test tests/virtual_pi   the appliance in a VM (provisioning/README.md)
#
# Idempotent: system packages are installed only when missing, the venv is reused, and the
# project is reinstalled in editable mode so the code you run is the code you see.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="${VIG_VENV:-$here/.venv}"

# Debian packages: the command (or file) that proves each one is present.
apt_needs=(
  "python3:python3"
  "python3 -m venv --help:python3-venv"
  "age:age"
  "ffprobe:ffmpeg"
  "chromium:chromium"
  "shellcheck:shellcheck"
  "mkfs.vfat:dosfstools"
  "fusefat:fusefat"
  "fusermount3:fuse3"
  "systemd-analyze:systemd"
  "node:nodejs"
  "npm:npm"
  "/usr/lib/x86_64-linux-gnu/libportaudio.so.2 /usr/lib/aarch64-linux-gnu/libportaudio.so.2:libportaudio2"
  # the virtual Pi (provisioning/virtual-pi.sh, tests/virtual_pi)
  "qemu-system-x86_64:qemu-system-x86"
  "qemu-img:qemu-utils"
  "mmdebstrap:mmdebstrap"
  "nbdkit:nbdkit"
  "mcopy:mtools"
  "sfdisk:fdisk"
  "mkfs.exfat:exfatprogs"
  "/usr/src/linux-source-6.1.tar.xz:linux-source"
  "/usr/share/doc/linux-headers-amd64:linux-headers-amd64"
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

present() {
  local probe=$1 candidate
  case "$probe" in
    /*)
      for candidate in $probe; do [ -e "$candidate" ] && return 0; done
      return 1 ;;
    *" "*) eval "$probe" >/dev/null 2>&1 ;;
    *) command -v "$probe" >/dev/null 2>&1 ;;
  esac
}

install_system_packages() {
  local missing=() entry
  for entry in "${apt_needs[@]}"; do
    present "${entry%%:*}" || missing+=("${entry##*:}")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "dev.sh: installing Debian packages: ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

install_python_packages() {
  if [ ! -x "$venv/bin/python" ]; then
    echo "dev.sh: creating the venv $venv" >&2
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e "${here}[test]"
}

# The viewer is built here, on a development or CI machine, and carried in the wheel as
# package data: the Pi never runs Node. `npm ci` installs exactly what package-lock.json pins.
build_viewer() {
  local web="$here/appliance/viewer/web"
  if [ ! -e "$web/node_modules/.package-lock.json" ] \
      || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    echo "dev.sh: installing the viewer's pinned npm packages" >&2
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  (cd "$web" && node build.mjs >/dev/null)
}

# ruff and mypy first (each fails the command), then pytest; what mypy checks is listed in
# pyproject.toml's [tool.mypy] files.
run_tests() {
  echo "dev.sh: ruff check appliance tests bench" >&2
  "$venv/bin/ruff" check appliance tests bench
  echo "dev.sh: mypy" >&2
  "$venv/bin/mypy"
  exec "$venv/bin/python" -m pytest "$@"
}

main() {
  local what=${1:-}
  shift || true
  install_system_packages
  install_python_packages
  build_viewer
  cd "$here"
  case "$what" in
    run) exec "$venv/bin/vig-appliance" run --simulate "$@" ;;
    test) run_tests "$@" ;;
    setup) echo "dev.sh: ready; the venv is $venv" >&2 ;;
    *) echo "usage: provisioning/dev.sh run|test|setup [ARGS…]" >&2; exit 2 ;;
  esac
}

# Sourced (by tests/test_dev_script.py), it only defines the functions above.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
