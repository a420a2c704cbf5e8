"""The real file layer's twin for tests: real files, plus what a power cut would leave of them.

See `filesystem.py` for the layer itself and what this twin promises.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .filesystem import OsFileSystem, WritableFile


class PowerCut(BaseException):
    """The simulated power went off in the middle of an operation.

    A BaseException on purpose: a real power cut stops the process, so no `except` clause
    of the code under test may catch it and carry on.
    """


@dataclass
class _Node:
    is_dir: bool
    durable_content: bytes = b""
    volatile_entries: dict[str, int] = field(default_factory=dict)
    durable_entries: dict[str, int] = field(default_factory=dict)


class LossyFileSystem:
    """Real files under `root`, plus a record of what a power cut would leave of them."""

    def __init__(
        self, root: Path, *, free_bytes: int | None = None, fsync_persists_entry: bool = False
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self._fsync_persists_entry = fsync_persists_entry
        self.root.mkdir(parents=True, exist_ok=True)
        self._nodes: dict[int, _Node] = {0: _Node(is_dir=True)}
        self._files: list[LossyFile] = []
        self._generation = 0
        self._cut_countdown: int | None = None
        self._cut_rng: random.Random | None = None
        self._fake_free: int | None = None
        self._usage_baseline = 0
        self.operations = 0
        self._adopt_existing(self.root, 0)
        if free_bytes is not None:
            self.set_free_bytes(free_bytes)

    # --- test controls -------------------------------------------------------------------

    def set_free_bytes(self, value: int | None) -> None:
        """Pretend the disk has `value` bytes free now (None: report the real figure)."""
        self._fake_free = value
        self._usage_baseline = self._usage()

    def cut_after(self, operations: int, rng: random.Random | None = None) -> None:
        """Arm a power cut that happens instead of the `operations`-th operation from now."""
        if operations < 1:
            raise ValueError("operations must be at least 1")
        self._cut_countdown = operations
        self._cut_rng = rng

    def power_cut(self, rng: random.Random | None = None) -> None:
        """Leave on disk only what was made durable; open files become unusable.

        Without `rng` every byte written since a file's last fsync is lost. With `rng`, a
        random part of the bytes appended after the last fsync survives too, as the page
        cache may have written some of them back before the cut (torn tails).
        """
        current = self._current_contents() if rng is not None else {}
        self._generation += 1
        self._cut_countdown = None
        for file in self._files:
            file._kill()
        self._files.clear()
        for child in list(self.root.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        self._restore(self.root, 0, current, rng)
        if self._fake_free is not None:
            self._usage_baseline = self._usage()

    # --- the file layer ------------------------------------------------------------------

    def open_new(self, path: Path) -> WritableFile:
        self._operation()
        parent, name = self._parent_of(path)
        if name in parent.volatile_entries:
            raise FileExistsError(errno.EEXIST, "file exists", str(path))
        raw = open(path, "xb+")  # noqa: SIM115 - wrapped and owned by the caller
        return self._wrap(raw, self._add_node(parent, name, is_dir=False))

    def open_append(self, path: Path) -> WritableFile:
        self._operation()
        parent, name = self._parent_of(path)
        node_id = parent.volatile_entries.get(name)
        raw = open(path, "ab+")  # noqa: SIM115 - wrapped and owned by the caller
        if node_id is None:
            node_id = self._add_node(parent, name, is_dir=False)
        return self._wrap(raw, node_id)

    def fsync(self, file: WritableFile) -> None:
        self._operation()
        if not isinstance(file, LossyFile) or file._fs is not self:
            raise TypeError("fsync needs a file opened through this LossyFileSystem")
        file._check_alive()
        file.flush()  # the simulation decides durability; a real fsync would only cost time
        size = os.fstat(file.fileno()).st_size
        self._nodes[file._node_id].durable_content = os.pread(file.fileno(), size, 0)
        if self._fsync_persists_entry:
            for node in self._nodes.values():
                for name, node_id in node.volatile_entries.items():
                    if node_id == file._node_id:
                        node.durable_entries[name] = node_id

    def replace(self, src: Path, dst: Path) -> None:
        self._operation()
        src_parent, src_name = self._parent_of(src)
        dst_parent, dst_name = self._parent_of(dst)
        node_id = src_parent.volatile_entries[src_name]
        os.replace(src, dst)
        del src_parent.volatile_entries[src_name]
        dst_parent.volatile_entries[dst_name] = node_id

    def fsync_dir(self, path: Path) -> None:
        self._operation()
        node = self._nodes[self._node_id(path)]
        if not node.is_dir:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
        node.durable_entries = dict(node.volatile_entries)

    def mkdir(self, path: Path) -> None:
        self._operation()
        parent, name = self._parent_of(path)
        os.mkdir(path)
        self._add_node(parent, name, is_dir=True)

    def unlink(self, path: Path) -> None:
        self._operation()
        parent, name = self._parent_of(path)
        os.unlink(path)
        parent.volatile_entries.pop(name, None)

    def rmdir(self, path: Path) -> None:
        self._operation()
        parent, name = self._parent_of(path)
        os.rmdir(path)
        parent.volatile_entries.pop(name, None)

    def free_bytes(self, path: Path) -> int:
        if self._fake_free is None:
            return OsFileSystem().free_bytes(path)
        return max(0, self._fake_free - (self._usage() - self._usage_baseline))

    # --- internals -----------------------------------------------------------------------

    def _operation(self) -> None:
        self.operations += 1
        if self._cut_countdown is None:
            return
        self._cut_countdown -= 1
        if self._cut_countdown <= 0:
            self.power_cut(self._cut_rng)
            raise PowerCut(f"simulated power cut at operation {self.operations}")

    def _wrap(self, raw: BinaryIO, node_id: int) -> LossyFile:
        file = LossyFile(self, raw, node_id, self._generation)
        self._files.append(file)
        return file

    def _add_node(self, parent: _Node, name: str, *, is_dir: bool) -> int:
        node_id = len(self._nodes)
        self._nodes[node_id] = _Node(is_dir=is_dir)
        parent.volatile_entries[name] = node_id
        return node_id

    def _relative_parts(self, path: Path) -> tuple[str, ...]:
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(self.root).parts
        except ValueError:
            raise ValueError(f"{path} is outside the simulated disk {self.root}") from None

    def _node_id(self, path: Path) -> int:
        node_id = 0
        for part in self._relative_parts(path):
            entries = self._nodes[node_id].volatile_entries
            if part not in entries:
                raise FileNotFoundError(errno.ENOENT, "no such file or directory", str(path))
            node_id = entries[part]
        return node_id

    def _parent_of(self, path: Path) -> tuple[_Node, str]:
        parts = self._relative_parts(path)
        if not parts:
            raise ValueError("the root of the simulated disk cannot be replaced")
        parent = self._nodes[self._node_id(self.root.joinpath(*parts[:-1]))]
        if not parent.is_dir:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
        return parent, parts[-1]

    def _adopt_existing(self, directory: Path, node_id: int) -> None:
        """Whatever is on disk when the layer starts counts as durable."""
        node = self._nodes[node_id]
        for child in sorted(directory.iterdir()):
            child_id = self._add_node(node, child.name, is_dir=child.is_dir())
            if child.is_dir():
                self._adopt_existing(child, child_id)
            else:
                self._nodes[child_id].durable_content = child.read_bytes()
        node.durable_entries = dict(node.volatile_entries)

    def _walk_volatile(self, directory: Path, node_id: int) -> Iterator[tuple[Path, int]]:
        for name, child_id in self._nodes[node_id].volatile_entries.items():
            path = directory / name
            yield path, child_id
            if self._nodes[child_id].is_dir:
                yield from self._walk_volatile(path, child_id)

    def _current_contents(self) -> dict[int, bytes]:
        contents = {}
        for path, node_id in self._walk_volatile(self.root, 0):
            if not self._nodes[node_id].is_dir and path.is_file():
                contents[node_id] = path.read_bytes()
        return contents

    def _restore(
        self,
        directory: Path,
        node_id: int,
        current: dict[int, bytes],
        rng: random.Random | None,
    ) -> None:
        node = self._nodes[node_id]
        node.volatile_entries = dict(node.durable_entries)
        for name, child_id in node.durable_entries.items():
            child = self._nodes[child_id]
            path = directory / name
            if child.is_dir:
                path.mkdir()
                self._restore(path, child_id, current, rng)
                continue
            content = child.durable_content
            now = current.get(child_id)
            if rng is not None and now is not None and now.startswith(content):
                content = now[: len(content) + rng.randint(0, len(now) - len(content))]
            path.write_bytes(content)

    def _usage(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


class LossyFile:
    """A file opened through `LossyFileSystem`: counts operations, dies at a power cut."""

    def __init__(self, fs: LossyFileSystem, raw: BinaryIO, node_id: int, generation: int):
        self._fs = fs
        self._raw = raw
        self._node_id = node_id
        self._generation = generation

    def write(self, data: bytes | memoryview, /) -> int:
        self._check_alive()
        self._fs._operation()
        if self._fs._fake_free is not None and len(data) > self._fs.free_bytes(self._fs.root):
            raise OSError(errno.ENOSPC, "no space left on device (simulated)")
        return self._raw.write(data)

    def flush(self) -> None:
        self._check_alive()
        self._raw.flush()

    def fileno(self) -> int:
        self._check_alive()
        return self._raw.fileno()

    def tell(self) -> int:
        self._check_alive()
        return self._raw.tell()

    def truncate(self, size: int, /) -> int:
        self._check_alive()
        self._fs._operation()
        return self._raw.truncate(size)

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def close(self) -> None:
        if self._generation == self._fs._generation:
            self._raw.close()
            if self in self._fs._files:
                self._fs._files.remove(self)

    def __enter__(self) -> LossyFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_alive(self) -> None:
        if self._generation != self._fs._generation:
            raise PowerCut("this file was open when the simulated power went off")

    def _kill(self) -> None:
        self._raw.close()
