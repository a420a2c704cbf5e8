"""Interop with the reference `age` command, both ways, for the sizes that hit edges."""

from __future__ import annotations

import os
import subprocess

import pytest

from appliance.vault.age import (
    AgeReader,
    AgeWriter,
    ArmorWriter,
    ScryptIdentity,
    ScryptRecipient,
    X25519Identity,
    parse_identity_file,
    parse_recipient,
)
from tests.tooling import require_tool

from .tty import run_with_terminal

SIZES = [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 5]
CHUNK = AgeWriter.CHUNK_SIZE


@pytest.fixture
def age() -> str:
    return require_tool("age", "age")


@pytest.fixture
def identity(tmp_path) -> tuple[X25519Identity, str]:
    ident = X25519Identity.generate()
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"# created by the test\n# public key: {ident.recipient}\n{ident}\n")
    return ident, str(key_file)


def _encrypt_ours(path, data: bytes, recipients) -> None:
    with open(path, "wb") as sink:
        writer = AgeWriter(sink, recipients)
        writer.write(data)
        writer.close()


def _decrypt_ours(path, identities) -> bytes:
    with open(path, "rb") as source:
        return b"".join(AgeReader(source, identities))


@pytest.mark.parametrize("size", SIZES)
def test_age_decrypts_what_we_write(age, identity, tmp_path, size):
    ident, key_file = identity
    data = os.urandom(size)
    _encrypt_ours(tmp_path / "f.age", data, [parse_recipient(str(ident.recipient))])
    result = subprocess.run(
        [age, "-d", "-i", key_file, str(tmp_path / "f.age")], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


@pytest.mark.parametrize("size", SIZES)
def test_we_decrypt_what_age_writes_to_a_recipient(age, identity, tmp_path, size):
    ident, key_file = identity
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    subprocess.run(
        [age, "-r", str(ident.recipient), "-o", str(tmp_path / "f.age"), str(tmp_path / "f")],
        check=True,
    )
    with open(key_file) as keys:
        identities = parse_identity_file(keys.read())
    assert _decrypt_ours(tmp_path / "f.age", identities) == data


def test_we_read_keys_from_age_keygen(tmp_path):
    keygen = require_tool("age-keygen", "age")
    subprocess.run([keygen, "-o", str(tmp_path / "k.txt")], check=True, capture_output=True)
    text = (tmp_path / "k.txt").read_text()
    [ident] = parse_identity_file(text)
    assert f"public key: {ident.recipient}" in text
    assert str(ident) in text.splitlines()


def test_we_decrypt_armored_age_output(age, identity, tmp_path):
    ident, _ = identity
    data = os.urandom(100_000)
    (tmp_path / "f").write_bytes(data)
    subprocess.run(
        [age, "-a", "-r", str(ident.recipient), "-o", str(tmp_path / "f.age"), str(tmp_path / "f")],
        check=True,
    )
    assert _decrypt_ours(tmp_path / "f.age", [ident]) == data


def test_age_decrypts_our_armor(age, identity, tmp_path):
    ident, key_file = identity
    data = os.urandom(100_000)
    with open(tmp_path / "f.age", "wb") as sink:
        armor = ArmorWriter(sink)
        writer = AgeWriter(armor, [ident.recipient])
        writer.write(data)
        writer.close()
        armor.close()
    result = subprocess.run(
        [age, "-d", "-i", key_file, str(tmp_path / "f.age")], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


def test_we_decrypt_age_passphrase_files(age, tmp_path):
    data = os.urandom(70_000)
    (tmp_path / "f").write_bytes(data)
    argv = [age, "-p", "-o", str(tmp_path / "f.age"), str(tmp_path / "f")]
    assert run_with_terminal(argv, "correct horse battery staple") == 0
    assert (
        _decrypt_ours(tmp_path / "f.age", [ScryptIdentity("correct horse battery staple")]) == data
    )


def test_age_decrypts_our_passphrase_files(age, tmp_path):
    data = os.urandom(70_000)
    _encrypt_ours(tmp_path / "f.age", data, [ScryptRecipient("open sesame", work_factor=12)])
    argv = [age, "-d", "-o", str(tmp_path / "out"), str(tmp_path / "f.age")]
    assert run_with_terminal(argv, "open sesame") == 0
    assert (tmp_path / "out").read_bytes() == data


def _synced_file(path, recipient, data: bytes, *, final_filler: bytes | None) -> bytes:
    """Write data with a sync point every 100 kB; return the plaintext as written."""
    written = bytearray()
    with open(path, "wb") as sink:
        writer = AgeWriter(sink, [recipient])
        for start in range(0, len(data), 100_000):
            piece = data[start : start + 100_000]
            filler = b"\0" * (-(writer.pending + len(piece)) % CHUNK)
            writer.write(piece)
            writer.sync(filler)
            written += piece + filler
        if final_filler is not None:
            writer.close(final_filler)
            written += final_filler
    return bytes(written)


def test_age_decrypts_a_file_with_sync_points(age, identity, tmp_path):
    ident, key_file = identity
    plaintext = _synced_file(
        tmp_path / "f.age", ident.recipient, os.urandom(350_000), final_filler=b"\0\0\0\x08free"
    )
    result = subprocess.run(
        [age, "-d", "-i", key_file, str(tmp_path / "f.age")], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == plaintext


def test_age_releases_everything_synced_then_fails_on_a_cut_file(age, identity, tmp_path):
    ident, key_file = identity
    plaintext = _synced_file(
        tmp_path / "f.age", ident.recipient, os.urandom(350_000), final_filler=None
    )
    result = subprocess.run(
        [age, "-d", "-i", key_file, str(tmp_path / "f.age")], capture_output=True
    )
    assert result.returncode != 0
    assert result.stdout == plaintext
