"""install.sh's access point on a hwsim radio; a phone joins it from a network namespace
holding the second radio, and reaches the panel; a client from outside 10.42.0.0/24 is
refused by the unit's IPAddressAllow.
"""

from __future__ import annotations

import pytest

from .machine import VirtualPi

KEYFILE = "/etc/NetworkManager/system-connections/vig-ap.nmconnection"
PANEL = "http://10.42.0.1:8080/"

PHONE = r"""
set -eu
ip netns del phone 2>/dev/null || true
nmcli device set wlan1 managed no
phy=$(cat /sys/class/net/wlan1/phy80211/name)
ip netns add phone
iw phy "$phy" set netns name phone
ip netns exec phone ip link set lo up
ssid=$(sed -n 's/^ssid=//p' {keyfile})
psk=$(sed -n 's/^psk=//p' {keyfile})
printf 'ctrl_interface=/run/wpa-phone\nnetwork={{\n ssid="%s"\n psk="%s"\n}}\n' \
  "$ssid" "$psk" > /run/wpa-phone.conf
ip netns exec phone wpa_supplicant -B -D nl80211 -i wlan1 -c /run/wpa-phone.conf \
  -P /run/wpa-phone.pid
ip netns exec phone timeout 90 dhclient -1 -pf /run/dhclient-phone.pid \
  -lf /run/dhclient-phone.leases wlan1
ip netns exec phone ip -4 -o addr show wlan1
"""

OUTSIDER = r"""
set -eu
ip netns del outsider 2>/dev/null || true
ip link del vig-out 2>/dev/null || true
ip netns add outsider
ip link add vig-out type veth peer name eth0 netns outsider
ip addr add 192.168.77.1/24 dev vig-out
ip link set vig-out up
ip netns exec outsider ip addr add 192.168.77.2/24 dev eth0
ip netns exec outsider ip link set eth0 up
ip netns exec outsider ip link set lo up
# A control: a server outside the unit, on the same address, that the outsider may reach.
setsid python3 -m http.server 8099 --bind 192.168.77.1 >/dev/null 2>&1 < /dev/null &
echo $! > /run/control-http.pid
for attempt in $(seq 1 60); do
  ip netns exec outsider curl -s -m 3 -o /dev/null http://192.168.77.1:8099/ && exit 0
  sleep 1
done
echo "the outsider never reached the control server" >&2
exit 1
"""


@pytest.fixture
def access_point(vpi: VirtualPi):
    vpi.check("nmcli", "--wait", "90", "connection", "up", "vig-ap", timeout=180)
    yield
    vpi.run("bash", "-c", "kill $(cat /run/wpa-phone.pid /run/dhclient-phone.pid"
            " /run/control-http.pid) 2>/dev/null;"
            " ip netns del phone; ip netns del outsider; ip link del vig-out")


def test_a_phone_joins_the_access_point_and_reaches_the_panel(vpi: VirtualPi, access_point):
    assert "inet 10.42.0.1/24" in vpi.check("ip", "-4", "addr", "show", "wlan0")
    address = vpi.shell(PHONE.format(keyfile=KEYFILE), timeout=240)
    assert "inet 10.42.0." in address, address
    page = vpi.check("ip", "netns", "exec", "phone", "curl", "-sS", "-L", "-m", "60", PANEL)
    assert "PIN" in page, page[:2000]  # the login page, after the panel's redirect


def test_a_client_outside_the_appliances_network_is_refused(vpi: VirtualPi, access_point):
    vpi.shell(OUTSIDER, timeout=120)
    refused = vpi.run("ip", "netns", "exec", "outsider", "curl", "-sS", "-m", "15",
                      "http://192.168.77.1:8080/", timeout=120)
    assert refused.returncode != 0, refused.stdout[:2000]
    # The same address, a server outside the unit: the network itself carries the outsider.
    reached = vpi.run("ip", "netns", "exec", "outsider", "curl", "-sS", "-m", "15",
                      "http://192.168.77.1:8099/", timeout=60)
    assert reached.returncode == 0, reached.stdout + reached.stderr
