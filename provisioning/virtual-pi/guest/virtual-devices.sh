#!/bin/sh
# The virtual Pi's board: what a Pi's hardware and Raspberry Pi OS would provide before the
# appliance starts. A sound card (snd-aloop: what is played into hw:Loopback,0 is captured
# from hw:Loopback,1), two Wi-Fi radios (mac80211_hwsim), and a GPIO chip (gpio-sim) whose
# line N stands for the Pi's BCM GPIO N, so it needs at least 28 lines.
set -eu
modprobe snd-aloop
modprobe mac80211_hwsim radios=2
modprobe gpio-sim
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
chip=/sys/kernel/config/gpio-sim/vig
if [ ! -e "$chip/live" ]; then
  mkdir -p "$chip/bank0"
  echo 32 > "$chip/bank0/num_lines"
  echo vig-sim > "$chip/bank0/label"
  echo 1 > "$chip/live"
fi
udevadm settle --timeout=20
echo "virtual devices: $(cat "$chip/bank0/chip_name") on $(cat "$chip/dev_name"), $(grep -c . /proc/asound/cards) sound card lines, $(find /sys/class/ieee80211 -mindepth 1 -maxdepth 1 | wc -l) radios"
