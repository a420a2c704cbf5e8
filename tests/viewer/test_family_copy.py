"""A copy for the family: offered only where the consent record allows it, and logged.

Chromium's folder picker cannot be driven headless, so the page is given a stand-in for
`showDirectoryPicker` that keeps what is written in memory; everything else is the page's own.
"""

from __future__ import annotations

import hashlib
import json

from appliance.export.signature import sign_manifest
from appliance.vault.age import encrypt_bytes, parse_identity_file
from appliance.vault.device_key import DEVICE_KEY_FILE, read_device_key

from .viewer_page import viewer_page

CAPTURING_FOLDER = """
window.__written = {};
window.showDirectoryPicker = async () => ({
  getFileHandle: async (name) => ({
    createWritable: async () => {
      const parts = [];
      return {
        write: async (data) => {
          const bytes = data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data;
          parts.push(Array.from(bytes.subarray(0, 16)));
          window.__written[name] = (window.__written[name] || 0) + bytes.length;
          window.__heads = window.__heads || {};
          if (!window.__heads[name]) window.__heads[name] = parts[0];
        },
        close: async () => {},
      };
    },
  }),
});
"""


def with_consent(export, tmp_path, family_copy: bool):
    """The export as the device makes it with a consent record (tests/panel/test_consent_export
    records one through the panel): the record is listed in the manifest, which says so and
    which the device's own key signs again."""
    copy = export.copy_to(tmp_path / "stick")
    identity = parse_identity_file(export.keys["x25519"].read_text())[0]
    record = {"filming": True, "training": False, "family_copy": family_copy,
              "delete_by": "2027-03-31"}
    sealed = encrypt_bytes(json.dumps(record).encode(), [identity.recipient])
    (copy.session / "consent.json.age").write_bytes(sealed)
    manifest = json.loads((copy.session / "MANIFEST.json").read_text())
    manifest["files"].append({"name": "consent.json.age", "size": len(sealed), "complete": True,
                              "sha256": hashlib.sha256(sealed).hexdigest()})
    manifest["consent"] = "recorded"
    content = json.dumps(manifest, indent=2).encode()
    (copy.session / "MANIFEST.json").write_bytes(content)
    key = read_device_key(export.root.parent.parent / "data" / DEVICE_KEY_FILE)
    assert key is not None
    (copy.session / "MANIFEST.json.sig").write_bytes(sign_manifest(content, key))
    return copy


def test_where_consent_allows_it_the_chosen_clip_and_still_are_written_and_logged(
    export, tmp_path
):
    copy = with_consent(export, tmp_path, family_copy=True)
    with viewer_page() as viewer:
        viewer.page.add_init_script(CAPTURING_FOLDER)
        viewer.open(copy.viewer, copy.root, copy.keys["x25519"])
        rows = viewer.wait_for_list()
        assert "recorded" in rows and "2027-03-31" in rows
        viewer.watch_first()
        assert "Stills or clips for the family: yes" in viewer.page.inner_text("#consent")
        viewer.page.click("#marks li:nth-child(1) button:has-text('Add to review')")
        viewer.seek_and_wait(5.0)
        viewer.page.click("#add-frame")
        viewer.page.fill("#disclose-to", "the child's mother")
        viewer.page.fill("#disclose-why", "agreed at the review")
        viewer.page.click("#family-copy")
        viewer.until("document.getElementById('plan-disclosures').children.length === 1")
        written = viewer.page.evaluate("() => window.__written")
        heads = viewer.page.evaluate("() => window.__heads")
        log = viewer.page.inner_text("#plan-disclosures")
    assert set(written) == {"clip-0001.mp4", "still-0-05.png"}
    assert bytes(heads["clip-0001.mp4"][4:8]) == b"ftyp"
    assert bytes(heads["still-0-05.png"][:8]) == b"\x89PNG\r\n\x1a\n"
    assert "the child's mother" in log and "agreed at the review" in log


def test_without_consent_for_it_no_family_copy_is_offered(export, tmp_path):
    refused = with_consent(export, tmp_path, family_copy=False)
    with viewer_page() as viewer:
        viewer.watch(refused.viewer, refused.root, refused.keys["x25519"])
        assert viewer.page.is_disabled("#family-copy")
    with viewer_page() as viewer:
        viewer.watch(export.viewer, export.root, export.keys["x25519"])
        assert viewer.page.is_disabled("#family-copy")
        assert "Consent not recorded" in viewer.page.inner_text("#consent")
