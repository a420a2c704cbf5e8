"""Contract tests of the sounddevice adapter against a fake mirroring sounddevice 0.5.5."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.recording.resampler import PictureClockResampler
from appliance.sources.adapter_errors import (
    MicrophoneBusy,
    MicrophoneFormatUnsupported,
    MicrophoneNotFound,
)
from appliance.sources.errors import SourceStateError
from appliance.sources.sounddevice_microphone import SounddeviceMicrophone, choose_input_device

from .fake_sounddevice import DEVICES, PortAudioError, make_sounddevice

RATE, BLOCK = 48_000, 960
BLOCK_S = BLOCK / RATE
HOURS = 3 * 3600.0


class Machine:
    """CLOCK_MONOTONIC (the shared clock) and CLOCK_REALTIME, which can be set."""

    def __init__(self) -> None:
        self.monotonic = 500.0
        self.realtime_offset = 1_764_000_000.0

    def now(self) -> float:
        return self.monotonic

    def realtime(self) -> float:
        return self.monotonic + self.realtime_offset


def rig(device_substring="usb", **kwargs):
    """A started microphone whose blocks the test delivers by hand, one at a time.

    No callback comes by itself here, so start() does not wait for one (clock_wait=0).
    """
    machine = Machine()
    sd = make_sounddevice(machine.realtime)
    blocks = []
    microphone = SounddeviceMicrophone(
        machine, RATE, 1, device_substring, BLOCK,
        sounddevice_module=sd, realtime_clock=machine.realtime, clock_wait=0.0, **kwargs,
    )
    microphone.start(blocks.append)
    return machine, sd.streams[-1], microphone, blocks


def test_stream_is_opened_as_documented_on_the_chosen_device():
    _, stream, microphone, _ = rig("usb pnp")
    assert (stream.samplerate, stream.blocksize, stream.channels, stream.dtype) == (
        RATE, BLOCK, 1, "float32",
    )
    assert stream.device == 1 and stream.active
    microphone.stop()
    assert stream.closed and not microphone.running


def test_start_never_reads_the_stream_time_alsa_refuses_until_the_card_moves():
    machine, stream, microphone, blocks = rig()
    with pytest.raises(PortAudioError):
        _ = stream.time  # what PortAudio on ALSA does right after start()
    assert microphone.running and microphone.stream_clock_kind is None
    machine.monotonic += BLOCK_S
    stream.deliver(0.0)
    assert microphone.stream_clock_kind == "realtime"  # from the callback's currentTime
    assert len(blocks) == 1


def test_start_waits_for_the_first_callback_to_learn_the_stream_clock():
    machine = Machine()
    sd = make_sounddevice(machine.realtime)
    sd.first_block_on_start = 0.25  # PortAudio's callback thread delivers a block
    microphone = SounddeviceMicrophone(
        machine, device_substring="usb", sounddevice_module=sd, realtime_clock=machine.realtime
    )
    microphone.start(lambda block: None)
    assert microphone.stream_clock_kind == "realtime"
    microphone.stop()


def test_a_callback_without_a_stream_time_does_not_settle_the_clock():
    machine, stream, microphone, blocks = rig()
    machine.monotonic += BLOCK_S
    stream.deliver(0.0, adc=0.0, current=0.0)  # the card's position has not moved yet
    assert microphone.stream_clock_kind is None
    machine.monotonic += BLOCK_S
    stream.deliver(0.0)
    assert microphone.stream_clock_kind == "realtime" and len(blocks) == 2


def test_without_any_callback_start_gives_up_waiting_after_its_limit():
    machine = Machine()
    sd = make_sounddevice(machine.realtime)
    microphone = SounddeviceMicrophone(
        machine, device_substring="usb", sounddevice_module=sd, realtime_clock=machine.realtime,
        clock_wait=0.01,
    )
    microphone.start(lambda block: None)  # returns: a silent microphone is the controller's
    assert microphone.running and microphone.stream_clock_kind is None
    microphone.stop()


def test_device_choice_by_name_substring():
    assert choose_input_device(DEVICES, "", 1) is None  # PortAudio's default input
    assert choose_input_device(DEVICES, "USB PnP", 1) == 1
    assert choose_input_device(DEVICES, "default", 2) == 2
    with pytest.raises(MicrophoneNotFound):
        choose_input_device(DEVICES, "headphones", 1)  # output only
    with pytest.raises(MicrophoneNotFound):
        choose_input_device(DEVICES, "Zoom H1", 1)


def test_no_matching_device_fails_at_start_with_a_clear_error():
    machine = Machine()
    microphone = SounddeviceMicrophone(
        machine, device_substring="Zoom", sounddevice_module=make_sounddevice(machine.realtime)
    )
    with pytest.raises(MicrophoneNotFound):
        microphone.start(lambda block: None)
    assert not microphone.running


def test_adc_time_lands_on_the_monotonic_clock_and_samples_are_copied():
    machine, stream, _, blocks = rig()
    truth = []
    for n in range(5):
        machine.monotonic += BLOCK_S
        truth.append(machine.monotonic - 0.01)
        stream.deliver(float(n) / 10, adc_delay=0.01)
    assert [b.capture_time for b in blocks] == pytest.approx(truth, abs=1e-6)
    # PortAudio reuses its buffer: each block must keep its own samples.
    assert [float(b.samples[0, 0]) for b in blocks] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    assert blocks[0].samples.shape == (BLOCK, 1) and blocks[0].samples.dtype == np.float32


def test_wall_clock_set_forward_mid_stream_keeps_capture_times_continuous():
    machine, stream, microphone, blocks = rig()
    for n in range(200):
        machine.monotonic += BLOCK_S
        if n == 100:
            machine.realtime_offset += HOURS  # the phone sets the time
        stream.deliver(0.0, adc_delay=0.01)
    times = np.array([b.capture_time for b in blocks])
    assert np.diff(times) == pytest.approx(np.full(199, BLOCK_S), abs=1e-6)
    assert times[-1] == pytest.approx(machine.monotonic - 0.01, abs=1e-6)
    assert microphone.clock_jumps == 1


def test_wall_clock_set_back_is_survived_too():
    machine, stream, microphone, blocks = rig()
    for n in range(60):
        machine.monotonic += BLOCK_S
        if n == 30:
            machine.realtime_offset -= HOURS
        stream.deliver(0.0)
    assert np.diff([b.capture_time for b in blocks]) == pytest.approx(
        np.full(59, BLOCK_S), abs=1e-6
    )
    assert microphone.clock_jumps == 1


def test_a_single_late_reading_is_not_taken_for_a_jump():
    machine, stream, microphone, blocks = rig()
    for n in range(40):
        machine.monotonic += BLOCK_S
        current = machine.realtime() - (0.2 if n == 20 else 0.0)  # read 200 ms before now
        stream.deliver(0.0, current=current, adc=current - 0.01)
    assert microphone.clock_jumps == 0
    assert np.diff([b.capture_time for b in blocks]) == pytest.approx(
        np.full(39, BLOCK_S), abs=1e-6
    )


@pytest.mark.parametrize("adc", [0.0, None])
def test_missing_adc_time_falls_back_to_the_sample_count(adc):
    machine, stream, microphone, blocks = rig()
    start = machine.monotonic
    for n in range(10):
        machine.monotonic += BLOCK_S + (0.004 if n % 3 else -0.002)  # callback jitter
        if adc is None:
            stream.deliver(0.0, adc=0.0, current=0.0)
        else:
            stream.deliver(0.0, adc=adc)
    first = start + (BLOCK_S - 0.002) - BLOCK_S  # anchored so the first block ends at its call
    expected = [first + n * BLOCK_S for n in range(10)]
    assert [b.capture_time for b in blocks] == pytest.approx(expected, abs=1e-9)
    assert microphone.count_clock_blocks == 10


def test_overflows_are_counted_and_reported():
    reported = []
    machine, stream, microphone, blocks = rig(on_overflow=reported.append)
    for n in range(6):
        machine.monotonic += BLOCK_S
        stream.deliver(0.0, overflow=n in (2, 4))
    assert microphone.overflows == 2
    assert reported == [1, 2]
    assert len(blocks) == 6


def test_a_failing_consumer_aborts_the_stream_and_is_kept():
    machine = Machine()
    sd = make_sounddevice(machine.realtime)
    microphone = SounddeviceMicrophone(
        machine, device_substring="usb", sounddevice_module=sd, realtime_clock=machine.realtime,
        clock_wait=0.0,
    )

    def sink(block):
        raise OSError("disk gone")

    microphone.start(sink)
    machine.monotonic += BLOCK_S
    sd.streams[-1].deliver(0.0)
    assert isinstance(microphone.error, OSError)
    assert sd.streams[-1].aborted is not None and not microphone.running


def test_start_twice_is_refused():
    _, _, microphone, _ = rig()
    with pytest.raises(SourceStateError):
        microphone.start(lambda block: None)


def test_a_device_portaudio_cannot_start_is_microphone_busy_and_is_closed_again():
    machine = Machine()
    sd = make_sounddevice(machine.realtime)
    sd.busy = True
    microphone = SounddeviceMicrophone(
        machine, device_substring="usb", sounddevice_module=sd, clock_wait=0.0
    )
    with pytest.raises(MicrophoneBusy):
        microphone.start(lambda block: None)
    assert not microphone.running
    assert sd.streams[-1].closed  # PortAudio's handle is not leaked
    sd.busy = False
    microphone.start(lambda block: None)  # a later start is not refused as "running"
    assert microphone.running


def test_any_failure_after_the_stream_opened_closes_it(monkeypatch):
    machine = Machine()
    sd = make_sounddevice(machine.realtime)

    def start(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(sd.InputStream, "start", start)
    microphone = SounddeviceMicrophone(machine, device_substring="usb", sounddevice_module=sd)
    with pytest.raises(KeyboardInterrupt):
        microphone.start(lambda block: None)
    assert sd.streams[-1].closed and not microphone.running


def test_a_card_pinned_to_44k1_stereo_is_opened_as_it_is_and_delivered_mono():
    machine, stream, microphone, blocks = rig("loopback")
    assert (stream.samplerate, stream.channels, stream.blocksize) == (44_100, 2, 882)  # 20 ms
    assert (microphone.capture_rate, microphone.capture_channels) == (44_100, 2)
    for _ in range(3):
        machine.monotonic += 882 / 44_100
        stream.deliver((0.5, -0.1))  # left, right
    assert blocks[0].samples.shape == (882, 1) and blocks[0].sample_rate == 44_100
    assert float(blocks[0].samples[0, 0]) == pytest.approx(0.2)  # the mean of both sides
    assert np.diff([b.capture_time for b in blocks]) == pytest.approx([0.02, 0.02], abs=1e-6)


def test_the_recorder_resamples_a_44k1_card_onto_the_48k_timeline():
    machine, stream, _, blocks = rig("loopback")
    for _ in range(300):  # 6 s
        machine.monotonic += 882 / 44_100
        stream.deliver((0.3, 0.3))
    resampler = PictureClockResampler(origin=blocks[0].capture_time, out_rate=RATE)
    runs = [run for block in blocks for run in resampler.push(block)]
    first, last = runs[0], runs[-1]
    produced = last[0] + len(last[1]) - first[0]
    assert produced == pytest.approx(6 * RATE, abs=0.03 * RATE)  # 48 000 a second, not 44 100
    assert resampler.rate_estimate == pytest.approx(44_100, rel=1e-4)
    assert float(np.median(np.concatenate([r for _, r in runs]))) == pytest.approx(0.3)


def test_a_card_that_offers_the_format_asked_for_is_opened_at_it():
    machine = Machine()
    sd = make_sounddevice(machine.realtime)
    microphone = SounddeviceMicrophone(
        machine, RATE, 1, "usb pnp", BLOCK, sounddevice_module=sd, clock_wait=0.0
    )
    microphone.start(lambda block: None)
    assert sd.format_checks == [(1, RATE, 1)]  # asked once, accepted


def test_a_card_that_offers_nothing_usable_says_what_it_offers():
    machine = Machine()
    sd = make_sounddevice(machine.realtime, formats={3: ({22_050}, {2})})
    microphone = SounddeviceMicrophone(
        machine, device_substring="loopback", sounddevice_module=sd, clock_wait=0.0
    )
    with pytest.raises(MicrophoneFormatUnsupported) as caught:
        microphone.start(lambda block: None)
    words = str(caught.value)
    assert "Loopback" in words and "2 input channel(s) at 44100 Hz" in words
    assert "Invalid sample rate" in words and "Invalid number of channels" in words
    assert sd.streams == [] and not microphone.running
