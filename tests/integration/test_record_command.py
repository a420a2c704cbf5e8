"""`vig-appliance record`: the headless recording command, in-process and as a process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from appliance.cli import main
from appliance.vault.age import X25519Identity
from appliance.vault.store import Vault

from .media import analyse, decrypt, read_json
from .rig import SMALL_CONFIG_TOML


def enrolled_data_dir(tmp_path):
    identity = X25519Identity.generate()
    config = tmp_path / "config.toml"
    config.write_text(SMALL_CONFIG_TOML)
    data = tmp_path / "data"
    args = ["--config", str(config), "--data-dir", str(data)]
    assert main([*args, "keys", "add", str(identity.recipient)]) == 0
    return identity, args, data


def test_record_prints_the_session_id_and_marks_at_the_given_times(tmp_path, capsys):
    identity, args, data = enrolled_data_dir(tmp_path)
    capsys.readouterr()
    code = main(
        [
            *args,
            "record",
            "--simulate",
            "--fast",
            "--seconds",
            "12",
            "--case",
            "C-12",
            "--mark-at",
            "9,4:guiding",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    session_id = out.strip()
    assert "data dir" in err and str(data) in err
    session = data / "sessions" / session_id
    marks = [read_json(p, identity) for p in sorted(session.glob("mark-*"))]
    assert [(m["tag"], round(m["media_time"])) for m in marks] == [("guiding", 4), (None, 9)]
    metadata = read_json(session / "session.json.age", identity)
    assert metadata["case_code"] == "C-12"
    assert len(list(session.glob("clip-*"))) == 2


def test_record_refuses_bad_marks_before_recording_anything(tmp_path, capsys):
    _, args, data = enrolled_data_dir(tmp_path)
    code = main([*args, "record", "--simulate", "--fast", "--seconds", "5", "--mark-at", "3:hug"])
    assert code == 1
    assert "Unknown tag" in capsys.readouterr().err
    assert not (data / "sessions").exists() or not any((data / "sessions").iterdir())


def test_sigterm_saves_the_session_being_recorded(tmp_path):
    identity, args, data = enrolled_data_dir(tmp_path)
    command = [
        sys.executable,
        "-m",
        "appliance.cli",
        *args,
        "record",
        "--simulate",
        "--seconds",
        "60",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not list(data.glob("sessions/*/part-0001.mp4.age")):
            assert time.monotonic() < deadline, "recording did not start"
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.1)
        time.sleep(3)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    session_id = out.strip()
    info = Vault(data, *_sections(tmp_path)).session(session_id)
    assert info.state == "complete" and "SIGTERM" in info.reason
    media = analyse(decrypt(data / "sessions" / session_id / "part-0001.mp4.age", identity), 320)
    assert 2.5 <= media.video_duration <= 10


def _sections(tmp_path):
    from appliance.config import load_config

    config, _ = load_config(tmp_path / "config.toml")
    return config.storage, config.recording


def test_record_makes_nothing_outside_the_data_dir(tmp_path, capsys, monkeypatch):
    """A headless session needs no USB port: none appears where the command ran, nor in
    the data dir (only `run` makes the simulated port, and says where)."""
    _, args, data = enrolled_data_dir(tmp_path)
    elsewhere = tmp_path / "working-folder"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main([*args, "record", "--simulate", "--fast", "--seconds", "2"]) == 0
    assert list(elsewhere.iterdir()) == []
    assert not (data / "usb").exists()
    assert {p.name for p in tmp_path.iterdir()} == {"config.toml", "data", "working-folder"}
