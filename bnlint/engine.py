"""The one analysis pipeline every front end uses: parse once, collect facts, run rules, locate findings."""

from __future__ import annotations

import ast
import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bnlint.diagnostic import INTERNAL_ERROR, UNREADABLE, Diagnostic, Related, error
from bnlint.noqa import Suppressions, file_directive, names_bnlint_codes
from bnlint.project import Project
from bnlint.recursion import PYTHON_NESTING, bracket_depth, on_a_deep_stack
from bnlint.rules import ALL_RULES, Finding, Rule
from bnlint.rules.base import Fix
from bnlint.rules.bn910_unused_noqa import UnusedNoqa

# libcst is imported where a module is parsed, located or fixed: a file the screen rules out costs no import of it.
if TYPE_CHECKING:
    import libcst as cst

_PYTHON2_HINTS = (
    "Missing parentheses in call to",
    "multiple exception types must be parenthesized",
    "leading zeros in decimal integer literals",
)
_LIBCST_LOCATION = re.compile(r"error at (\d+):(\d+)")
# A fix rarely brings out another that a further pass fixes; a bound keeps a pathological file from looping.
_FIX_PASSES = 8


@dataclass(frozen=True)
class FixResult:
    text: str  # the fixed text; the text given when nothing was fixed
    fixed: list[Diagnostic]  # the findings whose fix was applied, each as reported on the text its pass fixed
    remaining: list[Diagnostic]  # what check_source reports on `text` (BN900 / BN901 included)
    failure: Diagnostic | None = None  # a BN901 when the fixes could not be applied; `text` is then the text given


@dataclass(frozen=True)
class _Analysis:
    diagnostics: list[Diagnostic]  # what check_source reports, sorted
    fixes: dict[Diagnostic, Fix] = field(default_factory=dict)  # the fix of each reported finding that has one
    module: cst.Module | None = None  # the tree the fixes apply to


def check_source(
    text: str,
    path: str,
    rules: Sequence[type[Rule]] = ALL_RULES,
    honour_noqa: bool = True,
    project: Project | None = None,
    tree: ast.Module | None = None,
) -> list[Diagnostic]:
    """All diagnostics for one module's text, sorted; `honour_noqa=False` leaves `# noqa` to flake8.

    Names imported from other modules of the file's project resolve into them; pass one `project` for all the
    files of a run so that each module is parsed once. `tree`: Python's `ast` of the text, where the front end has
    one (flake8 does): the screen reads it rather than parsing the text again.
    """
    try:
        with _collector_paused():
            project = project if project is not None else Project()
            return _analysed(text, path, rules, honour_noqa, project, tree).diagnostics
    except Exception as exc:  # the last line of defence: a bug costs this file, never the run
        return [_internal_error(path, "bnlint", exc)]


def fix_source(
    text: str,
    path: str,
    rules: Sequence[type[Rule]] = ALL_RULES,
    project: Project | None = None,
    only: Diagnostic | None = None,
) -> FixResult:
    """The text with the fixes of the findings check_source reports applied (so noqa, the rule selection and test
    code count as there), every fix of a pass in one transformation. A fix may bring out a finding that its own
    mistake hid (batch norm given its flag now needs its update ops), so passes repeat until one has nothing to
    fix. With `only`, just the fix of the finding with that code and span (line, column, end line, end column), in
    one pass. The project is left holding the fixed text. Never raises: when a fix cannot be applied, the text
    stays as given, `failure` says why, and nothing is fixed."""
    project = project if project is not None else Project()
    try:
        with _collector_paused():
            return _fix_passes(text, path, rules, project, only)
    except Exception as exc:  # the last line of defence, as in check_source
        project.provide(Path(path), text)
        return FixResult(text, [], [_internal_error(path, "bnlint", exc)], _internal_error(path, "fix", exc))


