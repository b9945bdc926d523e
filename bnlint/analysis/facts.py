"""Everything the rules may ask about one module, each part computed once and only when a rule asks."""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.batchnorm import BatchNormUse, ModeArgument, find_batch_norm_uses
from bnlint.analysis.calls import CallGraph
from bnlint.analysis.contexts import Contexts, FrameKind
from bnlint.analysis.dataflow import ExpressionParts, ResultUses
from bnlint.analysis.flow import Flows, Reach, guards_at
from bnlint.analysis.resolver import Resolver
from bnlint.analysis.syntax import CallSite, ConditionKind, FunctionInfo, ModuleSyntax
from bnlint.analysis.towers import TowerPair, TowerPairs, Towers
from bnlint.analysis.training import TrainOps
from bnlint.analysis.values import External, Parameter


class ModuleFacts:
    def __init__(self, syntax: ModuleSyntax) -> None:
        self.syntax = syntax
        self.resolver = Resolver(syntax)

    @cached_property
    def calls(self) -> CallGraph:
        return CallGraph(self.syntax, self.resolver)

    @cached_property
    def contexts(self) -> Contexts:
        return Contexts(self.resolver)

    @cached_property
    def flows(self) -> Flows:
        return Flows(self.resolver, self.calls)

    @cached_property
    def expression_parts(self) -> ExpressionParts:
        return ExpressionParts()

    @cached_property
    def result_uses(self) -> ResultUses:
        return ResultUses(self.expression_parts, self.syntax.calls)

    @cached_property
    def enclosing(self) -> dict[CallSite, FunctionInfo | None]:
        """For each call, the named function whose run executes it (None: module level).

        A lambda counts as part of the function that writes it: `tf.cond` and friends run their lambdas in place.
        """
        return {site: _named_function(site.function) for site in self.syntax.calls}

    @cached_property
    def sites_of(self) -> dict[FunctionInfo | None, list[CallSite]]:
        sites: dict[FunctionInfo | None, list[CallSite]] = {}
        for site, function in self.enclosing.items():
            sites.setdefault(function, []).append(site)
        return sites

    @cached_property
    def batch_norm_uses(self) -> list[BatchNormUse]:
        return find_batch_norm_uses(self.syntax, self.resolver, self.calls, self.contexts)

    @cached_property
    def mode_wrappers(self) -> dict[tuple[FunctionInfo, str], list[Reach]]:
        """Parameters that reach a batch-norm mode, with the uses they reach."""
        direct = [
            Reach(use.mode.flag.function, use.mode.flag.name, use, guards_at(use.site))
            for use in self.batch_norm_uses
            if isinstance(use.mode, ModeArgument) and isinstance(use.mode.flag, Parameter)
        ]
        return self.flows.propagate(direct)

    @cached_property
    def train_ops(self) -> TrainOps:
        return TrainOps(
            self.resolver, self.calls, self.contexts, self.expression_parts, self.result_uses, self.enclosing
        )

    @cached_property
    def towers(self) -> Towers:
        return Towers(self.resolver, self.calls, self.contexts, self.flows, self.enclosing, self.sites_of)

    @cached_property
    def tower_pairs(self) -> list[TowerPair]:
        mode_params: dict[FunctionInfo, set[str]] = {}
        for function, param in self.mode_wrappers:
            mode_params.setdefault(function, set()).add(param)
        finder = TowerPairs(
            self.towers,
            self.contexts,
            self.flows,
            self.result_uses,
            mode_params,
            self.enclosing,
            self.sites_of,
            self.resolver,
        )
        return finder.find(self.calls)

    @cached_property
    def test_code(self) -> list[cst.CSTNode]:
        """Unit tests, which build batch norm in a fixed mode on purpose: `TestCase` classes, pytest functions."""
        nodes: list[cst.CSTNode] = [
            cls.node
            for cls in self.syntax.classes
            if any(name.endswith("TestCase") for name in self.resolver.external_bases(cls))
        ]
        if "pytest" in self.syntax.scope.bindings:
            nodes += [
                function.node
                for function in self.syntax.functions
                if function.name.startswith("test") and function.scope.parent is self.syntax.scope
            ]
        return nodes

    def in_complementary_branches(self, first: CallSite, second: CallSite) -> bool:
        """Whether the two calls sit in opposite branches of one condition (`if`/`else`, `tf.cond`)."""
        for condition in first.context.conditions:
            for other in second.context.conditions:
                if condition.owner is not other.owner:
                    continue
                if condition.kind is ConditionKind.CALL_ARGUMENT:
                    if condition.index != other.index and self._is_conditional_call(condition.owner):
                        return True
                elif condition.polarity != other.polarity:
                    return True
        return False

    def _is_conditional_call(self, call: cst.CSTNode) -> bool:
        site = self.calls.call_at.get(call) if isinstance(call, cst.Call) else None
        callee = self.calls.callee.get(site) if site is not None else None
        return isinstance(callee, External) and callee.name in catalogue.CONDITIONALS

    @cached_property
    def functions_run_outside_arg_scope(self) -> set[FunctionInfo]:
        """Functions that some chain of calls from module level reaches with no arg scope around any link.

        tf-slim's arg_scope is dynamic: a caller may supply `is_training` to every batch norm below it. A function
        this module never calls, or calls only under an arg scope (or a context manager bnlint cannot see
        into), may get its mode that way, so it is not in this set.
        """
        reached: set[FunctionInfo] = set()
        changed = True
        while changed:
            changed = False
            for call in self.calls.user_calls:
                if call.function in reached or self._may_supply_arguments(call.site):
                    continue
                caller = self.enclosing[call.site]
                if caller is None or caller in reached:
                    reached.add(call.function)
                    changed = True
        return reached

    def runs_outside_arg_scope(self, site: CallSite) -> bool:
        if self._may_supply_arguments(site):
            return False
        function = self.enclosing[site]
        return function is None or function in self.functions_run_outside_arg_scope

    def _may_supply_arguments(self, site: CallSite) -> bool:
        return any(
            frame.kind in (FrameKind.ARG_SCOPE, FrameKind.UNKNOWN) for frame in self.contexts.frames(site.context.withs)
        )


def _named_function(function: FunctionInfo | None) -> FunctionInfo | None:
    while function is not None and isinstance(function.node, cst.Lambda):
        parent = function.scope.parent
        function = parent.nearest_function if parent is not None else None
    return function
