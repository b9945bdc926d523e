"""A bug in one rule costs that rule's findings on one file, never the run, in either front end."""

from __future__ import annotations

import ast

from bnlint import flake8_plugin
from bnlint.analysis import facts
from bnlint.engine import check_source
from bnlint.flake8_plugin import BnlintChecker
from bnlint.rules import ALL_RULES, Rule
from support import ROOT

SOURCE = (ROOT / "examples" / "train_buggy.py").read_text(encoding="utf-8")


class _BrokenRule(Rule):
    code = "BN099"

    @classmethod
    def check(cls, facts):
        raise RuntimeError("boom")


def test_a_failing_rule_becomes_one_diagnostic_and_the_other_rules_still_report():
    diagnostics = check_source(SOURCE, "train.py", rules=(*ALL_RULES, _BrokenRule))
    codes = [d.code for d in diagnostics]
    assert sorted(codes) == ["BN002", "BN003", "BN004", "BN901"]
    (internal,) = [d for d in diagnostics if d.code == "BN901"]
    assert "BN099" in internal.message and "boom" in internal.message


def test_the_flake8_plugin_turns_any_exception_into_one_finding(monkeypatch):
    def explode(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(flake8_plugin, "check_source", explode)
    checker = BnlintChecker(ast.parse(SOURCE), SOURCE.splitlines(keepends=True), "train.py")
    (result,) = list(checker.run())
    assert result[:2] == (1, 0) and result[2].startswith("BN901 ")


def test_an_analysis_failure_is_reported_for_that_file_only(monkeypatch):
    def explode(*args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(facts, "ModuleFacts", explode)  # the project imports it where it analyses a module
    (diagnostic,) = check_source(SOURCE, "train.py")
    assert diagnostic.code == "BN901" and "RecursionError" in diagnostic.message
