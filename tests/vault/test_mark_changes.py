"""A mark changed after it was made (re-noted, or removed with its clip), with the power
pulled at every file operation of the change: after the reboot each mark is whole, the old
version or the new one, and state.json lists exactly the files on the card."""

from __future__ import annotations

import json

import pytest

from appliance.config import RecordingConfig, StorageConfig
from appliance.vault import LossyFileSystem, PowerCut, Vault
from appliance.vault.age import AgeReader, X25519Identity
from appliance.vault.session_files import file_digest
from appliance.vault.state import read_state
from tests.support.clocks import WALL_START
from tests.support.vaults import make_enrolled_vault

GIB = 1024**3
OLD = {"number": 1, "tag": "guiding", "note": "Mum A praises the drawing"}
NEW = {"number": 1, "tag": "guiding", "note": "and the child smiles"}


def _recording(root, identity):
    """A session being recorded with mark 1 (its note `OLD`) and its sealed clip."""
    disk = LossyFileSystem(root, free_bytes=64 * GIB)
    vault, _ = make_enrolled_vault(
        disk.root / "data", fs=disk, wall_clock=lambda: WALL_START, identity=identity
    )
    session = vault.create_session({"case_code": "C-cut"})
    session.write_mark(1, OLD)
    clip = session.open_clip(1)
    clip.write(b"clip " * 1000)
    clip.close()
    return disk, session


CHANGES = {
    "re-note": lambda session: session.write_mark(1, NEW),
    "remove": lambda session: (session.remove_mark(1), session.remove_clip(1)),
}


def _operations_of(change, root, identity) -> int:
    disk, session = _recording(root, identity)
    before = disk.operations
    CHANGES[change](session)
    return disk.operations - before


def _read(path, identity) -> dict:
    with open(path, "rb") as source:
        return json.loads(AgeReader(source, [identity]).read())


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_power_cut_during_a_mark_change_leaves_the_old_or_the_new_mark(tmp_path, change):
    identity = X25519Identity.generate()
    operations = _operations_of(change, tmp_path / "dry", identity)
    assert operations >= 4
    outcomes = set()
    for cut in range(1, operations + 2):
        disk, session = _recording(tmp_path / f"cut{cut}", identity)
        disk.cut_after(cut)
        try:
            CHANGES[change](session)
        except PowerCut:
            pass
        else:
            disk.power_cut()
        rebooted = Vault(disk.root / "data", StorageConfig(), RecordingConfig(), fs=disk)
        rebooted.recover_interrupted()
        directory = rebooted.sessions_dir / session.id
        state = read_state(directory)
        on_card = sorted(p.name for p in directory.iterdir() if p.name != "state.json")
        assert sorted(f.name for f in state.files) == on_card, f"cut at {cut}"
        for listed in state.files:
            assert (listed.size, listed.sha256) == file_digest(directory / listed.name)
        mark = directory / "mark-0001.json.age"
        if mark.exists():
            outcomes.add("new" if _read(mark, identity) == NEW else "old")
            assert _read(mark, identity) in (OLD, NEW)
        else:
            outcomes.add("removed")
    assert outcomes == ({"old", "new"} if change == "re-note" else {"old", "removed"})
