"""A stand-in for picamera2, mirroring picamera2 0.3.36 (raspberrypi/picamera2 3e6dff0).

Signatures follow that version: `Picamera2(camera_num=0, verbose_console=None,
tuning=None, allocator=None)`, `create_video_configuration(main={}, lores=None, ...,
controls={}, display="main", encode="main", ...)`, `start_recording(encoder, output,
pts=None, config=None, quality=None, name=None)`, `capture_array(name="main", wait=None,
signal_function=None)` (YUV420 as a (1.5 x height, stride) array), the V4L2 `H264Encoder`
and the libav `LibavH264Encoder` constructors, `Encoder._timestamp` (µs since
`firsttimestamp`, itself SensorTimestamp ns // 1000) and `Output.outputframe(frame,
keyframe=True, timestamp=None, packet=None, audio=False)` called positionally.
"""

from __future__ import annotations

import inspect
import types
from concurrent.futures import Future
from fractions import Fraction

import av
import numpy as np


class Output:
    def __init__(self, pts=None):
        self.recording = False
        self.ptsoutput = pts
        self.needs_pacing = False
        self.needs_add_stream = False

    def start(self):
        self.recording = True

    def stop(self):
        self.recording = False

    def outputframe(self, frame, keyframe=True, timestamp=None, packet=None, audio=False):
        """Base class: does nothing."""


def _v4l2_signature(
    bitrate=None, repeat=True, iperiod=None, framerate=None, enable_sps_framerate=False,
    qp=None, profile=None,
):
    """picamera2.encoders.h264_encoder.H264Encoder.__init__ (V4L2, Pi 4)."""


def _libav_signature(bitrate=None, repeat=True, iperiod=30, framerate=30, qp=None, profile=None):
    """picamera2.encoders.libav_h264_encoder.LibavH264Encoder.__init__ (Pi 5)."""


class _FakeEncoder:
    signature = staticmethod(_v4l2_signature)
    passes_packet = False

    def __init__(self, *args, **kwargs):
        bound = inspect.signature(self.signature).bind(*args, **kwargs)
        #: The arguments the caller passed explicitly (unknown ones raise TypeError above).
        self.passed = dict(bound.arguments)
        self.firsttimestamp = None
        self._output = []
        self.running = False
        self.width = self.height = 0
        self.keyframes_forced = 0
        self.flush_on_stop: list[tuple[int, bytes, bool]] = []

    @property
    def output(self):
        return self._output[0] if len(self._output) == 1 else self._output

    @output.setter
    def output(self, value):
        self._output = value if isinstance(value, list) else [value]

    def force_key_frame(self):
        self.keyframes_forced += 1

    def start(self, quality=None):
        self.running = True
        self.firsttimestamp = None
        for out in self._output:
            out.start()

    def stop(self):
        for sensor_ns, data, keyframe in self.flush_on_stop:
            self.feed(sensor_ns, data, keyframe)
        self.running = False
        for out in self._output:
            out.stop()

    def _timestamp(self, sensor_ns: int) -> int:
        ts = int(sensor_ns / 1000)
        if self.firsttimestamp is None:
            self.firsttimestamp = ts
            return 0
        return ts - self.firsttimestamp

    def feed(self, sensor_ns: int, data: bytes = b"\x00\x00\x00\x01\x65", keyframe=True):
        """What the real encoder does with one camera request, once encoded."""
        timestamp_us = self._timestamp(sensor_ns)
        for out in self._output:
            if self.passes_packet:
                out.outputframe(data, keyframe, timestamp_us, object(), False)
            else:
                out.outputframe(data, keyframe, timestamp_us)


class H264Encoder(_FakeEncoder):
    pass


class LibavH264Encoder(_FakeEncoder):
    """picamera2's libav encoder, with its `_start`, `_encode` and `force_key_frame` as in
    0.3.36 on real PyAV (libx264 into a "null" container); `encode_picture` plays one
    camera request through them. Like the real one, a forced keyframe sets
    `frame.pict_type = "I"`, which PyAV >= 14 refuses with TypeError."""

    signature = staticmethod(_libav_signature)
    passes_packet = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound = inspect.signature(self.signature).bind(*args, **kwargs)
        bound.apply_defaults()
        self.settings = dict(bound.arguments)
        self._key_frames_requested = self._key_frames_generated = 0
        self._stream = None

    def start(self, quality=None):
        super().start(quality)
        self._start()

    def _start(self):
        self._container = av.open("/dev/null", "w", format="null")
        self._stream = self._container.add_stream("h264", rate=self.settings["framerate"])
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        if self.settings["bitrate"] is not None:
            self._stream.codec_context.bit_rate = self.settings["bitrate"]
        self._stream.codec_context.gop_size = self.settings["iperiod"] or (1 << 31) - 1
        self._stream.codec_context.options["preset"] = "ultrafast"
        self._stream.codec_context.time_base = Fraction(1, 1_000_000)
        self._stream.codec_context.options["tune"] = "zerolatency"

    def force_key_frame(self):
        self.keyframes_forced += 1
        self._key_frames_requested += 1

    def encode_picture(self, sensor_ns: int, picture: np.ndarray) -> None:
        """LibavH264Encoder._encode for one YUV420 request (a (1.5 x height, width) array)."""
        timestamp_us = self._timestamp(sensor_ns)
        frame = av.VideoFrame.from_numpy_buffer(picture, format="yuv420p", width=self.width)
        frame.pts = timestamp_us
        if self._key_frames_requested > self._key_frames_generated:
            self._key_frames_generated += 1
            frame.pict_type = "I"
        for packet in self._stream.encode(frame):
            for out in self._output:
                out.outputframe(bytes(packet), packet.is_keyframe, packet.pts, packet, False)

    def stop(self):
        if self._stream is not None:
            for packet in self._stream.encode():
                for out in self._output:
                    out.outputframe(bytes(packet), packet.is_keyframe, packet.pts, packet, False)
            self._container.close()
            self._stream = None
        super().stop()


