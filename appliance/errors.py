"""The one exception root of the appliance.

Every error the appliance raises on purpose derives from `ApplianceError` and from the
built-in it resembles, so callers can catch by meaning (`except VaultError`) or by kind
(`except ValueError`) and never have to match on message text. Each box of the design
defines its own subclasses next to its code; this module stays a leaf so that every box
may import it without breaking the one-way dependencies of DESIGN.md.

`user_message` is what a practitioner reads: what happened and what to do, in plain words.
"""

from __future__ import annotations


class ApplianceError(Exception):
    """Root of every error the appliance raises deliberately."""

    #: Stable machine-readable code, used by events and the panel (never the text).
    code: str = "error"
    #: What the user should do about it, in plain words.
    hint: str = ""

    def user_message(self) -> str:
        text = str(self) or self.__class__.__doc__ or self.code
        return f"{text} {self.hint}".strip() if self.hint else text


class ConfigError(ApplianceError, ValueError):
    """The configuration is invalid."""

    code = "config"
