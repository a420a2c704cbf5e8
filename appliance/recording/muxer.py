"""Fragmented MP4 of pass-through H.264 and AAC-LC, written as it goes.

Why these choices:
- H.264 is muxed as the camera encoded it (`add_mux_stream`, no re-encoding). PyAV ≥ 18
  fills the stream's extradata from the first packet with FFmpeg's `extract_extradata`
  filter; that first packet is always a self-contained IDR (checked here), so the avcC the
  MP4 muxer writes holds exactly the SPS/PPS of the stream. Packets stay Annex B; the MP4
  muxer rewrites them to length-prefixed NAL units.
- `frag_keyframe+empty_moov+default_base_moof` with `frag_duration` gives fragments of at
  most one GOP and at most `fragment_duration`; `flush_packets` makes PyAV's AVIO buffer
  hand every finished fragment to the sink inside the `mux` call that completed it, so
  after each call the sink sits at a top-level box boundary and can be made durable.
- `skip_trailer`: no `mfra` seek index at the end. The muxer would count its offsets before
  the durability padding goes in between fragments, so they would point into media data;
  readers find fragments by their `moof` boxes, which start on chunk boundaries.
- The MP4 muxer starts every track of a fragmented file at zero and plays audio samples
  back to back. So the audio track must begin at the same instant as the video track, and
  the AAC encoder's priming (1024 samples of delay, which no edit list hides in fMP4) is
  taken into account by feeding the encoder the sound from `start + priming` onwards: the
  decoder's priming output then covers exactly the first 1024 sample periods. The cost:
  the first 21 ms of each part's sound are silence; the previous part carries those 21 ms
  at its end instead (its sound runs 21 ms past its last picture), so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av
import numpy as np

from ..config import RecordingConfig
from ..sources.annexb import is_self_contained_idr
from .errors import NoKeyframeYet

VIDEO_CLOCK_RATE = 90000  # ticks a second of the video track
VIDEO_TIME_BASE = Fraction(1, VIDEO_CLOCK_RATE)
AAC_PRIMING_SAMPLES = 1024
AAC_FRAME_SAMPLES = 1024
#: PyAV's I/O buffer towards the sink. FFmpeg's 32 KiB default handed a 6 Mbit/s stream
#: over in 24 calls a second, each copied into the age writer's chunk buffer; at 1 MiB a
#: whole fragment comes in one call (`flush_packets` still empties the buffer after every
#: packet), and the age writer seals most chunks straight from it.
AVIO_BUFFER_SIZE = 1 << 20
#: Sound is handed to the encoder in frames of this many samples (85 ms), which PyAV's
#: filter graph cuts into AAC's 1024: a quarter of the Python calls per second of sound.
AUDIO_BATCH_SAMPLES = 4 * AAC_FRAME_SAMPLES


class FragmentSink(Protocol):
    """Where the MP4 bytes go (PyAV writes them from inside `mux`). A sink that says it is
    not seekable keeps FFmpeg from seeking back, which a fragmented file never needs."""

    def write(self, data: bytes, /) -> int: ...
    def seekable(self) -> bool: ...


@dataclass(frozen=True)
class MediaFormat:
    """What every MP4 of a session is made of; the numbers come from `RecordingConfig`,
    which alone holds their defaults (an own default here once kept audio at 96 kb/s)."""

    width: int
    height: int
    fps: int
    audio_rate: int
    audio_bitrate: int
    fragment_duration: float = 1.0

    @classmethod
    def from_config(cls, config: RecordingConfig) -> MediaFormat:
        return cls(
            width=config.width,
            height=config.height,
            fps=config.fps,
            audio_rate=config.audio_sample_rate,
            audio_bitrate=config.audio_bitrate,
        )


class FragmentedMuxer:
    """One MP4 file (a part or a clip) that starts at the keyframe at `start_time`.

    Times are media seconds on the session timeline; audio arrives as mono float32 samples
    indexed on that timeline at `audio_rate` (sample k plays at k / audio_rate).
    """

    def __init__(
        self, sink: FragmentSink, media: MediaFormat, first_keyframe: bytes, start_time: float
    ) -> None:
        if not is_self_contained_idr(first_keyframe):
            raise NoKeyframeYet("an MP4 part must start with an IDR carrying its SPS and PPS")
        self.media = media
        self.start_time = start_time
        self.last_video_time = start_time
        self.video_frames = 0
        self._container = av.open(
            sink,
            "w",
            format="mp4",
            options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof+skip_trailer",
                "frag_duration": str(int(media.fragment_duration * 1_000_000)),
                "flush_packets": "1",
                "max_interleave_delta": str(int(media.fragment_duration * 1_000_000)),
            },
            buffer_size=AVIO_BUFFER_SIZE,
        )
        self._video = self._container.add_mux_stream(
            "h264", rate=media.fps, width=media.width, height=media.height
        )
        self._video.time_base = VIDEO_TIME_BASE
        self._audio = self._container.add_stream("aac", rate=media.audio_rate, layout="mono")
        self._audio.codec_context.bit_rate = media.audio_bitrate
        # The "fast" coder halves the encoder's CPU against the default (twoloop); at
        # 96 kbit/s mono for speech the difference is not audible, and a Pi has 4 slow cores.
        self._audio.codec_context.options = {"aac_coder": "fast"}
        self._audio_time_base = Fraction(1, media.audio_rate)
        self._audio.time_base = self._audio_time_base
        self._audio_start = round(start_time * media.audio_rate) + AAC_PRIMING_SAMPLES
        self._audio_next = self._audio_start  # next timeline sample the encoder expects
        self._audio_pending: list[np.ndarray] = []
        self._audio_pending_len = 0
        self._frame_duration = round(VIDEO_CLOCK_RATE / media.fps)
        self._closed = False
        self.add_video(first_keyframe, start_time, True)

    @property
    def audio_next_sample(self) -> int:
        """The timeline sample index this muxer needs next (its audio is contiguous)."""
        return self._audio_next + self._audio_pending_len

    def audio_end_sample(self, end_time: float) -> int:
        """The first timeline sample that belongs after a file ending at `end_time`."""
        return round(end_time * self.media.audio_rate) + AAC_PRIMING_SAMPLES

    def add_video(self, data: bytes, media_time: float, keyframe: bool) -> None:
        packet = av.Packet(data)
        packet.stream = self._video
        packet.time_base = VIDEO_TIME_BASE
        packet.pts = packet.dts = round(media_time * VIDEO_CLOCK_RATE)
        packet.duration = self._frame_duration
        packet.is_keyframe = keyframe
        self._container.mux(packet)
        self.last_video_time = media_time
        self.video_frames += 1

    def add_audio(self, first_sample: int, samples: np.ndarray) -> None:
        """Append timeline samples; overlaps are dropped and gaps filled with silence."""
        expected = self.audio_next_sample
        if first_sample > expected:
            self._queue_audio(np.zeros(first_sample - expected, np.float32))
        elif first_sample < expected:
            samples = samples[expected - first_sample :]
        if len(samples):
            self._queue_audio(np.ascontiguousarray(samples, np.float32))
        self._encode_full_frames()

    def close(self, end_time: float | None = None) -> None:
        """Finish the file: audio up to `end_time` (silence if missing), trailer written."""
        if self._closed:
            return
        self._closed = True
        if end_time is None:
            end_time = self.last_video_time + 1 / self.media.fps
        end = self.audio_end_sample(end_time)
        missing = end - self.audio_next_sample
        if missing > 0:
            self._queue_audio(np.zeros(missing, np.float32))
        pending = self._take_pending()[: max(0, end - self._audio_next)]
        for offset in range(0, len(pending), AAC_FRAME_SAMPLES):
            self._encode(pending[offset : offset + AAC_FRAME_SAMPLES])
        for packet in self._audio.encode(None):
            self._container.mux(packet)
        self._container.close()

    def _queue_audio(self, samples: np.ndarray) -> None:
        self._audio_pending.append(samples)
        self._audio_pending_len += len(samples)

    def _take_pending(self) -> np.ndarray:
        joined = (
            np.concatenate(self._audio_pending) if self._audio_pending else np.zeros(0, np.float32)
        )
        self._audio_pending, self._audio_pending_len = [], 0
        return joined

    def _encode_full_frames(self) -> None:
        if self._audio_pending_len < AUDIO_BATCH_SAMPLES:
            return
        pending = self._take_pending()
        whole = len(pending) - len(pending) % AAC_FRAME_SAMPLES
        self._encode(pending[:whole])
        if whole < len(pending):
            self._queue_audio(pending[whole:])

    def _encode(self, samples: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = self.media.audio_rate
        frame.time_base = self._audio_time_base
        frame.pts = self._audio_next
        self._audio_next += len(samples)
        for packet in self._audio.encode(frame):
            self._container.mux(packet)
