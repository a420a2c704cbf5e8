#!/usr/bin/env bash
# Build the virtual Pi's disk image: Debian bookworm (amd64) with Debian's own kernel, the
# appliance's Debian packages already installed (its guest has no network), and gpio-sim
# compiled from Debian's linux-source against the guest kernel's linux-headers, because
# Debian's kernel is built without it.
#
#   build-image.sh OUT     (as root; provisioning/virtual-pi.sh calls it with its cache folder)
#
# OUT receives base.img (raw ext4, the root file system), vmlinuz, initrd.img and, last,
# a file named complete: a folder without it is an interrupted build and is rebuilt.
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/packages.sh
. "$here/../lib/packages.sh"

OUT=${1:?usage: build-image.sh OUT}
SUITE=bookworm
IMAGE_SIZE=4G
GUEST_PACKAGES=(
  "${DEBIAN_PACKAGES[@]}"
  # the machine itself
  systemd systemd-sysv systemd-timesyncd udev dbus libpam-systemd kmod linux-image-amd64
  qemu-guest-agent python3 procps psmisc util-linux e2fsprogs dosfstools exfatprogs
  # what the guest tests use to drive the virtual devices
  alsa-utils gpiod iproute2 wpasupplicant isc-dhcp-client curl
)

started=$SECONDS
phase() { printf 'build-image: %-44s %4ds\n' "$1" $((SECONDS - started)); }

mirror_of() {
  # The host's configured Debian mirrors (deb822 or one-line format), so the build uses
  # whatever mirror this machine is allowed to reach.
  local suite=$1
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    awk -v want="$suite" '
      /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want) print uri }
      /^$/ { uri = "" }' /etc/apt/sources.list.d/debian.sources | head -n 1
  fi
}

main_mirror=$(mirror_of "$SUITE"); main_mirror=${main_mirror:-http://deb.debian.org/debian}
security_mirror=$(mirror_of "$SUITE-security"); security_mirror=${security_mirror:-http://deb.debian.org/debian-security}

mkdir -p "$OUT"
rm -rf "$OUT/rootfs" "$OUT/complete" "$OUT/kmod"
rootfs=$OUT/rootfs

includes=$(IFS=,; printf '%s' "${GUEST_PACKAGES[*]}")
mmdebstrap --variant=apt --quiet \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --include="$includes" \
  --customize-hook="$here/customize-guest.sh \"\$1\"" \
  "$SUITE" "$rootfs" \
  "deb $main_mirror $SUITE main" "deb $main_mirror $SUITE-updates main" \
  "deb $security_mirror $SUITE-security main"
phase "root file system (mmdebstrap)"

kernel_version=$(ls "$rootfs/lib/modules")
source_series=${kernel_version%%.0-*}      # 6.1.0-57-amd64 -> 6.1
if ! [ -d "/usr/src/linux-headers-$kernel_version" ] || ! [ -f "/usr/src/linux-source-$source_series.tar.xz" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "linux-headers-$kernel_version" "linux-source-$source_series" >/dev/null
fi
kmod=$OUT/kmod
mkdir -p "$kmod/gpio-sim"
tar -xJf "/usr/src/linux-source-$source_series.tar.xz" -C "$kmod" --strip-components=1 \
  "linux-source-$source_series/drivers/gpio/gpio-sim.c" \
  "linux-source-$source_series/drivers/gpio/gpiolib.h" \
  "linux-source-$source_series/kernel/irq/irq_sim.c"
cp "$kmod/drivers/gpio/gpio-sim.c" "$kmod/gpio-sim/gpio-sim-main.c"
cp "$kmod/drivers/gpio/gpiolib.h" "$kmod/kernel/irq/irq_sim.c" "$kmod/gpio-sim/"
# Debian's kernel also lacks CONFIG_IRQ_SIM, which gpio-sim needs: build irq_sim.c into the
# module. It calls irq_to_desc(), which the kernel does not export; generic_handle_irq()
# does the same for these simple interrupts and is exported.
sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$kmod/gpio-sim/irq_sim.c"
grep -q 'generic_handle_irq(irqnum);' "$kmod/gpio-sim/irq_sim.c" ||
  { echo "build-image: irq_sim.c changed upstream; the gpio-sim recipe needs a look" >&2; exit 1; }
printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$kmod/gpio-sim/Makefile"
make -s -C "/usr/src/linux-headers-$kernel_version" M="$kmod/gpio-sim" modules 2>&1 | grep -v 'Skipping BTF' || true
install -D -m 644 "$kmod/gpio-sim/gpio-sim.ko" "$rootfs/lib/modules/$kernel_version/updates/gpio-sim.ko"
chroot "$rootfs" depmod "$kernel_version"
phase "gpio-sim module for $kernel_version"

cp "$rootfs/boot/vmlinuz-$kernel_version" "$OUT/vmlinuz"
cp "$rootfs/boot/initrd.img-$kernel_version" "$OUT/initrd.img"
rm -f "$OUT/base.img"
truncate -s "$IMAGE_SIZE" "$OUT/base.img"
mkfs.ext4 -q -F -L vpi-root -d "$rootfs" "$OUT/base.img"
rm -rf "$rootfs" "$kmod"
printf '%s\n' "$kernel_version" > "$OUT/kernel-version"
touch "$OUT/complete"
phase "ext4 image ($IMAGE_SIZE sparse)"
