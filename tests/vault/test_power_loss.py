"""Pull the power at random moments while a part is written: nothing synced is lost.

Each trial records into a lossy disk that syncs every N bytes, and cuts the power at a
random operation (creating the session, opening the part, writing, syncing, closing,
finishing), sometimes leaving a torn tail of unsynced bytes. After the "reboot" the vault
recovers, and salvage must release every byte up to the last sync that returned, and only
bytes that were written, in order.
"""

from __future__ import annotations

import io
import random

from appliance.config import RecordingConfig, StorageConfig
from appliance.vault import LossyFileSystem, PowerCut, Vault
from appliance.vault.age import CHUNK_SIZE, X25519Identity, salvage
from appliance.vault.session_files import file_digest
from tests.support.clocks import WALL_START
from tests.support.vaults import make_enrolled_vault

GIB = 1024**3
TRIALS = 50
FREE_BOX = b"\0\0\0\x08free"


def _record(vault: Vault, rng: random.Random, log: dict) -> None:
    session = vault.create_session({"case_code": "C-cut"})
    log["session"] = session.id
    part = session.open_part()
    log["part_opened_at"] = vault.fs.operations
    sync_every = rng.choice([CHUNK_SIZE // 2, CHUNK_SIZE, 3 * CHUNK_SIZE])
    since_sync = 0
    while len(log["written"]) < 700_000:
        data = rng.randbytes(rng.choice([rng.randint(1, 9000), rng.randint(1, 2 * CHUNK_SIZE)]))
        part.write(data)
        log["written"] += data
        since_sync += len(data)
        if since_sync >= sync_every:
            filler = b"\0" * (-part.pending % CHUNK_SIZE)
            log["written"] += filler  # sync() writes the filler before it can be cut
            part.sync(filler)
            log["durable"] = len(log["written"])
            since_sync = 0
    log["written"] += FREE_BOX
    part.close(FREE_BOX)
    log["durable"] = len(log["written"])
    session.finish("complete")


def _new_vault(root, identity, ext4_like=False) -> tuple[LossyFileSystem, Vault]:
    disk = LossyFileSystem(root, free_bytes=64 * GIB, fsync_persists_entry=ext4_like)
    vault, _ = make_enrolled_vault(
        disk.root / "data", fs=disk, wall_clock=lambda: WALL_START, identity=identity
    )
    return disk, vault


def _operations_of_a_whole_run(root, identity, rng_state) -> tuple[int, int]:
    """File operations of an uncut run with the same random choices: to the part, in all."""
    disk, vault = _new_vault(root, identity)
    rng = random.Random()
    rng.setstate(rng_state)
    before = disk.operations
    log = {"written": bytearray(), "durable": 0, "session": None}
    _record(vault, rng, log)
    return log["part_opened_at"] - before, disk.operations - before


def test_a_power_cut_at_any_moment_loses_nothing_that_was_synced(tmp_path):
    identity = X25519Identity.generate()
    rng = random.Random(20261125)
    outcomes = {"cut": 0, "finished": 0, "no part yet": 0, "part found by the scan": 0}
    for trial in range(TRIALS):
        to_part, whole_run = _operations_of_a_whole_run(
            tmp_path / f"dry{trial}", identity, rng.getstate()
        )
        disk, vault = _new_vault(tmp_path / f"trial{trial}", identity, ext4_like=trial % 3 == 0)
        log = {"written": bytearray(), "durable": 0, "session": None}
        torn = random.Random(trial) if trial % 2 else None
        # Most cuts fall while the part is written; every fifth anywhere from the start.
        first = 1 if trial % 5 == 0 else max(1, to_part - 8)
        disk.cut_after(random.Random(trial).randint(first, whole_run + 1), torn)
        try:
            _record(vault, rng, log)
        except PowerCut:
            outcomes["cut"] += 1
        else:
            outcomes["finished"] += 1
            disk.power_cut(torn)

        rebooted = Vault(disk.root / "data", StorageConfig(), RecordingConfig(), fs=disk)
        rebooted.recover_interrupted()
        if any(e["event"] == "file_found" for e in rebooted.audit.entries()):
            outcomes["part found by the scan"] += 1
        sessions = rebooted.list_sessions()
        assert len(sessions) <= 1
        part_path = None
        for info in sessions:
            assert info.state in ("interrupted", "complete")
            for stored in info.files:
                assert (stored.size, stored.sha256) == file_digest(info.directory / stored.name)
            if info.parts:
                part_path = info.directory / info.parts[0]
        if part_path is None:
            outcomes["no part yet"] += 1
            assert log["durable"] == 0, f"trial {trial}: a synced part vanished"
            continue
        out = io.BytesIO()
        with open(part_path, "rb") as source:
            report = salvage(source, [identity], out)
        released = out.getvalue()
        assert report.plaintext_bytes == len(released)
        assert released == bytes(log["written"][: len(released)]), f"trial {trial}"
        assert len(released) >= log["durable"], (
            f"trial {trial}: {log['durable']} bytes were synced, only {len(released)} salvaged"
        )
    assert outcomes["cut"] >= TRIALS - 5, outcomes
    assert outcomes["no part yet"] <= TRIALS // 2, outcomes
