#!/usr/bin/env bash
# Turn a fresh Raspberry Pi OS Lite (64-bit, Bookworm or Trixie) into the VIG appliance.
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
set -Eeuo pipefail
trap 'status=$?; trap - ERR; printf "install.sh: error: \"%s\" failed (status %s). The steps before it are done; fix the cause and run install.sh again.\n" "$BASH_COMMAND" "$status" >&2; exit 3' ERR
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
PACKAGES=(python3-picamera2 python3-gpiozero python3-lgpio python3-venv libportaudio2
          network-manager dnsmasq-base avahi-daemon udisks2 polkitd age iw python3-segno)
ENABLED_UNITS=(vig-appliance.service NetworkManager.service avahi-daemon.service)

CHANGES=0
UNITS_CHANGED=0

die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
step() { printf '== %s\n' "$*"; }
unchanged() { printf '   unchanged: %s\n' "$*"; }
change() {
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then printf '   would: %s\n' "$*"; else printf '   change: %s\n' "$*"; fi
}
shell_words() {
  local word out=""
  for word in "$@"; do
    if [[ "$word" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+="$word "; else out+="'$word' "; fi
  done
  printf '%s' "${out% }"
}
# A command that changes the system: printed, and run unless this is a dry run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '     would run: %s\n' "$(shell_words "$@")"
  else
    printf '     run: %s\n' "$(shell_words "$@")"
    "$@" || command_failed "$?" "$@"
  fi
}
# Exit status 3: a system command failed (1: bad input or a refusal, before any change).
command_failed() {
  local status=$1
  shift
  trap - ERR
  printf 'install.sh: error: "%s" failed (status %s). The steps before it are done; fix the cause and run install.sh again.\n' \
    "$(shell_words "$@")" "$status" >&2
  exit 3
}
at() { printf '%s%s' "${ROOT%/}" "$1"; }
live() { [ "$IMAGE_BUILD" = 0 ] && [ -d "$(at /run/systemd/system)" ]; }
app_command() {
  APP=(runuser -u "$SERVICE_USER" -- "$(at "$VENV")/bin/vig-appliance"
       --config "$(at "$CONF_DIR")/config.toml" --data-dir "$(at "$DATA_DIR")")
}
# The app as the service user, from / (the caller's directory may be closed to that user).
app() { (cd / && "${APP[@]}" "$@"); }
run_app() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '     would run: %s\n' "$(shell_words "${APP[@]}" "$@")"
  else
    printf '     run: %s\n' "$(shell_words "${APP[@]}" "$@")"
    app "$@"
  fi
}

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
  [ -z "$PASSPHRASE_FILE" ] || [ -r "$PASSPHRASE_FILE" ] ||
    die "cannot read the passphrase file $PASSPHRASE_FILE"
  if ! [ -f "$SOURCE/pyproject.toml" ] || ! [ -d "$SOURCE/systemd" ]; then
    die "$SOURCE is not a checkout of the appliance (no pyproject.toml or systemd/)"
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

owner_of() { stat -c '%U:%G' "$1"; }
mode_of() { stat -c '%a' "$1"; }

# put_file PATH MODE OWNER:GROUP [SHOWN-AS], content on stdin: written only when something
# differs. A dry run shows the content (secrets masked), or SHOWN-AS for copied files.
put_file() {
  local path=$1 mode=$2 owner=$3 shown_as=${4:-} target staged
  target=$(at "$path")
  staged=$(mktemp)
  cat >"$staged"
  if [ -f "$target" ] && cmp -s "$staged" "$target" && [ "$(mode_of "$target")" = "$mode" ] &&
     [ "$(owner_of "$target")" = "$owner" ]; then
    unchanged "$path"
    rm -f "$staged"
    return 1
  fi
  change "write $path ($mode $owner)"
  if [ "$DRY_RUN" = 1 ] && [ -n "$shown_as" ]; then
    printf '     | (%s)\n' "$shown_as"
  elif [ "$DRY_RUN" = 1 ]; then
    sed -e 's/^\(psk\)=.*/\1=(secret)/' -e 's/^/     | /' "$staged"
  else
    mkdir -p "$(dirname "$target")"
    install -m "$mode" "$staged" "$target.vig-new"
    mv -f "$target.vig-new" "$target"
    [ "$owner" = root:root ] || run chown "$owner" "$target"
  fi
  rm -f "$staged"
}

