"""Writing (and reading) a 200 MiB stream grows the process by under 5 MiB.

Measured in a fresh interpreter so pytest's own allocations do not blur the figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

STREAM_MIB = 200
LIMIT_BYTES = 5 * 1024 * 1024

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from appliance.vault.age import AgeWriter, X25519Identity

    def rss_bytes():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc/self/status")

    total_mib = int(sys.argv[1])
    block = os.urandom(1 << 20)
    sizes = [1 << 20, 1000, 70_000, 1, 300_000]
    with open(os.devnull, "wb") as sink:
        writer = AgeWriter(sink, [X25519Identity.generate().recipient], on_sync=lambda: None)
        for _ in range(4):
            writer.write(block)
        baseline = peak = rss_bytes()
        written, step = 0, 0
        while written < total_mib << 20:
            piece = memoryview(block)[: sizes[step % len(sizes)]]
            writer.write(piece)
            written += len(piece)
            step += 1
            if step % 7 == 0:
                writer.sync(b"\\0" * (-writer.pending % writer.CHUNK_SIZE))
            peak = max(peak, rss_bytes())
        writer.close(b"end")
    print(json.dumps({"baseline": baseline, "peak": peak, "written": written}))
    """
)


def test_writing_200_mib_keeps_memory_flat():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(STREAM_MIB)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["written"] >= STREAM_MIB << 20
    assert figures["peak"] - figures["baseline"] < LIMIT_BYTES, figures


READ_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from appliance.vault.age import AgeReader, AgeWriter, X25519Identity

    def rss_bytes():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc/self/status")

    path, total_mib = sys.argv[1], int(sys.argv[2])
    key = X25519Identity.generate()
    block = os.urandom(1 << 20)
    with open(path, "wb") as sink:
        writer = AgeWriter(sink, [key.recipient], on_sync=lambda: None)
        for _ in range(total_mib):
            writer.write(block)
        writer.close()
    with open(path, "rb") as source, open(os.devnull, "wb") as out:
        reader = AgeReader(source, [key])
        baseline = peak = rss_bytes()
        released = 0
        for chunk in reader:
            out.write(chunk)
            released += len(chunk)
            if released % (1 << 20) == 0:
                peak = max(peak, rss_bytes())
    print(json.dumps({"baseline": baseline, "peak": peak, "released": released}))
    """
)


def test_reading_200_mib_keeps_memory_flat(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", READ_SCRIPT, str(tmp_path / "big.age"), str(STREAM_MIB)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["released"] == STREAM_MIB << 20
    assert figures["peak"] - figures["baseline"] < LIMIT_BYTES, figures
