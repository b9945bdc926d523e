"""The runtime checks of `bnlint verify`, BN101 to BN105, in one table: the measurements name their check from it,
the verdicts (which static finding a measurement confirms or refutes) and the documentation derive from it.

Plain data, no TensorFlow import: the parent process judges with it, the child measures with it.
"""

from __future__ import annotations

from dataclasses import dataclass


NOTHING_MEASURES = "nothing in the watched steps measures it"


@dataclass(frozen=True)
class RuntimeCheck:
    code: str
    name: str
    measures: str  # what the run measured, in Markdown: the documentation's table
    confirms: tuple[str, ...]  # the static rules whose findings this check judges; none: shown on its own
    # Whether a healthy measurement contradicts the static claim. A mode that is right in training may still be
    # wrong in evaluation, so BN102 never refutes: its findings are confirmed or left not measured.
    refutes: bool
    # Why a finding this check judges is not measured when the run reached its code but decided nothing.
    not_measured: str = NOTHING_MEASURES


UPDATES_NOT_RUN = RuntimeCheck(
    "BN101",
    "moving-statistics-not-updated",
    "the training step does not run the `UPDATE_OPS` (inputs and control inputs walked), and the moving mean /"
    " variance are unchanged after a step, while no other training op updates them. Only where something reads them"
    " (an inference-mode batch norm or mode switch, a `Saver`, an evaluation run); otherwise it is printed as a"
    " `note:`",
    ("BN002", "BN005"),
    refutes=True,
    not_measured="no train op built here ran in the watched steps while training a batch-norm layer (one that trains"
    " none has no update ops of its own to run: the layers it runs are judged at the train op that trains them)",
)
WRONG_MODE = RuntimeCheck(
    "BN102",
    "batch-norm-in-wrong-mode",
    "a batch-norm layer always in inference mode while the step trains its gamma/beta (moving statistics"
    " unchanged); an evaluation that runs it in training mode (its outputs depend on the rest of the batch, and it"
    " moves the moving statistics); a constant mode built into a functional model that the training steps override"
    " (Keras 3); the learning phase's setter where a layer ran in the phase it set",
    ("BN001", "BN004", "BN007", "BN008", "BN009", "BN010"),
    refutes=False,
    not_measured="no run in the watched steps shows this layer's mode in use (an evaluation through it would)",
)
TOWER_NOT_SHARED = RuntimeCheck(
    "BN103",
    "tower-runs-initial-weights",
    "trainable variables the step never changes while same-shaped twins are trained: a second tower running its"
    " initial weights",
    ("BN003",),
    refutes=True,
)
EVALUATION_MISMATCH = RuntimeCheck(
    "BN104",
    "evaluation-statistics-mismatch",
    "an evaluation whose batch variance is more than 10x the moving variance of a layer: the train-versus-validation"
    " gap itself (the fixed example measures 1.29, the buggy one 22306)",
    (),
    refutes=False,
)
SAVER_DROPS_STATISTICS = RuntimeCheck(
    "BN105",
    "saver-drops-moving-statistics",
    "a `Saver` whose variable list leaves out moving statistics",
    ("BN006",),
    refutes=True,
)

RUNTIME_CHECKS = (UPDATES_NOT_RUN, WRONG_MODE, TOWER_NOT_SHARED, EVALUATION_MISMATCH, SAVER_DROPS_STATISTICS)
# The check that measures each static rule's claim.
_BY_RULE = {rule: check for check in RUNTIME_CHECKS for rule in check.confirms}


def check_of(rule: str) -> RuntimeCheck | None:
    """The runtime check that judges a static rule's findings; None for a code no check measures."""
    return _BY_RULE.get(rule)


def checks_markdown() -> str:
    """The documentation's table of the runtime checks."""
    rows = [
        "| Code | Name | What the run measured | Confirms |",
        "|---|---|---|---|",
        *(
            f"| {check.code} | `{check.name}` | {check.measures} | {', '.join(check.confirms) or 'shown on its own'} |"
            for check in RUNTIME_CHECKS
        ),
    ]
    return "\n".join(rows) + "\n"
