"""A session recorded by the real controller (synthetic sources, virtual clock), exported by
the controller to a folder stick and unpacked: the joined video keeps the recorder's time
line, so the picture at each mark shows the moment the mark was pressed."""

from __future__ import annotations

import io

import av
import pytest

from appliance.export.stick import FolderStick
from appliance.sources import decode_strip
from appliance.unpack.cli import main as unpack_main
from appliance.unpack.media import grab_frames
from tests.integration.rig import make_rig

FPS, WIDTH = 10, 320


def play_time(path) -> float:
    with av.open(str(path)) as container:
        return container.duration / av.time_base


def test_recorded_exported_unpacked_session_lines_up(tmp_path):
    rig = make_rig(tmp_path, width=WIDTH, height=240, fps=FPS, part_max_seconds=10.0,
                   pre_roll=2.0, post_roll=2.0)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    started = rig.clock.now()
    presses = []
    for offset, tag in ((4.0, "guiding"), (15.3, "being-attentive")):
        rig.run_for(started + offset - rig.clock.now())
        presses.append(rig.clock.now())
        rig.controller.mark(tag=tag, note=f"at {offset}")
    rig.run_for(started + 25.0 - rig.clock.now())
    rig.stop()
    recorded = rig.vault.session(session_id)
    assert len(recorded.parts) >= 2

    stick = tmp_path / "usb" / "STICK"
    stick.mkdir(parents=True)
    rig.controller.export(FolderStick(stick))
    assert rig.controller.wait_idle(60)
    assert rig.vault.list_sessions() == []

    key = tmp_path / "key.txt"
    key.write_text(f"{rig.identity}\n")
    log = io.StringIO()
    code = unpack_main([str(stick), "-i", str(key), "--out", str(tmp_path / "laptop")],
                       stream=log)
    assert code == 0, log.getvalue()

    folder = tmp_path / "laptop" / session_id
    video = next(folder.glob("session_*.mp4"))
    assert play_time(video) == pytest.approx(recorded.duration_s, abs=2 / FPS + 0.05)
    clips = sorted((folder / "clips").glob("*.mp4"))
    assert [c.name.split("_")[2] for c in clips] == ["guiding.mp4", "being-attentive.mp4"]
    for clip in clips:  # pre + post roll, starting at the keyframe before (1 s GOP)
        assert 4.0 - 2 / FPS <= play_time(clip) <= 5.0 + 2 / FPS

    marks = (folder / "marks.csv").read_text().splitlines()[1:]
    media_times = [float(line.split(",")[1]) for line in marks]
    pictures = grab_frames(video, media_times, WIDTH)
    for picture, pressed in zip(pictures, presses, strict=True):
        assert picture is not None
        shown = decode_strip(picture) / 1000
        assert shown == pytest.approx(pressed, abs=1 / FPS + 1e-3)
