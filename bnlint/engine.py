"""The one analysis pipeline every front end uses: parse once, collect facts, run rules, locate findings."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bnlint.diagnostic import INTERNAL_ERROR, UNREADABLE, Diagnostic, Related, error
from bnlint.noqa import Suppressions, file_directive
from bnlint.project import Project
from bnlint.rules import ALL_RULES, Finding, Rule
from bnlint.rules.bn910_unused_noqa import UnusedNoqa

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
    project: Project | None = None,
) -> list[Diagnostic]:
    """All diagnostics for one module's text, sorted; `honour_noqa=False` leaves `# noqa` to flake8.

    Names imported from other modules of the file's project resolve into them; pass one `project` for all the
    files of a run so that each module is parsed once.
    """
    try:
        return _check(text, path, rules, honour_noqa, project if project is not None else Project())
    except Exception as exc:  # the last line of defence: a bug costs this file, never the run
        return [_internal_error(path, "bnlint", exc)]


def _check(text: str, path: str, rules: Sequence[type[Rule]], honour_noqa: bool, project: Project) -> list[Diagnostic]:
    file = Path(path)
    project.provide(file, text)
    if not project.relevant(file):
        return []
    directive = file_directive(text)
    if directive is not None:
        rules = [rule for rule in rules if not directive.ignores(rule.code)]
    suppressions = Suppressions(text) if honour_noqa else None
    if not rules or (suppressions is not None and suppressions.skips_file()):
        return []
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        return [error(path, UNREADABLE, "could not parse: the file contains a NUL byte", line)]
    facts = project.parsed(file)
    if facts is None:
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            return [_syntax_error(text, path, str(exc))]
        except RecursionError:
            return [error(path, UNREADABLE, "could not parse: the code is nested too deeply")]
        try:
            facts = project.facts(file, module)
        except Exception as exc:  # an analysis bug must cost one file, never the run
            return [_internal_error(path, "analysis", exc)]
        assert facts is not None
    findings: list[Finding] = []
    diagnostics: list[Diagnostic] = []
    for rule in rules:
        try:
            findings.extend(rule.check(facts))
        except Exception as exc:  # one rule's bug must not hide the others' findings
            diagnostics.append(_internal_error(path, rule.code, exc))
    findings = [finding for finding in findings if not facts.in_test_code(finding.site)]
    diagnostics.extend(_locate(facts.syntax.module, path, findings))
    if suppressions is not None:
        diagnostics = _apply_noqa(path, suppressions, diagnostics, rules)
    return sorted(set(diagnostics))


def _apply_noqa(
    path: str, suppressions: Suppressions, diagnostics: list[Diagnostic], rules: Sequence[type[Rule]]
) -> list[Diagnostic]:
    kept = [d for d in diagnostics if d.is_error or not suppressions.suppresses(d.code, d.line)]
    if UnusedNoqa in rules:
        unchecked = {rule.code for rule in ALL_RULES} - {rule.code for rule in rules}
        kept += UnusedNoqa.unused(path, suppressions, diagnostics, unchecked)
    return kept


def _locate(module: cst.Module, path: str, findings: list[Finding]) -> list[Diagnostic]:
    if not findings:
        return []
    # Positions cost about two parses of the module, so they are computed only for files with findings.
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    diagnostics = []
    for finding in findings:
        span = positions[finding.node]
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
                call_lines=(positions[finding.site.node].start.line, positions[finding.site.node].end.line),
            )
        )
    return diagnostics


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
