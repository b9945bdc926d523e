"""The recall sets of real bugs (benchmarks/recall/manifest.toml, and tf2.toml for the TF2 / Keras rules): their
form always, their targets where the repositories' git copies are at hand (see docs/recall.md)."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

from bnlint.rules import RULES_BY_CODE
from support import ROOT

_SPEC = importlib.util.spec_from_file_location("recall", ROOT / "benchmarks" / "recall.py")
assert _SPEC is not None and _SPEC.loader is not None
recall = importlib.util.module_from_spec(_SPEC)
sys.modules["recall"] = recall  # its dataclasses look their module up by name
_SPEC.loader.exec_module(recall)

CASES = recall.load()
TF2_CASES = recall.load(recall.TF2_MANIFEST)
MIRRORS = Path(os.environ.get("BNLINT_RECALL_MIRRORS", str(recall.DEFAULT_MIRRORS)))
_SHA = re.compile(r"^[0-9a-f]{40}$")


def test_the_set_is_as_large_as_the_issue_asks():
    buggy_files = {(case.id, expect.path) for case in CASES for expect in case.expect if expect.version == "buggy"}
    assert len({case.repository for case in CASES}) >= 25
    assert len(buggy_files) >= 40


def test_the_tf2_set_is_as_large_as_the_issue_asks():
    # Issue 17: at least 15 files of public repositories, custom loops, Keras fit and GANs among them.
    buggy_files = {(case.id, expect.path) for case in TF2_CASES for expect in case.expect if expect.version == "buggy"}
    assert len(buggy_files) >= 15
    assert {"BN007", "BN009", "BN010"} <= {expect.code for case in TF2_CASES for expect in case.expect}
    assert len({case.repository for case in TF2_CASES if case.clean}) >= 5


@pytest.mark.parametrize("cases", [CASES, [case for case in TF2_CASES if not case.clean]], ids=["tf1", "tf2"])
def test_every_case_has_provenance_and_judged_expectations(cases):
    assert len({case.id for case in cases}) == len(cases), "case ids must be unique"
    for case in cases:
        assert case.evidence in ("fix commit", "maintainer answer"), case.id
        assert _SHA.match(case.buggy), case.id
        assert case.fix == "" or _SHA.match(case.fix), case.id
        assert case.url.startswith("https://github.com/"), case.id
        assert case.files and case.bug.strip(), case.id
        assert any(expect.version == "buggy" for expect in case.expect), f"{case.id}: no bug in the buggy version"
        for entry in case.expect:
            assert entry.version in case.versions, f"{case.id}: {entry}"
            assert entry.path in case.files, f"{case.id}: {entry.path} is not among the files checked"
            assert entry.code in RULES_BY_CODE and entry.line > 0 and entry.why.strip(), f"{case.id}: {entry}"


def _mirrors_missing(cases) -> list[str]:
    missing = []
    for case in cases:
        try:
            recall.git_dir(MIRRORS, case.repository)
        except recall.MissingCopy:
            missing.append(case.repository)
    return missing


def _outcomes(cases) -> list:
    """Each case checked, where the git copies of all its repositories are at hand (else the test is skipped)."""
    missing = _mirrors_missing(cases)
    if missing:
        pytest.skip(f"no git copies of {len(missing)} recall repositories under {MIRRORS} (docs/recall.md)")
    outcomes = recall.run_all(cases, MIRRORS)
    assert not [outcome.errors for outcome in outcomes if outcome.errors], "bnlint could not analyse a file"
    return outcomes


@pytest.mark.realcode
def test_recall_on_real_bugs_without_false_alarms():
    outcomes = _outcomes(CASES)
    found = sum(len(outcome.found) for outcome in outcomes)
    bugs = found + sum(len(outcome.missed) for outcome in outcomes)
    assert found / bugs >= 0.85, recall.report(outcomes)
    alarms = [
        (outcome.case.id, outcome.version, alarm["path"], alarm["line"], alarm["code"])
        for outcome in outcomes
        for alarm in outcome.false_alarms
    ]
    assert not alarms, "false alarms on real code"


@pytest.mark.realcode
def test_tf2_recall_and_precision_meet_the_issue_targets():
    outcomes = _outcomes(TF2_CASES)
    for row in recall.table(outcomes):
        alarms = sum(row.alarms)
        assert row.bugs == 0 or row.found / row.bugs >= 0.85, recall.report(outcomes)
        assert row.found + alarms == 0 or row.found / (row.found + alarms) >= 0.95, recall.report(outcomes)
