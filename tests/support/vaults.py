"""A vault with the practitioner's key enrolled: what recording, export and unpack start from.

Built one way everywhere, so a test says only what it needs to differ (its disk, its clock,
its configs, a post-quantum key) and keeps the private key to decrypt what the vault wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from appliance.config import RecordingConfig, StorageConfig
from appliance.vault import Vault
from appliance.vault.age import MLKEM768X25519Identity, X25519Identity
from appliance.vault.filesystem import FileSystem

#: No reserve and no headroom: a start is never refused for space the test does not model.
NO_RESERVE = StorageConfig(reserve_bytes=0, start_headroom_minutes=0)


#: A private key whose public half can be enrolled.
PractitionerKey = X25519Identity | MLKEM768X25519Identity


class EnrolledVault(NamedTuple):
    vault: Vault
    identity: PractitionerKey


def make_enrolled_vault(
    data_dir: Path,
    *,
    storage: StorageConfig = NO_RESERVE,
    recording: RecordingConfig | None = None,
    fs: FileSystem | None = None,
    wall_clock: Callable[[], float] | None = None,
    identity: PractitionerKey | None = None,
    comment: str = "practitioner",
    vault_type: type[Vault] = Vault,
) -> EnrolledVault:
    """A vault in `data_dir` with `identity`'s recipient enrolled (a new X25519 key if none)."""
    identity = identity if identity is not None else X25519Identity.generate()
    options: dict = {"fs": fs}
    if wall_clock is not None:
        options["wall_clock"] = wall_clock
    vault = vault_type(Path(data_dir), storage, recording or RecordingConfig(), **options)
    vault.add_recipient(str(identity.recipient), comment)
    return EnrolledVault(vault, identity)
