"""Benchmark: the recorder (mux → pad → seal → fsync) against `ffmpeg -c copy | age -r`.

60 s of pre-encoded 1080p30 6 Mbit/s H.264 (+ 48 kHz PCM) go through the appliance's
Recorder into a real Vault (age-encrypted parts, fsync once a second). The baseline, run
in the same invocation on the same input, muxes the same H.264 and a pre-encoded AAC of
the same sound into fragmented MP4 with `ffmpeg -c copy` and pipes it into `age -r`
(no fsync, no AAC encoding, no resampling: it is the floor).

Prints CPU seconds and % of one core for both, their ratio (goal ≤ 1.5×), the recorder's
peak RSS (goal ≤ 120 MB) and its durability padding in % of bytes written.

    .venv/bin/python bench/bench_recording.py [--seconds 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FPS = 30
RATE = 48_000
BLOCK = 1024


def prepare_inputs(work: Path, seconds: int) -> tuple[Path, Path, Path]:
    """The camera's H.264 (as picamera2 would give it), the mic's PCM and an AAC of it."""
    h264, pcm, aac = work / "video.h264", work / "audio.f32", work / "audio.m4a"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size=1920x1080:rate={FPS}", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
         "-b:v", "6M", "-maxrate", "6M", "-bufsize", "3M", "-pix_fmt", "yuv420p",
         "-x264-params", f"keyint={FPS}:bframes=0:repeat-headers=1:scenecut=0",
         str(h264)],
        check=True,
    )
    t = np.arange(seconds * RATE) / RATE
    rng = np.random.default_rng(0)
    sound = 0.2 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))
    sound.astype(np.float32).tofile(pcm)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "1",
         "-i", str(pcm), "-c:a", "aac", "-b:a", "96k", str(aac)],
        check=True,
    )
    return h264, pcm, aac


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; ru_maxrss would include the parent's before exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_recorder(h264: Path, pcm: Path, data_dir: Path) -> dict:
    """The child's work: stream the inputs through a Recorder into a real vault."""
    import av

    from appliance.config import RecordingConfig, StorageConfig
    from appliance.recording.recorder import Recorder
    from appliance.sources.types import AudioBlock, EncodedFrame
    from appliance.vault import Vault
    from appliance.vault.age import X25519Identity

    config = RecordingConfig()  # 1080p30, 1 s sync interval, 15 min parts
    vault = Vault(data_dir, StorageConfig(reserve_bytes=0), config)
    vault.add_recipient(str(X25519Identity.generate().recipient))
    session = vault.create_session({"case_code": "bench"})
    recorder = Recorder(session, config, threaded=False)
    start = 10_000.0
    next_block = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    # No stream probing: it would decode 1080p pictures, which a camera source never does.
    no_probe = {"probesize": "32", "analyzeduration": "0", "fpsprobesize": "0"}
    # Read block by block, as a microphone delivers.
    with av.open(str(h264), format="h264", options=no_probe) as container, open(pcm, "rb") as audio:
        for index, packet in enumerate(container.demux(video=0)):
            if packet.size == 0:
                continue
            capture = start + index / FPS
            while (next_block + BLOCK) / RATE <= index / FPS:
                block = np.frombuffer(audio.read(4 * BLOCK), np.float32).reshape(-1, 1)
                recorder.on_audio(AudioBlock(block, start + next_block / RATE, RATE))
                next_block += BLOCK
            recorder.on_frame(EncodedFrame(bytes(packet), capture, packet.is_keyframe))
    parts = recorder.stop()
    session.finish("complete")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    media = sum(p.media_bytes for p in parts)
    padding = sum(p.padding_bytes for p in parts)
    return {
        "cpu_s": cpu, "wall_s": wall, "media_s": recorder.media_time,
        "media_bytes": media, "padding_bytes": padding,
        "peak_rss_mb": peak_rss_mb(),
        "parts": len(parts),
    }


def run_baseline(h264: Path, audio_args: list[str], out: Path) -> float:
    """CPU seconds of `ffmpeg … -c:v copy … | age -r …` (both processes)."""
    identity = subprocess.run(["age-keygen"], capture_output=True, text=True, check=True)
    lines = identity.stderr.splitlines() + identity.stdout.splitlines()
    recipient = next(
        line.split(": ", 1)[1] for line in lines
        if line.startswith(("# public key: ", "Public key: "))
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "wb") as sink:
        ffmpeg = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-r", str(FPS), "-i", str(h264), *audio_args,
             "-c:v", "copy", "-f", "mp4",
             "-movflags", "frag_keyframe+empty_moov+default_base_moof",
             "-frag_duration", "1000000", "-"],
            stdout=subprocess.PIPE,
        )
        age = subprocess.Popen(["age", "-r", recipient], stdin=ffmpeg.stdout, stdout=sink)
        assert ffmpeg.stdout is not None
        ffmpeg.stdout.close()
        if age.wait() or ffmpeg.wait():
            raise SystemExit("baseline failed")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    parser.add_argument("--child", nargs=3, metavar=("H264", "PCM", "DATA_DIR"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        h264, pcm, data_dir = map(Path, args.child)
        print(json.dumps(run_recorder(h264, pcm, data_dir)))
        return
    for tool in ("ffmpeg", "age", "age-keygen"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: install the Debian package for it")
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-recording-"))
    work.mkdir(parents=True, exist_ok=True)
    h264, pcm, aac = prepare_inputs(work, args.seconds)
    baseline_cpu = run_baseline(h264, ["-i", str(aac), "-c:a", "copy"], work / "copy.mp4.age")
    # Same, but encoding the AAC from the PCM as the recorder must: like for like.
    pcm_input = ["-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", str(pcm)]
    encoding_cpu = run_baseline(
        h264, [*pcm_input, "-c:a", "aac", "-b:a", "96k", "-aac_coder", "fast"],
        work / "aac.mp4.age",
    )
    data_dir = work / "vault"
    shutil.rmtree(data_dir, ignore_errors=True)
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(h264), str(pcm), str(data_dir)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    ours = json.loads(child.stdout.strip().splitlines()[-1])
    seconds = ours["media_s"]
    total = ours["media_bytes"] + ours["padding_bytes"]
    print(f"input: {seconds:.1f} s of 1080p{FPS} H.264 "
          f"({h264.stat().st_size * 8 / seconds / 1e6:.2f} Mbit/s) + 48 kHz mono PCM")
    print(f"recorder  (mux+AAC+resample+pad+seal+fsync): {ours['cpu_s']:.2f} CPU s "
          f"= {100 * ours['cpu_s'] / seconds:.1f} % of one core (wall {ours['wall_s']:.1f} s)")
    print(f"baseline  (ffmpeg -c copy | age -r):         {baseline_cpu:.2f} CPU s "
          f"= {100 * baseline_cpu / seconds:.1f} % of one core")
    print(f"ratio recorder/baseline: {ours['cpu_s'] / baseline_cpu:.2f}x (goal <= 1.5x)")
    print(f"baseline+AAC (ffmpeg -c:v copy -c:a aac | age -r): {encoding_cpu:.2f} CPU s; "
          f"ratio recorder/that: {ours['cpu_s'] / encoding_cpu:.2f}x")
    print(f"recorder peak RSS: {ours['peak_rss_mb']:.1f} MB (goal <= 120 MB)")
    print(f"durability padding: {ours['padding_bytes']} bytes = "
          f"{100 * ours['padding_bytes'] / total:.2f} % of {total} bytes written")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
