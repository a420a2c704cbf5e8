"""The reference `age` command opens what the vault wrote, finished or cut short."""

from __future__ import annotations

import subprocess

from appliance.vault.age import CHUNK_SIZE
from tests.tooling import require_tool

FREE_BOX = b"\0\0\0\x08free"


def _age_decrypt(age: str, key_file, path) -> subprocess.CompletedProcess:
    return subprocess.run([age, "-d", "-i", str(key_file), str(path)], capture_output=True)


def test_age_opens_every_file_of_a_session(vault, identity, tmp_path):
    age = require_tool("age", "age")
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"{identity}\n")
    session = vault.create_session({"case_code": "C-5"})
    part = session.open_part()
    payload = bytes(range(256)) * 700
    part.write(payload)
    part.sync(b"\0" * (-part.pending % CHUNK_SIZE))
    part.close(FREE_BOX)
    session.write_mark(1, {"tag": "guiding"})
    session.finish("complete")
    directory = vault.sessions_dir / session.id

    opened = _age_decrypt(age, key_file, part.path)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == payload + b"\0" * (-len(payload) % CHUNK_SIZE) + FREE_BOX
    mark = _age_decrypt(age, key_file, directory / "mark-0001.json.age")
    assert mark.returncode == 0 and b"guiding" in mark.stdout
    metadata = _age_decrypt(age, key_file, directory / "session.json.age")
    assert metadata.returncode == 0 and b"C-5" in metadata.stdout


def test_age_releases_the_synced_part_of_a_part_cut_by_a_power_cut(
    vault, identity, disk, make_vault, tmp_path
):
    age = require_tool("age", "age")
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"{identity}\n")
    session = vault.create_session({})
    part = session.open_part()
    part.write(b"s" * (2 * CHUNK_SIZE + 5))
    part.sync(b"\0" * (CHUNK_SIZE - 5))
    part.write(b"lost" * 5000)
    disk.power_cut()
    make_vault().recover_interrupted()

    opened = _age_decrypt(age, key_file, part.path)
    assert opened.returncode != 0  # age reports the missing end ...
    synced = b"s" * (2 * CHUNK_SIZE + 5) + b"\0" * (CHUNK_SIZE - 5)
    assert opened.stdout == synced  # ... after releasing every synced byte
