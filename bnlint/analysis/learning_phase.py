"""Keras 2's learning phase: where a module sets it (`set_learning_phase`, `learning_phase_scope`) and where it
reads it to choose a mode (`training=K.learning_phase()`, `if K.learning_phase() == 1`). Keras 3 has none of it.

Names resolve as the analysis resolves every name (`from keras import backend as K`, `tf.keras.backend`,
`tf.compat.v1.keras.backend`, `tf_keras.backend`, a star import of the backend); all spell one API.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.calls import CallGraph
from bnlint.analysis.resolver import Resolver, literal_value
from bnlint.analysis.syntax import CallSite, ModuleSyntax
from bnlint.analysis.values import CallResult, External
from bnlint.analysis.walk import nodes_below

# The keyword through which a Keras layer or model call, or `K.in_train_phase`, takes its mode.
_MODE_KEYWORD = "training"
# `K.switch(condition, then, else)`: a condition on the learning phase picks the branch.
_SWITCH = "keras.backend.switch"


class PhaseApi(enum.Enum):
    SET = "set_learning_phase"
    SCOPE = "learning_phase_scope"
    READ = "learning_phase"


_API_OF = {
    catalogue.SET_LEARNING_PHASE: PhaseApi.SET,
    catalogue.LEARNING_PHASE_SCOPE: PhaseApi.SCOPE,
    catalogue.LEARNING_PHASE: PhaseApi.READ,
}


@dataclass(frozen=True)
class PhaseCall:
    """A call of the learning-phase API."""

    api: PhaseApi
    site: CallSite
    # SET / SCOPE: whether a literal phase is given, and which (1 / True: training, 0 / False: inference).
    literal: bool
    value: object


class ReadUse(enum.Enum):
    MODE_ARGUMENT = "mode argument"  # `layer(x, training=K.learning_phase())`, through variables too
    COMPARED = "compared"  # `K.learning_phase() == 1`, `if K.learning_phase():`, `K.switch(K.learning_phase(), ...)`


@dataclass(frozen=True)
class ModeRead:
    """A read of the learning phase that chooses a mode. Reads that feed it instead (a feed dict's key, an input
    of `K.function`) or only pass it on are not mode choices: the mode is then given per run."""

    read: PhaseCall
    use: ReadUse
    node: cst.CSTNode  # the `training=` argument, the comparison or the test
    site: CallSite  # the call that takes the mode; the read itself where it is compared


class LearningPhase:
    def __init__(self, syntax: ModuleSyntax, resolver: Resolver, calls: CallGraph) -> None:
        self._syntax = syntax
        self._resolver = resolver
        self._calls = calls

    @cached_property
    def calls(self) -> list[PhaseCall]:
        found = []
        for call in self._calls.api_calls:
            api = _API_OF.get(call.name)
            if api is None:
                continue
            args = call.site.node.args
            literal, value = literal_value(args[0].value) if args and not args[0].star else (False, None)
            found.append(PhaseCall(api, call.site, literal, value))
        return found

    @cached_property
    def mode_reads(self) -> list[ModeRead]:
        reads = {call.site.node: call for call in self.calls if call.api is PhaseApi.READ}
        if not reads:
            return []
        return [*self._mode_arguments(), *self._comparisons(reads)]

    def _mode_arguments(self) -> list[ModeRead]:
        found = []
        for site in self._syntax.calls:
            for arg in site.node.args:
                if arg.keyword is None or arg.keyword.value != _MODE_KEYWORD:
                    continue
                read = self._read_in(self._resolver.resolve(arg.value, site.scope, site.order))
                if read is not None:
                    found.append(ModeRead(read, ReadUse.MODE_ARGUMENT, arg, site))
        return found

    def _read_in(self, value: object) -> PhaseCall | None:
        if not isinstance(value, CallResult) or value.api != catalogue.LEARNING_PHASE:
            return None
        site = self._calls.call_at.get(value.call)
        return next((call for call in self.calls if call.site is site), None)

    def _comparisons(self, reads: dict[cst.Call, PhaseCall]) -> list[ModeRead]:
        """Tests on the phase written where it is read: walked only in modules that read it."""
        found = []
        for node in nodes_below(self._syntax.module):
            for tested in _tested(node, self._is_switch):
                read = reads.get(tested) if isinstance(tested, cst.Call) else None
                if read is not None:
                    found.append(ModeRead(read, ReadUse.COMPARED, node, read.site))
        return found

    def _is_switch(self, call: cst.Call) -> bool:
        site = self._calls.call_at.get(call)
        return site is not None and self._calls.callee.get(site) == External(_SWITCH)


def _tested(node: cst.CSTNode, is_switch: Callable[[cst.Call], bool]) -> list[cst.BaseExpression]:
    """The expressions whose truth or value the node tests."""
    if isinstance(node, cst.Comparison):
        return [node.left, *(target.comparator for target in node.comparisons)]
    if isinstance(node, (cst.If, cst.While, cst.IfExp)):
        return [node.test]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return [node.expression]
    if isinstance(node, cst.Call) and node.args and is_switch(node):
        return [node.args[0].value]
    return []
