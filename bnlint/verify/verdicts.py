"""Each static finding against what the runtime measured: confirmed, refuted, not measured, or not reached."""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass

from bnlint.diagnostic import Diagnostic
from bnlint.verify.checks import NOTHING_MEASURES, check_of
from bnlint.verify.observations import Measurements, Observation


class Verdict(enum.Enum):
    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    NOT_MEASURED = "not measured"  # the code ran, but no measurement decides the claim
    NOT_REACHED = "not reached"  # the script never built that code before it stopped


_NOT_REACHED = "the script did not build this code before it stopped"
_TRAINING_BY_DESIGN = (
    "every batch norm of the run normalizes with batch statistics and nothing reads the moving ones (no"
    " inference-mode batch norm or mode switch in the graph, no evaluation run): the fixed mode is the script's design"
)


@dataclass(frozen=True)
class Judged:
    diagnostic: Diagnostic
    verdict: Verdict
    evidence: Observation | None
    reason: str = ""  # why a finding is neither confirmed nor refuted


@dataclass(frozen=True)
class RuntimeFinding:
    """A mistake the measurements show that no static finding explains."""

    path: str
    line: int
    observation: Observation


def judge(
    diagnostics: Sequence[Diagnostic], measurements: Measurements, watched: int
) -> tuple[list[Judged], list[RuntimeFinding]]:
    """Each finding's verdict; `watched` is the number of training steps verify was asked to watch."""
    judged = [_judge(diagnostic, measurements, watched) for diagnostic in diagnostics if not diagnostic.is_error]
    # Every mistake a confirmed finding explains, not only the one quoted: several layers built at one helper line
    # are one finding, not one finding and the rest "only the run shows".
    used = {
        id(observation)
        for item in judged
        if item.verdict is Verdict.CONFIRMED
        for observation in measurements.observations
        if observation.mistake and _explains(item.diagnostic, observation)
    } | {id(item.evidence) for item in judged if item.verdict is Verdict.CONFIRMED}
    runtime = [
        RuntimeFinding(observation.report_at[0], observation.report_at[1], observation)
        for observation in measurements.observations
        if observation.mistake
        and not observation.confirms_only
        and observation.report_at is not None
        and id(observation) not in used
    ]
    return judged, _distinct(runtime)


def notes(measurements: Measurements) -> list[RuntimeFinding]:
    """What the run measured that is true but harmless here, with where to say it."""
    return _distinct(
        [
            RuntimeFinding(observation.report_at[0], observation.report_at[1], observation)
            for observation in measurements.observations
            if observation.note and observation.report_at is not None
        ]
    )


def _explains(diagnostic: Diagnostic, observation: Observation) -> bool:
    """Whether a measurement is of the finding's check and was built at the finding's lines (or its mode was set
    there)."""
    lines, path, check = _lines(diagnostic), os.path.abspath(diagnostic.path), check_of(diagnostic.code)
    return (
        check is not None
        and observation.code == check.code
        and any(p == path and line in lines for p, line in observation.frames + observation.set_at)
    )


def _judge(diagnostic: Diagnostic, measurements: Measurements, watched: int) -> Judged:
    check = check_of(diagnostic.code)
    code = check.code if check is not None else None
    lines = _lines(diagnostic)
    path = os.path.abspath(diagnostic.path)
    relevant = [item for item in measurements.observations if item.code == code]
    if diagnostic.code != "BN005":  # BN005's get_collection builds no op: judge it by the file's train op
        relevant = [item for item in relevant if _explains(diagnostic, item)]
    mistakes = [item for item in relevant if item.mistake]
    if mistakes:
        return Judged(diagnostic, Verdict.CONFIRMED, mistakes[0])
    reached = any(p == path and line in lines for p, line in measurements.reached)
    healthy = [item for item in measurements.observations if item.code == code and not item.mistake]
    # A healthy measurement built elsewhere (a train op made by a helper) speaks for a reached finding only when it
    # is the one measurement of its kind: with a GAN's two train ops, one's health says nothing of the other.
    single = len({item.frames for item in healthy}) == 1
    if check is not None and check.refutes and (relevant or (reached and single)):
        return Judged(diagnostic, Verdict.REFUTED, (relevant or healthy)[0])
    if diagnostic.code == "BN001" and relevant and all(item.evidence.get("matches_mode") for item in relevant):
        # Written at a call on data (eager Keras), the literal held for that call only, and was its right mode.
        return Judged(diagnostic, Verdict.REFUTED, relevant[0])
    if diagnostic.code == "BN001" and reached and not measurements.moving_statistics_read:
        return Judged(diagnostic, Verdict.REFUTED, None, _TRAINING_BY_DESIGN)
    if reached or relevant or diagnostic.code == "BN005":
        reason = check.not_measured if check is not None else NOTHING_MEASURES
        return Judged(diagnostic, Verdict.NOT_MEASURED, None, reason + _more_steps(measurements, watched))
    return Judged(diagnostic, Verdict.NOT_REACHED, None, _NOT_REACHED)


def _more_steps(measurements: Measurements, watched: int) -> str:
    """What more steps would do: only a run stopped by verify has later steps to watch."""
    if measurements.mode == "metagraph":
        return ""  # no code ran: the saved graph's structure is all there is
    if measurements.training_steps >= watched:
        return f"; the run was stopped after {watched} training step(s): a larger --steps watches more"
    return f"; the script itself ended after {measurements.training_steps} training step(s)"


def _lines(diagnostic: Diagnostic) -> range:
    """The lines of the call the finding is about: the runtime knows a call by the line Python ran it on."""
    if diagnostic.call_lines is not None:
        return range(diagnostic.call_lines[0], diagnostic.call_lines[1] + 1)
    return range(diagnostic.line, diagnostic.end_line + 1)


def _distinct(findings: list[RuntimeFinding]) -> list[RuntimeFinding]:
    seen: set[tuple[str, int, str]] = set()
    distinct = []
    for finding in findings:
        key = (finding.path, finding.line, finding.observation.code)
        if key not in seen:
            seen.add(key)
            distinct.append(finding)
    return distinct
