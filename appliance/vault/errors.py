"""Errors of the vault box (the age format's own errors derive from these too)."""

from __future__ import annotations

from ..errors import ApplianceError


class VaultError(ApplianceError):
    """Something went wrong storing or reading encrypted data."""

    code = "vault"
