"""Contract tests of the picamera2 adapter against a fake mirroring picamera2 0.3.36."""

from __future__ import annotations

import sys
import threading

import av
import numpy as np
import pytest

from appliance.assembly import HardwareUnavailable, build_real_sources
from appliance.config import Config
from appliance.sources.adapter_errors import CameraBusy, CameraNotFound
from appliance.sources.annexb import is_self_contained_idr
from appliance.sources.errors import SourceStateError
from appliance.sources.picamera2_camera import (
    ENCODER_ARGS,
    Picamera2Camera,
    packed_yuv420,
)

from .fake_picamera2 import AfModeEnum, libcamera_controls, make_picamera2

SENSOR_START_NS = 1_000_000_000_000  # 1000 s on CLOCK_MONOTONIC
FRAME_NS = 33_333_333


class Clocks:
    """The shared clock (a virtual one, 995 s behind CLOCK_MONOTONIC) and the monotonic one."""

    def __init__(self, monotonic: float) -> None:
        self.monotonic = monotonic

    def now(self) -> float:
        return self.monotonic - 995.0

    def read_monotonic(self) -> float:
        return self.monotonic


def make_camera(module, clocks=None, **kwargs):
    clocks = clocks or Clocks(1000.040)
    camera = Picamera2Camera(
        clocks, 1920, 1080, 30, 6_000_000,
        picamera2_module=module, libcamera_controls=libcamera_controls,
        monotonic=clocks.read_monotonic, **kwargs,
    )
    return camera, clocks


def started(module, **kwargs):
    camera, clocks = make_camera(module, **kwargs)
    frames = []
    camera.start(frames.append)
    return camera, clocks, frames, module.opened[-1].encoder


def feed_arriving(encoder, clocks, n: int, lag: float) -> None:
    """Frame n, handed over `lag` s after its sensor time on CLOCK_MONOTONIC."""
    sensor_ns = SENSOR_START_NS + n * FRAME_NS
    clocks.monotonic = sensor_ns / 1e9 + lag
    encoder.feed(sensor_ns)


def test_sensor_timestamps_land_on_the_shared_clock():
    camera, clocks, frames, encoder = started(make_picamera2())
    for n in range(3):
        feed_arriving(encoder, clocks, n, 0.040)
    assert encoder.firsttimestamp == SENSOR_START_NS // 1000
    assert [f.capture_time for f in frames] == pytest.approx(
        [5.0, 5.0 + 0.033333, 5.0 + 0.066666], abs=2e-6
    )
    assert camera.sensor_lag == pytest.approx(0.040) and camera.sensor_clock == "monotonic"


@pytest.mark.parametrize("first_lag", [0.57, 1.38])  # measured with a lagging x264
def test_an_encoder_that_falls_behind_at_first_shifts_no_frame(first_lag):
    camera, clocks, frames, encoder = started(make_picamera2())
    for n in range(45):  # the backlog drains over the first second
        feed_arriving(encoder, clocks, n, max(0.040, first_lag - n * 0.05))
    expected = [5.0 + n * FRAME_NS / 1e9 for n in range(45)]  # each at its sensor time
    assert [f.capture_time for f in frames] == pytest.approx(expected, abs=2e-6)
    assert camera.sensor_clock == "monotonic"
    assert camera.sensor_lag == pytest.approx(0.040, abs=1e-5)  # least over the first second


def test_a_frame_before_its_sensor_time_means_the_sensor_clock_is_elsewhere():
    camera, clocks, frames, encoder = started(make_picamera2())
    feed_arriving(encoder, clocks, 0, 0.040)
    feed_arriving(encoder, clocks, 1, -0.5)  # impossible on CLOCK_MONOTONIC
    feed_arriving(encoder, clocks, 2, -0.5)
    assert camera.sensor_clock == "anchored"
    assert frames[1].capture_time == pytest.approx(clocks.now() - FRAME_NS / 1e9)
    assert frames[2].capture_time - frames[1].capture_time == pytest.approx(0.033333, abs=2e-6)


def test_sensor_clock_far_from_monotonic_is_anchored_at_the_first_frame():
    clocks = Clocks(1060.0)  # the first frame "arrives" 60 s after its sensor time
    camera, _, frames, encoder = started(make_picamera2(), clocks=clocks)
    encoder.feed(SENSOR_START_NS)
    arrival = clocks.now()
    clocks.monotonic += FRAME_NS / 1e9
    encoder.feed(SENSOR_START_NS + FRAME_NS)
    assert frames[0].capture_time == pytest.approx(arrival)
    assert frames[1].capture_time - frames[0].capture_time == pytest.approx(0.033333, abs=2e-6)
    assert camera.sensor_lag == pytest.approx(60.0)


