#!/usr/bin/env bash
# Turn a fresh Raspberry Pi OS Lite (64-bit, Bookworm or Trixie) into the VIG appliance.
# On plain Debian (the virtual Pi, provisioning/virtual-pi.sh) it does the same, with the
# synthetic camera standing in for the Pi's, which Debian's archive does not have.
#
#   sudo provisioning/install.sh --recipient age1… [--pin-file FILE] [options]
#   provisioning/install.sh --dry-run …        print every action, change nothing
#
# Idempotent: every step looks before it acts and says "unchanged" when the system is
# already as asked; a second run with the same options changes nothing and says so.
#
# --root DIR puts every file it writes under DIR (a staging tree, used by the tests);
# commands (apt-get, useradd, nmcli, systemctl…) still run on this machine, or are only
# printed with --dry-run. To build an image, run this inside the image's chroot with
# --image-build (see provisioning/image/).
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
on_error() {
  local status=$?
  trap - ERR
  printf 'install.sh: error: "%s" failed (status %s). The steps before it are done; fix the cause and run install.sh again.\n' \
    "$BASH_COMMAND" "$status" >&2
  exit 3
}
trap on_error ERR
# put_file is often the last command of a pipeline: it must run in this shell, so that
# the changes it counts are counted.
shopt -s lastpipe
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: install.sh [options]
  --recipient AGE1…            the practitioner's public key (enrolled once)
  --recovery-recipient AGE1…   the service's recovery public key (optional)
  --pin-file FILE              the panel PIN (first line); else prompted on a terminal
  --reset-pin                  set the PIN again although one is set
  --ssid NAME                  Wi-Fi network name (default VIG-appliance)
  --wifi-passphrase-file FILE  WPA2 passphrase, 8-63 characters (default: generated once)
  --country CC                 Wi-Fi regulatory country, ISO 3166 (default GB)
  --hostname NAME              host name, reachable as NAME.local (default vig)
  --audio-device NAME          ALSA/PortAudio input device (default: the system default)
  --data-partition DEV         put the data dir on its own ext4 partition (formats it only
                               when it holds no file system at all)
  --read-only-root             root file system as a RAM overlay (needs --data-partition)
  --source DIR                 the checkout to install from (default: this script's repo)
  --wheelhouse DIR             install the app offline from the wheels in DIR (the app's
                               own wheel and all its dependencies; no PyPI)
  --video WxH@FPS              the recorded picture, like 1280x720@25 (default 1920x1080@30)
  --video-bitrate BITS         the video bit rate in bit/s (default 6000000)
  --root DIR                   write files under DIR instead of /
  --image-build                inside an image build: change no running system
  --dry-run                    print what would be done, change nothing
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ROOT=/
SOURCE=$here
DRY_RUN=0
IMAGE_BUILD=0
RECIPIENT=""
RECOVERY_RECIPIENT=""
PIN_FILE=""
RESET_PIN=0
SSID="VIG-appliance"
PASSPHRASE_FILE=""
COUNTRY="GB"
HOST_NAME="vig"
AUDIO_DEVICE=""
WHEELHOUSE=""
VIDEO=""
VIDEO_BITRATE=""
DATA_PARTITION=""
READ_ONLY_ROOT=0

SERVICE_USER="vig-appliance"
SERVICE_GROUPS=(video audio gpio)
APP_DIR="/opt/vig-appliance"
VENV="$APP_DIR/venv"
DATA_DIR="/var/lib/vig-appliance"
CONF_DIR="/etc/vig-appliance"
STICK_DIR="/media/vig-appliance"
AP_CONNECTION="vig-ap"
AP_ADDRESS="10.42.0.1/24"
PANEL_PORT=8080
DATA_LABEL="vig-data"
# What gpiozero is told the board is when it is not a Pi (a Pi 4 Model B): it needs a
# revision to map BCM pin numbers, and only a Pi reports one.
STAND_IN_BOARD_REVISION="c03114"
ENABLED_UNITS=(vig-appliance.service NetworkManager.service avahi-daemon.service)

CHANGES=0
UNITS_CHANGED=0

# shellcheck source=lib/packages.sh
. "$here/provisioning/lib/packages.sh"
# shellcheck source=lib/actions.sh
. "$here/provisioning/lib/actions.sh"
# shellcheck source=lib/steps-system.sh
. "$here/provisioning/lib/steps-system.sh"
# shellcheck source=lib/steps-access.sh
. "$here/provisioning/lib/steps-access.sh"

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --recipient) RECIPIENT=${2:?--recipient needs a value}; shift ;;
      --recovery-recipient) RECOVERY_RECIPIENT=${2:?--recovery-recipient needs a value}; shift ;;
      --pin-file) PIN_FILE=${2:?--pin-file needs a file}; shift ;;
      --reset-pin) RESET_PIN=1 ;;
      --ssid) SSID=${2:?--ssid needs a value}; shift ;;
      --wifi-passphrase-file) PASSPHRASE_FILE=${2:?--wifi-passphrase-file needs a file}; shift ;;
      --country) COUNTRY=${2:?--country needs a value}; shift ;;
      --hostname) HOST_NAME=${2:?--hostname needs a value}; shift ;;
      --audio-device) AUDIO_DEVICE=${2:?--audio-device needs a value}; shift ;;
      --data-partition) DATA_PARTITION=${2:?--data-partition needs a device}; shift ;;
      --read-only-root) READ_ONLY_ROOT=1 ;;
      --source) SOURCE=${2:?--source needs a directory}; shift ;;
      --wheelhouse) WHEELHOUSE=${2:?--wheelhouse needs a directory}; shift ;;
      --video) VIDEO=${2:?--video needs WIDTHxHEIGHT@FPS}; shift ;;
      --video-bitrate) VIDEO_BITRATE=${2:?--video-bitrate needs bits per second}; shift ;;
      --root) ROOT=${2:?--root needs a directory}; shift ;;
      --image-build) IMAGE_BUILD=1 ;;
      --dry-run) DRY_RUN=1 ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown option $1" ;;
    esac
    shift
  done
}

