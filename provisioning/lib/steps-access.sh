# shellcheck shell=bash
# install.sh's steps for getting in and locking out: the panel PIN, the recipients (public
# keys the recordings are encrypted to) and the Wi-Fi access point.
# Sourced by provisioning/install.sh, after lib/actions.sh.

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

# enrol RECIPIENT COMMENT ENROLLED: ENROLLED is `keys list` as read once by step_keys (each
# start of the app costs seconds on a Pi, and a minute in the emulated virtual Pi).
enrol() {
  local recipient=$1 comment=$2 enrolled=$3
  [ -n "$recipient" ] || return 0
  if grep -qF "$recipient" <<<"$enrolled"; then
    unchanged "$comment recipient ${recipient:0:16}… enrolled"
    return
  fi
  change "enrol the $comment recipient ${recipient:0:16}…"
  run_app keys add "$recipient" --comment "$comment"
}

step_keys() {
  step "recipients (public keys)"
  local enrolled
  enrolled=$(app keys list 2>/dev/null || true)
  enrol "$RECIPIENT" practitioner "$enrolled"
  enrol "$RECOVERY_RECIPIENT" "service recovery" "$enrolled"
  if [ -z "$RECIPIENT" ] && ! grep -q '^age1' <<<"$enrolled"; then
    warn "no recipient enrolled: the appliance records nothing until one is (--recipient age1…)"
  fi
}

check_passphrase() {
  local printable='^[!-~][ -~]{6,61}[!-~]$'
  if ! [[ "$1" =~ $printable ]] || [[ "$1" == *\\* ]]; then
    die "$2 is not a usable Wi-Fi passphrase: 8-63 printable ASCII characters, no backslash, no spaces at either end"
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
  check_passphrase "$passphrase" "the passphrase in $keyfile"
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
  elif printf '# Written by provisioning/install.sh: the Wi-Fi regulatory country.\noptions cfg80211 ieee80211_regdom=%s\n' \
       "$COUNTRY" | put_file /etc/modprobe.d/vig-wifi-country.conf 644 root:root && live; then
    # No raspi-config (plain Debian): the module option holds from the next boot on.
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
