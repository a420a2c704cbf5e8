"""Files the stick already holds are read only as far as a comparison needs.

A stick can carry a file of any size where a README, an audit copy or a manifest is
expected. Reading it whole once took an export to 1.5 GB of memory and a MemoryError;
now at most a few KiB more than what the exporter would write is ever read.
"""

from __future__ import annotations

import tracemalloc

from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME, MANIFEST_NAME, README_NAME
from appliance.export.stick import FolderStick

HUGE = 256 * 1024 * 1024
#: Far above what comparing the small files needs, far below one huge file read whole.
MEMORY_BUDGET = 16 * 1024 * 1024


def sparse_file(path, size=HUGE):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)


def export_measuring_peak(vault, stick):
    tracemalloc.start()
    try:
        result = Exporter(vault, device_name="vig").export(FolderStick(stick))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_a_huge_readme_and_audit_copy_are_left_and_named_without_reading_them(
    recorded, tmp_path
):
    stick = tmp_path / "STICK"
    sparse_file(stick / EXPORT_DIR_NAME / README_NAME)
    sparse_file(stick / EXPORT_DIR_NAME / "audit-vig.log")

    result, peak = export_measuring_peak(recorded.vault, stick)

    assert peak < MEMORY_BUDGET
    assert result.ok and result.safe_to_remove
    assert f"{EXPORT_DIR_NAME}/{README_NAME} on the stick was left as it was." in (
        "\n".join(result.notes)
    )
    assert any("audit copy on the stick did not match" in n for n in result.notes)
    assert (stick / EXPORT_DIR_NAME / README_NAME).stat().st_size == HUGE
    copies = sorted(p.name for p in (stick / EXPORT_DIR_NAME).glob("audit-vig-*.log"))
    assert len(copies) == 1


def test_a_huge_manifest_keeps_that_session_as_a_conflict(recorded, tmp_path):
    stick = tmp_path / "STICK"
    session_id = recorded.complete.id
    sparse_file(stick / EXPORT_DIR_NAME / session_id / MANIFEST_NAME)

    result, peak = export_measuring_peak(recorded.vault, stick)

    assert peak < MEMORY_BUDGET
    assert result.exported == [recorded.interrupted.id]
    [(kept_id, error)] = result.kept
    assert kept_id == session_id
    assert "MANIFEST.json already exists on the stick with different content" in (
        error.user_message()
    )
    assert session_id in {s.id for s in recorded.vault.list_sessions()}
