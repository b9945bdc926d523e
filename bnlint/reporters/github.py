"""GitHub Actions workflow commands: each diagnostic becomes an annotation on the pull request's diff."""

from __future__ import annotations

from bnlint.diagnostic import Diagnostic
from bnlint.docs import describe
from bnlint.reporters.report import Report


def render(report: Report) -> str:
    return "".join(_command(report, diagnostic) + "\n" for diagnostic in report.diagnostics)


def _command(report: Report, diagnostic: Diagnostic) -> str:
    kind = "warning" if describe(diagnostic.code).level == "warning" else "error"
    properties = {"file": report.relative(diagnostic.path), **_span(report, diagnostic)}
    # In a notebook the annotation sits on the line of the .ipynb file that holds the cell's line: the title says
    # which cell and line that is.
    properties["title"] = diagnostic.code
    if diagnostic.cell is not None:
        properties["title"] += f" in cell {diagnostic.cell}, line {diagnostic.line}"
    listed = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    text = diagnostic.message if diagnostic.help is None else f"{diagnostic.message}\n{diagnostic.help}"
    return f"::{kind} {listed}::{escape_data(text)}"


def _span(report: Report, diagnostic: Diagnostic) -> dict[str, str]:
    """Where the annotation goes. A notebook cell's lines become the .ipynb file's, without columns (the cell's
    are not the JSON line's); when no line can be told, the whole file is annotated rather than a wrong line."""
    if diagnostic.cell is not None:
        start = report.file_line(diagnostic.path, diagnostic.cell, diagnostic.line)
        end = report.file_line(diagnostic.path, diagnostic.cell, diagnostic.end_line) or start
        return {} if start is None else {"line": str(start), "endLine": str(end)}
    span = {
        "line": diagnostic.line,
        "col": diagnostic.column,
        "endLine": diagnostic.end_line,
        "endColumn": diagnostic.end_column,
    }
    if diagnostic.end_line != diagnostic.line:
        # GitHub takes columns only on a one-line span (its checks API asks to leave them out otherwise).
        del span["col"], span["endColumn"]
    return {name: str(value) for name, value in span.items()}


def escape_data(text: str) -> str:
    """As `escapeData` in GitHub's @actions/core: a newline would end the command, `%` starts an escape."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """As `escapeProperty` in @actions/core: `:` would end the properties and `,` separate them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