@pytest.mark.parametrize("libav", [False, True])
def test_keyframe_flag_and_data_pass_through(libav):
    _, _, frames, encoder = started(make_picamera2(libav=libav))
    encoder.feed(SENSOR_START_NS, b"\x00\x00\x00\x01\x67idr", True)
    encoder.feed(SENSOR_START_NS + FRAME_NS, b"\x00\x00\x00\x01\x41p", False)
    assert [(f.data, f.keyframe) for f in frames] == [
        (b"\x00\x00\x00\x01\x67idr", True),
        (b"\x00\x00\x00\x01\x41p", False),
    ]


def test_request_keyframe_forces_one_on_the_hardware_encoder():
    camera, _, _, encoder = started(make_picamera2())
    assert encoder.keyframes_forced == 1  # at start
    camera.request_keyframe()
    assert encoder.keyframes_forced == 2


def test_v4l2_encoder_gets_only_the_allowed_arguments():
    _, _, _, encoder = started(make_picamera2())
    assert set(encoder.passed) <= set(ENCODER_ARGS)
    assert encoder.passed == {
        "bitrate": 6_000_000, "repeat": True, "iperiod": 30, "framerate": 30, "profile": "high",
    }


def test_libav_encoder_gets_no_profile():
    _, _, _, encoder = started(make_picamera2(libav=True))
    assert encoder.passed == {"bitrate": 6_000_000, "repeat": True, "iperiod": 30, "framerate": 30}