def _fix_passes(
    text: str, path: str, rules: Sequence[type[Rule]], project: Project, only: Diagnostic | None
) -> FixResult:
    from bnlint.fixes import apply_fixes

    current, fixed = text, list[Diagnostic]()
    first: list[Diagnostic] | None = None
    for number in range(_FIX_PASSES + 1):
        try:
            analysis = _analysed(current, path, rules, True, project)
        except Exception as exc:  # as in check_source
            return FixResult(current, fixed, [_internal_error(path, "bnlint", exc)])
        first = analysis.diagnostics if first is None else first
        wanted = {
            diagnostic: fix
            for diagnostic, fix in analysis.fixes.items()
            if (only is None or (number == 0 and _same_finding(diagnostic, only))) and number < _FIX_PASSES
        }
        if not wanted or analysis.module is None:
            return FixResult(current, fixed, analysis.diagnostics)
        try:
            current, applied = apply_fixes(analysis.module, current, wanted.values())
        except Exception as exc:  # a fix that cannot be made costs this file's fixes, never the run
            project.provide(Path(path), text)
            return FixResult(text, [], first, _internal_error(path, "fix", exc))
        if not applied:
            return FixResult(current, fixed, analysis.diagnostics)
        fixed += sorted(diagnostic for diagnostic, fix in wanted.items() if fix in applied)
    raise AssertionError("unreachable: the last pass fixes nothing")


