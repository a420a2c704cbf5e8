"""`vig-appliance age encrypt|decrypt`, in process and once as real processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import age_cmd, main
from appliance.vault.age import CHUNK_SIZE, AgeWriter, ScryptRecipient, decrypt_bytes, encrypt_bytes
from tests.tooling import require_tool

from .tty import run_with_terminal


@pytest.fixture
def key_file(tmp_path, key) -> Path:
    path = tmp_path / "key.txt"
    path.write_text(f"# public key: {key.recipient}\n{key}\n")
    return path


@pytest.fixture
def stdin_bytes(monkeypatch):
    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    return feed


@pytest.fixture
def passphrases(monkeypatch):
    """Answers for the terminal prompts, in order."""
    answers: list[str] = []
    monkeypatch.setattr(age_cmd, "read_passphrase", lambda prompt: answers.pop(0))
    return answers


def test_encrypt_to_a_file_and_decrypt_to_stdout(tmp_path, key, key_file, capsysbinary):
    data = os.urandom(200_000)
    (tmp_path / "in").write_bytes(data)
    out = tmp_path / "in.age"
    assert (
        main(["age", "encrypt", "-r", str(key.recipient), "-o", str(out), str(tmp_path / "in")])
        == 0
    )
    assert main(["age", "decrypt", "-i", str(key_file), str(out)]) == 0
    assert capsysbinary.readouterr().out == data


def test_stdin_to_stdout_with_a_recipients_file_and_armor(
    tmp_path, key, key_file, capsysbinary, stdin_bytes
):
    data = os.urandom(5000)
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(f"# the practitioner\n{key.recipient}\n\n")
    stdin_bytes(data)
    assert main(["age", "encrypt", "-a", "-R", str(recipients)]) == 0
    armored = capsysbinary.readouterr().out
    assert armored.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    stdin_bytes(armored)
    assert main(["age", "decrypt", "-i", str(key_file)]) == 0
    assert capsysbinary.readouterr().out == data


def test_failures_exit_1_with_a_reason(tmp_path, key, key_file, capsysbinary):
    other = tmp_path / "other.txt"
    other.write_text("AGE-SECRET-KEY-1QHSXKR267V8XLMKT7Y7YPTHX53KLYFLXN2M4ZJL7S4N62PANA5VQQNNX7D\n")
    (tmp_path / "f.age").write_bytes(encrypt_bytes(b"secret", [key.recipient]))
    cases = [
        ["age", "decrypt", "-i", str(other), str(tmp_path / "f.age")],
        ["age", "decrypt", "-i", str(tmp_path / "missing.txt"), str(tmp_path / "f.age")],
        ["age", "decrypt", "-i", str(key_file), str(tmp_path / "missing.age")],
        ["age", "encrypt", "-r", str(key), str(tmp_path / "f.age")],
        ["age", "encrypt", "-r", "age1notakey", str(tmp_path / "f.age")],
        [
            "age",
            "encrypt",
            "-r",
            str(key.recipient),
            "-o",
            str(tmp_path / "f.age"),
            str(tmp_path / "f.age"),
        ],
        [
            "age",
            "decrypt",
            "-i",
            str(key_file),
            "-o",
            str(tmp_path / "f.age"),
            str(tmp_path / "f.age"),
        ],
    ]
    for argv in cases:
        assert main(argv) == 1, argv
        captured = capsysbinary.readouterr()
        assert captured.err.startswith(b"vig-appliance: ") and captured.out == b""
    assert decrypt_bytes((tmp_path / "f.age").read_bytes(), [key]) == b"secret"


def test_passphrase_round_trip(tmp_path, capsysbinary, passphrases):
    (tmp_path / "in").write_bytes(b"hello family")
    passphrases += ["tea and biscuits", "tea and biscuits", "tea and biscuits"]
    out = str(tmp_path / "in.age")
    assert main(["age", "encrypt", "-p", "-o", out, str(tmp_path / "in")]) == 0
    assert main(["age", "decrypt", out]) == 0
    assert capsysbinary.readouterr().out == b"hello family"


def test_mismatched_passphrases_write_nothing(tmp_path, capsysbinary, passphrases):
    (tmp_path / "in").write_bytes(b"x")
    passphrases += ["one", "two"]
    assert main(["age", "encrypt", "-p", "-o", str(tmp_path / "o"), str(tmp_path / "in")]) == 1
    assert not (tmp_path / "o").exists()


def test_a_passphrase_protected_identity_file(tmp_path, key, capsysbinary, passphrases):
    protected = tmp_path / "key.txt.age"
    protected.write_bytes(
        encrypt_bytes(f"{key}\n".encode(), [ScryptRecipient("pw", work_factor=10)])
    )
    (tmp_path / "f.age").write_bytes(encrypt_bytes(b"opened", [key.recipient]))
    passphrases.append("pw")
    assert main(["age", "decrypt", "-i", str(protected), str(tmp_path / "f.age")]) == 0
    assert capsysbinary.readouterr().out == b"opened"


def test_salvage_writes_what_is_authentic_and_exits_1(tmp_path, key, key_file, capsysbinary):
    with open(tmp_path / "cut.age", "wb") as sink:
        writer = AgeWriter(sink, [key.recipient])
        writer.write(b"k" * (CHUNK_SIZE + 10))
        writer.sync(b"\0" * (CHUNK_SIZE - 10))
    out = tmp_path / "out"
    argv = [
        "age",
        "decrypt",
        "--salvage",
        "-i",
        str(key_file),
        "-o",
        str(out),
        str(tmp_path / "cut.age"),
    ]
    assert main(argv) == 1
    assert out.read_bytes() == b"k" * (CHUNK_SIZE + 10) + b"\0" * (CHUNK_SIZE - 10)
    assert capsysbinary.readouterr().err


def test_the_installed_command_pipes_and_asks_the_terminal(tmp_path, key, key_file):
    age = require_tool("age", "age")
    command = str(Path(sys.executable).parent / "vig-appliance")
    data = os.urandom(300_000)
    encrypted = subprocess.run(
        [command, "age", "encrypt", "-r", str(key.recipient)],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    result = subprocess.run([age, "-d", "-i", str(key_file)], input=encrypted, capture_output=True)
    assert result.returncode == 0 and result.stdout == data
    (tmp_path / "in").write_bytes(data)
    argv = [command, "age", "encrypt", "-p", "-o", str(tmp_path / "p.age"), str(tmp_path / "in")]
    assert run_with_terminal(argv, "a long passphrase") == 0
    argv = [age, "-d", "-o", str(tmp_path / "out"), str(tmp_path / "p.age")]
    assert run_with_terminal(argv, "a long passphrase") == 0
    assert (tmp_path / "out").read_bytes() == data
