"""`vig-appliance device-key`: show the fingerprint of the key that signs export manifests.

vig-unpack names this fingerprint the first time it sees an export from this device; the
practitioner compares the two. The key is made at the service's first start; if this runs
first (a fresh device), it is made here, on the device, the same way.
"""

from __future__ import annotations

import argparse

from ..vault.device_key import fingerprint, public_key_bytes
from ..vault.store import Vault
from .context import CliContext


def register(command: argparse.ArgumentParser) -> None:
    command.set_defaults(handler=run)


def run(ctx: CliContext, args: argparse.Namespace) -> int:
    vault = Vault(ctx.data_dir, ctx.config.storage, ctx.config.recording)
    key = vault.device_key()
    print(f"Exports from this device are signed by {fingerprint(public_key_bytes(key))}.")
    return 0
