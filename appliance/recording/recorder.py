"""The recorder: frames and sound in, durable encrypted MP4 parts and clips out.

One session timeline: media time = capture time − the capture time of the session's first
keyframe, on the shared monotonic clock. Sound is resampled onto that clock
(`PictureClockResampler`), so it cannot drift from the picture however long the session.

Durability: every `sync_interval` seconds of picture the current part's sink pads to the
next 64 KiB chunk and syncs (see `DurableSink`). Fragments are at most one second, so a
power cut loses at most the unfinished fragment plus one interval: 2 s.

Parts: at each keyframe the session's `should_rotate(part_seconds, part_bytes)` is asked;
when it says yes, a new part starts with that keyframe, so parts join with no frame missing
or repeated. The old part stays open a moment for the sound up to its end (AAC priming
included), at most `AUDIO_GRACE_SECONDS` of picture, then closes.

Threads: the camera and the microphone call `on_frame` / `on_audio` from their own
threads in real time. With `threaded=True` (the default) these only enqueue; one writer
thread owns the muxers and does all muxing, encoding and fsyncing, so a slow fsync never
stalls a capture thread. The queue is bounded (`queue_seconds` of input); when it is full
the capture thread waits rather than lose data. With `threaded=False` (fast tests on a
virtual clock) the calls process inline under a lock, deterministically.

Use (the controller):
    recorder = Recorder(session_writer, config.recording)
    camera.start(recorder.on_frame); microphone.start(recorder.on_audio)
    camera.request_keyframe()              # frames before the first IDR are dropped
    media_time = recorder.add_mark(n, t)   # clip n is cut and closed by itself
    recorder.drop_clip(n)                  # mark n was removed: clip n is deleted
    parts = recorder.stop()                # every part and clip closed and durable
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol

import numpy as np

from appliance.config import RecordingConfig
from appliance.sources.annexb import is_self_contained_idr
from appliance.sources.types import AudioBlock, EncodedFrame

from .clips import ClipCutter, ClipInfo
from .durable_sink import DurableSink, PartSink
from .errors import RecorderStopped, RecordingFailed
from .muxer import FragmentedMuxer, MediaFormat
from .part import OpenPart, PartSummary
from .resampler import PictureClockResampler

AUDIO_GRACE_SECONDS = 1.0
#: Sound this far behind the picture is taken as missing (a dead or stalled microphone):
#: silence stands in for it, so the muxer never holds pictures back waiting for sound.
AUDIO_MAX_LAG_SECONDS = 0.5
#: Sound that arrives before the first keyframe is kept this long (it may precede it).
EARLY_AUDIO_SECONDS = 2.0
_DRAIN_INTERVAL = 0.01


class RecordingSession(Protocol):
    """What the recorder needs from the vault's SessionWriter."""

    def open_part(self) -> PartSink: ...
    def open_clip(self, number: int) -> PartSink: ...
    def remove_clip(self, number: int) -> None: ...
    def should_rotate(self, part_seconds: float, part_bytes: int) -> bool: ...


