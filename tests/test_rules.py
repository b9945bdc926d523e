"""Each rule's VALID / INVALID examples run through the engine; its documentation is complete and published."""

from __future__ import annotations

import inspect
import re
from collections import Counter

import pytest

from bnlint.engine import check_source
from bnlint.rules import ALL_RULES
from support import ROOT, expected_findings, message_defects, run, unmet_fragments

EXAMPLES = [
    pytest.param(rule, kind, index, source, id=f"{rule.code}-{kind}-{index}")
    for rule in ALL_RULES
    for kind in ("VALID", "INVALID")
    for index, source in enumerate(getattr(rule, kind))
]
SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Accepted idioms", "Known problems"]


@pytest.mark.parametrize(("rule", "kind", "index", "source"), EXAMPLES)
def test_rule_examples(rule, kind, index, source):
    source = inspect.cleandoc(source) + "\n"
    diagnostics = check_source(source, "example.py")
    found = Counter((d.line, d.code) for d in diagnostics)
    expected = expected_findings(source)
    assert found == expected
    assert unmet_fragments(source, [(d.line, d.code, d.message) for d in diagnostics]) == []
    assert [defect for d in diagnostics for defect in message_defects(d.code, d.message, d.help)] == []
    if kind == "INVALID":
        assert any(code == rule.code for _, code in expected)
    else:
        assert not expected


def test_codes_and_names_are_unique_and_well_formed():
    codes = [rule.code for rule in ALL_RULES]
    names = [rule.name for rule in ALL_RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    # BN0xx: mistakes in the checked code; BN91x: about bnlint's own comments; BN1xx (verify) and BN90x are not rules.
    assert all(re.fullmatch(r"BN0[0-9]{2}|BN91[0-9]", code) for code in codes)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_documentation_has_every_section_in_order(rule):
    headings = re.findall(r"(?m)^## (.+)$", rule.documentation())
    assert [heading for heading in headings if heading in SECTIONS] == SECTIONS


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_bnlint_rule_prints_the_documentation(rule):
    result = run("bnlint", "rule", rule.code.lower())
    assert result.returncode == 0
    assert result.stdout.startswith(f"{rule.code} ({rule.name})")
    assert rule.documentation() in result.stdout


def test_bnlint_rule_lists_every_rule():
    result = run("bnlint", "rule")
    assert result.returncode == 0
    listed = re.findall(r"(?m)^(BN\d{3})\s", result.stdout)
    assert listed[: len(ALL_RULES)] == [rule.code for rule in ALL_RULES]


def test_unknown_rule_is_a_usage_error():
    result = run("bnlint", "rule", "BN999")
    assert result.returncode == 2
    assert "unknown rule" in result.stderr and "Traceback" not in result.stderr


def test_every_rule_module_holds_one_rule_named_by_its_code():
    modules = sorted(path.stem for path in (ROOT / "bnlint" / "rules").glob("bn[0-9][0-9][0-9]_*.py"))
    assert [rule.__module__.rsplit(".", 1)[1] for rule in ALL_RULES] == modules
    assert all(rule.__module__.rsplit(".", 1)[1].startswith(rule.code.lower() + "_") for rule in ALL_RULES)
