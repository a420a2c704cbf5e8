#!/bin/bash -e
# pi-gen substage, run on the build host: put the appliance into the image by running
# provisioning/install.sh inside the image's chroot, exactly as on a Pi.
#
# From pi-gen's config (see provisioning/image/config.example):
#   VIG_RECIPIENT             the practitioner's age1… public key (required)
#   VIG_RECOVERY_RECIPIENT    the service's recovery public key (optional)
#   VIG_PIN_FILE              host file with the panel PIN (required: no terminal here)
#   VIG_WIFI_PASSPHRASE_FILE  host file with the Wi-Fi passphrase (default: generated)
#   VIG_SSID, VIG_COUNTRY     Wi-Fi name and country (defaults: VIG-appliance, WPA_COUNTRY)
#   VIG_SOURCE                the checkout to install (default: the one holding this stage)
# The PIN and passphrase files are copied into the chroot only for the install, then removed.

source_dir=${VIG_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)}
in_image=/opt/vig-appliance/src
secrets=/root/vig-provision

if [ -z "${VIG_RECIPIENT:-}" ] || [ -z "${VIG_PIN_FILE:-}" ]; then
  echo "stage-vig: set VIG_RECIPIENT and VIG_PIN_FILE in pi-gen's config" >&2
  exit 1
fi

rm -rf "${ROOTFS_DIR:?}${in_image}"
mkdir -p "${ROOTFS_DIR}${in_image}"
# The checkout without what .gitignore keeps out (the venv, local recordings in var/,
# caches); from a plain copy of the source, the same by name.
if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$source_dir" ls-files -z --cached --others --exclude-standard |
    tar -C "$source_dir" --null -T - -cf -
else
  tar -C "$source_dir" --exclude=.git --exclude=.venv --exclude=./var --exclude=__pycache__ \
      --exclude='*.egg-info' --exclude='.*_cache' --exclude=.hypothesis -cf - .
fi | tar -C "${ROOTFS_DIR}${in_image}" -xf -

install -d -m 700 "${ROOTFS_DIR}${secrets}"
trap 'rm -rf "${ROOTFS_DIR:?}${secrets}"' EXIT
install -m 600 "$VIG_PIN_FILE" "${ROOTFS_DIR}${secrets}/pin"
args=(--image-build --source "$in_image" --recipient "$VIG_RECIPIENT"
      --pin-file "$secrets/pin" --ssid "${VIG_SSID:-VIG-appliance}"
      --country "${VIG_COUNTRY:-${WPA_COUNTRY:-GB}}" --hostname "${TARGET_HOSTNAME:-vig}")
if [ -n "${VIG_RECOVERY_RECIPIENT:-}" ]; then
  args+=(--recovery-recipient "$VIG_RECOVERY_RECIPIENT")
fi
if [ -n "${VIG_WIFI_PASSPHRASE_FILE:-}" ]; then
  install -m 600 "$VIG_WIFI_PASSPHRASE_FILE" "${ROOTFS_DIR}${secrets}/wifi-passphrase"
  args+=(--wifi-passphrase-file "$secrets/wifi-passphrase")
fi

on_chroot <<CHROOT
bash ${in_image}/provisioning/install.sh $(printf '%q ' "${args[@]}")
CHROOT