class Job:
    """picamera2.job.Job: a Future the camera's event loop completes."""

    def __init__(self):
        self.future = Future()
        self.future.set_running_or_notify_cancel()

    def complete(self, result):
        self.future.set_result(result)

    def get_result(self, timeout=None):
        return self.future.result(timeout=timeout)


class AfModeEnum:
    Manual = 0
    Auto = 1
    Continuous = 2


libcamera_controls = types.SimpleNamespace(AfModeEnum=AfModeEnum)


def make_picamera2(*, cameras: int = 1, autofocus: bool = True, libav: bool = False,
                   lores_padding: int = 64, picture_luma: int = 200) -> types.ModuleType:
    """A fake `picamera2` package; `module.opened` lists every Picamera2 made."""
    module = types.ModuleType("picamera2")
    module.opened = []
    module.busy = False
    module.stalled = False  # no request completes: jobs wait for ever (a stalled camera)

    class Picamera2:
        @staticmethod
        def global_camera_info():
            return [{"Model": "imx708", "Id": f"/base/cam{i}", "Num": i} for i in range(cameras)]

        def __init__(self, camera_num=0, verbose_console=None, tuning=None, allocator=None):
            if camera_num >= cameras:
                raise IndexError("list index out of range")
            if module.busy:
                raise RuntimeError("Camera __init__ sequence did not complete.")
            self.camera_num = camera_num
            self.camera_config = None
            self.controls_set: list[dict] = []
            self.started = False
            self.encoder = None
            self.output = None
            self.closed = False
            self.jobs = []
            module.opened.append(self)

        @property
        def camera_controls(self):
            controls = {
                "FrameDurationLimits": (33333, 120000, 33333),
                "NoiseReductionMode": (0, 4, 0),
            }
            if autofocus:
                controls["AfMode"] = (0, 2, 0)
            return controls

        def create_video_configuration(self, main={}, lores=None, raw={}, transform=None,  # noqa: B006
                                       colour_space=None, buffer_count=6, controls={},  # noqa: B006
                                       display="main", encode="main", queue=True,
                                       sensor={}, use_case="video"):  # noqa: B006
            main = {"format": "XBGR8888", "size": (1280, 720)} | main
            if lores is not None:
                lores = {"format": "YUV420", "size": main["size"]} | lores
            controls = {"NoiseReductionMode": 1, "FrameDurationLimits": (33333, 33333)} | controls
            return {"use_case": use_case, "main": main, "lores": lores, "raw": raw,
                    "controls": controls, "buffer_count": buffer_count,
                    "display": display, "encode": encode}

        def configure(self, camera_config=None):
            self.camera_config = camera_config

        def set_controls(self, controls):
            self.controls_set.append(dict(controls))

        def start_recording(self, encoder, output, pts=None, config=None, quality=None,
                            name=None):
            if self.camera_config is None:
                raise RuntimeError("Camera has not been configured")
            encoder.output = output
            encoder.width, encoder.height = self.camera_config["main"]["size"]
            encoder.start(quality=quality)
            self.encoder, self.output, self.started = encoder, output, True

        def stop_recording(self):
            self.started = False
            self.encoder.stop()

        def capture_array(self, name="main", wait=None, signal_function=None):
            """As picamera2's: a Job on its event loop; `wait` None/True blocks, a number
            blocks that long (then TimeoutError), False returns the Job at once."""
            if not self.started:
                raise RuntimeError("Camera is not running")
            job = Job()
            self.jobs.append(job)
            if not module.stalled:
                job.complete(self._lores_array(name))
            if wait is None:
                wait = signal_function is None
            timeout = None if wait is True else wait
            return job.get_result(timeout=timeout) if wait else job

        def wait(self, job, timeout=None):
            return job.get_result(timeout=timeout)

        def _lores_array(self, name):
            width, height = self.camera_config[name]["size"]
            stride = width + lores_padding
            array = np.zeros((height * 3 // 2, stride), np.uint8)
            array[:height, :width] = picture_luma
            chroma = array[height:].reshape(-1)
            plane = (height // 2) * (stride // 2)
            for start in (0, plane):
                block = chroma[start : start + plane].reshape(height // 2, stride // 2)
                block[:, : width // 2] = 128
            return array

        def unstall(self):
            """The camera's requests flow again: the oldest waiting jobs complete."""
            module.stalled = False
            for job in self.jobs:
                if not job.future.done():
                    job.complete(self._lores_array("lores"))

        def close(self):
            self.closed = True

    module.Picamera2 = Picamera2
    module.encoders = types.SimpleNamespace(
        H264Encoder=LibavH264Encoder if libav else H264Encoder,
        LibavH264Encoder=LibavH264Encoder,
    )
    module.outputs = types.SimpleNamespace(Output=Output)
    return module
