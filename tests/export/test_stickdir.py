"""StickDir owns every call below the stick's root: reads, removals and the free space."""

from __future__ import annotations

import os

import pytest

from appliance.export.errors import StickFull, UnsafeStickEntry
from appliance.export.stickfs import StickDir, StickIO


class CountingIO(StickIO):
    def __init__(self) -> None:
        self.reads = 0

    def read(self, fd, size):
        self.reads += 1
        return super().read(fd, size)

    def space(self, fd):
        return 12345, 512


@pytest.fixture
def stick(tmp_path):
    root = tmp_path / "STICK"
    root.mkdir()
    io = CountingIO()
    with StickDir.open_root(root, io) as directory:
        yield root, directory, io


def test_a_small_file_is_read_through_the_sticks_io(stick):
    root, directory, io = stick
    (root / "MANIFEST.json").write_bytes(b'{"format": 1}')
    assert directory.read_small("MANIFEST.json", 1024) == b'{"format": 1}'
    assert io.reads >= 1


def test_reading_refuses_a_link_or_a_special_file(stick, tmp_path):
    root, directory, _ = stick
    secret = tmp_path / "secret"
    secret.write_text("not the stick's")
    (root / "MANIFEST.json").symlink_to(secret)
    os.mkfifo(root / "audit-vig.log")
    with pytest.raises(UnsafeStickEntry, match="link"):
        directory.read_small("MANIFEST.json", 1024)
    with pytest.raises(UnsafeStickEntry, match="not a file"):
        directory.read_small("audit-vig.log", 1024)


def test_removing_a_link_removes_the_link_not_its_target(stick, tmp_path):
    root, directory, _ = stick
    target = tmp_path / "precious"
    target.write_text("keep")
    (root / ".vig-write-probe").symlink_to(target)
    directory.remove_file(".vig-write-probe")
    assert not os.path.lexists(root / ".vig-write-probe")
    assert target.read_text() == "keep"


def test_free_space_is_asked_of_the_sticks_io(stick):
    _, directory, _ = stick
    assert directory.space() == (12345, 512)


def test_an_export_error_carries_its_result_from_the_constructor():
    assert StickFull("The stick is full.").result is None
    result = object()
    again = StickFull("The stick is full.").with_result(result)  # type: ignore[arg-type]
    assert type(again) is StickFull and again.result is result
    assert str(again) == "The stick is full." and again.code == "export.stick_full"
