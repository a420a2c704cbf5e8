"""`vig-appliance panel set-pin`: stdin when piped, asked twice on a terminal, 6+ digits."""

from __future__ import annotations

import io
import os
import stat
from types import SimpleNamespace

import pytest

from appliance.cli.panel_cmd import read_pin, set_pin_command
from appliance.panel.errors import WeakPin
from appliance.panel.pin_store import PinStore, panel_files


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_pin_is_stored_hashed(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("13572468\n"))
    assert set_pin_command(SimpleNamespace(data_dir=tmp_path), None) == 0
    store = PinStore(panel_files(tmp_path)[0])
    assert store.verify("13572468")
    assert "13572468" not in store.path.read_text()
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


@pytest.mark.parametrize("pin", ["12345", "12345a", "", " 123 456", "١٢٣٤٥٦"])
def test_short_or_non_digit_pins_are_refused(tmp_path, pin):
    with pytest.raises(WeakPin):
        read_pin(io.StringIO(pin + "\n"))


def test_terminal_asks_twice_and_refuses_a_mismatch(tmp_path):
    answers = iter(["24681357", "24681358"])
    with pytest.raises(WeakPin):
        read_pin(Terminal(), prompt=lambda _: next(answers))
    answers = iter(["24681357", "24681357"])
    assert read_pin(Terminal(), prompt=lambda _: next(answers)) == "24681357"


def test_a_refused_pin_keeps_the_old_one(tmp_path, monkeypatch):
    store = PinStore(panel_files(tmp_path)[0])
    store.set("11223344")
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    with pytest.raises(WeakPin):
        set_pin_command(SimpleNamespace(data_dir=tmp_path), None)
    assert store.verify("11223344")


@pytest.mark.parametrize(
    "pin",
    [
        "123456", "654321", "111111", "000000", "123123", "121212", "112233", "159753",
        "696969", "102030", "901234", "13579135", "987654321", "77777777",
    ],
)  # fmt: skip
def test_trivial_pins_are_refused_in_plain_words(tmp_path, monkeypatch, pin):
    monkeypatch.setattr("sys.stdin", io.StringIO(pin + "\n"))
    with pytest.raises(WeakPin) as refused:
        set_pin_command(SimpleNamespace(data_dir=tmp_path), None)
    assert "guessed first" in refused.value.user_message()
    assert not PinStore(panel_files(tmp_path)[0]).is_set()


def test_a_trivial_pin_is_refused_on_the_terminal_before_it_is_asked_again():
    answers = iter(["123456"])
    with pytest.raises(WeakPin):
        read_pin(Terminal(), prompt=lambda _: next(answers))


@pytest.mark.parametrize("pin", ["482916", "13572468", "97531864", "730194"])
def test_pins_without_a_pattern_are_accepted(tmp_path, pin):
    store = PinStore(panel_files(tmp_path)[0])
    store.set(pin)
    assert store.verify(pin)
