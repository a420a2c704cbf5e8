#!/usr/bin/env bash
# The virtual Pi: a Debian VM with the kernel's own virtual devices (a loopback sound card,
# two Wi-Fi radios, a GPIO chip, hot-plugged USB sticks) in which the appliance is installed
# by the real install.sh and run by its real systemd unit. See provisioning/README.md.
#
#   provisioning/virtual-pi.sh up [--fresh]     build the image if needed, boot, install, wait for READY=1
#   provisioning/virtual-pi.sh exec -- CMD…     run CMD as root in the guest (its output, its status)
#   provisioning/virtual-pi.sh plug-stick IMAGE hot-plug IMAGE as a USB mass-storage stick
#   provisioning/virtual-pi.sh unplug-stick     pull the stick out
#   provisioning/virtual-pi.sh power-cut        kill the machine, the disk's volatile cache included
#   provisioning/virtual-pi.sh down             shut the guest down, leaving nothing running
#   provisioning/virtual-pi.sh build            only build the image (if its inputs changed)
#   provisioning/virtual-pi.sh status           what is running, and where its files are
#
# Runs as root on a Debian host (it installs its own Debian packages when missing).
# VIG_VIRTUAL_PI_CACHE (default ~/.cache/vig-virtual-pi) holds the image, keyed by a hash
# of its inputs, and the running machine's folder (run/).
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
recipe=$here/virtual-pi
cache=${VIG_VIRTUAL_PI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vig-virtual-pi}
run_dir=$cache/run
control=(python3 "$recipe/control.py" --run-dir "$run_dir")

# The debian packages the harness needs on the host: the command that proves each.
host_needs=(
  "qemu-system-x86_64:qemu-system-x86" "qemu-img:qemu-utils" "mmdebstrap:mmdebstrap"
  "nbdkit:nbdkit" "mcopy:mtools" "sfdisk:fdisk" "mkfs.vfat:dosfstools" "mkfs.exfat:exfatprogs"
  "mkfs.ext4:e2fsprogs" "age-keygen:age" "make:make" "gcc:gcc"
  "/usr/src/linux-source-6.1.tar.xz:linux-source" "/usr/share/doc/linux-headers-amd64:linux-headers-amd64"
)

started=$SECONDS
say() { printf 'virtual-pi: %s\n' "$*" >&2; }
die() { printf 'virtual-pi: error: %s\n' "$*" >&2; exit 1; }
phase() { printf 'virtual-pi: [%4ds] %s (%ds)\n' $((SECONDS - started)) "$1" "$2" >&2; }

