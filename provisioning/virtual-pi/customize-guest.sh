#!/usr/bin/env bash
# mmdebstrap's customize hook for the virtual Pi: customize-guest.sh ROOTFS (run on the host,
# as root, after the packages are installed). What Raspberry Pi OS and a Pi's hardware would
# provide, stood in for: a gpio group allowed on the GPIO chips, and the virtual devices
# loaded before the appliance starts.
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${1:?usage: customize-guest.sh ROOTFS}

echo vpi > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tvpi\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$root/etc/fstab"
chroot "$root" groupadd --system gpio
install -m 755 "$here/guest/virtual-devices.sh" "$root/usr/local/sbin/vig-virtual-devices"
install -m 644 "$here/guest/vig-virtual-devices.service" "$root/etc/systemd/system/"
install -m 644 "$here/guest/60-gpiochip.rules" "$root/etc/udev/rules.d/"
chroot "$root" systemctl enable vig-virtual-devices.service
# A root shell on the serial console, for looking around when something goes wrong.
mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
cat > "$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200 %I $TERM
UNIT
# Nothing in the background that a test did not ask for.
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer \
  e2scrub_all.timer fstrim.timer
