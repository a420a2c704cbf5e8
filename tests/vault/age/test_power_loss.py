"""Power cuts at random moments: salvage recovers everything up to the last durable sync.

The sink keeps only what `on_sync` declared durable, plus an arbitrary part of the unsynced
tail (what the page cache happened to flush), exactly like a card after a power cut.
"""

from __future__ import annotations

import contextlib
import io
import random

import pytest

from appliance.vault.age import CHUNK_SIZE, AgeError, AgeWriter, X25519Identity, salvage


class PowerCut(Exception):
    """The power went off (a test-only event, not an appliance error)."""


class LossySink:
    """A file whose unsynced bytes may be lost when the power is cut."""

    def __init__(self, budget: int) -> None:
        self.volatile = bytearray()
        self.durable_length = 0
        self._budget = budget  # bytes that may be written before the power goes

    def write(self, data) -> int:
        room = self._budget - len(self.volatile)
        if len(data) > room:
            self.volatile += bytes(data[: max(room, 0)])
            raise PowerCut
        self.volatile += data
        return len(data)

    def flush(self) -> None:
        """Nothing: only `mark_durable` (the fsync) makes bytes survive."""

    def mark_durable(self) -> None:
        self.durable_length = len(self.volatile)

    def disk_after_cut(self, rng: random.Random) -> bytes:
        if rng.random() < 0.3:  # nothing unsynced reached the card
            return bytes(self.volatile[: self.durable_length])
        survived = rng.randint(self.durable_length, len(self.volatile))
        return bytes(self.volatile[:survived])


def _record(sink: LossySink, key, rng: random.Random, written: bytearray, synced: list[int]):
    writer = AgeWriter(sink, [key.recipient], on_sync=sink.mark_durable)
    for _second in range(rng.randint(3, 12)):
        for _fragment in range(rng.randint(0, 5)):
            piece = rng.randbytes(rng.choice([10, 1000, 30_000, 70_000, 200_000]))
            written += piece  # before the write: a cut may leave part of it on disk
            writer.write(piece)
        filler = b"\0" * (-writer.pending % CHUNK_SIZE)
        written += filler
        writer.sync(filler)
        synced.append(len(written))
    end = b"\0\0\0\x08free"
    written += end
    writer.close(end)
    synced.append(len(written))


@pytest.mark.parametrize("seed", range(50))
def test_salvage_recovers_everything_synced_before_the_cut(seed):
    rng = random.Random(seed)
    key = X25519Identity.generate()
    sink = LossySink(budget=rng.randint(0, 1_500_000))
    written = bytearray()
    synced = [0]
    with contextlib.suppress(PowerCut):
        _record(sink, key, rng, written, synced)
    disk = sink.disk_after_cut(rng)
    out = io.BytesIO()
    report = salvage(io.BytesIO(disk), [key], out)
    recovered = out.getvalue()
    assert recovered == bytes(written[: len(recovered)])
    assert len(recovered) >= synced[-1]
    if report.complete:
        assert recovered == bytes(written)
    else:
        assert isinstance(report.reason, AgeError)
