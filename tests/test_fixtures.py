"""Every fixture and example, through the real `bnlint` command and a real flake8, against its `# expect:` comments."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache

import pytest

from bnlint.engine import check_source
from bnlint.project import Project
from support import ROOT, expected_findings, fixture_files, message_defects, run, unmet_fragments

FILES = fixture_files()
_FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>BN\d{3}) (?P<message>.*)$")


@cache
def cli_findings() -> dict[str, list[tuple[int, int, str, str]]]:
    # BN910 (unused noqa) is opt-in, and only the command reports it: flake8 applies noqa itself.
    paths = (str(path.relative_to(ROOT)) for path in FILES)
    result = run("bnlint", "check", "--format", "json", "--extend-select", "BN910", *paths)
    assert result.returncode in (0, 1), result.stderr
    findings: dict[str, list[tuple[int, int, str, str]]] = {}
    for item in json.loads(result.stdout):
        findings.setdefault(item["path"], []).append((item["line"], item["column"], item["code"], item["message"]))
    return findings


@cache
def flake8_findings() -> dict[str, list[tuple[int, int, str, str]]]:
    result = run("flake8", "--isolated", "--select", "BN", *(str(path.relative_to(ROOT)) for path in FILES))
    assert result.returncode in (0, 1), result.stderr
    findings: dict[str, list[tuple[int, int, str, str]]] = {}
    for line in result.stdout.splitlines():
        match = _FLAKE8_LINE.match(line)
        assert match, f"unexpected flake8 output: {line!r}"
        findings.setdefault(match["path"], []).append(
            (int(match["line"]), int(match["column"]), match["code"], match["message"])
        )
    return findings


@cache
def engine_findings():
    """Each file's diagnostics from the engine itself, which carry the help the command's JSON may leave out."""
    project = Project()
    return {_key(path): check_source(path.read_text(encoding="utf-8"), str(path), project=project) for path in FILES}


def _key(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_cli_reports_exactly_the_expected_findings(path):
    expected = expected_findings(path.read_text(encoding="utf-8"))
    findings = cli_findings().get(_key(path), [])
    found = Counter((line, code) for line, _, code, _ in findings)
    assert found == expected
    messages = [(line, code, message) for line, _, code, message in findings]
    assert unmet_fragments(path.read_text(encoding="utf-8"), messages) == []


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_flake8_reports_what_the_cli_reports(path):
    cli = [finding for finding in cli_findings().get(_key(path), []) if finding[2] != "BN910"]
    assert sorted(flake8_findings().get(_key(path), [])) == sorted(cli)


def test_every_message_is_one_short_sentence_with_help_beside_it():
    findings = [d for diagnostics in engine_findings().values() for d in diagnostics if not d.is_error]
    assert {d.code for d in findings} >= {"BN001", "BN002", "BN003", "BN004", "BN005", "BN006", "BN910"}
    assert [defect for d in findings for defect in message_defects(d.code, d.message, d.help)] == []


def test_every_rule_has_buggy_and_clean_fixtures():
    from bnlint.rules import ALL_RULES

    for rule in ALL_RULES:
        directory = ROOT / "tests" / "fixtures" / rule.code.lower()
        names = [path.name for path in directory.glob("*.py")]
        assert any(name.startswith("bad_") for name in names), rule.code
        assert any(name.startswith("ok_") for name in names), rule.code
        for name in names:
            expected = expected_findings((directory / name).read_text(encoding="utf-8"))
            if name.startswith("ok_"):
                assert not expected, f"{name} is a clean fixture but expects {expected}"
            else:
                assert any(code == rule.code for _, code in expected), f"{name} expects no {rule.code}"


def test_fixture_projects_cover_both_outcomes():
    projects = [path for path in (ROOT / "tests" / "fixtures" / "projects").iterdir() if path.is_dir()]
    for project in projects:
        expected = [
            finding for path in project.rglob("*.py") for finding in expected_findings(path.read_text(encoding="utf-8"))
        ]
        assert project.name.startswith(("bad_", "ok_")), project.name
        assert bool(expected) == project.name.startswith("bad_"), project.name
        assert len(list(project.rglob("*.py"))) >= 2, f"{project.name} is not a multi-file project"


def test_the_examples_show_each_mistake_of_the_report():
    buggy = expected_findings((ROOT / "examples" / "train_buggy.py").read_text(encoding="utf-8"))
    assert sorted(code for _, code in buggy) == ["BN002", "BN003", "BN004"]
    assert not expected_findings((ROOT / "examples" / "train_fixed.py").read_text(encoding="utf-8"))
