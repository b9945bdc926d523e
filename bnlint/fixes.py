"""Applying fixes: every fix of a module in one pass over its tree, and a fixed file written back as it was written
(its encoding, byte-order mark and line endings), or shown as a unified diff."""

from __future__ import annotations

import ast
import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

import libcst as cst

from bnlint.rules.base import Fix
from bnlint.source import decode, encoding_of

_NEWLINE = re.compile(r"\r\n|\r|\n")


def apply_fixes(module: cst.Module, text: str, fixes: Iterable[Fix]) -> tuple[str, set[Fix]]:
    """The module's text with the fixes applied, and the fixes that were.

    A fix inside another's node is applied first and the outer one receives the result, so nested fixes compose.
    Of two fixes of one node only the first is applied, unless they are the same edit (two train ops of one
    statement both get it wrapped once). Raises when the tree is not the one `text` parses to, or when the fixed
    text would not be Python: the caller keeps the file as it was.
    """
    fixes = list(fixes)
    chosen: dict[cst.CSTNode, Fix] = {}
    for fix in fixes:
        chosen.setdefault(fix.node, fix)
    if not chosen:
        return text, set()
    if module.code != text:
        raise ValueError("the tree the fixes were made for is not the text being fixed")
    fixer = _Fixer(chosen)
    fixed = module.visit(fixer).code
    _check_syntax(text, fixed)
    applied = set(fixer.applied)
    return fixed, {fix for fix in fixes if _same_edit(fix, chosen.get(fix.node)) and chosen[fix.node] in applied}


def _same_edit(fix: Fix, chosen: Fix | None) -> bool:
    return chosen is not None and (fix is chosen or fix.title == chosen.title)


class _Fixer(cst.CSTTransformer):
    """Replaces each node that has a fix, found by identity, once its children are done."""

    def __init__(self, fixes: dict[cst.CSTNode, Fix]) -> None:
        super().__init__()
        self._fixes = fixes
        self.applied: list[Fix] = []

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        fix = self._fixes.get(original_node)
        if fix is None:
            return updated_node
        self.applied.append(fix)
        return fix.replace(updated_node)


def _check_syntax(before: str, after: str) -> None:
    """A fix must never turn Python into something else (code this Python cannot compile is left to the parser)."""
    try:
        ast.parse(after)
    except SyntaxError:
        try:
            ast.parse(before)
        except SyntaxError:
            return
        raise


# -- files -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """A file's text as the engine reads it (`source.decode`: newlines as \\n), and how to write it back."""

    text: str
    encoding: str  # `utf-8-sig` writes the byte-order mark back
    newline: str  # the file's first line ending; every line gets it back

    @classmethod
    def read(cls, data: bytes) -> SourceFile:
        match = _NEWLINE.search(data.decode("latin-1"))
        return cls(decode(data), encoding_of(data), match.group() if match else "\n")

    def encode(self, text: str) -> bytes:
        return self.with_newlines(text).encode(self.encoding)

    def with_newlines(self, text: str) -> str:
        return text.replace("\n", self.newline) if self.newline != "\n" else text

    def diff(self, path: str, fixed: str) -> bytes:
        """A unified diff (`--- a/path`, `+++ b/path`) from this text to `fixed`, in the file's own encoding and
        line endings, so that `patch -p1` applies it to the file."""
        before = self.with_newlines(self.text).splitlines(keepends=True)
        after = self.with_newlines(fixed).splitlines(keepends=True)
        name = _diff_path(path)
        lines = difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
        return "".join(_terminated(line) for line in lines).encode(self.encoding, "replace")


def _diff_path(path: str) -> str:
    """The path as given, normalised as git writes it after `a/`: no `./`, forward slashes, no leading slash."""
    return PurePath(os.path.normpath(path)).as_posix().lstrip("/")


def _terminated(line: str) -> str:
    """Headers and a last line without an end of line get one, as `diff` marks a missing one."""
    if line.endswith(("\n", "\r")):
        return line
    return line + "\n" if line.startswith(("---", "+++", "@@")) else line + "\n\\ No newline at end of file\n"
