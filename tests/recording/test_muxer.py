"""The muxer: pass-through H.264 with the stream's own SPS/PPS as avcC, prompt fragments."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from appliance.config import RecordingConfig
from appliance.recording.errors import NoKeyframeYet
from appliance.recording.muxer import FragmentedMuxer, MediaFormat
from appliance.sources.annexb import NAL_PPS, NAL_SPS, nal_type, split_nal_units

from .h264_fixture import H264Stream
from .media import find_box, top_level_boxes
from .recording_run import small_config


class Collect:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)


def parse_avcc(avcc: bytes) -> tuple[list[bytes], list[bytes]]:
    assert avcc[0] == 1, "configurationVersion"
    pos, sps, pps = 6, [], []
    for _ in range(avcc[5] & 0x1F):
        size = int.from_bytes(avcc[pos : pos + 2], "big")
        sps.append(avcc[pos + 2 : pos + 2 + size])
        pos += 2 + size
    count = avcc[pos]
    pos += 1
    for _ in range(count):
        size = int.from_bytes(avcc[pos : pos + 2], "big")
        pps.append(avcc[pos + 2 : pos + 2 + size])
        pos += 2 + size
    return sps, pps


def record(frames: int, width: int = 320, height: int = 240) -> tuple[bytes, bytes]:
    stream = H264Stream(width, height)
    sink = Collect()
    first, _ = stream.encode(0)
    media = MediaFormat.from_config(small_config(width=width, height=height))
    muxer = FragmentedMuxer(sink, media, first, 0.0)
    for index in range(1, frames):
        data, key = stream.encode(index)
        muxer.add_video(data, index / 10, key)
    muxer.close()
    return bytes(sink.data), first


def parameter_sets(access_unit: bytes) -> tuple[list[bytes], list[bytes]]:
    """The SPS and PPS NAL units of an access unit, in stream order."""
    units = split_nal_units(access_unit)
    return (
        [u for u in units if nal_type(u) == NAL_SPS],
        [u for u in units if nal_type(u) == NAL_PPS],
    )


def test_the_media_format_takes_its_audio_from_the_config_alone():
    media = MediaFormat.from_config(small_config(audio_bitrate=64_000, audio_sample_rate=44_100))
    assert (media.audio_bitrate, media.audio_rate) == (64_000, 44_100)
    assert MediaFormat.from_config(small_config()).audio_bitrate == RecordingConfig().audio_bitrate
    with pytest.raises(TypeError):
        MediaFormat(320, 240, 10)  # type: ignore[call-arg]  # no default to drift from the config


@pytest.mark.parametrize(("width", "height"), [(320, 240), (640, 360)])
def test_avcc_holds_exactly_the_streams_sps_and_pps(width, height):
    data, first = record(12, width, height)
    avcc = find_box(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1",
                           b"avcC"])
    assert parse_avcc(avcc) == parameter_sets(first)
    sps = parameter_sets(first)[0][0]
    assert avcc[1:4] == sps[1:4], "profile, compatibility and level come from the SPS"


def test_video_passes_through_unchanged_and_decodes():
    data, _ = record(25)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
        frames = list(container.decode(video=0))
    assert len(frames) == 25
    assert [round(float(f.time), 3) for f in frames[:3]] == [0.0, 0.1, 0.2]


def test_each_fragment_reaches_the_sink_once_sound_has_passed_the_next_gop_start():
    stream = H264Stream()
    sink = Collect()
    first, _ = stream.encode(0)
    muxer = FragmentedMuxer(sink, MediaFormat.from_config(small_config()), first, 0.0)
    header = len(sink.data)
    assert [k for _, k, _ in top_level_boxes(bytes(sink.data))] == [b"ftyp", b"moov"]
    for index in range(1, 11):
        assert len(sink.data) == header, "the first GOP is still being collected"
        data, key = stream.encode(index)
        muxer.add_video(data, index / 10, key)
        muxer.add_audio(muxer.audio_next_sample, np.zeros(4800, np.float32))
    assert key, "frame 10 starts the second GOP"
    muxer.add_audio(muxer.audio_next_sample, np.zeros(4800, np.float32))  # AAC lookahead
    kinds = [k for _, k, _ in top_level_boxes(bytes(sink.data))]
    assert kinds == [b"ftyp", b"moov", b"moof", b"mdat"], "whole boxes, no partial tail"


def test_audio_is_aac_lc_at_48_khz():
    stream = H264Stream()
    sink = Collect()
    first, _ = stream.encode(0)
    muxer = FragmentedMuxer(sink, MediaFormat.from_config(small_config()), first, 0.0)
    muxer.add_audio(0, np.zeros(48000, np.float32))
    muxer.close(0.5)
    with av.open(io.BytesIO(bytes(sink.data))) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.codec_context.profile == "LC"
        assert audio.sample_rate == 48000 and audio.codec_context.layout.name == "mono"


def test_a_part_must_start_with_an_idr_carrying_its_parameter_sets():
    stream = H264Stream()
    stream.encode(0)
    delta, key = stream.encode(1)
    assert not key
    with pytest.raises(NoKeyframeYet):
        FragmentedMuxer(Collect(), MediaFormat.from_config(small_config()), delta, 0.0)
