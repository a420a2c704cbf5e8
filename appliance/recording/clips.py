"""One playable MP4 per mark: from (mark − pre-roll) to (mark + post-roll).

The cutter keeps the last pre-roll (plus the GOP reaching back to a keyframe) of encoded
frames and picture-clock audio in memory, so a mark costs no re-encoding of video: a clip
starts at the last keyframe at or before (mark − pre-roll), gets the ring's contents at
once, then follows the live stream until the post-roll has passed and its audio is in.
A mark in the first seconds gets a shorter pre-roll; a stop ends every open clip there.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .durable_sink import DurableSink, PartSink
from .errors import NoKeyframeYet
from .muxer import FragmentedMuxer, MediaFormat

#: How long (media seconds) a clip waits past its end for late audio before closing.
AUDIO_GRACE_SECONDS = 1.0


@dataclass
class ClipInfo:
    number: int
    mark_time: float
    start_time: float
    end_time: float
    frames: int = 0
    closed: bool = False


@dataclass
class _OpenClip:
    info: ClipInfo
    sink: DurableSink
    muxer: FragmentedMuxer
    audio_end: int = field(init=False)

    def __post_init__(self) -> None:
        self.audio_end = self.muxer.audio_end_sample(self.info.end_time)


class ClipCutter:
    def __init__(
        self,
        open_clip: Callable[[int], PartSink],
        media: MediaFormat,
        pre_roll: float = 10.0,
        post_roll: float = 5.0,
    ) -> None:
        self._open_clip = open_clip
        self._media = media
        self._pre_roll = pre_roll
        self._post_roll = post_roll
        self._gops: deque[list[tuple[float, bytes, bool]]] = deque()  # each starts at an IDR
        self._audio: deque[tuple[int, np.ndarray]] = deque()
        self._open: list[_OpenClip] = []
        self.clips: list[ClipInfo] = []

    @property
    def open_clips(self) -> int:
        return len(self._open)

    def add_video(
        self, data: bytes, media_time: float, keyframe: bool, *, entry_point: bool | None = None
    ) -> None:
        """A picture; `entry_point` (default: `keyframe`) says a clip may start here."""
        if (keyframe if entry_point is None else entry_point) or not self._gops:
            self._gops.append([])
        self._gops[-1].append((media_time, data, keyframe))
        self._trim(media_time)
        for clip in list(self._open):
            if media_time < clip.info.end_time:
                clip.muxer.add_video(data, media_time, keyframe)
                clip.info.frames += 1
        self._close_finished(media_time)

    def add_audio(self, first_sample: int, samples: np.ndarray) -> None:
        self._audio.append((first_sample, samples))
        for clip in self._open:
            clip.muxer.add_audio(first_sample, samples)
        if self._gops:
            self._close_finished(self._gops[-1][-1][0])

    def mark(self, number: int, mark_time: float) -> ClipInfo:
        """Open the clip for a mark at `mark_time` (media seconds); returns its bounds."""
        if not self._gops:
            raise NoKeyframeYet("no picture has been recorded yet, so there is nothing to clip")
        frames = self._frames_from(mark_time - self._pre_roll)
        start_time, first_data, _ = frames[0]
        end_time = max(mark_time + self._post_roll, start_time + 1 / self._media.fps)
        info = ClipInfo(number, mark_time, start_time, end_time)
        sink = DurableSink(self._open_clip(number))
        clip = _OpenClip(info, sink, FragmentedMuxer(sink, self._media, first_data, start_time))
        info.frames = 1
        self._open.append(clip)
        self.clips.append(info)
        self._replay_ring(clip, frames[1:])
        self._close_finished(self._gops[-1][-1][0])
        return info

    def drop(self, number: int) -> None:
        """Forget clip `number` (its mark was removed): an open one gets nothing more, and
        its file is the session's to delete."""
        self._open = [clip for clip in self._open if clip.info.number != number]
        self.clips = [info for info in self.clips if info.number != number]

    def stop(self, end_time: float) -> None:
        """The session stopped at `end_time`: every open clip ends there."""
        for clip in list(self._open):
            self._finish(clip, min(end_time, clip.info.end_time))

    def _frames_from(self, wanted: float) -> list[tuple[float, bytes, bool]]:
        """Ring frames from the last keyframe at or before `wanted` (else the oldest)."""
        chosen = 0
        for index, gop in enumerate(self._gops):
            if gop[0][0] > wanted:
                break
            chosen = index
        return [frame for gop in list(self._gops)[chosen:] for frame in gop]

    def _replay_ring(self, clip: _OpenClip, frames: list[tuple[float, bytes, bool]]) -> None:
        """Feed the ring to a new clip, audio interleaved with video in time order."""
        audio = list(self._audio)
        rate = self._media.audio_rate
        next_audio = 0
        for time, data, keyframe in frames:
            if time >= clip.info.end_time:
                break
            while next_audio < len(audio) and audio[next_audio][0] < time * rate:
                clip.muxer.add_audio(*audio[next_audio])
                next_audio += 1
            clip.muxer.add_video(data, time, keyframe)
            clip.info.frames += 1
        for first_sample, samples in audio[next_audio:]:
            clip.muxer.add_audio(first_sample, samples)

    def _trim(self, now: float) -> None:
        """Keep frames back to the last keyframe at or before (now − pre-roll)."""
        horizon = now - self._pre_roll
        while len(self._gops) > 1 and self._gops[1][0][0] <= horizon:
            self._gops.popleft()
        oldest = round(self._gops[0][0][0] * self._media.audio_rate)
        while self._audio and self._audio[0][0] + len(self._audio[0][1]) < oldest:
            self._audio.popleft()

    def _close_finished(self, video_time: float) -> None:
        for clip in list(self._open):
            if video_time < clip.info.end_time:
                continue
            audio_in = clip.muxer.audio_next_sample >= clip.audio_end
            if audio_in or video_time >= clip.info.end_time + AUDIO_GRACE_SECONDS:
                self._finish(clip, clip.info.end_time)

    def _finish(self, clip: _OpenClip, end_time: float) -> None:
        clip.muxer.close(end_time)
        clip.sink.close()
        clip.info.end_time = end_time
        clip.info.closed = True
        self._open.remove(clip)
