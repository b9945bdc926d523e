"""`keras-version` as configured: which Keras the analysis assumes where the code cannot tell
(bnlint.analysis.keras_version). Apart from that analysis, so that reading a configuration imports no libcst."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

KERAS_VERSIONS = (2, 3)


@dataclass(frozen=True)
class KerasSetting:
    """`keras-version` as configured for a run: `default` for every module (the flake8 option), `by_file` for the
    checked files whose configuration sets it (each checked file has its own configuration)."""

    default: int | None = None
    by_file: Mapping[Path, int] = field(default_factory=dict)

    def for_module(self, path: Path) -> int | None:
        return self.by_file.get(path.absolute(), self.default)