check_args() {
  local bech32='^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$'
  local ssid_re='^[][A-Za-z0-9_.,:+=@!?()-][][A-Za-z0-9 _.,:+=@!?()-]{0,31}$'
  local host_re='^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
  if [ -n "$RECIPIENT" ] && ! [[ "$RECIPIENT" =~ $bech32 ]]; then
    die "--recipient '$RECIPIENT' is not an age public key (age1 followed by 58 characters)"
  fi
  if [ -n "$RECOVERY_RECIPIENT" ] && ! [[ "$RECOVERY_RECIPIENT" =~ $bech32 ]]; then
    die "--recovery-recipient '$RECOVERY_RECIPIENT' is not an age public key"
  fi
  [[ "$SSID" =~ $ssid_re ]] ||
    die "--ssid must be 1-32 letters, digits, spaces or _.,:+=@!?()[]- (no ; or backslash)"
  [[ "$COUNTRY" =~ ^[A-Z]{2}$ ]] || die "--country must be two capital letters, like GB"
  [[ "$HOST_NAME" =~ $host_re ]] ||
    die "--hostname must be lower-case letters, digits and inner hyphens"
  [[ "$AUDIO_DEVICE" != *[\"\\]* ]] || die "--audio-device must not contain \" or \\"
  if [ -n "$PIN_FILE" ]; then
    [ -r "$PIN_FILE" ] || die "cannot read the PIN file $PIN_FILE"
    check_pin "$(head -n 1 "$PIN_FILE")" "the first line of $PIN_FILE"
  fi
  if [ -n "$PASSPHRASE_FILE" ]; then
    [ -r "$PASSPHRASE_FILE" ] || die "cannot read the passphrase file $PASSPHRASE_FILE"
    check_passphrase "$(head -n 1 "$PASSPHRASE_FILE")" "the first line of $PASSPHRASE_FILE"
  fi
  if [ "$DRY_RUN" = 0 ] && [ -z "$PIN_FILE" ] && ! [ -t 0 ] &&
     { [ "$RESET_PIN" = 1 ] || ! [ -f "$(at "$DATA_DIR")/panel-pin" ]; }; then
    die "no panel PIN: give --pin-file FILE (or run on a terminal to be asked)"
  fi
  if ! [ -f "$SOURCE/pyproject.toml" ] || ! [ -d "$SOURCE/systemd" ]; then
    die "$SOURCE is not a checkout of the appliance (no pyproject.toml or systemd/)"
  fi
  if [ -n "$WHEELHOUSE" ] && ! compgen -G "$WHEELHOUSE/vig_appliance-*.whl" >/dev/null; then
    die "--wheelhouse $WHEELHOUSE holds no wheel of the app (vig_appliance-*.whl): build one with pip wheel --wheel-dir $WHEELHOUSE '${SOURCE}[pi]'"
  fi
  if [ -n "$VIDEO" ] && ! [[ "$VIDEO" =~ ^[1-9][0-9]{1,3}x[1-9][0-9]{1,3}@[1-9][0-9]?$ ]]; then
    die "--video '$VIDEO' is not WIDTHxHEIGHT@FPS, like 1280x720@25"
  fi
  if [ -n "$VIDEO_BITRATE" ] && ! [[ "$VIDEO_BITRATE" =~ ^[1-9][0-9]{4,7}$ ]]; then
    die "--video-bitrate '$VIDEO_BITRATE' is not a bit rate in bit/s, like 3000000"
  fi
  if [ "$READ_ONLY_ROOT" = 1 ] && [ -z "$DATA_PARTITION" ]; then
    die "--read-only-root needs --data-partition: on a RAM overlay the recordings would vanish at the next power cut"
  fi
  if [ "$DRY_RUN" = 0 ] && [ "$ROOT" = / ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (sudo), or with --dry-run to see the plan"
  fi
}

check_system() {
  local codename=""
  if [ -r "$(at /etc/os-release)" ]; then
    codename=$(sed -n 's/^VERSION_CODENAME=//p' "$(at /etc/os-release)" | tr -d '"')
  fi
  case "$codename" in
    bookworm|trixie) ;;
    *) warn "made for Raspberry Pi OS Bookworm or Trixie; this is '${codename:-unknown}'" ;;
  esac
}

finish() {
  if [ "$CHANGES" -eq 0 ]; then
    printf 'install.sh: nothing to change: the appliance is already set up as asked.\n'
  elif [ "$DRY_RUN" = 1 ]; then
    printf 'install.sh: %d changes to make (dry run: nothing was changed).\n' "$CHANGES"
  else
    if live; then run systemctl restart vig-appliance.service; fi
    printf 'install.sh: %d changes made. Panel: http://%s.local:%s/ (or http://%s:%s/) on Wi-Fi %s.\n' \
      "$CHANGES" "$HOST_NAME" "$PANEL_PORT" "${AP_ADDRESS%/*}" "$PANEL_PORT" "$SSID"
    printf 'install.sh: label with the Wi-Fi QR code: sudo python3 %s/provisioning/make-label.py --nmconnection /etc/NetworkManager/system-connections/%s.nmconnection --url http://%s.local:%s/ -o label.svg\n' \
      "$SOURCE" "$AP_CONNECTION" "$HOST_NAME" "$PANEL_PORT"
  fi
}

main() {
  parse_args "$@"
  check_args
  if raspberry_pi; then
    PACKAGES=("${RASPBERRY_PI_PACKAGES[@]}" "${DEBIAN_PACKAGES[@]}")
  else
    PACKAGES=("${DEBIAN_PACKAGES[@]}")
  fi
  app_command
  check_system
  check_data_partition
  check_read_only_root
  [ "$DRY_RUN" = 0 ] || printf 'install.sh: dry run: nothing will be changed.\n'
  step_packages
  step_user
  step_app
  step_data_partition
  step_data_dir
  step_units
  step_pin
  step_keys
  step_wifi
  step_hostname
  step_swap
  step_clock
  step_read_only_root
  finish
}

main "$@"
