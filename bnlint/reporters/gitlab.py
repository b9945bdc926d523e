"""Code Climate issues, as GitLab's code quality report reads them (the `codequality` report of a CI job)."""

from __future__ import annotations

import json

from bnlint.diagnostic import Diagnostic
from bnlint.docs import describe
from bnlint.reporters.report import Report, fingerprints

# GitLab's severities are info, minor, major, critical and blocker.
_SEVERITY = {"error": "major", "warning": "minor"}


def render(report: Report) -> str:
    # Unreadable files and internal errors are listed too: a reviewer should see what was not checked.
    issues = [
        _issue(report, diagnostic, fingerprint)
        for diagnostic, fingerprint in zip(report.diagnostics, fingerprints(report), strict=True)
    ]
    return json.dumps(issues, indent=2) + "\n"


def _issue(report: Report, diagnostic: Diagnostic, fingerprint: str) -> dict[str, object]:
    return {
        "type": "issue",
        "check_name": diagnostic.code,
        "description": _description(diagnostic),
        "categories": ["Bug Risk"],
        "severity": _SEVERITY[describe(diagnostic.code).level],
        # GitLab keeps an issue across merge requests by its fingerprint: the SARIF one, stable across commits.
        "fingerprint": fingerprint,
        "location": {"path": report.relative(diagnostic.path), "lines": _lines(report, diagnostic)},
    }


def _lines(report: Report, diagnostic: Diagnostic) -> dict[str, int]:
    """The file's lines: a notebook cell's become the lines of the .ipynb file that hold them. GitLab needs a line;
    when none can be told, the first (the description names the cell and the line in it)."""
    begin = report.file_line(diagnostic.path, diagnostic.cell, diagnostic.line) or 1
    end = report.file_line(diagnostic.path, diagnostic.cell, diagnostic.end_line) or begin
    return {"begin": begin, "end": end}


def _description(diagnostic: Diagnostic) -> str:
    """The message, then its help; in a notebook the description names the cell and the line in it."""
    if diagnostic.cell is None:
        text = f"{diagnostic.code} {diagnostic.message}"
    else:
        text = f"{diagnostic.code} in cell {diagnostic.cell}, line {diagnostic.line}: {diagnostic.message}"
    return text if diagnostic.help is None else f"{text}\n{diagnostic.help}"
