"""A stick that breaks, fills up, goes away, lies or carries traps never costs a recording."""

from __future__ import annotations

import errno
import os
import shutil

import pytest

from appliance.export.errors import (
    ConflictingFile,
    StickFull,
    StickRemoved,
    StickWriteFailed,
    UnsafeStickEntry,
)
from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME, MANIFEST_NAME
from appliance.export.stick import FolderStick
from appliance.export.stickfs import StickIO


class FailingIO(StickIO):
    """A stick that takes `budget` bytes, then fails every write with `error`."""

    def __init__(self, budget: int, error: int = errno.EIO, on_fail=None) -> None:
        self.budget = budget
        self.error = error
        self.on_fail = on_fail

    def write(self, fd, data):
        if self.budget <= 0:
            if self.on_fail is not None:
                self.on_fail()
            raise OSError(self.error, os.strerror(self.error))
        data = data[: self.budget]
        self.budget -= len(data)
        return super().write(fd, data)


class SmallStickIO(StickIO):
    def __init__(self, free: int) -> None:
        self.free = free

    def space(self, fd):
        return self.free, 4096


def session_ids(recorded):
    return sorted(s.id for s in recorded.vault.list_sessions())


def make_stick(tmp_path):
    stick = tmp_path / "usb" / "STICK"
    stick.mkdir(parents=True)
    return stick


@pytest.mark.parametrize("budget", [0, 1000, 70_000, 200_000])
def test_stick_failing_after_n_bytes_deletes_nothing_and_the_next_export_resumes(
    recorded, tmp_path, budget
):
    stick = make_stick(tmp_path)
    ids = session_ids(recorded)
    with pytest.raises(StickWriteFailed) as caught:
        Exporter(recorded.vault, device_name="vig", io=FailingIO(budget)).export(
            FolderStick(stick)
        )
    assert set(session_ids(recorded)) == set(ids) - set(caught.value.result.exported)
    for session_id in caught.value.result.exported:
        assert (stick / EXPORT_DIR_NAME / session_id / MANIFEST_NAME).exists()

    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert set(result.exported) | set(caught.value.result.exported) == set(ids)
    assert recorded.vault.list_sessions() == []
    assert not list((stick / EXPORT_DIR_NAME).rglob("*.vig-tmp"))


def test_a_full_stick_mid_copy_keeps_the_session(recorded, tmp_path):
    stick = make_stick(tmp_path)
    ids = session_ids(recorded)
    with pytest.raises(StickFull):
        Exporter(recorded.vault, device_name="vig", io=FailingIO(30_000, errno.ENOSPC)).export(
            FolderStick(stick)
        )
    assert session_ids(recorded) == ids


def test_too_little_space_exports_whole_sessions_oldest_first_and_says_what_is_left(
    recorded, tmp_path
):
    stick = make_stick(tmp_path)
    oldest = recorded.vault.session(recorded.complete.id)
    room = sum(-(-f.size // 4096) * 4096 for f in oldest.files) + 64 * 1024
    result = Exporter(recorded.vault, device_name="vig", io=SmallStickIO(room)).export(
        FolderStick(stick)
    )
    assert result.exported == [recorded.complete.id]
    assert result.left_for_space == [recorded.interrupted.id]
    assert not result.ok
    assert recorded.interrupted.id in result.summary()
    assert session_ids(recorded) == [recorded.interrupted.id]


def test_stick_pulled_mid_copy_deletes_nothing(recorded, tmp_path):
    stick = make_stick(tmp_path)
    ids = session_ids(recorded)
    pulled = FailingIO(100_000, errno.ENODEV, on_fail=lambda: shutil.rmtree(stick))
    with pytest.raises(StickRemoved) as caught:
        Exporter(recorded.vault, device_name="vig", io=pulled).export(FolderStick(stick))
    assert caught.value.result.exported == []
    assert session_ids(recorded) == ids

    stick.mkdir()
    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert sorted(result.exported) == ids


def test_stick_folder_vanishing_while_writes_still_succeed_deletes_nothing(recorded, tmp_path):
    """Files written into a removed folder are not on any stick: nothing may be deleted."""
    stick = make_stick(tmp_path)
    ids = session_ids(recorded)

    class VanishingIO(StickIO):
        written = 0

        def write(self, fd, data):
            self.written += len(data)
            if self.written > 50_000 and stick.exists():
                shutil.rmtree(stick)
            return super().write(fd, data)

    with pytest.raises(StickRemoved):
        Exporter(recorded.vault, device_name="vig", io=VanishingIO()).export(FolderStick(stick))
    assert session_ids(recorded) == ids


def test_symlink_named_like_an_export_file_is_never_followed(recorded, tmp_path):
    stick = make_stick(tmp_path)
    outside = tmp_path / "precious.txt"
    outside.write_text("do not touch")
    folder = stick / EXPORT_DIR_NAME / recorded.complete.id
    folder.mkdir(parents=True)
    (folder / "part-0001.mp4.age").symlink_to(outside)
    (folder / "clip-0001.mp4.age.vig-tmp").symlink_to(outside)

    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))

    assert outside.read_text() == "do not touch"
    kept = dict(result.kept)
    assert isinstance(kept[recorded.complete.id], UnsafeStickEntry)
    assert recorded.interrupted.id in result.exported
    assert session_ids(recorded) == [recorded.complete.id]
    assert os.path.islink(folder / "part-0001.mp4.age")


