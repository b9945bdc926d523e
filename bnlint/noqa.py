"""`# noqa` exactly as flake8 reads it, so the CLI suppresses what `flake8 --select BN` suppresses; the file-level
`# bnlint: noqa`; and `--add-noqa`, which writes the comments that silence today's findings."""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from bnlint.diagnostic import Diagnostic
from bnlint.source import encoding_of

# Same patterns as flake8's defaults.NOQA_INLINE_REGEXP and NOQA_FILE.
_NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
# flake8 matches `\s*# flake8[:=]\s*noqa` at the start of each line; one search of the text, line by line.
_NOQA_FILE = re.compile(r"^[^\S\n]*# flake8[:=][^\S\n]*noqa", re.IGNORECASE | re.MULTILINE)
# bnlint's own file-level directive, on a line of its own, as ruff has its own: flake8 does not know it,
# so every front end honours it.
_BNLINT_FILE = re.compile(r"^[ \t]*#[ \t]*bnlint[ \t]*:[ \t]*noqa\b(?:[ \t]*:(?P<codes>[^\n#]*))?", re.I | re.M)
_SEPARATOR = re.compile(r"[,\s]")
# A noqa comment naming one of bnlint's codes, wherever it is.
_NAMES_BNLINT = re.compile(r"# noqa:[^\n]*\bBN[0-9]", re.IGNORECASE)


@dataclass(frozen=True)
class Directive:
    """The `# noqa` comment that counts for a logical line: flake8 reads the first one in the line's text."""

    line: int  # the physical line it is on
    start: int  # its columns on that line, 0-based, end exclusive
    end: int
    codes: tuple[str, ...] | None  # None: a bare noqa comment, which silences everything
    lines: range  # the physical lines it covers

    def suppresses(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(listed) for listed in self.codes)


@dataclass(frozen=True)
class FileDirective:
    """`# bnlint: noqa` (every code) or `# bnlint: noqa: BN003, BN004` (these codes) for the whole file."""

    codes: tuple[str, ...] | None

    def ignores(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(listed) for listed in self.codes)


def names_bnlint_codes(text: str) -> bool:
    """Whether a `# noqa` comment of the text names a bnlint code: BN910 then has comments to check."""
    return _NAMES_BNLINT.search(text) is not None


def file_directive(text: str) -> FileDirective | None:
    match = _BNLINT_FILE.search(text)
    if match is None:
        return None
    codes = match.group("codes")
    return FileDirective(None if codes is None else _codes(codes))


class Suppressions:
    def __init__(self, text: str) -> None:
        self._text = text
        self._lines = text.split("\n")  # numbered as the parser numbers them

    @cached_property
    def _ranges(self) -> dict[int, range]:
        # Tokenizing costs a tenth of a parse: only files with something to suppress pay it.
        return _logical_ranges(self._text, len(self._lines))

    def skips_file(self) -> bool:
        """A line that is only `# flake8: noqa` makes flake8 skip the whole file, whatever codes follow."""
        return _NOQA_FILE.search(self._text) is not None

    def suppresses(self, code: str, line: int) -> bool:
        directive = self.directive(line)
        return directive is not None and directive.suppresses(code)

    def directive(self, line: int) -> Directive | None:
        """The directive that counts for a line: the first in its logical line's text, as flake8 finds it."""
        lines = self.logical_range(line)
        for number in lines:
            text = self._lines[number - 1] if 0 < number <= len(self._lines) else ""
            match = _NOQA_INLINE.search(text)
            if match is not None:
                codes = match.group("codes")
                return Directive(number, match.start(), match.end(), None if codes is None else _codes(codes), lines)
        return None

    def directives(self) -> Iterable[Directive]:
        """Every directive that counts, one per logical line."""
        line = 1
        while line <= len(self._lines):
            directive = self.directive(line)
            if directive is not None:
                yield directive
            line = max(line + 1, self.logical_range(line).stop)

    def logical_range(self, line: int) -> range:
        """The physical lines flake8 joins with this one when it looks for `# noqa`."""
        return self._ranges.get(line, range(line, line + 1))


def _codes(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _SEPARATOR.split(text) if item.strip())  # case matters, as in flake8


def _logical_ranges(text: str, count: int) -> dict[int, range]:
    """flake8's `_noqa_line_mapping`: lines joined between NL/NEWLINE tokens (multi-line strings stay whole)."""
    mapping: dict[int, range] = {}
    first, last = count + 2, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first, last = min(first, token.start[0]), max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                mapping.update(dict.fromkeys(range(first, last + 1), range(first, last + 1)))
                first, last = count + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


@dataclass(frozen=True)
class Added:
    comments: int
    files: int


def add_noqa(diagnostics: Iterable[Diagnostic]) -> Added:
    """Silence each finding in its file where flake8 and bnlint will look (after a backslash continuation or a
    multi-line string, never inside it). Everything else in the file stays as it was, byte for byte."""
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        by_path[diagnostic.path].append(diagnostic)
    comments = 0
    for path, found in by_path.items():
        comments += _add_to_file(path, found)
    return Added(comments, len(by_path))


def _add_to_file(path: str, diagnostics: list[Diagnostic]) -> int:
    with open(path, "rb") as file:
        data = file.read()
    # A byte-order mark stays in the first line's text and is written back with it.
    encoding = "utf-8" if (found := encoding_of(data)) == "utf-8-sig" else found
    lines = data.splitlines(keepends=True)
    bodies = [line.rstrip(b"\r\n") for line in lines]
    edits = noqa_edits([body.decode(encoding) for body in bodies], diagnostics)
    for number, text in edits.items():
        lines[number - 1] = text.encode(encoding) + lines[number - 1][len(bodies[number - 1]) :]
    with open(path, "wb") as file:
        file.write(b"".join(lines))
    return len(edits)


def noqa_edits(lines: Sequence[str], diagnostics: Iterable[Diagnostic]) -> dict[int, str]:
    """The new text of each line (1-based, without its line ending) that silences the diagnostics: codes join the
    logical line's `# noqa` comment when it has one, else a new comment ends the logical line."""
    suppressions = Suppressions("\n".join(lines).removeprefix("\ufeff"))
    wanted: dict[int, set[str]] = defaultdict(set)
    for diagnostic in diagnostics:
        directive = suppressions.directive(diagnostic.line)
        target = directive.line if directive is not None else suppressions.logical_range(diagnostic.line)[-1]
        wanted[target].add(diagnostic.code)
    return {number: _with_codes(lines[number - 1], sorted(codes)) for number, codes in wanted.items()}


def _with_codes(line: str, codes: list[str]) -> str:
    match = _NOQA_INLINE.search(line)
    if match is None:
        return f"{line.rstrip()}  # noqa: {', '.join(codes)}"
    listed = match.group("codes")
    if listed is None:
        return line  # a bare noqa comment already silences everything
    written = listed.rstrip(", \t")
    separator = ", " if ", " in written or not _SEPARATOR.search(written) else ("," if "," in written else " ")
    end = match.start("codes") + len(written)
    return line[:end] + separator + separator.join(codes) + line[end:]
