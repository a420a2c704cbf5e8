"""What the practitioner opens first: marks.csv, a contact sheet, and an offline index.html.

Everything is local: the page uses no script, no font and no address outside the folder,
so it opens from a stick or an encrypted disk without a network.
"""

from __future__ import annotations

import csv
import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .media import encode_jpeg

SHEET_COLUMNS = 4
SHEET_GAP = 8


@dataclass(frozen=True)
class MarkRow:
    number: int
    media_time: float
    tag: str
    note: str
    clip_file: str
    thumbnail: str


def clock_text(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    if hours:
        return f"{hours:d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60:d}:{rest % 60:02d}"


#: A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets
#: (OWASP "CSV Injection"); the full-width forms are read as the same by some of them.
FORMULA_STARTERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as the text it is, never runs.

    The note and the tag come from a stick, which anyone can write to: a note such as
    `=HYPERLINK("http://…")` would otherwise become a live formula when the practitioner
    opens marks.csv. Control characters (and line and paragraph separators) become spaces,
    so a cell cannot break the sheet's rows or hide text; then a cell whose first
    non-space character starts a formula gets a leading apostrophe, as OWASP recommends.
    """
    text = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in cell
    )
    stripped = text.lstrip(" ")
    if cell[:1] in FORMULA_STARTERS or stripped[:1] in FORMULA_STARTERS:
        return "'" + text
    return text


def write_marks_csv(path: Path, marks: Sequence[MarkRow]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["time_in_session", "seconds", "principle", "note", "clip_file"])
        for m in marks:
            cells = [clock_text(m.media_time), f"{m.media_time:.3f}", m.tag, m.note, m.clip_file]
            writer.writerow([spreadsheet_safe(cell) for cell in cells])


#: 3x5 digits (and ":") so each tile is labelled without an imaging library or font.
_GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111",
    "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001001001001", "8": "111101111101111",
    "9": "111101111001111", ":": "000010000010000", " ": "000000000000000",
}
LABEL_SCALE = 3
LABEL_HEIGHT = 5 * LABEL_SCALE + 6


def draw_label(canvas: np.ndarray, top: int, left: int, text: str) -> None:
    """Write `text` (digits, ':', space) in white at (top, left), clipped to the canvas."""
    for position, char in enumerate(text):
        glyph = _GLYPHS.get(char, _GLYPHS[" "])
        for bit, on in enumerate(glyph):
            if on == "1":
                y = top + (bit // 3) * LABEL_SCALE
                x = left + (position * 4 + bit % 3) * LABEL_SCALE
                canvas[y : y + LABEL_SCALE, x : x + LABEL_SCALE] = 255


def contact_sheet(
    pictures: Sequence[np.ndarray | None], labels: Sequence[str] | None = None
) -> np.ndarray | None:
    """One picture with a tile per mark, in mark order (a grey tile where none was found),
    each with its label (mark number and time) underneath."""
    real = [p for p in pictures if p is not None]
    if not real:
        return None
    tile_h = max(p.shape[0] for p in real) + LABEL_HEIGHT
    tile_w = max(p.shape[1] for p in real)
    columns = min(SHEET_COLUMNS, len(pictures))
    rows = -(-len(pictures) // columns)
    sheet = np.full(
        (rows * (tile_h + SHEET_GAP) + SHEET_GAP, columns * (tile_w + SHEET_GAP) + SHEET_GAP, 3),
        32, dtype=np.uint8,
    )
    for index, picture in enumerate(pictures):
        top = SHEET_GAP + (index // columns) * (tile_h + SHEET_GAP)
        left = SHEET_GAP + (index % columns) * (tile_w + SHEET_GAP)
        picture_h = tile_h - LABEL_HEIGHT
        if picture is None:
            sheet[top : top + picture_h, left : left + tile_w] = 96
        else:
            h, w = picture.shape[:2]
            sheet[top : top + h, left : left + w] = picture
        if labels is not None:
            draw_label(sheet[:, left : left + tile_w], top + picture_h + 3, 0, labels[index])
    return sheet


def write_jpeg(path: Path, picture: np.ndarray) -> None:
    path.write_bytes(encode_jpeg(picture))


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em;max-width:60em;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{padding:.4em;border-bottom:1px solid #ddd;"
    "text-align:left;vertical-align:top}img{max-width:20em;display:block}"
    ".warn{background:#fff3cd;padding:.6em;border-left:4px solid #e0a800}"
)


def write_session_index(
    path: Path,
    *,
    title: str,
    facts: Sequence[tuple[str, str]],
    session_video: str | None,
    sheet_file: str | None = None,
    marks: Sequence[MarkRow],
    warnings: Sequence[str],
) -> None:
    e = html.escape
    rows = "".join(
        f"<tr><td>{m.number}</td><td>{e(clock_text(m.media_time))}</td><td>{e(m.tag)}</td>"
        f"<td>{e(m.note)}</td><td>"
        + (f'<a href="{e(m.clip_file)}">' if m.clip_file else "")
        + (f'<img src="{e(m.thumbnail)}" alt="mark {m.number}">' if m.thumbnail else "")
        + (f"{e(Path(m.clip_file).name)}</a>" if m.clip_file else "no clip")
        + "</td></tr>"
        for m in marks
    )
    facts_html = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
    warn_html = "".join(f'<p class="warn">{e(w)}</p>' for w in warnings)
    video_html = (
        f'<p><a href="{e(session_video)}">Whole session: {e(session_video)}</a></p>'
        if session_video else "<p>No playable recording could be recovered.</p>"
    )
    if sheet_file:
        video_html += (f'<p><a href="{e(sheet_file)}">Contact sheet: a picture of every '
                       "marked moment</a></p>")
    path.write_text(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>{e(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{e(title)}</h1>{warn_html}"
        f"<table>{facts_html}</table>{video_html}<h2>Marked moments</h2>"
        "<table><tr><th>#</th><th>Time</th><th>Principle</th><th>Note</th><th>Clip</th></tr>"
        f"{rows}</table></body></html>\n",
        encoding="utf-8",
    )


def write_overview(path: Path, sessions: Sequence[tuple[str, str, str]]) -> None:
    """The top page: one line per session (folder, title, summary)."""
    e = html.escape
    items = "".join(
        f'<li><a href="{e(folder)}/index.html">{e(title)}</a> {e(summary)}</li>'
        for folder, title, summary in sessions
    )
    path.write_text(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>VIG sessions</title>"
        f"<style>{_STYLE}</style></head><body><h1>VIG sessions</h1><ul>{items}</ul>"
        "</body></html>\n",
        encoding="utf-8",
    )
