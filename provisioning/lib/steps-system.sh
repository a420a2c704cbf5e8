# shellcheck shell=bash
# install.sh's steps for the system: packages, service user, the app, data dir and
# config, units and rules, host name, swap, clock, read-only root.
# Sourced by provisioning/install.sh, after lib/actions.sh.

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
  {
    (cd "$SOURCE" && find pyproject.toml appliance -type f ! -name '*.pyc' -print0 |
       LC_ALL=C sort -z | xargs -0 sha256sum)
    [ -z "$WHEELHOUSE" ] || (cd "$WHEELHOUSE" && sha256sum ./*.whl)
  } | sha256sum | cut -d' ' -f1
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
  local venv_dir digest
  venv_dir=$(at "$VENV")
  if [ -x "$venv_dir/bin/python" ] &&
     grep -qx 'include-system-site-packages = true' "$venv_dir/pyvenv.cfg" 2>/dev/null; then
    unchanged "venv (with the system's picamera2, gpiozero, lgpio)"
  else
    change "create the venv with system site packages"
    run python3 -m venv --system-site-packages "$venv_dir"
  fi
  digest=$(source_digest)
  if [ "$(cat "$venv_dir/.vig-source-digest" 2>/dev/null)" = "$digest" ]; then
    unchanged "app installed from this source (${digest:0:12})"
    return
  fi
  if [ -n "$WHEELHOUSE" ]; then
    # Offline: every wheel from the wheelhouse. The app's own wheel keeps its version
    # number from one checkout to the next, so it is reinstalled explicitly.
    change "install the app and its dependencies from the wheels in $WHEELHOUSE"
    run "$venv_dir/bin/pip" install --quiet --no-index --find-links "$WHEELHOUSE" \
      --constraint "$(numpy_constraint)" "vig-appliance[pi]"
    run "$venv_dir/bin/pip" install --quiet --no-index --no-deps --force-reinstall \
      "$(compgen -G "$WHEELHOUSE/vig_appliance-*.whl" | head -n 1)"
  else
    change "install the app from $SOURCE"
    run "$venv_dir/bin/pip" install --quiet --no-cache-dir --upgrade \
      --constraint "$(numpy_constraint)" "${SOURCE}[pi]"
  fi
  printf '%s\n' "$digest" | put_file "$VENV/.vig-source-digest" 644 root:root "digest" || true
}

# Before anything changes: the data partition must be a partition, empty or already the
# appliance's, and must not hide recordings already in the data dir by mounting over them.
check_data_partition() {
  [ -n "$DATA_PARTITION" ] || return 0
  local fstype label kind data_path
  kind=$(lsblk -ndo TYPE "$DATA_PARTITION" 2>/dev/null || true)
  if [ "$kind" != part ]; then
    die "$DATA_PARTITION is not a partition (lsblk says '${kind:-nothing}'): give the partition meant for the data, like /dev/mmcblk0p3, never a whole card or disk"
  fi
  fstype=$(blkid -o value -s TYPE "$DATA_PARTITION" 2>/dev/null || true)
  label=$(blkid -o value -s LABEL "$DATA_PARTITION" 2>/dev/null || true)
  if [ -n "$fstype" ] && { [ "$fstype" != ext4 ] || [ "$label" != "$DATA_LABEL" ]; }; then
    die "$DATA_PARTITION already holds a file system ($fstype, label '${label}') that is not the appliance's; refusing to format it. If it really is meant for the appliance, wipe it first (wipefs -a $DATA_PARTITION)"
  fi
  data_path=$(at "$DATA_DIR")
  if ! awk -v dir="$DATA_DIR" '$2 == dir { found = 1 } END { exit !found }' "$(at /etc/fstab)" 2>/dev/null &&
     [ -d "$data_path" ] && [ -n "$(ls -A "$data_path")" ]; then
    die "$DATA_DIR already holds files, which the new partition would hide: export any sessions, then move them away (or run without --data-partition)"
  fi
}

step_data_partition() {
  [ -n "$DATA_PARTITION" ] || return 0
  step "data partition $DATA_PARTITION"
  local uuid fstab
  if [ -z "$(blkid -o value -s TYPE "$DATA_PARTITION" 2>/dev/null || true)" ]; then
    change "format $DATA_PARTITION as ext4, label $DATA_LABEL"
    run mkfs.ext4 -q -L "$DATA_LABEL" "$DATA_PARTITION"
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

$(recording_settings)
[gpio]
button = 17
red_led = 27
green_led = 22
$(raspberry_pi || printf '# Not a Pi: the board gpiozero is told it is.\nboard_revision = "%s"\n' "$STAND_IN_BOARD_REVISION")

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

# The [recording] table: the picture asked for, and on plain Debian the synthetic camera,
# since there is no libcamera there.
recording_settings() {
  local size=${VIDEO%@*}
  raspberry_pi && [ -z "$VIDEO" ] && [ -z "$VIDEO_BITRATE" ] && return 0
  printf '[recording]\n'
  raspberry_pi || printf '# Not a Pi: no camera stack, so the synthetic camera stands in.\ncamera = "synthetic"\n'
  [ -z "$VIDEO" ] || printf 'width = %s\nheight = %s\nfps = %s\n' "${size%x*}" "${size#*x}" "${VIDEO#*@}"
  [ -z "$VIDEO_BITRATE" ] || printf 'bitrate = %s\n' "$VIDEO_BITRATE"
  printf '\n'
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

check_read_only_root() {
  [ "$READ_ONLY_ROOT" = 1 ] || return 0
  [ -f "$(at /boot/firmware/cmdline.txt)" ] ||
    die "--read-only-root: no /boot/firmware/cmdline.txt, so this is not Raspberry Pi OS Bookworm or newer"
}

step_read_only_root() {
  [ "$READ_ONLY_ROOT" = 1 ] || return 0
  step "read-only root (RAM overlay; the data partition stays on the card)"
  local cmdline
  cmdline=$(at /boot/firmware/cmdline.txt)
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
