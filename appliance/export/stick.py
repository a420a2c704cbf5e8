"""What a USB stick is to the exporter, the simulated stick, and the watcher.

A stick is something that can be mounted (giving a root folder), asked whether it is still
there, and released (flushed, unmounted, powered off) so it is safe to pull. On a Pi the
sticks come from udisks2 (`udisks.py`); in simulation a folder stands in for the USB port
and each sub-folder of it is a plugged-in stick.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .errors import NoStick, TooManySticks

log = logging.getLogger(__name__)


class Stick(Protocol):
    """A plugged-in stick; `id` stays the same while it stays plugged in."""

    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...

    def mount(self) -> Path:
        """Make the stick's files reachable; returns its root folder."""
        ...

    def is_present(self) -> bool: ...

    def release(self) -> None:
        """Flush and detach the stick: after this returns it is safe to pull."""
        ...


class StickFinder(Protocol):
    """Lists the sticks plugged in now (a Sequence, so each finder may list its own kind)."""

    def sticks(self) -> Sequence[Stick]: ...


@dataclass
class FolderStick:
    """A folder standing in for a stick (simulation, tests, `export --to DIR`).

    While mounted it holds the folder open, so a folder removed and re-created under the
    same name (a different "stick") cannot reuse its identity and pass for it.
    """

    root: Path
    _fd: int | None = field(default=None, init=False, repr=False)

    @property
    def id(self) -> str:
        return os.fspath(self.root)

    @property
    def label(self) -> str:
        return self.root.name or os.fspath(self.root)

    def mount(self) -> Path:
        if self._fd is None:
            self._fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return self.root

    def is_present(self) -> bool:
        """Still there, and still the same folder (not removed and re-created)."""
        try:
            st = os.stat(self.root)
        except OSError:
            return False
        if self._fd is None:
            return True
        held = os.fstat(self._fd)
        return (held.st_dev, held.st_ino) == (st.st_dev, st.st_ino)

    def release(self) -> None:
        """Nothing to unmount (every file and folder was fsynced); let go of the folder."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class FolderStickFinder:
    """Each visible sub-folder of the simulated USB port is one plugged-in stick."""

    port: Path

    def sticks(self) -> list[Stick]:
        try:
            entries = sorted(os.scandir(self.port), key=lambda e: e.name)
        except FileNotFoundError:
            return []
        return [
            FolderStick(Path(e.path))
            for e in entries
            if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
        ]


def select_stick(sticks: Sequence[Stick]) -> Stick:
    """The one stick to export to; none or several is refused (which one would it be?)."""
    if not sticks:
        raise NoStick("No USB stick is plugged in.")
    if len(sticks) > 1:
        labels = ", ".join(s.label for s in sticks)
        raise TooManySticks(f"{len(sticks)} USB sticks are plugged in ({labels}).")
    return sticks[0]


StickCallback = Callable[[Stick], None]


class StickWatcher:
    """Polls a finder and reports sticks plugged in and pulled out, on its own thread.

    Polling (every `interval` seconds) works the same for udisks2 and for the simulated
    folder and needs no D-Bus signal subscription; a second is quick enough for a person
    who just plugged a stick in.
    """

    def __init__(
        self,
        finder: StickFinder,
        *,
        on_inserted: StickCallback,
        on_removed: StickCallback,
        interval: float = 1.0,
    ) -> None:
        self._finder = finder
        self._on_inserted = on_inserted
        self._on_removed = on_removed
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._present: dict[str, Stick] = {}

    def present(self) -> list[Stick]:
        with self._lock:
            return list(self._present.values())

    def poll(self) -> None:
        """Look once and report what changed (the thread calls this; tests may too)."""
        found = {stick.id: stick for stick in self._finder.sticks()}
        with self._lock:
            inserted = [s for i, s in found.items() if i not in self._present]
            removed = [s for i, s in self._present.items() if i not in found]
            self._present = {i: self._present.get(i, s) for i, s in found.items()}
        for stick in removed:
            self._on_removed(stick)
        for stick in inserted:
            self._on_inserted(stick)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stick-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                self.poll()
            except OSError as exc:
                log.warning("cannot look for USB sticks: %s", exc)
            if self._stop.wait(self._interval):
                return
