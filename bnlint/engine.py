"""The one analysis pipeline every front end uses: parse once, collect facts, run rules, locate findings."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from bnlint.analysis.collector import collect
from bnlint.analysis.facts import ModuleFacts
from bnlint.diagnostic import INTERNAL_ERROR, UNREADABLE, Diagnostic, Related, error
from bnlint.noqa import Suppressions
from bnlint.rules import ALL_RULES, Finding, Rule
from bnlint.source import mentions_framework

_PYTHON2_HINTS = (
    "Missing parentheses in call to",
    "multiple exception types must be parenthesized",
    "leading zeros in decimal integer literals",
)
_LIBCST_LOCATION = re.compile(r"error at (\d+):(\d+)")


def check_source(
    text: str,
    path: str,
    rules: Sequence[type[Rule]] = ALL_RULES,
    honour_noqa: bool = True,
) -> list[Diagnostic]:
    """All diagnostics for one module's text, sorted; `honour_noqa=False` leaves `# noqa` to flake8."""
    if not mentions_framework(text):
        return []
    suppressions = Suppressions(text) if honour_noqa else None
    if suppressions is not None and suppressions.skips_file():
        return []
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        return [error(path, UNREADABLE, "could not parse: the file contains a NUL byte", line)]
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return [_syntax_error(text, path, str(exc))]
    except RecursionError:
        return [error(path, UNREADABLE, "could not parse: the code is nested too deeply")]
    try:
        facts = ModuleFacts(collect(module))
    except Exception as exc:  # an analysis bug must cost one file, never the run
        return [_internal_error(path, "analysis", exc)]
    findings: list[Finding] = []
    diagnostics: list[Diagnostic] = []
    for rule in rules:
        try:
            findings.extend(rule.check(facts))
        except Exception as exc:  # one rule's bug must not hide the others' findings
            diagnostics.append(_internal_error(path, rule.code, exc))
    diagnostics.extend(_locate(module, path, findings, facts.test_code))
    if suppressions is not None:
        diagnostics = [d for d in diagnostics if d.is_error or not suppressions.suppresses(d.code, d.line)]
    return sorted(set(diagnostics))


def _locate(module: cst.Module, path: str, findings: list[Finding], skipped: list[cst.CSTNode]) -> list[Diagnostic]:
    """Positions for the findings, less those inside `skipped` code (unit tests)."""
    if not findings:
        return []
    # Positions cost about two parses of the module, so they are computed only for files with findings.
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    skipped_spans = [positions[node] for node in skipped]
    diagnostics = []
    for finding in findings:
        span = positions[finding.node]
        if any(_within(span, outer) for outer in skipped_spans):
            continue
        related = tuple(
            Related(positions[node].start.line, positions[node].start.column + 1, message)
            for node, message in finding.related
        )
        # A message may name the lines of its related locations as {0}, {1}, ...
        message = finding.message.format(*(item.line for item in related)) if related else finding.message
        diagnostics.append(
            Diagnostic(
                path=path,
                line=span.start.line,
                column=span.start.column + 1,
                end_line=span.end.line,
                end_column=span.end.column + 1,
                code=finding.code,
                message=message,
                related=related,
            )
        )
    return diagnostics


def _within(inner: CodeRange, outer: CodeRange) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and (
        inner.end.line,
        inner.end.column,
    ) <= (outer.end.line, outer.end.column)


def _syntax_error(text: str, path: str, libcst_message: str) -> Diagnostic:
    """Python's own message where it has one (it names Python 2 constructs); libcst's otherwise."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        message = exc.msg
        if any(hint in message for hint in _PYTHON2_HINTS):
            message += " (Python 2 code is not supported)"
        return error(path, UNREADABLE, f"could not parse: {message}", exc.lineno or 1, exc.offset or 1)
    except (ValueError, RecursionError, MemoryError) as exc:
        return error(path, UNREADABLE, f"could not parse: {exc}")
    location = _LIBCST_LOCATION.search(libcst_message)
    line, column = (int(location.group(1)), int(location.group(2)) + 1) if location else (1, 1)
    detail = libcst_message.splitlines()[1] if "\n" in libcst_message else libcst_message
    return error(path, UNREADABLE, f"could not parse: {detail.strip()}", line, column)


def _internal_error(path: str, stage: str, exc: BaseException) -> Diagnostic:
    return error(path, INTERNAL_ERROR, f"internal error in {stage}: {type(exc).__name__}: {exc} (please report it)")
