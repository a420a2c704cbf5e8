"""Decoding what the sources deliver, the way a player would, for checks in tests."""

from __future__ import annotations

import av
import numpy as np

from appliance.sources.types import EncodedFrame


def decode_luma(frames: list[EncodedFrame]) -> list[np.ndarray]:
    """Each frame's picture as a gray array, decoded one access unit per packet."""
    decoder = av.CodecContext.create("h264", "r")
    pictures = []
    for frame in frames:
        pictures += [p.to_ndarray(format="gray") for p in decoder.decode(av.Packet(frame.data))]
    pictures += [p.to_ndarray(format="gray") for p in decoder.decode(None)]
    return pictures


def decode_pict_types(frames: list[EncodedFrame]) -> list[str]:
    decoder = av.CodecContext.create("h264", "r")
    kinds = []
    for frame in [*frames, None]:
        packet = None if frame is None else av.Packet(frame.data)
        kinds += [av.video.frame.PictureType(p.pict_type).name for p in decoder.decode(packet)]
    return kinds
