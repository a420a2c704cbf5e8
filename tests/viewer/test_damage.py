"""A damaged export in the viewer: an interrupted part plays up to its last authentic chunk,
and a changed byte is refused and named. The other sessions and parts still open."""

from __future__ import annotations

import io

import av

from appliance.vault.age import parse_identity_file, salvage

from .viewer_page import viewer_page

#: A fragment is at most one second; the viewer plays whole fragments only.
FRAGMENT_S = 1.05


def media_end_s(plaintext: bytes) -> float:
    """Where the recoverable video of a part ends, as PyAV's demuxer reads it."""
    end = 0.0
    with av.open(io.BytesIO(plaintext)) as container:
        video = container.streams.video[0]
        try:
            for packet in container.demux(video):
                if packet.pts is not None and packet.duration:
                    end = max(end, float((packet.pts + packet.duration) * video.time_base))
        except av.FFmpegError:
            pass  # a cut fragment ends the demuxing, as it ends the recording
    return end


def test_an_interrupted_part_plays_up_to_the_salvage_point_with_a_banner(export, tmp_path):
    damaged = export.copy_to(tmp_path / "stick")
    last = damaged.session / "part-0003.mp4.age"
    ciphertext = last.read_bytes()
    last.write_bytes(ciphertext[: int(len(ciphertext) * 0.6)])
    identities = parse_identity_file(export.keys["x25519"].read_text())
    salvaged = io.BytesIO()
    report = salvage(io.BytesIO(last.read_bytes()), identities, salvaged)
    assert not report.complete
    salvage_end = media_end_s(salvaged.getvalue())

    with viewer_page() as viewer:
        viewer.watch(damaged.viewer, damaged.root, damaged.keys["x25519"])
        offset = viewer.page.evaluate("() => window.vigViewer.joins()")[-1]
        end = viewer.page.evaluate("() => window.vigViewer.duration()")
        assert "interrupted" in viewer.banner() and "part-0003.mp4.age" in viewer.banner()
        assert offset + salvage_end - FRAGMENT_S <= end <= offset + salvage_end + 0.05
        viewer.seek_and_wait(end - 0.5)
        viewer.video("(v.muted = true, v.play(), true)")
        viewer.until("document.getElementById('video').ended", timeout=20)
        assert viewer.errors == []


def test_a_flipped_byte_is_refused_and_the_file_named(export, tmp_path):
    damaged = export.copy_to(tmp_path / "stick")
    middle = damaged.session / "part-0002.mp4.age"
    data = bytearray(middle.read_bytes())
    data[len(data) // 2] ^= 0x01
    middle.write_bytes(bytes(data))

    with viewer_page() as viewer:
        viewer.watch(damaged.viewer, damaged.root, damaged.keys["x25519"])
        viewer.until("document.getElementById('watch-banner').textContent.includes('altered')")
        banner = viewer.banner()
        assert "part-0002.mp4.age is damaged or has been altered" in banner
        assert "nothing after that point is shown" in banner


def test_a_session_for_another_key_does_not_stop_the_others_opening(export, tmp_path):
    mixed = export.copy_to(tmp_path / "stick")
    other = mixed.root / "20200101-000000-aaaa"
    other.mkdir()
    (other / "session.json.age").write_bytes(
        (export.session / "session.json.age").read_bytes()[:40] + b"not an age header\n"
    )
    with viewer_page() as viewer:
        viewer.open(mixed.viewer, mixed.root, mixed.keys["x25519"])
        rows = viewer.wait_for_list()
        assert "session.json.age is damaged" in rows
        assert rows.count("Watch") == 1
