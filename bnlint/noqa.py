"""`# noqa` exactly as flake8 reads it, so the CLI suppresses what `flake8 --select BN` suppresses."""

from __future__ import annotations

import io
import re
import tokenize

# Same patterns as flake8's defaults.NOQA_INLINE_REGEXP and NOQA_FILE.
_NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,\s]")


class Suppressions:
    def __init__(self, text: str) -> None:
        self._lines = text.splitlines(keepends=True)
        self._logical = _logical_line_text(text, self._lines)

    def skips_file(self) -> bool:
        """A line that is only `# flake8: noqa` makes flake8 skip the whole file, whatever codes follow."""
        return any(_NOQA_FILE.match(line) for line in self._lines)

    def suppresses(self, code: str, line: int) -> bool:
        text = self._logical.get(line)
        if text is None:
            text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        match = _NOQA_INLINE.search(text)
        if match is None:
            return False
        codes_text = match.group("codes")
        if codes_text is None:
            return True
        codes = {item.strip() for item in _SEPARATOR.split(codes_text) if item.strip()}
        return code in codes or code.startswith(tuple(codes))


def _logical_line_text(text: str, lines: list[str]) -> dict[int, str]:
    """flake8's `_noqa_line_mapping`: lines joined between NL/NEWLINE tokens (multi-line strings stay whole)."""
    mapping: dict[int, str] = {}
    first, last = len(lines) + 2, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first, last = min(first, token.start[0]), max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1 : last])
                mapping.update(dict.fromkeys(range(first, last + 1), joined))
                first, last = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping
