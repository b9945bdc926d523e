"""What every output format receives: the run's diagnostics and what is needed to present them."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bnlint.diagnostic import Diagnostic
from bnlint.notebook import Notebook

# Messages name the lines of related code ("(line 69)", in a notebook "(cell 2, line 4)"): those numbers move
# whenever code above them does.
_LINE_REFERENCE = re.compile(r"\b(?:cell \d+, )?line \d+")


@dataclass(frozen=True)
class Report:
    diagnostics: Sequence[Diagnostic]  # sorted by path, line, column
    # The text of each checked file that has diagnostics, as it was analysed (for source lines and fingerprints).
    sources: Mapping[str, str] = field(default_factory=dict)
    root: Path = field(default_factory=Path.cwd)  # paths in CI formats are relative to it (the repository)
    show_source: bool = False
    statistics: bool = False
    color: bool = False
    # What `sources` holds for notebooks, whose diagnostics have a cell and lines in it.
    notebooks: Mapping[str, Notebook] = field(default_factory=dict)
    verbose: bool = False  # text: each finding's help and fix under it
    summary: bool = False  # text: end with the count line
    fixed: Sequence[Diagnostic] = ()  # what --fix fixed before `diagnostics` were found (the count line counts them)

    def relative(self, path: str) -> str:
        """The path relative to the root, with forward slashes, as CI services expect; absolute when outside it."""
        absolute = os.path.abspath(path)
        try:
            return Path(absolute).relative_to(self.root.absolute()).as_posix()
        except ValueError:
            return Path(absolute).as_posix()

    def file_line(self, path: str, cell: int | None, line: int) -> int | None:
        """The line of the file itself: in a notebook, the line of the .ipynb file's JSON that holds the cell's line
        (None when it cannot be told), for the formats that annotate the file as it is stored."""
        if cell is None:
            return line
        notebook = self.notebooks.get(path)
        return notebook.file_line(cell, line) if notebook is not None else None

    def source_line(self, diagnostic: Diagnostic) -> str | None:
        if diagnostic.cell is not None:
            notebook = self.notebooks.get(diagnostic.path)
            return notebook.source_line(diagnostic.cell, diagnostic.line) if notebook is not None else None
        text = self.sources.get(diagnostic.path)
        if text is None:
            return None
        lines = text.splitlines()
        return lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else None


def fixable(diagnostic: Diagnostic) -> bool:
    """Whether `--fix` fixes the finding (it leaves notebooks as they are)."""
    return diagnostic.fix is not None and diagnostic.cell is None


def place(diagnostic: Diagnostic) -> str:
    """`line:column`, or `cell N:line:column` in a notebook, where the line is the cell's."""
    where = f"{diagnostic.line}:{diagnostic.column}"
    return where if diagnostic.cell is None else f"cell {diagnostic.cell}:{where}"


def fingerprints(report: Report) -> list[str]:
    """A stable hash per diagnostic (in report order) for CI services that track findings across commits.

    It hashes what the finding is, not where: the file, the code, the message without line numbers and the
    stripped source line, so moving code does not close an alert and open a new one. The n-th of identical
    findings in a file gets n into its hash, which keeps them apart and stable while their order holds.
    """
    seen: Counter[tuple[str, ...]] = Counter()
    hashes: list[str] = []
    for diagnostic in report.diagnostics:
        key = (
            report.relative(diagnostic.path),
            diagnostic.code,
            _LINE_REFERENCE.sub("line", diagnostic.message),
            (report.source_line(diagnostic) or "").strip(),
        )
        seen[key] += 1
        hashes.append(hashlib.sha256("\0".join([*key, str(seen[key])]).encode("utf-8", "surrogateescape")).hexdigest())
    return hashes
