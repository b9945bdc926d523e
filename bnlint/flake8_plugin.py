"""The flake8 front end: `flake8 --select BN` runs the same engine on the text flake8 already read."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from bnlint import __version__
from bnlint.diagnostic import INTERNAL_ERROR
from bnlint.engine import check_source


class BnlintChecker:
    name = "bnlint"
    version = __version__

    # flake8 passes arguments by parameter name; asking for `tree` makes this a once-per-file plugin.
    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        self._lines = lines
        self._filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        # flake8 loses its whole run when a plugin raises, so nothing may escape from here.
        try:
            diagnostics = check_source("".join(self._lines), self._filename, honour_noqa=False)
        except Exception as exc:  # flake8 loses its whole run when a plugin raises
            yield 1, 0, f"{INTERNAL_ERROR} internal error: {type(exc).__name__}: {exc} (please report it)", type(self)
            return
        for diagnostic in diagnostics:
            # flake8 columns are 0-based; it adds 1 when printing.
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
