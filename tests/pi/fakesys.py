"""A recording stand-in for the system commands provisioning/install.sh runs.

Each stub on the test's PATH runs `python fakesys.py NAME ARGS…`. The stubs share one JSON
state (installed packages, users, enabled units, owners, block devices…) so that what one
command changes, the next query sees, as on a real system; every call is logged as one
JSON line. Unknown arguments fail loudly, so install.sh cannot call a command in a way the
stub does not understand and still pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def env_path(name: str) -> Path:
    """Where the test put the state, the log and the fake root (read when a stub runs)."""
    return Path(os.environ[name])

EMPTY_STATE: dict = {
    "packages": {}, "users": {}, "groups": [], "owners": {}, "enabled": [], "country": "",
    "block": {}, "partitions": [], "mounts": [], "pip": [],
}


class Usage(Exception):
    """install.sh called a stub in a way it does not model."""


def load() -> dict:
    path = env_path("FAKESYS_STATE")
    return json.loads(path.read_text()) if path.exists() else json.loads(json.dumps(EMPTY_STATE))


def save(state: dict) -> None:
    env_path("FAKESYS_STATE").write_text(json.dumps(state, indent=1))


def dpkg_query(state: dict, args: list[str]) -> int:
    if args[:1] != ["-W"] or not args[1].startswith("-f="):
        raise Usage(args)
    fmt, packages = args[1][3:], args[2:]
    status = 0
    for package in packages:
        version = state["packages"].get(package)
        if version is None:
            status = 1
            continue
        sys.stdout.write(fmt.replace("${db:Status-Status}", "installed")
                         .replace("${Version}", version).replace("${Package}", package)
                         .replace("\\n", "\n"))
    return status


def apt_get(state: dict, args: list[str]) -> int:
    words = [a for a in args if not a.startswith("-")]
    if words == ["update"]:
        return 0
    if words[:1] == ["install"]:
        for package in words[1:]:
            state["packages"][package] = "1.0-1"
        return 0
    if words[:1] == ["purge"]:
        for package in words[1:]:
            state["packages"].pop(package, None)
        return 0
    raise Usage(args)


def getent(state: dict, args: list[str]) -> int:
    database, name = args
    if database == "passwd":
        found = name in state["users"]
    elif database == "group":
        found = name in state["groups"] or name in state["users"]
    else:
        raise Usage(args)
    if found:
        print(f"{name}:x:999:999::/nonexistent:/usr/sbin/nologin")
    return 0 if found else 2


def option_values(args: list[str], takes_value: set[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg in takes_value:
            options[arg] = next(it)
        elif arg.startswith("-"):
            options[arg] = ""
        else:
            rest.append(arg)
    return options, rest


def useradd(state: dict, args: list[str]) -> int:
    options, rest = option_values(args, {"--home-dir", "--shell", "--comment", "--groups"})
    (name,) = rest
    if name in state["users"]:
        return 9
    groups = [g for g in options.get("--groups", "").split(",") if g]
    missing = [g for g in groups if g not in state["groups"]]
    if missing:
        print(f"useradd: group '{missing[0]}' does not exist", file=sys.stderr)
        return 6
    state["users"][name] = groups
    return 0


def groupadd(state: dict, args: list[str]) -> int:
    _, (name,) = option_values(args, set())
    state["groups"].append(name)
    return 0


def usermod(state: dict, args: list[str]) -> int:
    options, (name,) = option_values(args, {"-G"})
    if "-a" not in options:
        raise Usage(args)
    state["users"][name] += options["-G"].split(",")
    return 0


def id_(state: dict, args: list[str]) -> int:
    if args[:1] != ["-nG"]:
        raise Usage(args)
    if args[1] not in state["users"]:
        return 1
    print(" ".join([args[1], *state["users"][args[1]]]))
    return 0


def chown(state: dict, args: list[str]) -> int:
    owner, path = args
    user, _, group = owner.partition(":")
    if user != "root" and user not in state["users"]:
        print(f"chown: invalid user: {owner!r}", file=sys.stderr)
        return 1
    if not Path(path).exists():
        return 1
    state["owners"][path] = f"{user}:{group or user}"
    return 0


def stat(state: dict, args: list[str]) -> int:
    if args[0] != "-c":
        raise Usage(args)
    fmt, path = args[1], args[2]
    if not Path(path).exists():
        return 1
    owner = state["owners"].get(path, "root:root")
    mode = format(Path(path).stat().st_mode & 0o7777, "o")
    user, group = owner.split(":")
    print(fmt.replace("%U", user).replace("%G", group).replace("%a", mode))
    return 0


def systemctl(state: dict, args: list[str]) -> int:
    args = [a for a in args if not a.startswith("--root=")]
    verb, units = args[0], args[1:]
    if verb == "is-enabled":
        enabled = units[0] in state["enabled"]
        print("enabled" if enabled else "disabled")
        return 0 if enabled else 1
    if verb == "enable":
        state["enabled"] += units
        return 0
    if verb == "disable":
        state["enabled"] = [u for u in state["enabled"] if u not in units]
        return 0
    if verb in ("daemon-reload", "restart", "stop"):
        return 0
    raise Usage(args)


def raspi_config(state: dict, args: list[str]) -> int:
    if args[:2] == ["nonint", "get_wifi_country"]:
        print(state["country"])
        return 0
    if args[:2] == ["nonint", "do_wifi_country"]:
        state["country"] = args[2]
        return 0
    if args == ["nonint", "do_overlayfs", "0"]:
        cmdline = env_path("FAKESYS_ROOT") / "boot/firmware/cmdline.txt"
        cmdline.write_text("overlayroot=tmpfs " + cmdline.read_text())
        state["packages"]["overlayroot"] = "1.0-1"
        return 0
    raise Usage(args)


def python3(state: dict, args: list[str]) -> int:
    if args[:3] != ["-m", "venv", "--system-site-packages"]:
        raise Usage(args)
    venv = Path(args[3])
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("include-system-site-packages = true\n")
    for name, stub_name in (("python", "python3"), ("pip", "pip"),
                            ("vig-appliance", "vig-appliance")):
        stub = env_path("FAKESYS_BIN") / stub_name
        (venv / "bin" / name).write_text(stub.read_text())
        (venv / "bin" / name).chmod(0o755)
    return 0


def pip(state: dict, args: list[str]) -> int:
    options, rest = option_values(args, {"--constraint"})
    if rest[:1] != ["install"] or len(rest) != 2 or not Path(options["--constraint"]).exists():
        raise Usage(args)
    state["pip"].append(rest[1])
    return 0


def runuser(state: dict, args: list[str]) -> int:
    if args[0] != "-u" or args[2] != "--":
        raise Usage(args)
    if args[1] not in state["users"]:
        print(f"runuser: user {args[1]} does not exist", file=sys.stderr)
        return 1
    if not Path(args[3]).exists():
        return 127
    save(state)
    return subprocess.run(args[3:], check=False).returncode


def vig_appliance(state: dict, args: list[str]) -> int:
    """The real CLI (keys, panel PIN) on the fake root's data dir and config."""
    return subprocess.run([sys.executable, "-m", "appliance.cli", *args], check=False).returncode


