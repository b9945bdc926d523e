"""`path:line:col: CODE message` (`path:cell N:line:col: ...` in a notebook), optionally with the source line, the help
and the fix under it and counts per code, then the count line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bnlint.diagnostic import Diagnostic
from bnlint.docs import describe
from bnlint.reporters.report import Report, fixable, place

_BOLD, _RED, _CYAN, _RESET = "\033[1m", "\033[31m", "\033[36m", "\033[0m"


def render(report: Report) -> str:
    lines: list[str] = []
    for diagnostic in report.diagnostics:
        lines.append(_headline(diagnostic, report.color))
        if report.show_source:
            lines += _source(report, diagnostic)
        if report.verbose:
            lines += _details(diagnostic)
    if report.statistics:
        lines += statistics(report.diagnostics)
    if report.summary:
        lines.append(summary(report.diagnostics, report.fixed))
    return "".join(line + "\n" for line in lines)


def summary(diagnostics: Sequence[Diagnostic], fixed: Sequence[Diagnostic] = ()) -> str:
    """The count line, as ruff ends its output: every reported line counts (BN900 / BN901 too, as ruff counts a
    syntax error), so it adds up with --statistics; after --fix it counts what was fixed and what remains."""
    if not diagnostics and not fixed:
        return "All checks passed!"
    files = len({diagnostic.path for diagnostic in (*diagnostics, *fixed)})
    line = f"Found {_plural(len(diagnostics) + len(fixed), 'finding')} in {_plural(files, 'file')}"
    if fixed:
        line += f" ({len(fixed)} fixed, {len(diagnostics)} remaining)"
    count = sum(1 for diagnostic in diagnostics if fixable(diagnostic))
    return line + (f"; {count} fixable with --fix." if count else ".")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def statistics(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """One line per code, most frequent first: count, code, name (as `flake8 --statistics` and ruff print them)."""
    counts = Counter(diagnostic.code for diagnostic in diagnostics)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(count)) for count in counts.values()), default=1)
    return [f"{count:>{width}}  {code}  {describe(code).name}" for code, count in ordered]


def _headline(diagnostic: Diagnostic, color: bool) -> str:
    location = f"{diagnostic.path}:{place(diagnostic)}:"
    if not color:
        return f"{location} {diagnostic.code} {diagnostic.message}"
    return f"{_BOLD}{location}{_RESET} {_BOLD}{_RED}{diagnostic.code}{_RESET} {diagnostic.message}"


def _details(diagnostic: Diagnostic) -> list[str]:
    """--verbose: the help (its lines aligned under its first) and what --fix would do, indented under the finding."""
    lines = []
    if diagnostic.help:
        first, *rest = diagnostic.help.splitlines() or [""]
        lines += [f"    help: {first}", *(f"          {line}" if line else "" for line in rest)]
    if fixable(diagnostic):
        lines.append(f"    fix: {diagnostic.fix} (bnlint check --fix)")
    return lines


def _source(report: Report, diagnostic: Diagnostic) -> list[str]:
    """The reported line and carets under the reported span (to the end of the line when the span goes on)."""
    line = report.source_line(diagnostic)
    if line is None or not line.strip():
        return []
    start = diagnostic.column - 1
    end = diagnostic.end_column - 1 if diagnostic.end_line == diagnostic.line else len(line.rstrip())
    carets = " " * start + "^" * max(1, end - start)
    if report.color:
        carets = f"{_CYAN}{carets}{_RESET}"
    return [f"    {line.expandtabs(1)}", f"    {carets}"]
