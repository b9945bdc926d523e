"""Fuzzing: whatever the input, every front end returns findings or a BN900 diagnostic about the input, never an
internal error (BN901, which is how the engine reports an exception it caught), a traceback or a hang, and the same
input gives the same answer twice.

The suite's run is bounded and repeatable (derandomized, a few hundred inputs per test); `benchmarks/fuzz.py` runs the
same properties over 100 000+ random inputs by setting BNLINT_FUZZ_EXAMPLES.
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnlint.analysis.screen import Screen
from bnlint.diagnostic import UNREADABLE, Diagnostic
from bnlint.engine import check_source, fix_source
from bnlint.flake8_plugin import BnlintChecker
from bnlint.notebook import check_notebook, read_notebook
from bnlint.project import Project
from bnlint.rules import ALL_RULES
from bnlint.source import decode
from fuzzing import damaged_bytes, grammar_programs, mutated_fixtures, notebooks, tensorflow_programs
from support import check_in_process

# What a finding or an input problem may be; BN901 (internal error) is the one thing never allowed.
ALLOWED = {rule.code for rule in ALL_RULES} | {UNREADABLE}
LONG_RUN = int(os.environ.get("BNLINT_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int) -> settings:
    """The suite's bounded, repeatable run; or, under benchmarks/fuzz.py, a long random one."""
    return settings(
        max_examples=LONG_RUN or examples,
        derandomize=not LONG_RUN,
        database=None,
        # An input that takes over a minute fails (no real file comes near it; a slow machine does not either). An
        # endless loop never returns to be timed: the run stops there, and CI's time limit reports it.
        deadline=timedelta(seconds=60),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _assert_sound(diagnostics: list[Diagnostic]) -> None:
    assert all(diagnostic.code in ALLOWED for diagnostic in diagnostics), [str(d) for d in diagnostics]
    assert diagnostics == sorted(diagnostics)


def _check_twice(text: str) -> list[Diagnostic]:
    first = check_source(text, "train.py", project=Project())
    _assert_sound(first)
    assert check_source(text, "train.py", project=Project()) == first
    return first


@fuzz(300)
@given(tensorflow_programs())
def test_programs_of_batch_norm_calls_and_blocks(text):
    _check_twice(text)


@fuzz(150)
@given(grammar_programs())
def test_programs_from_the_python_grammar(text):
    _check_twice(text)


@fuzz(300)
@given(mutated_fixtures())
def test_fixtures_with_lines_deleted_duplicated_swapped_and_cut(text):
    _check_twice(text)


@fuzz(150)
@given(st.one_of(mutated_fixtures(), tensorflow_programs()))
def test_the_flake8_plugin_never_raises(text):
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):  # flake8 reports E999 itself and runs no tree plugin
        return
    findings = list(BnlintChecker(tree, text.splitlines(keepends=True), "train.py").run())
    assert all(message.split()[0] in ALLOWED for _, _, message, _ in findings), findings


@fuzz(300)
@given(st.one_of(mutated_fixtures(), tensorflow_programs()))
def test_what_the_screen_rules_out_holds_no_finding(text):
    """The screen never hides a finding: where it rules a program out, the analysis it spares finds nothing more
    (BN910 reports `# noqa` comments either way)."""
    path = Path("train.py").absolute()
    project = Project()
    project.provide(path, text)
    if project.relevant(path):
        return
    screened = check_source(text, "train.py", project=Project())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Screen, "reaches", lambda self, path: True)
        unscreened = check_source(text, "train.py", project=Project())
    # A file Python cannot read is reported either way (BN900), in Python's words or libcst's.
    assert [str(diagnostic) for diagnostic in unscreened if diagnostic.code != UNREADABLE] == [
        str(diagnostic) for diagnostic in screened if diagnostic.code != UNREADABLE
    ]
    assert any(item.code == UNREADABLE for item in screened) == any(item.code == UNREADABLE for item in unscreened)


@fuzz(150)
@given(st.one_of(mutated_fixtures(), tensorflow_programs()))
def test_fixes_apply_or_leave_the_text_alone(text):
    result = fix_source(text, "train.py", project=Project())
    assert result.failure is None, result.failure
    _assert_sound(result.remaining)
    if result.text != text:
        cst.parse_module(result.text)  # a fix never breaks the file


@fuzz(150)
@given(damaged_bytes())
def test_the_command_line_on_damaged_files(data):
    # In-process, as `bnlint check FILE` reads it: decoding, the engine and the JSON reporter.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.py"
        path.write_bytes(data)
        status, output = check_in_process("--format", "json", str(path))
    codes = {item["code"] for item in json.loads(output)}
    assert status in (0, 1, 2) and codes <= ALLOWED, codes
    _assert_sound(check_source(decode(data), "train.py", project=Project()))


@fuzz(150)
@given(notebooks())
def test_notebooks_whole_or_broken(data):
    notebook = read_notebook(data, "train.ipynb")
    if isinstance(notebook, Diagnostic):
        assert notebook.code == UNREADABLE
        return
    _assert_sound(check_notebook(notebook, "train.ipynb", project=Project()))


pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # invalid escapes in generated strings
