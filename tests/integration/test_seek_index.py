"""A part's MP4 seek index never points a player at the wrong bytes.

The muxer's `mfra`/`tfra` index is written at the end of a part, from offsets the muxer counted
before the durability padding (`free` boxes) went in between fragments: only 1 of 20 entries
landed on a `moof`. Players and the viewer that trust it seek into the middle of media data.
The appliance writes no such index (fragments are found by their `moof` boxes instead).
"""

from __future__ import annotations

import struct

from .media import decrypt
from .rig import make_rig


def top_level_boxes(data: bytes) -> dict[int, str]:
    boxes, at = {}, 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
        boxes[at] = kind.decode("latin1")
        if size < 8:
            break
        at += size
    return boxes


def tfra_offsets(data: bytes, mfra_at: int) -> list[int]:
    offsets = []
    at = mfra_at + 8
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"tfra":
            version = data[at + 8]
            (lengths, count) = struct.unpack(">II", data[at + 16:at + 24])
            entry = (16 if version == 1 else 8) + sum(
                ((lengths >> shift) & 3) + 1 for shift in (4, 2, 0)
            )
            for i in range(count):
                p = at + 24 + i * entry
                fmt = ">QQ" if version == 1 else ">II"
                offsets.append(struct.unpack(fmt, data[p:p + struct.calcsize(fmt)])[1])
        if size < 8:
            break
        at += size
    return offsets


def test_every_tfra_entry_lands_on_a_moof_and_the_parts_carry_no_stale_index(tmp_path):
    rig = make_rig(tmp_path)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    rig.run_for(6)
    rig.stop()
    (part,) = rig.files(session_id, "part")
    data = decrypt(part, rig.identity)
    boxes = top_level_boxes(data)
    assert list(boxes.values()).count("moof") >= 5
    for at, kind in boxes.items():
        if kind == "mfra":
            assert all(boxes.get(offset) == "moof" for offset in tfra_offsets(data, at))
    assert "mfra" not in boxes.values()
