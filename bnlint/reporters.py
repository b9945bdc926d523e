"""Rendering diagnostics for people (text) and programs (json)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bnlint.diagnostic import Diagnostic
from bnlint.rules import RULES_BY_CODE


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}\n" for d in diagnostics)


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([_as_json(d) for d in diagnostics], indent=2) + "\n"


def _as_json(diagnostic: Diagnostic) -> dict[str, object]:
    rule = RULES_BY_CODE.get(diagnostic.code)
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line,
        "end_column": diagnostic.end_column,
        "code": diagnostic.code,
        "name": rule.name if rule is not None else "error",
        "message": diagnostic.message,
        "related": [
            {"line": related.line, "column": related.column, "message": related.message}
            for related in diagnostic.related
        ],
    }


RENDERERS = {"text": render_text, "json": render_json}
