"""One JSON list of findings, for programs."""

from __future__ import annotations

import json

from bnlint.diagnostic import Diagnostic
from bnlint.docs import describe
from bnlint.reporters.report import Report


def render(report: Report) -> str:
    return json.dumps([_as_json(d) for d in report.diagnostics], indent=2) + "\n"


def _as_json(diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "path": diagnostic.path,
        "cell": diagnostic.cell,  # in a notebook, the 1-based cell: `line` and `end_line` are lines of that cell
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line,
        "end_column": diagnostic.end_column,
        "code": diagnostic.code,
        "name": describe(diagnostic.code).name,
        "message": diagnostic.message,
        "help": diagnostic.help,  # the detail behind the message and what to write instead; null when there is none
        "fix": diagnostic.fix,  # what `--fix` would do, when the finding has a safe fix
        "related": [
            {"cell": related.cell, "line": related.line, "column": related.column, "message": related.message}
            for related in diagnostic.related
        ],
    }
