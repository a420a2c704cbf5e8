"""No plaintext reaches the card: not the media, not a case code, not a mark or its note."""

from __future__ import annotations

from appliance.vault.age import CHUNK_SIZE, decrypt_file

MARKER = "FAMILY-SMITH-7f3a"


def _files_containing(root, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_no_file_in_the_data_dir_contains_the_marker(vault, identity, disk):
    session = vault.create_session({"case_code": MARKER, "label": MARKER})
    part = session.open_part()
    payload = (MARKER.encode() + b"-frame-") * 20_000
    part.write(payload)
    part.sync(b"\0" * (-part.pending % CHUNK_SIZE))
    part.write(payload[:999])
    part.close()
    session.write_mark(1, {"note": MARKER, "tag": "guiding", "media_time": 1.0})
    clip = session.open_clip(1)
    clip.write(payload[:5000])
    clip.close()
    session.update_metadata({"summary": MARKER})
    session.finish("complete", "stopped")
    vault.recover_interrupted()
    vault.list_sessions()

    for needle in (MARKER, MARKER.lower(), MARKER[::-1]):
        assert _files_containing(disk.root, needle.encode()) == []
        assert _files_containing(disk.root, needle.encode("utf-16-le")) == []
    # ... while the practitioner's key opens all of it:
    directory = vault.sessions_dir / session.id
    assert MARKER.encode() in decrypt_file(directory / "mark-0001.json.age", [identity])
    assert MARKER.encode() in decrypt_file(directory / "session.json.age", [identity])
