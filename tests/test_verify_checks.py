"""The table of runtime checks (bnlint.verify.checks) and the verdicts derived from it, without running TensorFlow."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from bnlint.diagnostic import Diagnostic
from bnlint.rules import ALL_RULES
from bnlint.verify.checks import RUNTIME_CHECKS, check_of, checks_markdown
from bnlint.verify.command import child_environment
from bnlint.verify.observations import Measurements, Observation, Status
from bnlint.verify.verdicts import Verdict, judge

PATH = os.path.abspath("train.py")
# The rules about the code (BN910, an unused noqa, is about the comments).
CODE_RULES = [rule.code for rule in ALL_RULES if rule.code < "BN100"]


def test_every_static_rule_is_judged_by_one_runtime_check():
    assert [check.code for check in RUNTIME_CHECKS] == ["BN101", "BN102", "BN103", "BN104", "BN105"]
    judged = [rule for check in RUNTIME_CHECKS for rule in check.confirms]
    assert sorted(judged) == CODE_RULES  # each once
    assert check_of("BN002").code == check_of("BN005").code == "BN101"
    assert check_of("BN910") is None


def test_the_markdown_table_has_a_row_per_check():
    lines = checks_markdown().splitlines()
    assert lines[:2] == ["| Code | Name | What the run measured | Confirms |", "|---|---|---|---|"]
    assert [line.split(" | ")[0] for line in lines[2:]] == [f"| {check.code}" for check in RUNTIME_CHECKS]
    assert lines[2].endswith("| BN002, BN005 |") and lines[5].endswith("| shown on its own |")


def _finding(code: str) -> Diagnostic:
    return Diagnostic(PATH, 3, 1, 3, 10, code, "a finding")


def _measured(*observations: Observation) -> Measurements:
    return Measurements(Status.MEASURED, reached=[(PATH, 3)], observations=list(observations), training_steps=5)


@pytest.mark.parametrize("rule", CODE_RULES)
def test_a_healthy_measurement_refutes_only_where_the_check_says_so(rule):
    check = check_of(rule)
    healthy = Observation(check.code, False, "healthy", ((PATH, 3),), evidence={"matches_mode": 0})
    (item,), runtime = judge([_finding(rule)], _measured(healthy), watched=5)
    assert item.verdict is (Verdict.REFUTED if check.refutes else Verdict.NOT_MEASURED)
    assert runtime == []
    if not check.refutes:
        assert item.reason.startswith(check.not_measured)


@pytest.mark.parametrize("rule", CODE_RULES)
def test_a_mistake_of_the_rules_check_confirms_it_and_is_not_reported_again(rule):
    mistake = Observation(check_of(rule).code, True, "a mistake", ((PATH, 3),), report_at=(PATH, 3))
    other = next(check for check in RUNTIME_CHECKS if check is not check_of(rule) and check.confirms)
    unexplained = Observation(other.code, True, "another mistake", ((PATH, 9),), report_at=(PATH, 9))
    (item,), runtime = judge([_finding(rule)], _measured(mistake, unexplained), watched=5)
    assert (item.verdict, item.evidence) == (Verdict.CONFIRMED, mistake)
    assert [finding.observation for finding in runtime] == [unexplained]


def test_a_mode_set_away_from_the_layers_confirms_the_finding_at_its_setter():
    # set_learning_phase(1) at line 3; the layers ran in that phase at an evaluation on line 12.
    mistake = Observation("BN102", True, "training mode", ((PATH, 12),), report_at=(PATH, 12), set_at=((PATH, 3),))
    (item,), runtime = judge([_finding("BN009")], _measured(mistake), watched=5)
    assert (item.verdict, item.evidence) == (Verdict.CONFIRMED, mistake)
    assert runtime == []  # the finding at the setter explains the evaluation's measurement
    (item,), runtime = judge([_finding("BN009")], _measured(replace(mistake, set_at=())), watched=5)
    assert item.verdict is Verdict.NOT_MEASURED and [finding.line for finding in runtime] == [12]


def test_where_a_mode_was_set_survives_the_trip_from_the_child():
    observation = Observation("BN102", True, "training mode", ((PATH, 12),), report_at=(PATH, 12), set_at=((PATH, 3),))
    sent = Measurements(Status.MEASURED, observations=[observation], training_steps=5)
    assert Measurements.from_json(sent.to_json()).observations == [observation]


@pytest.mark.parametrize(
    ("mode", "keras", "legacy"), [("eager", 3, None), ("eager", 2, "1"), ("graph", 3, "1"), ("graph", 2, "1")]
)
def test_the_script_runs_under_the_keras_the_analysis_assumed(mode, keras, legacy):
    # A user's own TF_USE_LEGACY_KERAS=1 does not decide it: the findings were made for `keras`.
    environment = child_environment({"TF_USE_LEGACY_KERAS": "1", "HOME": "/home/user"}, mode, keras)
    assert environment.get("TF_USE_LEGACY_KERAS") == legacy
    assert environment["HOME"] == "/home/user"
