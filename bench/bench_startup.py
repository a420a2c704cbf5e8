"""Benchmark: how long `vig-appliance` takes to start, against `python -c 'import argparse'`.

Every command is a fresh process on a Pi (and the service starts at every boot), so the
interpreter's own start-up plus what a command imports is the cost. Each of `--help`,
`sessions list` and `keys list` runs N times in a child process on a data dir with an
enrolled recipient and two stored sessions; the baseline, `python -c 'import argparse'`
with the same interpreter, runs N times in the same invocation. Prints the median wall
time and the peak RSS of each (ru_maxrss of the child, from wait4) and their ratio to the
baseline (goal: within 4x). CPU time is printed beside wall time because it is steadier
on a loaded machine.

Then the service: `vig-appliance run --simulate` with $NOTIFY_SOCKET pointing at a
datagram socket this benchmark listens on, timed from the child's start to its READY=1
(then SIGTERM). Not compared to a baseline: it is the time the Pi's unit takes to become
active.

    .venv/bin/python bench/bench_startup.py [--runs 20] [--service-runs 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (["--help"], ["sessions", "list"], ["keys", "list"])
GOAL_RATIO = 4.0


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_mib: float


def child_env(pycache: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This checkout first on the path (children also run in it, as `-m` puts the working
    folder first), and compiled modules cached (in `pycache`, not in the checkout) as a pip
    install on the Pi has them: with PYTHONDONTWRITEBYTECODE every run would compile every
    module again. No systemd socket unless the service is timed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("NOTIFY_SOCKET", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return {**env, **(extra or {})}


#: Spawns one command `runs + 1` times and prints, for each, its exit status, wall and CPU
#: seconds and ru_maxrss (KiB). It runs as `python -S` importing only built-in modules:
#: a child's ru_maxrss includes the RSS of the process it was spawned from (the kernel
#: counts the old memory at exec), so the spawner must be smaller than any command it
#: measures. It prints its own peak RSS last, so the benchmark can check that it is.
SPAWNER = """
import os, sys, time
runs, argv = int(sys.argv[1]), sys.argv[2:]
null = os.open(os.devnull, os.O_WRONLY)
quiet = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
for _ in range(runs + 1):
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    print(os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime,
          usage.ru_maxrss)
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def measure(argv: list[str], runs: int, pycache: Path) -> Run:
    """Medians over `runs`, after one warm-up run (the page cache then holds the files, as
    it does for every command after the first)."""
    spawner = subprocess.run(
        [sys.executable, "-S", "-c", SPAWNER, str(runs), *argv],
        capture_output=True, text=True, check=True, env=child_env(pycache), cwd=ROOT,
    )
    *lines, floor_kib = spawner.stdout.split("\n")[:-1]
    results = []
    for line in lines[1:]:
        status, wall, cpu, rss_kib = line.split()
        if int(status):
            raise SystemExit(f"{' '.join(argv)} failed with status {status}")
        results.append(Run(float(wall), float(cpu), int(rss_kib) / 1024))
    if min(r.peak_rss_mib for r in results) <= int(floor_kib) / 1024:
        raise SystemExit(f"the spawner's own {floor_kib} KiB hide the RSS of {argv}")
    return Run(
        statistics.median(r.wall_s for r in results),
        statistics.median(r.cpu_s for r in results),
        statistics.median(r.peak_rss_mib for r in results),
    )


def row(name: str, run: Run) -> str:
    return (f"{name:<40} {1000 * run.wall_s:7.1f} ms wall {1000 * run.cpu_s:7.1f} ms CPU "
            f"{run.peak_rss_mib:6.1f} MiB")


def prepare_data_dir(data_dir: Path) -> None:
    """An enrolled recipient and two finished sessions, as a set-up device has."""
    sys.path.insert(0, str(ROOT))
    from appliance.config import RecordingConfig, StorageConfig
    from appliance.vault.age import X25519Identity
    from appliance.vault.store import Vault

    vault = Vault(data_dir, StorageConfig(reserve_bytes=0), RecordingConfig())
    vault.add_recipient(str(X25519Identity.generate().recipient), "bench")
    for _ in range(2):
        session = vault.create_session({"case_code": "BENCH-1"})
        session.write_mark(1, {"number": 1, "media_time": 1.0, "tag": "guiding"})
        part = session.open_part()
        part.write(b"\x00" * 1000)
        part.close()
        session.finish("complete", None)


def time_to_ready(data_dir: Path, work: Path, pycache: Path) -> float:
    """Seconds from spawning `run --simulate` to its READY=1 datagram."""
    address = work / "notify.sock"
    address.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        listener.settimeout(120)
        argv = [sys.executable, "-m", "appliance.cli", "--data-dir", str(data_dir), "run",
                "--simulate", "--port", "0", "--usb-dir", str(work / "usb")]
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
            env=child_env(pycache, {"NOTIFY_SOCKET": str(address)}),
        )
        try:
            while True:
                message = listener.recv(4096).decode()
                if "READY=1" in message.split("\n"):
                    ready = time.perf_counter() - started
                    break
        finally:
            process.send_signal(signal.SIGTERM)
            if process.wait(timeout=60):
                raise SystemExit(f"run --simulate exited with status {process.returncode}")
    return ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    parser.add_argument("--service-runs", type=int, default=3,
                        help="starts of the service to READY=1 (default 3; 0 skips it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as temp:
        work = Path(temp)
        data_dir = work / "data"
        prepare_data_dir(data_dir)
        pycache = work / "pycache"
        base = measure([sys.executable, "-c", "import argparse"], args.runs, pycache)
        print(f"python: {sys.executable}; {args.runs} runs each, medians")
        print(row("baseline: python -c 'import argparse'", base))
        for command in COMMANDS:
            argv = [sys.executable, "-m", "appliance.cli", "--data-dir", str(data_dir), *command]
            run = measure(argv, args.runs, pycache)
            print(row("vig-appliance " + " ".join(command), run))
            print(f"{'':<40} ratio to baseline: {run.wall_s / base.wall_s:.2f}x wall, "
                  f"{run.cpu_s / base.cpu_s:.2f}x CPU, {run.peak_rss_mib / base.peak_rss_mib:.2f}x"
                  f" RSS (goal <= {GOAL_RATIO:.0f}x)")
        if args.service_runs:
            time_to_ready(data_dir, work, pycache)  # compiles what only `run` imports
            readies = [time_to_ready(data_dir, work, pycache) for _ in range(args.service_runs)]
            print(f"{'vig-appliance run --simulate: start to READY=1':<40} "
                  f"{1000 * statistics.median(readies):7.1f} ms "
                  f"(median of {args.service_runs}; min {1000 * min(readies):.1f} ms)")


if __name__ == "__main__":
    main()