def blkid(state: dict, args: list[str]) -> int:
    options, (device,) = option_values(args, {"-o", "-s"})
    value = state["block"].get(device, {}).get(options["-s"])
    if value is None:
        return 2
    print(value)
    return 0


def lsblk(state: dict, args: list[str]) -> int:
    options, (device,) = option_values(args, {"-ndo"})
    if options.get("-ndo") != "TYPE":
        raise Usage(args)
    print("part" if device in state["partitions"] else "disk")
    return 0


def mkfs_ext4(state: dict, args: list[str]) -> int:
    options, (device,) = option_values(args, {"-L"})
    state["block"][device] = {"TYPE": "ext4", "LABEL": options["-L"],
                              "UUID": "0b5e7d2c-1111-4222-8333-944455556666"}
    return 0


def findmnt(state: dict, args: list[str]) -> int:
    return 0 if args[-1] in state["mounts"] else 1


def mount(state: dict, args: list[str]) -> int:
    state["mounts"].append(args[-1])
    return 0


def recorded(state: dict, args: list[str]) -> int:
    return 0


COMMANDS: dict[str, Callable[[dict, list[str]], int]] = {
    "dpkg-query": dpkg_query, "apt-get": apt_get, "getent": getent, "useradd": useradd,
    "groupadd": groupadd, "usermod": usermod, "id": id_, "chown": chown, "stat": stat,
    "systemctl": systemctl, "raspi-config": raspi_config, "python3": python3, "pip": pip,
    "runuser": runuser, "vig-appliance": vig_appliance, "blkid": blkid, "lsblk": lsblk,
    "mkfs.ext4": mkfs_ext4, "findmnt": findmnt, "mount": mount, "nmcli": recorded,
    "hostname": recorded, "udevadm": recorded, "iw": recorded,
}


def main() -> int:
    name, args = sys.argv[1], sys.argv[2:]
    with env_path("FAKESYS_LOG").open("a") as log:
        log.write(json.dumps([name, *args]) + "\n")
    state = load()
    if name in state.get("broken", []):
        print(f"{name}: simulated failure", file=sys.stderr)
        return 100
    try:
        status = COMMANDS[name](state, args)
    except (Usage, ValueError, IndexError, KeyError) as exc:
        print(f"fakesys: {name} called as the stub does not model: {args} ({exc!r})",
              file=sys.stderr)
        return 99
    if name != "runuser":
        save(state)
    return status


if __name__ == "__main__":
    sys.exit(main())