class Recorder:
    def __init__(
        self,
        session: RecordingSession,
        config: RecordingConfig,
        *,
        threaded: bool = True,
        queue_seconds: float = 4.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._session = session
        self._config = config
        self.media = MediaFormat.from_config(config)
        self._clips = ClipCutter(session.open_clip, self.media, config.pre_roll, config.post_roll)
        self._lock = threading.Lock()  # owns the muxers
        self._submit_lock = threading.Lock()  # orders "accepting input" against stop
        self._accepting = True
        self._origin: float | None = None
        self._resampler: PictureClockResampler | None = None
        self._early_audio: list[AudioBlock] = []
        self._early_marks: list[tuple[int, float]] = []
        self._part: OpenPart | None = None
        self._ending: list[OpenPart] = []
        self._last_sync = 0.0
        self._last_video_time: float | None = None
        self._stopped = False
        self.parts: list[PartSummary] = []
        self.frames_dropped = 0
        self.input_dropped = 0  # pictures and sound that came after a stop or a failure
        self._error: BaseException | None = None
        self._on_error = on_error
        self.audio_filled_seconds = 0.0  # silence that stood in for missing sound
        self._threaded = threaded
        if threaded:
            blocks = int(queue_seconds * (config.fps + 100))
            self._queue: queue.Queue[tuple[Callable[..., None], tuple]] = queue.Queue(blocks)
            self._stop_event = threading.Event()
            self._writer = threading.Thread(target=self._drain_loop, name="recorder", daemon=True)
            self._writer.start()

    # -- input (any thread) -------------------------------------------------------------

    def on_frame(self, frame: EncodedFrame) -> None:
        """Take a picture (camera thread). After `stop` or a failure it is counted, dropped."""
        self._submit(self._process_frame, frame)

    def on_audio(self, block: AudioBlock) -> None:
        """Take a block of sound (microphone thread); dropped like pictures after a stop."""
        self._submit(self._process_audio, block)

    def mark_media_time(self, t_monotonic: float) -> float:
        """Media seconds of an instant on the shared clock (0 before the first picture)."""
        origin = self._origin
        return 0.0 if origin is None else max(0.0, t_monotonic - origin)

    def add_mark(self, number: int, t_monotonic: float) -> float:
        """Cut a clip around an instant; returns its media time. The clip closes itself."""
        if not self._accepting:
            raise RecorderStopped("the recording has stopped; there is nothing to mark")
        media_time = self.mark_media_time(t_monotonic)
        self._submit(self._process_mark, number, media_time)
        return media_time

    def drop_clip(self, number: int) -> None:
        """Stop cutting clip `number` and delete its file (its mark was removed).

        Done in turn with the pictures, on the writer's thread, so the clip of a mark just
        made is opened before it is dropped and is never written to once deleted.
        """
        self._submit(self._process_drop_clip, number)

    @property
    def media_time(self) -> float:
        """Media seconds recorded so far."""
        last = self._last_video_time
        return 0.0 if last is None else last + 1 / self.media.fps

    @property
    def padding_bytes(self) -> int:
        return sum(p.padding_bytes for p in self.parts)

    @property
    def clips(self) -> list[ClipInfo]:
        return list(self._clips.clips)

    @property
    def error(self) -> BaseException | None:
        """What made the recording fail, if it failed (also raised by `stop`)."""
        return self._error

    def stop(self) -> list[PartSummary]:
        """Process what is queued, end open clips and parts; every byte is durable after.

        Raises `RecordingFailed` if writing failed at any point (what was made durable
        before stays on the card, and whatever could still be closed is closed).
        """
        with self._submit_lock:
            self._accepting = False
        if self._threaded and not self._stop_event.is_set():
            self._stop_event.set()
            self._writer.join()
        with self._lock:
            self._drain_queue()
            if not self._stopped:
                self._stopped = True
                self._finish()
        if self._error is not None:
            raise RecordingFailed(
                f"the recording could not be written completely: {self._error}"
            ) from self._error
        return list(self.parts)

    # -- threading ------------------------------------------------------------------------

    def _submit(self, fn: Callable[..., None], *args: object) -> None:
        with self._submit_lock:
            if not self._accepting or self._error is not None:
                self.input_dropped += 1
                return
            if self._threaded:
                self._queue.put((fn, args))
                return
        with self._lock:
            if self._stopped or self._error is not None:
                self.input_dropped += 1
                return
            self._run_guarded(fn, *args)
        if self._error is not None:
            raise RecordingFailed(f"the recording failed: {self._error}") from self._error

    def _run_guarded(self, fn: Callable[..., None], *args: object) -> None:
        """Run writer work; the first failure is kept, reported once, and ends the writing.

        The catch is broad on purpose and hides nothing: the error is kept, passed to
        `on_error`, and raised again by `stop()` (and at once in inline mode).
        """
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - kept and re-raised, see docstring
            if self._error is None:
                self._error = exc
                if self._on_error is not None:
                    self._on_error(exc)

    def _drain_loop(self) -> None:
        while not self._stop_event.wait(_DRAIN_INTERVAL):
            with self._lock:
                self._drain_queue()

    def _drain_queue(self) -> None:
        """Run what is queued; after a failure keep emptying it so no producer blocks."""
        if not self._threaded:
            return
        while True:
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                return
            if self._error is None:
                self._run_guarded(fn, *args)
            else:
                self.input_dropped += 1

    # -- the writer's work (under the lock / on the writer thread) -------------------------

    def _process_frame(self, frame: EncodedFrame) -> None:
        # A part or clip may only start at an IDR that carries its own SPS/PPS.
        entry = frame.keyframe and is_self_contained_idr(frame.data)
        if self._origin is None:
            if not entry:
                self.frames_dropped += 1
                return
            self._begin_session(frame.capture_time)
        assert self._origin is not None
        media_time = frame.capture_time - self._origin
        if self._last_video_time is not None and media_time <= self._last_video_time:
            self.frames_dropped += 1
            return
        part = self._part
        if part is None:
            self._part = self._open_part(frame.data, media_time)
        elif entry and self._session.should_rotate(
            media_time - part.summary.start_time, part.sink.stored_bytes
        ):
            part.begin_end(media_time)
            self._ending.append(part)
            self._part = self._open_part(frame.data, media_time)
        else:
            part.muxer.add_video(frame.data, media_time, frame.keyframe)
        self._last_video_time = media_time
        self._clips.add_video(frame.data, media_time, frame.keyframe, entry_point=entry)
        while self._early_marks:
            self._clips.mark(*self._early_marks.pop(0))
        self._fill_missing_audio(media_time)
        self._close_ended_parts(media_time)
        self._keep_durable(media_time)

    def _process_audio(self, block: AudioBlock) -> None:
        if self._resampler is None:
            self._early_audio.append(block)
            while block.capture_time - self._early_audio[0].capture_time > EARLY_AUDIO_SECONDS:
                self._early_audio.pop(0)
            return
        for first_sample, run in self._resampler.push(block):
            self._dispatch_audio(first_sample, run)

    def _process_mark(self, number: int, media_time: float) -> None:
        if self._part is None:
            self._early_marks.append((number, media_time))  # clipped from the first picture
            return
        self._clips.mark(number, media_time)

    def _process_drop_clip(self, number: int) -> None:
        self._early_marks = [early for early in self._early_marks if early[0] != number]
        self._clips.drop(number)
        self._session.remove_clip(number)

    def _begin_session(self, origin: float) -> None:
        self._origin = origin
        self._resampler = PictureClockResampler(origin, self.media.audio_rate)
        early, self._early_audio = self._early_audio, []
        for block in early:
            self._process_audio(block)

    def _open_part(self, keyframe: bytes, media_time: float) -> OpenPart:
        sink = DurableSink(self._session.open_part())
        summary = PartSummary(index=len(self.parts) + 1, start_time=media_time)
        self.parts.append(summary)
        part = OpenPart(summary, sink, FragmentedMuxer(sink, self.media, keyframe, media_time))
        part.refresh()
        self._last_sync = media_time
        return part

    def _dispatch_audio(self, first_sample: int, run: np.ndarray) -> None:
        for part in self._ending:
            assert part.audio_end is not None
            head = run[: max(0, part.audio_end - first_sample)]
            if len(head):
                part.muxer.add_audio(first_sample, head)
        if self._part is not None:
            self._part.muxer.add_audio(first_sample, run)
        self._clips.add_audio(first_sample, run)
        if self._last_video_time is not None:
            self._close_ended_parts(self._last_video_time)
            self._keep_durable(self._last_video_time)

    def _fill_missing_audio(self, video_time: float) -> None:
        """Silence for sound more than `AUDIO_MAX_LAG_SECONDS` overdue; late sound is dropped."""
        part = self._part
        if part is None:
            return
        wanted = part.muxer.audio_end_sample(video_time - AUDIO_MAX_LAG_SECONDS)
        missing = wanted - part.muxer.audio_next_sample
        if missing > 0:
            self.audio_filled_seconds += missing / self.media.audio_rate
            silence = np.zeros(missing, np.float32)
            part.muxer.add_audio(part.muxer.audio_next_sample, silence)

    def _close_ended_parts(self, video_time: float) -> None:
        for part in list(self._ending):
            assert part.summary.end_time is not None
            overdue = video_time - part.summary.end_time >= AUDIO_GRACE_SECONDS
            if part.audio_complete() or overdue:
                part.close()
                self._ending.remove(part)

    def _keep_durable(self, media_time: float) -> None:
        """Sync once `sync_interval` has passed, as soon as a new fragment is in the sink.

        Fragments reach the sink a little after their GOP ends (when the sound has caught
        up), so a sync on the clock alone would often just miss one and leave almost two
        fragments exposed; waiting for the fragment keeps a power cut's loss near one GOP.
        Without a new fragment for two intervals (a long GOP), it syncs what there is.
        """
        part = self._part
        if part is None:
            return
        sink = part.sink
        elapsed = media_time - self._last_sync
        due = elapsed >= self._config.sync_interval and (
            sink.unsynced_fragments > 0 or elapsed >= 2 * self._config.sync_interval
        )
        if (due or sink.sync_due) and sink.make_durable():
            self._last_sync = media_time
        part.refresh()

    def _finish(self) -> None:
        """Close parts first (the recording), then clips; one failure does not stop the rest."""
        end = self.media_time
        for part in self._ending:
            self._run_guarded(part.close)
        self._ending.clear()
        if self._part is not None:
            self._part.summary.end_time = end
            self._run_guarded(self._part.close)
            self._part = None
        self._run_guarded(self._clips.stop, end)
