"""The records every front end prints: one diagnostic per finding, with 1-based positions."""

from __future__ import annotations

from dataclasses import dataclass, field

# Codes for problems with the input or with bnlint itself rather than with the checked code.
UNREADABLE = "BN900"
INTERNAL_ERROR = "BN901"


@dataclass(frozen=True)
class ErrorCode:
    name: str
    description: str
    documentation: str  # markdown: what it means and what to do, as a rule's documentation says it


ERROR_CODES = {
    UNREADABLE: ErrorCode(
        "unreadable-file",
        "the file could not be read or parsed (syntax error, Python 2 code, unreadable file)",
        "## What it means\n\n"
        "bnlint could not read the file (it vanished, or is not text in its declared encoding), could not parse it as"
        " Python 3 (a syntax error, Python 2 code: the message is Python's own where Python has one), or could not"
        " read a notebook (not JSON, not nbformat 4). The other files are still checked and reported.\n\n"
        "## What to do\n\n"
        "Fix the file, or exclude it (`extend-exclude` in `[tool.bnlint]`). BN900 is reported whatever `--select`"
        " says, and makes the exit status 2.\n",
    ),
    INTERNAL_ERROR: ErrorCode(
        "internal-error",
        "bnlint failed on this file; the other files and rules are still checked (please report it)",
        "## What it means\n\n"
        "bnlint itself failed while analysing this file, or, in `bnlint verify`, while measuring the script: a bug in"
        " bnlint, not in your code. The other files, rules and measurements are still checked and reported; the"
        " message names what failed.\n\n"
        "## What to do\n\n"
        "Please report it with the message and, if you can, the smallest file that shows it. BN901 is reported"
        " whatever `--select` says, and makes the exit status 2.\n",
    ),
}


@dataclass(frozen=True, order=True)
class Related:
    """Supporting evidence for a finding elsewhere in the same file (the first tower, the batch-norm layer)."""

    line: int
    column: int
    message: str
    cell: int | None = None  # in a notebook: the 1-based cell, and `line` is the line in that cell


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, one past the last character
    code: str
    message: str
    related: tuple[Related, ...] = ()
    # The first and last line of the call the finding is about (it may span more lines than the finding itself):
    # what `bnlint verify` matches against the lines TensorFlow recorded when the graph was built.
    call_lines: tuple[int, int] | None = field(default=None, compare=False)
    # In a notebook: the 1-based cell the finding is in; `line` and `end_line` are then lines of that cell.
    cell: int | None = None
    # What the automatic fix does (`bnlint check --fix`, the editor's code action), when the finding has one.
    fix: str | None = None
    # The detail behind the one-sentence message: why it matters and what to write instead (`--verbose`, JSON,
    # SARIF, the editor's hover).
    help: str | None = None

    @property
    def is_error(self) -> bool:
        """A problem reading or analysing the file, not a finding about its code."""
        return self.code in ERROR_CODES

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        """Path, then place in the file (cell first in a notebook), then code and message."""
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message)

    def __lt__(self, other: Diagnostic) -> bool:
        return self.sort_key() < other.sort_key()


def error(
    path: str, code: str, message: str, line: int = 1, column: int = 1, help: str | None = None
) -> Diagnostic:
    return Diagnostic(path, line, column, line, column, code, message, help=help)