ensure_host_packages() {
  local entry probe missing=()
  for entry in "${host_needs[@]}"; do
    probe=${entry%%:*}
    case "$probe" in
      /*) [ -e "$probe" ] ;;
      *) command -v "$probe" >/dev/null ;;
    esac || missing+=("${entry##*:}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# The image's inputs: its recipe, the files put into the guest, and the package lists.
image_key() {
  (cd "$repo" && find provisioning/virtual-pi/build-image.sh provisioning/virtual-pi/customize-guest.sh \
       provisioning/virtual-pi/guest provisioning/lib/packages.sh -type f -print0 |
     LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

image_dir() { printf '%s/image-%s' "$cache" "$(image_key)"; }

cmd_build() {
  local image t0=$SECONDS
  ensure_host_packages
  image=$(image_dir)
  if [ -f "$image/complete" ]; then
    say "image $image is up to date"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "building the image needs root (mmdebstrap, chroot, depmod)"
  say "building the image in $image (about 3-6 minutes on 2 cores)"
  mkdir -p "$cache"
  "$recipe/build-image.sh" "$image" >&2
  phase "image built" $((SECONDS - t0))
}

# --- the machine --------------------------------------------------------------------------
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

running() { pid_alive "$run_dir/qemu.pid"; }

require_running() { running || die "the virtual Pi is not running (provisioning/virtual-pi.sh up)"; }

# A run's disk starts as a copy of the image and then lives on, across boots and power
# cuts, as a Pi's card does; `up --fresh` (or a new image) starts it again.
prepare_disk() {
  local fresh=$1 image=$2
  mkdir -p "$run_dir"
  if [ -f "$run_dir/disk.raw" ] && [ "$(cat "$run_dir/image" 2>/dev/null)" != "$image" ]; then
    say "the image changed since this disk was made: starting from a fresh copy"
    fresh=1
  fi
  if [ "$fresh" = 1 ] || ! [ -f "$run_dir/disk.raw" ]; then
    rm -f "$run_dir/disk.raw" "$run_dir"/install-*.log
    cp --sparse=always "$image/base.img" "$run_dir/disk.raw"
    printf '%s\n' "$image" > "$run_dir/image"
  fi
}

# nbdkit holds the disk, with its cache filter in write-back mode: writes the guest has not
# flushed stay in nbdkit's memory, so killing nbdkit loses them, as a power cut loses an SD
# card's volatile cache. Killing qemu alone would not: the host keeps what qemu wrote.
start_disk() {
  rm -f "$run_dir/nbd.sock" "$run_dir/nbdkit.pid"
  nbdkit --unix "$run_dir/nbd.sock" --pidfile "$run_dir/nbdkit.pid" \
    --filter=cache file "$run_dir/disk.raw" cache=writeback
  local i
  for i in $(seq 1 50); do [ -S "$run_dir/nbd.sock" ] && return 0; sleep 0.1; done
  die "nbdkit did not open its socket $run_dir/nbd.sock"
}

start_qemu() {
  local image=$1
  mkdir -p "$run_dir/share"
  rm -f "$run_dir/qmp.sock" "$run_dir/qga.sock" "$run_dir/qemu.pid"
  # The console of the boot before this one stays in serial.previous.log.
  [ ! -f "$run_dir/serial.log" ] || mv -f "$run_dir/serial.log" "$run_dir/serial.previous.log"
  qemu-system-x86_64 \
    -machine q35,accel=tcg -cpu max,avx=off,avx2=off,avx512f=off -smp 2 -m 2048 \
    -name vig-virtual-pi -display none -no-reboot -daemonize -pidfile "$run_dir/qemu.pid" \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0,115200 loglevel=4 systemd.show_status=false" \
    -drive "file=nbd:unix:$run_dir/nbd.sock,format=raw,if=none,id=root,cache=writeback" \
    -device virtio-blk-pci,drive=root \
    -virtfs "local,path=$run_dir/share,mount_tag=host,security_model=none,readonly=on,id=host" \
    -device qemu-xhci,id=xhci \
    -device virtio-serial-pci \
    -chardev "socket,id=qga,path=$run_dir/qga.sock,server=on,wait=off" \
    -device virtserialport,chardev=qga,name=org.qemu.guest_agent.0 \
    -qmp "unix:$run_dir/qmp.sock,server=on,wait=off" \
    -serial "file:$run_dir/serial.log" \
    -nic none
}

wait_for_guest() {
  local t0=$SECONDS waited
  while ! waited=$("${control[@]}" ping --wait 15 2>/dev/null); do
    running || { tail -n 30 "$run_dir/serial.log" >&2; die "qemu stopped while booting (console above)"; }
    [ $((SECONDS - t0)) -lt 600 ] || { tail -n 30 "$run_dir/serial.log" >&2; die "no guest agent after 600 s (console above)"; }
    say "waiting for the guest to boot (guest agent silent for $((SECONDS - t0)) s)"
  done
  : "$waited"
  guest mkdir -p /mnt/host /etc/systemd/system/vig-appliance.service.d
  # The one allowance for emulation: a start that takes a Pi seconds takes the guest a
  # minute or more (imports alone), past the unit's 90 s. Nothing else of the unit changes.
  guest sh -c 'printf "[Service]\nTimeoutStartSec=600\n" > /etc/systemd/system/vig-appliance.service.d/50-virtual-pi-emulation.conf'
  guest sh -c 'mountpoint -q /mnt/host || mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 host /mnt/host'
  phase "guest booted" $((SECONDS - t0))
}

guest() { "${control[@]}" exec -- "$@"; }

# --- the appliance: wheels built on the host, the real install.sh in the guest ------------
wheel_python() {
  local venv=$cache/wheel-venv
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  printf '%s' "$venv/bin/python"
}

# The checkout as it is now (uncommitted changes too), without what git ignores.
source_files() {
  local file
  git -C "$repo" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do
      [ ! -f "$repo/$file" ] || printf '%s\0' "$file"
    done
}

# What the guest's install uses: a change to the tests alone stages nothing anew.
source_digest() {
  (cd "$repo" && source_files | grep -zE '^(pyproject.toml|appliance/|provisioning/|systemd/)' |
     xargs -0 sha256sum | sha256sum | cut -c1-16)
}

stage_appliance() {
  local share=$run_dir/share t0=$SECONDS python digest
  digest=$(source_digest)
  if [ "$(cat "$share/source.digest" 2>/dev/null)" = "$digest" ] && [ -d "$share/wheels" ]; then
    say "app already staged from this checkout ($digest)"
    return 0
  fi
  rm -rf "$share/source.new" "$share/wheels.new"
  mkdir -p "$share/source.new" "$share/wheels.new" "$cache/wheels"
  (cd "$repo" && source_files | tar --null -T - -cf -) | tar -xf - -C "$share/source.new"
  python=$(wheel_python)
  # Dependencies are cached across runs; the app's own wheel is built from this checkout.
  "$python" -m pip wheel --quiet --wheel-dir "$cache/wheels" --find-links "$cache/wheels" \
    "$share/source.new[pi]" >&2
  cp "$cache/wheels"/*.whl "$share/wheels.new/"
  rm -f "$cache/wheels"/vig_appliance-*.whl
  rm -rf "$share/source" "$share/wheels"
  mv "$share/source.new" "$share/source"
  mv "$share/wheels.new" "$share/wheels"
  printf '%s\n' "$digest" > "$share/source.digest"
  if ! [ -f "$run_dir/practitioner.key" ]; then
    age-keygen -o "$run_dir/practitioner.key" 2>/dev/null
  fi
  age-keygen -y "$run_dir/practitioner.key" > "$share/recipient"
  [ -f "$run_dir/pin" ] || printf '%s\n' "$(shuf -i 100000-999999 -n 1)" > "$run_dir/pin"
  cp "$run_dir/pin" "$share/pin"
  phase "app staged: source and $(find "$share/wheels" -name '*.whl' | wc -l) wheels" $((SECONDS - t0))
}

# The guest's install: the real install.sh, offline, with a picture small enough for an
# emulated CPU (320x240 at 10 fps; at 1080p30 the synthetic camera alone cannot keep up).
install_in_guest() {
  local t0=$SECONDS log status=0 pid
  log=$run_dir/install-$(date -u +%Y%m%dT%H%M%S).log
  "${control[@]}" exec --timeout 3600 -- /mnt/host/source/provisioning/install.sh --source /mnt/host/source \
    --wheelhouse /mnt/host/wheels --recipient "$(cat "$run_dir/share/recipient")" \
    --pin-file /mnt/host/pin --audio-device "hw:0,1" --video 320x240@10 --video-bitrate 300000 \
    > "$log" 2>&1 &
  pid=$!
  local report=$((t0 + 30))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    [ "$SECONDS" -ge "$report" ] || continue
    say "waiting for install.sh in the guest ($((SECONDS - t0)) s; its log comes at the end)"
    report=$((report + 30))
  done
  wait "$pid" || status=$?
  cp "$log" "$run_dir/install-last.log"
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    die "install.sh failed in the guest (status $status; whole log: $log)"
  fi
  tail -n 1 "$log" >&2
  phase "install.sh in the guest" $((SECONDS - t0))
}

wait_for_service() {
  local t0=$SECONDS state
  while true; do
    state=$(guest systemctl is-active vig-appliance.service 2>/dev/null || true)
    case "$state" in
      active) break ;;
      failed)
        guest journalctl -u vig-appliance.service -n 40 --no-pager >&2 || true
        die "vig-appliance.service failed in the guest (journal above)" ;;
    esac
    [ $((SECONDS - t0)) -lt 300 ] || {
      guest journalctl -u vig-appliance.service -n 40 --no-pager >&2 || true
      die "vig-appliance.service not active after 300 s (state: $state)"; }
    [ $(((SECONDS - t0) % 15)) -ne 0 ] || say "waiting for vig-appliance.service to send READY=1 (now: ${state:-unknown})"
    sleep 1
  done
  phase "vig-appliance.service active (READY=1)" $((SECONDS - t0))
}

cmd_up() {
  local fresh=0 image
  while [ $# -gt 0 ]; do
    case "$1" in
      --fresh) fresh=1 ;;
      *) die "up: unknown option $1" ;;
    esac
    shift
  done
  cmd_build
  image=$(image_dir)
  if running; then
    [ "$fresh" = 0 ] || die "up --fresh: the virtual Pi is running; run down first"
    say "the virtual Pi is already running"
    stage_appliance
  else
    prepare_disk "$fresh" "$image"
    stage_appliance
    start_disk
    start_qemu "$image"
    wait_for_guest
  fi
  install_in_guest
  wait_for_service
  phase "up" $((SECONDS - started))
}

cmd_exec() {
  [ "${1:-}" = -- ] && shift
  [ $# -gt 0 ] || die "exec: give a command: exec -- CMD…"
  require_running
  exec "${control[@]}" exec --timeout "${VIG_VIRTUAL_PI_EXEC_TIMEOUT:-600}" -- "$@"
}

cmd_plug_stick() {
  local image=${1:-}
  [ -f "$image" ] || die "plug-stick: give a disk image file (the stick's contents), not '${image}'"
  require_running
  "${control[@]}" plug-stick "$image"
}

cmd_unplug_stick() {
  require_running
  "${control[@]}" unplug-stick
}

stop_helpers() { rm -f "$run_dir/qmp.sock" "$run_dir/qga.sock"; }

wait_gone() {
  local pidfile=$1 seconds=$2 i
  for i in $(seq 1 $((seconds * 10))); do
    pid_alive "$pidfile" || return 0
    sleep 0.1
  done
  : "$i"
  return 1
}

# The volatile cache goes first: nbdkit dies holding what the guest never flushed, then
# qemu, which can no longer write anything.
cmd_power_cut() {
  require_running
  kill -KILL "$(cat "$run_dir/nbdkit.pid")"
  kill -KILL "$(cat "$run_dir/qemu.pid")"
  wait_gone "$run_dir/qemu.pid" 10 || die "qemu survived SIGKILL"
  wait_gone "$run_dir/nbdkit.pid" 10 || die "nbdkit survived SIGKILL"
  rm -f "$run_dir/qemu.pid" "$run_dir/nbdkit.pid" "$run_dir/nbd.sock"
  stop_helpers
  say "power cut: nbdkit (with the unflushed writes) and qemu killed"
}

cmd_down() {
  local t0=$SECONDS
  if running; then
    "${control[@]}" qmp system_powerdown >/dev/null || true
    if ! wait_gone "$run_dir/qemu.pid" 90; then
      say "the guest did not power off within 90 s: stopping qemu"
      "${control[@]}" qmp quit >/dev/null 2>&1 || kill -TERM "$(cat "$run_dir/qemu.pid")"
      wait_gone "$run_dir/qemu.pid" 10 || kill -KILL "$(cat "$run_dir/qemu.pid")"
    fi
  fi
  # qemu flushed the disk as it exited; nbdkit can go.
  if pid_alive "$run_dir/nbdkit.pid"; then
    kill -TERM "$(cat "$run_dir/nbdkit.pid")"
    wait_gone "$run_dir/nbdkit.pid" 10 || kill -KILL "$(cat "$run_dir/nbdkit.pid")"
  fi
  rm -f "$run_dir/qemu.pid" "$run_dir/nbdkit.pid" "$run_dir/nbd.sock"
  stop_helpers
  phase "down" $((SECONDS - t0))
}

cmd_status() {
  printf 'image:    %s%s\n' "$(image_dir)" "$([ -f "$(image_dir)/complete" ] || echo ' (not built)')"
  printf 'run dir:  %s\n' "$run_dir"
  if running; then
    printf 'qemu:     running (pid %s), nbdkit pid %s\n' "$(cat "$run_dir/qemu.pid")" "$(cat "$run_dir/nbdkit.pid" 2>/dev/null || echo none)"
  else
    printf 'qemu:     not running\n'
  fi
}

main() {
  local command=${1:-}
  shift || true
  case "$command" in
    build) cmd_build ;;
    up) cmd_up "$@" ;;
    exec) cmd_exec "$@" ;;
    plug-stick) cmd_plug_stick "$@" ;;
    unplug-stick) cmd_unplug_stick ;;
    power-cut) cmd_power_cut ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) sed -n '2,17s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
