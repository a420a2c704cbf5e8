"""The six principles of attuned interaction, the only tags a mark may carry."""

from __future__ import annotations

MARK_TAGS: dict[str, str] = {
    "being-attentive": "Being attentive",
    "encouraging-initiatives": "Encouraging initiatives",
    "receiving-initiatives": "Receiving initiatives",
    "developing-attuned-interactions": "Developing attuned interactions",
    "guiding": "Guiding",
    "deepening-discussion": "Deepening discussion",
}

MAX_NOTE_LENGTH = 200
