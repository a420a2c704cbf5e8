"""Real sessions for export and unpack tests: fragmented MP4 (H.264 + AAC) through the Vault.

Pictures are tiny and short so a session costs milliseconds to make. A part is written box
by box, with a durable sync (padded by an MP4 `free` box, as the recorder does) after every
few fragments, so an interrupted part ends the way a power cut leaves one: synced chunks
sealed, the open chunk lost.
"""

from __future__ import annotations

import functools
import io
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from appliance.tags import MARK_TAGS
from appliance.vault.age import CHUNK_SIZE
from appliance.vault.store import Vault

from .clocks import MinutePerReadClock
from .vaults import PractitionerKey, make_enrolled_vault

FPS = 10
WIDTH, HEIGHT = 96, 64
SAMPLE_RATE = 48_000
TAGS = ("being-attentive", "guiding", "receiving-initiatives")


@functools.lru_cache(maxsize=64)
def make_fmp4(
    seconds: float, *, shade: int = 0, size: tuple[int, int] = (WIDTH, HEIGHT),
    fps: int = FPS, bitrate: int | None = None, noise: bool = False,
) -> bytes:
    """A fragmented MP4 of `seconds`, one fragment per second (1 s GOP).

    `noise` makes pictures the encoder cannot shrink, so `bitrate` is really used (benches).
    """
    width, height = size
    buf = io.BytesIO()
    out = av.open(buf, "w", format="mp4",
                  options={"movflags": "frag_keyframe+empty_moov+default_base_moof"})
    video = out.add_stream("libx264", rate=fps)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    video.options = {"g": str(fps), "preset": "ultrafast", "tune": "zerolatency"}
    if bitrate:
        video.bit_rate = bitrate
    rng = np.random.default_rng(shade)
    audio = out.add_stream("aac", rate=SAMPLE_RATE)
    audio.layout = "mono"
    frames = round(seconds * fps)
    samples_done = 0
    for i in range(frames):
        if noise:
            picture = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        else:
            picture = np.full((height, width, 3), (shade + i * 5) % 256, dtype=np.uint8)
            picture[:, : (i % width)] = 255 - picture[:, : (i % width)]
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, fps)
        out.mux(video.encode(frame))
        while samples_done < (i + 1) * SAMPLE_RATE // fps:
            t = (samples_done + np.arange(1024)) / SAMPLE_RATE
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
            block = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            block.sample_rate, block.pts = SAMPLE_RATE, samples_done
            block.time_base = Fraction(1, SAMPLE_RATE)
            samples_done += 1024
            out.mux(audio.encode(block))
    out.mux(video.encode(None))
    out.mux(audio.encode(None))
    out.close()
    return buf.getvalue()


def top_level_boxes(data: bytes) -> list[bytes]:
    boxes, at = [], 0
    while at < len(data):
        size = struct.unpack(">I", data[at : at + 4])[0]
        boxes.append(data[at : at + size])
        at += size
    return boxes


def free_box_filling(pending: int) -> bytes:
    """An MP4 `free` box that brings `pending` to the next 64 KiB boundary."""
    need = (-pending) % CHUNK_SIZE
    if need < 8:
        need += CHUNK_SIZE
    return struct.pack(">I", need) + b"free" + bytes(need - 8)


def write_part(part, data: bytes, *, sync_every: int = 2, cut: bool = False) -> None:
    """Write a part box by box, syncing every `sync_every` fragments; `cut` leaves it open
    half-way through its last unsynced stretch, as a power cut would."""
    boxes = top_level_boxes(data)
    fragments = 0
    for index, box in enumerate(boxes):
        if cut and index == len(boxes) * 3 // 4:
            part.write(box[: len(box) // 2])
            return
        part.write(box)
        if box[4:8] == b"mdat":
            fragments += 1
            if fragments % sync_every == 0:
                part.sync(free_box_filling(part.pending))
    part.close(final_filler=free_box_filling(part.pending) if part.pending == 0 else b"")


@dataclass
class MadeSession:
    id: str
    part_seconds: list[float]
    marks: list[dict] = field(default_factory=list)
    interrupted: bool = False


def make_session(
    vault: Vault,
    *,
    part_seconds: tuple[float, ...] = (3.0, 2.0),
    mark_times: tuple[float, ...] = (1.2, 3.5),
    interrupted: bool = False,
    case_code: str = "CASE-7",
    wall_start: float = 1_764_000_000.0,
) -> MadeSession:
    session = vault.create_session({
        "case_code": case_code,
        "wall_clock_start": wall_start,
        "wall_clock_source": "phone",
        "settings": {"width": WIDTH, "height": HEIGHT, "fps": FPS},
    })
    made = MadeSession(session.id, list(part_seconds), interrupted=interrupted)
    for number, t in enumerate(mark_times, start=1):
        tag = TAGS[(number - 1) % len(TAGS)]
        record = {
            "number": number, "media_time": t, "tag": tag, "tag_label": MARK_TAGS[tag],
            "note": f"note {number}, with a comma" if number % 2 else None,
            "wall_time": wall_start + t, "clip": f"clip-{number:04d}.mp4.age",
        }
        session.write_mark(number, record)
        made.marks.append(record)
        clip = session.open_clip(number)
        write_part(clip, make_fmp4(2.0, shade=40 * number))
    for index, seconds in enumerate(part_seconds):
        last = index == len(part_seconds) - 1
        part = session.open_part()
        write_part(part, make_fmp4(seconds, shade=index * 90), cut=interrupted and last)
    if interrupted:
        session.finish("interrupted", "power cut", duration_s=sum(part_seconds))
    else:
        session.finish("complete", None, duration_s=sum(part_seconds))
    return made


@dataclass
class RecordedVault:
    """An enrolled vault holding a complete and an interrupted session."""

    vault: Vault
    identity: PractitionerKey
    complete: MadeSession
    interrupted: MadeSession
    data_dir: Path

    def ciphertext(self, session_id: str) -> dict[str, bytes]:
        directory = self.vault.sessions_dir / session_id
        return {p.name: p.read_bytes() for p in directory.glob("*.age")}


def record_complete_and_interrupted(data_dir: Path) -> RecordedVault:
    vault, identity = make_enrolled_vault(data_dir, wall_clock=MinutePerReadClock())
    complete = make_session(vault, part_seconds=(3.0, 2.0), mark_times=(1.2, 3.5))
    interrupted = make_session(vault, part_seconds=(2.0, 5.0), mark_times=(0.5,),
                               interrupted=True, wall_start=1_764_003_600.0)
    return RecordedVault(vault, identity, complete, interrupted, data_dir)