# put_dir PATH MODE OWNER:GROUP
put_dir() {
  local path=$1 mode=$2 owner=$3 target
  target=$(at "$path")
  if [ -d "$target" ] && [ "$(mode_of "$target")" = "$mode" ] &&
     [ "$(owner_of "$target")" = "$owner" ]; then
    unchanged "$path/"
    return 0
  fi
  change "directory $path ($mode $owner)"
  [ -d "$target" ] || run mkdir -p "$target"
  run chmod "$mode" "$target"
  run chown "$owner" "$target"
}

step_packages() {
  step "Debian packages"
  local missing=() package installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
  for package in "${PACKAGES[@]}"; do
    grep -qx "$package installed" <<<"$installed" || missing+=("$package")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    unchanged "all ${#PACKAGES[@]} packages installed"
    return
  fi
  change "install ${missing[*]}"
  run apt-get update -q
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

step_user() {
  step "service user $SERVICE_USER"
  local group groups_now missing=()
  for group in "${SERVICE_GROUPS[@]}"; do
    if getent group "$group" >/dev/null; then continue; fi
    change "create the system group $group"
    run groupadd --system "$group"
  done
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    change "create the system user $SERVICE_USER (groups ${SERVICE_GROUPS[*]})"
    run useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "VIG appliance service" \
      --groups "$(IFS=,; printf '%s' "${SERVICE_GROUPS[*]}")" "$SERVICE_USER"
    return
  fi
  groups_now=" $(id -nG "$SERVICE_USER") "
  for group in "${SERVICE_GROUPS[@]}"; do
    [[ "$groups_now" == *" $group "* ]] || missing+=("$group")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    unchanged "user exists, in groups ${SERVICE_GROUPS[*]}"
    return
  fi
  change "add $SERVICE_USER to ${missing[*]}"
  run usermod -a -G "$(IFS=,; printf '%s' "${missing[*]}")" "$SERVICE_USER"
}

source_digest() {
  (cd "$SOURCE" && find pyproject.toml appliance -type f ! -name '*.pyc' -print0 |
     LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# picamera2's compiled helpers (simplejpeg) are built against the system's NumPy: the venv
# must not pull in another major version over it (Bookworm ships 1.x, Trixie 2.x).
numpy_constraint() {
  local version major constraints
  version=$(dpkg-query -W -f='${Version}' python3-numpy 2>/dev/null || true)
  version=${version#*:}
  major=${version%%.*}
  constraints="$(at "$APP_DIR")/pip-constraints.txt"
  if [ "$DRY_RUN" = 0 ]; then
    mkdir -p "$(dirname "$constraints")"
    if [[ "$major" =~ ^[0-9]+$ ]]; then
      printf 'numpy>=%s,<%s\n' "$major" "$((major + 1))" >"$constraints"
    else
      : >"$constraints"
    fi
  fi
  printf '%s' "$constraints"
}

step_app() {
  step "the app in $VENV"
  local venv digest
  venv=$(at "$VENV")
  if [ -x "$venv/bin/python" ] &&
     grep -qx 'include-system-site-packages = true' "$venv/pyvenv.cfg" 2>/dev/null; then
    unchanged "venv (with the system's picamera2, gpiozero, lgpio)"
  else
    change "create the venv with system site packages"
    run python3 -m venv --system-site-packages "$venv"
  fi
  digest=$(source_digest)
  if [ "$(cat "$venv/.vig-source-digest" 2>/dev/null)" = "$digest" ]; then
    unchanged "app installed from this source (${digest:0:12})"
    return
  fi
  change "install the app from $SOURCE"
  run "$venv/bin/pip" install --quiet --no-cache-dir --upgrade \
    --constraint "$(numpy_constraint)" "$SOURCE"
  printf '%s\n' "$digest" | put_file "$VENV/.vig-source-digest" 644 root:root "digest" || true
}

step_data_partition() {
  [ -n "$DATA_PARTITION" ] || return 0
  step "data partition $DATA_PARTITION"
  local fstype label uuid fstab kind
  kind=$(lsblk -ndo TYPE "$DATA_PARTITION" 2>/dev/null || true)
  if [ "$kind" != part ]; then
    die "$DATA_PARTITION is not a partition (lsblk says '${kind:-nothing}'): give the partition meant for the data, like /dev/mmcblk0p3, never a whole card or disk"
  fi
  fstype=$(blkid -o value -s TYPE "$DATA_PARTITION" 2>/dev/null || true)
  label=$(blkid -o value -s LABEL "$DATA_PARTITION" 2>/dev/null || true)
  if [ -z "$fstype" ]; then
    change "format $DATA_PARTITION as ext4, label $DATA_LABEL"
    run mkfs.ext4 -q -L "$DATA_LABEL" "$DATA_PARTITION"
  elif [ "$fstype" != ext4 ] || [ "$label" != "$DATA_LABEL" ]; then
    die "$DATA_PARTITION already holds a file system ($fstype, label '${label}') that is not the appliance's; refusing to format it. If it really is meant for the appliance, wipe it first (wipefs -a $DATA_PARTITION)"
  else
    unchanged "ext4 file system labelled $DATA_LABEL"
  fi
  uuid=$(blkid -o value -s UUID "$DATA_PARTITION" 2>/dev/null || printf '(new)')
  fstab=$(at /etc/fstab)
  {
    [ ! -f "$fstab" ] || awk -v dir="$DATA_DIR" '$2 != dir' "$fstab"
    printf 'UUID=%s %s ext4 defaults,noatime,nosuid,nodev,noexec,errors=remount-ro 0 2\n' \
      "$uuid" "$DATA_DIR"
  } | put_file /etc/fstab 644 root:root || true
  if live && ! findmnt -n "$DATA_DIR" >/dev/null; then
    [ -d "$(at "$DATA_DIR")" ] || run mkdir -p "$(at "$DATA_DIR")"
    change "mount $DATA_DIR"
    run mount "$DATA_DIR"
  fi
}

step_data_dir() {
  step "data dir and config"
  put_dir "$DATA_DIR" 700 "$SERVICE_USER:$SERVICE_USER"
  put_dir "$STICK_DIR" 750 "root:$SERVICE_USER"
  put_dir "$CONF_DIR" 750 "root:$SERVICE_USER"
  put_file "$CONF_DIR/config.toml" 640 "root:$SERVICE_USER" <<EOF || true
# Written by provisioning/install.sh; running it again rewrites this file.
data_dir = "$DATA_DIR"
log_level = "INFO"

[gpio]
button = 17
red_led = 27
green_led = 22

[audio]
device = "$AUDIO_DEVICE"

[panel]
host = "0.0.0.0"
port = $PANEL_PORT

[export]
usb_dir = "$STICK_DIR"
auto_export = true
EOF
}

check_pin() {
  [[ "$1" =~ ^[0-9]{6,32}$ ]] || die "$2 is not a panel PIN: 6 to 32 digits, digits only"
}

read_pin() {
  local pin again
  if [ -n "$PIN_FILE" ]; then
    head -n 1 "$PIN_FILE"
    return
  fi
  [ -t 0 ] || die "no panel PIN: give --pin-file FILE (or run on a terminal to be asked)"
  read -r -s -p "Panel PIN: " pin; printf '\n' >&2
  read -r -s -p "Panel PIN again: " again; printf '\n' >&2
  [ "$pin" = "$again" ] || die "the two PINs differ; nothing was set"
  check_pin "$pin" "the PIN typed"
  printf '%s\n' "$pin"
}

step_pin() {
  step "panel PIN"
  # The app keeps the PIN's scrypt hash here (appliance/panel/pin_store.py, PIN_FILE_NAME).
  if [ -f "$(at "$DATA_DIR")/panel-pin" ] && [ "$RESET_PIN" = 0 ]; then
    unchanged "a PIN is set (--reset-pin to change it)"
    return
  fi
  change "set the panel PIN"
  if [ "$DRY_RUN" = 1 ]; then
    printf '     would run: %s panel set-pin < the PIN\n' "$(shell_words "${APP[@]}")"
  else
    printf '     run: %s panel set-pin < the PIN\n' "$(shell_words "${APP[@]}")"
    read_pin | app panel set-pin
  fi
}

enrol() {
  local recipient=$1 comment=$2
  [ -n "$recipient" ] || return 0
  if app keys list 2>/dev/null | grep -qF "$recipient"; then
    unchanged "$comment recipient ${recipient:0:16}… enrolled"
    return
  fi
  change "enrol the $comment recipient ${recipient:0:16}…"
  run_app keys add "$recipient" --comment "$comment"
}

step_keys() {
  step "recipients (public keys)"
  enrol "$RECIPIENT" practitioner
  enrol "$RECOVERY_RECIPIENT" "service recovery"
  if [ -z "$RECIPIENT" ] && ! app keys list 2>/dev/null | grep -q '^age1'; then
    warn "no recipient enrolled: the appliance records nothing until one is (--recipient age1…)"
  fi
}

wifi_passphrase() {
  local keyfile=$1 passphrase
  if [ -n "$PASSPHRASE_FILE" ]; then
    passphrase=$(head -n 1 "$PASSPHRASE_FILE")
  elif [ -f "$keyfile" ]; then
    passphrase=$(sed -n 's/^psk=//p' "$keyfile")
  fi
  if [ -z "${passphrase:-}" ]; then
    passphrase=$(LC_ALL=C tr -dc 'A-HJ-NP-Za-km-z2-9' </dev/urandom | head -c 20 || true)
  fi
  local printable='^[!-~][ -~]{6,61}[!-~]$'
  if ! [[ "$passphrase" =~ $printable ]] || [[ "$passphrase" == *\\* ]]; then
    die "the Wi-Fi passphrase must be 8-63 printable ASCII characters, no backslash, no outer spaces"
  fi
  printf '%s' "$passphrase"
}

step_wifi() {
  step "Wi-Fi access point $SSID"
  local keyfile passphrase uuid
  if command -v raspi-config >/dev/null; then
    if [ "$(raspi-config nonint get_wifi_country 2>/dev/null || true)" = "$COUNTRY" ]; then
      unchanged "Wi-Fi country $COUNTRY"
    else
      change "Wi-Fi country $COUNTRY"
      run raspi-config nonint do_wifi_country "$COUNTRY"
    fi
  else
    warn "no raspi-config: setting the Wi-Fi country with iw until the next boot only"
    change "Wi-Fi country $COUNTRY (until the next boot)"
    run iw reg set "$COUNTRY"
  fi
  keyfile=$(at "/etc/NetworkManager/system-connections/$AP_CONNECTION.nmconnection")
  passphrase=$(wifi_passphrase "$keyfile")
  uuid=$(sed -n 's/^uuid=//p' "$keyfile" 2>/dev/null || true)
  [ -n "$uuid" ] || uuid=$(cat /proc/sys/kernel/random/uuid)
  # A keyfile, not `nmcli connection add`: the passphrase stays off command lines (which
  # every user can read in /proc), and it works in an image chroot with no NetworkManager.
  if put_file "/etc/NetworkManager/system-connections/$AP_CONNECTION.nmconnection" 600 root:root \
     <<EOF; then
[connection]
id=$AP_CONNECTION
uuid=$uuid
type=wifi
interface-name=wlan0
autoconnect=true
autoconnect-priority=100

[wifi]
mode=ap
ssid=$SSID
band=bg
channel=6

[wifi-security]
key-mgmt=wpa-psk
proto=rsn;
pairwise=ccmp;
group=ccmp;
psk=$passphrase

[ipv4]
method=shared
address1=$AP_ADDRESS

[ipv6]
method=disabled
EOF
    if live; then
      run nmcli connection reload
      printf '     the access point starts at the next boot (now: nmcli connection up %s)\n' "$AP_CONNECTION"
    fi
  fi
}

step_hostname() {
  step "host name $HOST_NAME ($HOST_NAME.local through avahi)"
  local hosts
  hosts=$(at /etc/hosts)
  if printf '%s\n' "$HOST_NAME" | put_file /etc/hostname 644 root:root && live; then
    run hostname "$HOST_NAME"
  fi
  {
    [ ! -f "$hosts" ] || awk '$1 != "127.0.1.1"' "$hosts"
    printf '127.0.1.1\t%s\n' "$HOST_NAME"
  } | put_file /etc/hosts 644 root:root || true
}

step_swap() {
  step "no swap on the SD card (video frames must never be paged out to flash)"
  if [ "$(dpkg-query -W -f='${db:Status-Status}' dphys-swapfile 2>/dev/null)" = installed ]; then
    change "remove dphys-swapfile and its swap file"
    run env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q dphys-swapfile
  else
    unchanged "no dphys-swapfile"
  fi
  if [ -f "$(at /etc/rpi/swap.conf)" ]; then
    printf '# Written by provisioning/install.sh: swap in compressed RAM only, never a file.\n[Main]\nMechanism=zram\n' |
      put_file /etc/rpi/swap.conf.d/90-vig-appliance.conf 644 root:root || true
  fi
}

# copy_in SOURCE-FILE PATH: a file of the checkout, installed root-owned and world-readable.
copy_in() {
  if put_file "$2" 644 root:root "copy of $1" <"$SOURCE/$1"; then UNITS_CHANGED=1; fi
}

step_units() {
  step "systemd units, journald, udev and polkit rules"
  local unit state
  copy_in systemd/vig-appliance.service /etc/systemd/system/vig-appliance.service
  copy_in systemd/journald-vig.conf /etc/systemd/journald.conf.d/50-vig-appliance.conf
  copy_in systemd/99-vig-usb.rules /etc/udev/rules.d/99-vig-usb.rules
  copy_in systemd/polkit/50-vig-appliance.rules /etc/polkit-1/rules.d/50-vig-appliance.rules
  local systemctl=(systemctl)
  [ "$ROOT" = / ] || systemctl+=("--root=$ROOT")
  for unit in "${ENABLED_UNITS[@]}"; do
    state=$("${systemctl[@]}" is-enabled "$unit" 2>/dev/null || true)
    if [ "$state" = enabled ]; then
      unchanged "$unit enabled"
    else
      change "enable $unit"
      run "${systemctl[@]}" enable "$unit"
    fi
  done
  if [ "$UNITS_CHANGED" = 1 ] && live; then
    run systemctl daemon-reload
    run udevadm control --reload
    run systemctl restart systemd-journald.service
  fi
}

# timedated refuses SetTime while NTP is on ("automatic time synchronization is enabled"),
# and the field has no internet: the clock comes from the practitioner's phone (panel).
step_clock() {
  step "clock set from the panel, not NTP"
  local systemctl=(systemctl)
  [ "$ROOT" = / ] || systemctl+=("--root=$ROOT")
  if [ "$("${systemctl[@]}" is-enabled systemd-timesyncd.service 2>/dev/null || true)" != enabled ]; then
    unchanged "systemd-timesyncd not enabled"
    return
  fi
  change "disable systemd-timesyncd (NTP)"
  run "${systemctl[@]}" disable systemd-timesyncd.service
  if live; then run systemctl stop systemd-timesyncd.service; fi
}

step_read_only_root() {
  [ "$READ_ONLY_ROOT" = 1 ] || return 0
  step "read-only root (RAM overlay; the data partition stays on the card)"
  local cmdline
  cmdline=$(at /boot/firmware/cmdline.txt)
  [ -f "$cmdline" ] || die "no /boot/firmware/cmdline.txt: is this Raspberry Pi OS?"
  if grep -qw 'overlayroot=tmpfs:recurse=0' "$cmdline"; then
    unchanged "overlay root, limited to / (recurse=0)"
    return
  fi
  if ! grep -q 'overlayroot=' "$cmdline"; then
    change "enable the overlay root"
    run raspi-config nonint do_overlayfs 0
  fi
  # raspi-config writes overlayroot=tmpfs, which also overlays every other mount, the data
  # partition included: recordings would live in RAM. recurse=0 keeps the overlay to /.
  if [ "$DRY_RUN" = 1 ] && ! grep -q 'overlayroot=' "$cmdline"; then
    change "limit the overlay to / (overlayroot=tmpfs:recurse=0)"
    return
  fi
  sed -E 's/overlayroot=tmpfs(:[^ ]*)?/overlayroot=tmpfs:recurse=0/' "$cmdline" |
    put_file /boot/firmware/cmdline.txt 755 root:root || true
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
  app_command
  check_system
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
