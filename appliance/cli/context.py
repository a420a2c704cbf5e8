"""What every command gets: the loaded config and the data dir, resolved once."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, announce_data_dir, load_config, resolve_data_dir


@dataclass
class CliContext:
    config: Config
    config_path: Path | None
    data_dir_arg: str | None
    environ: dict[str, str]
    _data_dir: Path | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: dict[str, str]) -> CliContext:
        config, path = load_config(Path(args.config) if args.config else None)
        return cls(config=config, config_path=path, data_dir_arg=args.data_dir, environ=environ)

    @property
    def data_dir(self) -> Path:
        """The data dir, named on stderr the first time a command touches it."""
        if self._data_dir is None:
            self._data_dir = resolve_data_dir(self.data_dir_arg, self.config, self.environ)
            announce_data_dir(self._data_dir)
        return self._data_dir
