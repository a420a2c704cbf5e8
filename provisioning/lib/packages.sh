# shellcheck shell=bash
# The Debian packages the appliance needs, spelled once: install.sh installs them, and the
# virtual Pi's image (provisioning/virtual-pi/) is built with them, because its guest has
# no network when install.sh runs there.

# On every Debian-based system (Raspberry Pi OS or plain Debian).
# shellcheck disable=SC2034  # read by the scripts that source this file
DEBIAN_PACKAGES=(python3-gpiozero python3-venv libportaudio2 network-manager dnsmasq-base
                 avahi-daemon udisks2 polkitd age iw python3-segno)

# Only in Raspberry Pi OS's archive: the camera stack and the Pi's GPIO library. On plain
# Debian the synthetic camera stands in, and lgpio comes from its PyPI wheel.
# shellcheck disable=SC2034
RASPBERRY_PI_PACKAGES=(python3-picamera2 python3-lgpio)
