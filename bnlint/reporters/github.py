"""GitHub Actions workflow commands: each diagnostic becomes an annotation on the pull request's diff."""

from __future__ import annotations

from bnlint.diagnostic import Diagnostic
from bnlint.docs import describe
from bnlint.reporters.report import Report


def render(report: Report) -> str:
    return "".join(_command(report, diagnostic) + "\n" for diagnostic in report.diagnostics)


def _command(report: Report, diagnostic: Diagnostic) -> str:
    kind = "warning" if describe(diagnostic.code).level == "warning" else "error"
    span = {
        "line": diagnostic.line,
        "col": diagnostic.column,
        "endLine": diagnostic.end_line,
        "endColumn": diagnostic.end_column,
    }
    if diagnostic.end_line != diagnostic.line:
        # GitHub takes columns only on a one-line span (its checks API asks to leave them out otherwise).
        del span["col"], span["endColumn"]
    properties = {"file": report.relative(diagnostic.path), **{name: str(value) for name, value in span.items()}}
    # In a notebook the lines are lines of a cell, not of the .ipynb file: the title names the cell.
    properties["title"] = diagnostic.code if diagnostic.cell is None else f"{diagnostic.code} in cell {diagnostic.cell}"
    listed = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    return f"::{kind} {listed}::{escape_data(diagnostic.message)}"


def escape_data(text: str) -> str:
    """As `escapeData` in GitHub's @actions/core: a newline would end the command, `%` starts an escape."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """As `escapeProperty` in @actions/core: `:` would end the properties and `,` separate them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