def test_export_folder_that_is_a_symlink_is_refused(recorded, tmp_path):
    stick = make_stick(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (stick / EXPORT_DIR_NAME).symlink_to(elsewhere)
    ids = session_ids(recorded)
    with pytest.raises(UnsafeStickEntry) as caught:
        Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert caught.value.result is not None and caught.value.result.exported == []
    assert list(elsewhere.iterdir()) == []
    assert session_ids(recorded) == ids


def test_session_folder_that_is_a_symlink_keeps_that_session(recorded, tmp_path):
    stick = make_stick(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (stick / EXPORT_DIR_NAME).mkdir()
    (stick / EXPORT_DIR_NAME / recorded.interrupted.id).symlink_to(elsewhere)
    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert isinstance(dict(result.kept)[recorded.interrupted.id], UnsafeStickEntry)
    assert result.exported == [recorded.complete.id]
    assert list(elsewhere.iterdir()) == []


def test_conflicting_file_is_not_overwritten_and_its_session_is_kept(recorded, tmp_path):
    stick = make_stick(tmp_path)
    folder = stick / EXPORT_DIR_NAME / recorded.complete.id
    folder.mkdir(parents=True)
    size = recorded.vault.session(recorded.complete.id).files[1].size
    name = recorded.vault.session(recorded.complete.id).files[1].name
    (folder / name).write_bytes(b"x" * size)  # same size, other content

    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))

    assert isinstance(dict(result.kept)[recorded.complete.id], ConflictingFile)
    assert name in dict(result.kept)[recorded.complete.id].user_message()
    assert (folder / name).read_bytes() == b"x" * size
    assert recorded.interrupted.id in result.exported
    assert session_ids(recorded) == [recorded.complete.id]


def test_conflicting_manifest_keeps_the_session(recorded, tmp_path):
    stick = make_stick(tmp_path)
    folder = stick / EXPORT_DIR_NAME / recorded.complete.id
    folder.mkdir(parents=True)
    (folder / MANIFEST_NAME).write_text('{"format": "something else"}')
    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert isinstance(dict(result.kept)[recorded.complete.id], ConflictingFile)
    assert recorded.complete.id in session_ids(recorded)


def test_a_stick_that_reads_back_wrong_keeps_the_session(recorded, tmp_path):
    stick = make_stick(tmp_path)

    class RottingIO(StickIO):
        def read(self, fd, size):
            data = super().read(fd, size)
            return bytes([data[0] ^ 1]) + data[1:] if len(data) > 60_000 else data

    from appliance.export.errors import VerifyFailed

    result = Exporter(recorded.vault, device_name="vig", io=RottingIO()).export(
        FolderStick(stick)
    )
    assert result.exported == []
    assert all(isinstance(err, VerifyFailed) for _, err in result.kept)
    assert len(session_ids(recorded)) == 2


def test_a_trap_in_place_of_the_readme_or_audit_copy_is_noted_not_followed(recorded, tmp_path):
    stick = make_stick(tmp_path)
    outside = tmp_path / "precious.txt"
    outside.write_text("do not touch")
    (stick / EXPORT_DIR_NAME).mkdir()
    (stick / EXPORT_DIR_NAME / "README.txt").symlink_to(outside)
    (stick / EXPORT_DIR_NAME / "audit-vig.log").symlink_to(outside)

    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))

    assert sorted(result.exported) == sorted([recorded.complete.id, recorded.interrupted.id])
    assert len(result.notes) == 2
    assert outside.read_text() == "do not touch"


def test_a_file_missing_on_the_appliance_keeps_its_session_and_blames_the_appliance(
    recorded, tmp_path
):
    from appliance.export.copier import SourceUnreadable

    stick = make_stick(tmp_path)
    (recorded.vault.sessions_dir / recorded.complete.id / "clip-0002.mp4.age").unlink()
    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    error = dict(result.kept)[recorded.complete.id]
    assert isinstance(error, SourceUnreadable)
    assert "clip-0002.mp4.age" in error.user_message()
    assert result.exported == [recorded.interrupted.id]


def test_a_failing_delete_on_the_appliance_is_not_blamed_on_the_stick(recorded, tmp_path):
    from appliance.export.errors import AppliancePurgeFailed

    stick = make_stick(tmp_path)
    real_delete = recorded.vault.delete_session

    def broken_delete(session_id, reason):
        raise OSError(errno.EIO, "Input/output error")

    recorded.vault.delete_session = broken_delete
    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert result.exported == []
    assert {type(err) for _, err in result.kept} == {AppliancePurgeFailed}
    assert result.safe_to_remove

    recorded.vault.delete_session = real_delete
    again = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert sorted(again.exported) == sorted([recorded.complete.id, recorded.interrupted.id])
    assert again.bytes_copied == 0
    assert recorded.vault.list_sessions() == []