def _analysed(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    honour_noqa: bool,
    project: Project,
    tree: ast.Module | None = None,
) -> _Analysis:
    """The analysis, on a stack with room for deeply nested code (see bnlint.recursion)."""
    return on_a_deep_stack(partial(_analyse, text, path, rules, honour_noqa, project, tree))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """CPython's cyclic garbage collector rescans the growing tree again and again while a file is parsed and
    analysed (a fifth to a third of the time, more on big files); nothing made then needs it before the file is
    done, so it waits, and the host process (flake8, an editor's server) gets it back as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _same_finding(diagnostic: Diagnostic, only: Diagnostic) -> bool:
    return (diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column) == (
        only.code,
        only.line,
        only.column,
        only.end_line,
        only.end_column,
    )


def _analyse(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    honour_noqa: bool,
    project: Project,
    tree: ast.Module | None = None,
) -> _Analysis:
    file = Path(path)
    project.provide(file, text, tree)
    # A file where no rule can fire is not parsed, unless BN910 has noqa comments naming bnlint codes to check.
    if not project.relevant(file) and not (honour_noqa and UnusedNoqa in rules and names_bnlint_codes(text)):
        # The screen looks for what the rules need, not for valid Python: a file Python cannot read is reported
        # whatever the screen decided, as flake8 reports one (E999). A given tree is Python's reading of the text.
        refused = None if tree is not None or project.screen_parsed(file) else _refusal(text, path)
        return _Analysis([refused] if refused is not None else [])
    directive = file_directive(text)
    if directive is not None:
        rules = [rule for rule in rules if not directive.ignores(rule.code)]
    suppressions = Suppressions(text) if honour_noqa else None
    if not rules or (suppressions is not None and suppressions.skips_file()):
        return _Analysis([])
    if "\0" in text:
        return _Analysis([_nul_byte(text, path)])
    facts = project.parsed(file)
    if facts is None:
        # Bracket nesting Python refuses: reported as Python reports it, never handed to libcst (bnlint.recursion).
        refused = _python_refusal(text, path) if bracket_depth(text) >= PYTHON_NESTING else None
        if refused is not None:
            return _Analysis([refused])
        import libcst as cst

        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            return _Analysis([_syntax_error(text, path, str(exc))])
        except RecursionError:
            return _Analysis([error(path, UNREADABLE, "could not parse: the code is nested too deeply")])
        try:
            facts = project.facts(file, module)
        except Exception as exc:  # an analysis bug must cost one file, never the run
            return _Analysis([_internal_error(path, "analysis", exc)])
        assert facts is not None
    findings: list[Finding] = []
    diagnostics: list[Diagnostic] = []
    for rule in rules:
        try:
            findings.extend(rule.check(facts))
        except Exception as exc:  # one rule's bug must not hide the others' findings
            diagnostics.append(_internal_error(path, rule.code, exc))
    findings = [finding for finding in findings if not facts.in_test_code(finding.site)]
    located = _locate(facts.syntax.module, path, findings)
    diagnostics.extend(located)
    if suppressions is not None:
        diagnostics = _apply_noqa(path, suppressions, diagnostics, rules)
    reported = set(diagnostics)
    fixes = {d: finding.fix for d, finding in located.items() if finding.fix is not None and d in reported}
    return _Analysis(sorted(reported), fixes, facts.syntax.module)


def _apply_noqa(
    path: str, suppressions: Suppressions, diagnostics: list[Diagnostic], rules: Sequence[type[Rule]]
) -> list[Diagnostic]:
    kept = [d for d in diagnostics if d.is_error or not suppressions.suppresses(d.code, d.line)]
    if UnusedNoqa in rules:
        unchecked = {rule.code for rule in ALL_RULES} - {rule.code for rule in rules}
        kept += UnusedNoqa.unused(path, suppressions, diagnostics, unchecked)
    return kept


def _locate(module: cst.Module, path: str, findings: list[Finding]) -> dict[Diagnostic, Finding]:
    """Each finding as a diagnostic, with the finding it comes from."""
    from bnlint.analysis.positions import positions as positions_of

    if not findings:
        return {}
    nodes = {node for finding in findings for node in (finding.node, finding.site.node)}
    nodes.update(node for finding in findings for node, _ in finding.related)
    positions = positions_of(module, nodes)
    located: dict[Diagnostic, Finding] = {}
    for finding in findings:
        span = positions[finding.node]
        related = tuple(
            Related(positions[node].start.line, positions[node].start.column + 1, message)
            for node, message in finding.related
        )
        # A message may name the lines of its related locations as {0}, {1}, ...
        lines = [item.line for item in related]
        message = finding.message.format(*lines) if related else finding.message
        help = finding.help.format(*lines) if related and finding.help else finding.help
        diagnostic = Diagnostic(
            path=path,
            line=span.start.line,
            column=span.start.column + 1,
            end_line=span.end.line,
            end_column=span.end.column + 1,
            code=finding.code,
            message=message,
            related=related,
            call_lines=(positions[finding.site.node].start.line, positions[finding.site.node].end.line),
            fix=finding.fix.title if finding.fix is not None else None,
            help=help,
        )
        located.setdefault(diagnostic, finding)
    return located


def _syntax_error(text: str, path: str, libcst_message: str) -> Diagnostic:
    """Python's own message where it has one (it names Python 2 constructs); libcst's otherwise."""
    refused = _python_refusal(text, path)
    if refused is not None:
        return refused
    location = _LIBCST_LOCATION.search(libcst_message)
    line, column = (int(location.group(1)), int(location.group(2)) + 1) if location else (1, 1)
    detail = libcst_message.splitlines()[1] if "\n" in libcst_message else libcst_message
    return error(path, UNREADABLE, f"could not parse: {detail.strip()}", line, column)


def _nul_byte(text: str, path: str) -> Diagnostic:
    line = text.count("\n", 0, text.index("\0")) + 1
    return error(path, UNREADABLE, "could not parse: the file contains a NUL byte", line)


def _refusal(text: str, path: str) -> Diagnostic | None:
    """Why a file cannot be read as Python (a binary file named `.py` included); None when it can."""
    return _nul_byte(text, path) if "\0" in text else _python_refusal(text, path)


def _python_refusal(text: str, path: str) -> Diagnostic | None:
    """Why Python refuses the text, as Python says it; None when Python accepts it."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        message = exc.msg
        if any(hint in message for hint in _PYTHON2_HINTS):
            message += " (Python 2 code is not supported)"
        return error(path, UNREADABLE, f"could not parse: {message}", exc.lineno or 1, exc.offset or 1)
    except (ValueError, RecursionError, MemoryError) as exc:
        return error(path, UNREADABLE, f"could not parse: {exc}")
    return None


_REPORT_IT = (
    "A bug in bnlint, not in this file: the other files and rules are still checked. Please report it with this"
    " message and, if you can, the file."
)


def _internal_error(path: str, stage: str, exc: BaseException) -> Diagnostic:
    message = f"internal error in {stage}: {type(exc).__name__}: {exc}"
    return error(path, INTERNAL_ERROR, message, help=_REPORT_IT)
