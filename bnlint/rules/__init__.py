"""The rules, one module each. Adding a rule means adding its module here and its fixtures."""

from __future__ import annotations

from bnlint.analysis.screen import Apis
from bnlint.rules.base import Finding, Rule
from bnlint.rules.bn001_constant_mode import ConstantBatchNormMode
from bnlint.rules.bn002_train_op_without_update_ops import TrainOpWithoutUpdateOps
from bnlint.rules.bn003_second_tower_without_reuse import SecondTowerWithoutReuse
from bnlint.rules.bn004_missing_mode import MissingBatchNormMode
from bnlint.rules.bn005_update_ops_read_too_early import UpdateOpsReadTooEarly
from bnlint.rules.bn006_checkpoint_drops_moving_statistics import CheckpointDropsMovingStatistics
from bnlint.rules.bn910_unused_noqa import UnusedNoqa
from bnlint.selection import Selection

ALL_RULES: tuple[type[Rule], ...] = (
    ConstantBatchNormMode,
    TrainOpWithoutUpdateOps,
    SecondTowerWithoutReuse,
    MissingBatchNormMode,
    UpdateOpsReadTooEarly,
    CheckpointDropsMovingStatistics,
    UnusedNoqa,
)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}


def selected_rules(selection: Selection) -> list[type[Rule]]:
    return [rule for rule in ALL_RULES if selection.selects(rule.code)]


def screened_apis() -> Apis:
    """What the screen looks for: the APIs every rule needs. Every rule's, not a run's selection: one project's
    screen serves all its runs (an editor's, flake8's) and the analysis of other modules' classes, whatever rules
    they select."""
    return Apis.of(name for rule in ALL_RULES for name in rule.needs)


__all__ = ["ALL_RULES", "RULES_BY_CODE", "Finding", "Rule", "screened_apis", "selected_rules"]