def grey_picture(width, height, n):
    """A YUV420 picture that changes a little each frame, so P frames carry something."""
    picture = np.full((height * 3 // 2, width), 128, np.uint8)
    picture[:height] = (np.arange(width, dtype=np.uint16)[None, :] + 3 * n) % 256
    return picture


def encode_on_the_pi5_path(asked_at: int, frames: int = 60):
    """A 320x240 camera on picamera2's libav encoder (real libx264); a keyframe asked for
    just before frame `asked_at`. Returns the frame numbers that came out as keyframes."""
    module = make_picamera2(libav=True)
    clocks = Clocks(1000.040)
    camera = Picamera2Camera(
        clocks, 320, 240, 30, 300_000, picamera2_module=module,
        libcamera_controls=libcamera_controls, monotonic=clocks.read_monotonic,
    )
    delivered = []
    camera.start(delivered.append)
    encoder = module.opened[-1].encoder
    for n in range(frames):
        if n == asked_at:
            camera.request_keyframe()
        clocks.monotonic = (SENSOR_START_NS + n * FRAME_NS) / 1e9 + 0.040
        encoder.encode_picture(SENSOR_START_NS + n * FRAME_NS, grey_picture(320, 240, n))
    camera.stop()
    assert camera.error is None and len(delivered) == frames
    first = delivered[0].capture_time
    keyframes = [f for f in delivered if f.keyframe]
    assert all(is_self_contained_idr(f.data) for f in keyframes)  # IDR with SPS/PPS
    return [round((f.capture_time - first) * 30) for f in keyframes]


@pytest.mark.parametrize("asked_at", [40, 17])
def test_on_the_pi5_encoder_a_keyframe_comes_at_the_frame_it_was_asked_for(asked_at):
    keyframes = encode_on_the_pi5_path(asked_at)
    assert keyframes[0] == 0 and asked_at in keyframes


def test_picamera2s_own_forcing_is_what_pyav_refuses():
    """Why the adapter brings its own subclass: picamera2's string picture type."""
    module = make_picamera2(libav=True)
    encoder = module.encoders.LibavH264Encoder(bitrate=300_000, repeat=True, iperiod=30,
                                               framerate=30)
    encoder.width, encoder.height = 320, 240
    encoder.output = module.outputs.Output()
    encoder.start()
    encoder.force_key_frame()
    with pytest.raises(TypeError):
        encoder.encode_picture(SENSOR_START_NS, grey_picture(320, 240, 0))
    assert av.__version__ >= "14"


@pytest.mark.parametrize("autofocus", [True, False])
def test_continuous_autofocus_only_where_the_sensor_has_it(autofocus):
    module = make_picamera2(autofocus=autofocus)
    started(module)
    expected = [{"AfMode": AfModeEnum.Continuous}] if autofocus else []
    assert module.opened[-1].controls_set == expected


def test_configuration_main_lores_and_frame_duration():
    module = make_picamera2()
    started(module)
    config = module.opened[-1].camera_config
    assert config["main"] == {"size": (1920, 1080), "format": "YUV420"}
    assert config["lores"] == {"size": (640, 360), "format": "YUV420"}
    assert config["controls"]["FrameDurationLimits"] == (33333, 33333)
    assert config["encode"] == "main"


def test_preview_is_a_jpeg_of_the_lores_stream_without_its_padding():
    module = make_picamera2(lores_padding=64, picture_luma=200)
    camera, _ = make_camera(module)
    assert camera.preview_jpeg() is None
    camera.start(lambda frame: None)
    jpeg = camera.preview_jpeg()
    assert jpeg[:2] == b"\xff\xd8"
    context = av.CodecContext.create("mjpeg", "r")
    (picture,) = context.decode(av.Packet(jpeg))
    luma = picture.to_ndarray(format="gray")
    assert (picture.width, picture.height) == (640, 360)
    full_range = (200 - 16) * 255 / 219  # the JPEG is full range, the camera's YUV is not
    assert abs(float(luma.mean()) - full_range) < 3
    assert int(luma.max()) - int(luma.min()) <= 4  # no dark padding columns, no skew


def test_packed_yuv420_drops_stride_padding():
    width, height, stride = 4, 4, 8
    array = np.arange(height * 3 // 2 * stride, dtype=np.uint8).reshape(height * 3 // 2, stride)
    packed = packed_yuv420(array, width, height)
    assert packed.shape == (6, 4)
    assert packed[:4].tolist() == array[:4, :4].tolist()
    chroma = array[4:].reshape(-1)
    u = chroma[:8].reshape(2, 4)[:, :2].reshape(-1)
    v = chroma[8:16].reshape(2, 4)[:, :2].reshape(-1)
    assert packed[4:].reshape(-1).tolist() == u.tolist() + v.tolist()
    with pytest.raises(ValueError):
        packed_yuv420(array[:5], width, height)


def test_stop_delivers_what_the_encoder_flushes_then_nothing():
    camera, _, frames, encoder = started(make_picamera2())
    encoder.feed(SENSOR_START_NS)
    encoder.flush_on_stop = [(SENSOR_START_NS + FRAME_NS, b"last", False)]
    camera.stop()
    assert [f.data for f in frames][-1] == b"last"
    encoder.feed(SENSOR_START_NS + 2 * FRAME_NS)
    assert len(frames) == 2
    camera.stop()  # stopping twice is harmless


def test_start_twice_is_refused_and_restart_works():
    module = make_picamera2()
    camera, _, _, _ = started(module)
    with pytest.raises(SourceStateError):
        camera.start(lambda frame: None)
    camera.stop()
    camera.start(lambda frame: None)
    assert len(module.opened) == 1  # the camera stays open between sessions


def test_a_failing_consumer_is_reported_not_raised_into_picamera2():
    module = make_picamera2()
    camera, _ = make_camera(module)

    def sink(frame):
        raise OSError("disk gone")

    camera.start(sink)
    encoder = module.opened[-1].encoder
    encoder.feed(SENSOR_START_NS)
    encoder.feed(SENSOR_START_NS + FRAME_NS)
    assert isinstance(camera.error, OSError)
    assert not camera.running


def test_no_camera_is_camera_not_found():
    camera, _ = make_camera(make_picamera2(cameras=0))
    with pytest.raises(CameraNotFound):
        camera.check_present()
    with pytest.raises(CameraNotFound):
        camera.start(lambda frame: None)


def test_build_real_sources_without_picamera2_is_hardware_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)
    with pytest.raises(HardwareUnavailable):
        build_real_sources(Config(), Clocks(0.0))


def test_a_camera_held_by_another_program_is_camera_busy():
    module = make_picamera2()
    module.busy = True
    camera, _ = make_camera(module)
    with pytest.raises(CameraBusy):
        camera.start(lambda frame: None)
    assert not camera.running


def test_a_stalled_camera_gives_no_preview_instead_of_hanging_the_caller():
    module = make_picamera2()
    camera, _ = make_camera(module, preview_timeout=0.05)
    camera.start(lambda frame: None)
    module.stalled = True  # no request completes any more (e.g. the ribbon cable came loose)
    answers = []
    grab = threading.Thread(target=lambda: answers.append(camera.preview_jpeg()), daemon=True)
    grab.start()
    grab.join(timeout=5)
    assert not grab.is_alive(), "a panel thread would hang on the stalled camera"
    assert answers == [None]
    assert camera.preview_jpeg() is None
    picam2 = module.opened[-1]
    assert len(picam2.jobs) == 1  # the waiting job is reused, not queued behind again
    picam2.unstall()
    assert camera.preview_jpeg()[:2] == b"\xff\xd8"
    assert camera.preview_jpeg()[:2] == b"\xff\xd8"
    assert len(picam2.jobs) == 2
