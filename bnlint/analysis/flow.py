"""How a function parameter travels to a batch-norm mode or a reuse flag, through calls of other functions.

A parameter that reaches a sink makes its function a wrapper of that sink. The flow follows positional and
keyword arguments through any number of module functions, methods, closures and lambdas, and keeps the branch
conditions on the way (`if with_bn: x = bn(x, train_flag)`) so a caller can tell whether the sink is reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import libcst as cst

from bnlint.analysis.arguments import ArgumentRef
from bnlint.analysis.calls import CallGraph, UserCall
from bnlint.analysis.resolver import Resolver, literal_value
from bnlint.analysis.syntax import CallSite, ConditionKind, FunctionInfo, Scope
from bnlint.analysis.values import DYNAMIC, Flag, Literal, Parameter

_UNDECIDED = object()


@dataclass(frozen=True)
class Guard:
    """The sink is reached only when `test` has truth value `polarity`.

    `substitutions` maps parameters to the flags their callers pass, one level per call on the way, so that a
    guard written in terms of `with_bn` can be decided at a call that passes `with_bn=True`.
    """

    test: cst.BaseExpression
    polarity: bool
    scope: Scope
    order: int
    substitutions: Mapping[tuple[FunctionInfo, str], Flag] = field(default_factory=dict, compare=False)

    def with_substitutions(self, extra: Mapping[tuple[FunctionInfo, str], Flag]) -> Guard:
        return Guard(self.test, self.polarity, self.scope, self.order, {**self.substitutions, **extra})


@dataclass(frozen=True)
class Reach:
    """Parameter `param` of `function` flows into `sink` when all `guards` hold."""

    function: FunctionInfo
    param: str
    sink: object
    guards: tuple[Guard, ...]


def guards_at(site: CallSite) -> tuple[Guard, ...]:
    """The Python branch conditions around a call, within its function."""
    return tuple(
        Guard(condition.test, condition.polarity, site.scope, site.order)
        for condition in site.context.conditions
        if condition.kind is not ConditionKind.CALL_ARGUMENT and condition.test is not None
    )


class Flows:
    def __init__(self, resolver: Resolver, calls: CallGraph) -> None:
        self._resolver = resolver
        self._calls = calls
        self._parameter_flags: dict[CallSite, dict[tuple[FunctionInfo, str], Flag]] = {}

    def propagate(self, direct: Iterable[Reach]) -> dict[tuple[FunctionInfo, str], list[Reach]]:
        """Every (function, parameter) that reaches a sink, directly or through calls of other functions."""
        reaches: dict[tuple[FunctionInfo, str], list[Reach]] = {}
        seen: set[tuple[FunctionInfo, str, int]] = set()
        work = list(direct)
        while work:
            reach = work.pop()
            key = (reach.function, reach.param, id(reach.sink))
            if key in seen:
                continue
            seen.add(key)
            reaches.setdefault((reach.function, reach.param), []).append(reach)
            for call in self._calls.calls_of.get(reach.function, ()):
                outer = self._through(call, reach)
                if outer is not None:
                    work.append(outer)
        return reaches

    def _through(self, call: UserCall, reach: Reach) -> Reach | None:
        argument = call.bound.get(reach.param)
        if not isinstance(argument, ArgumentRef):
            return None
        flag = self._resolver.flag(argument.value, argument.scope, argument.order)
        if not isinstance(flag, Parameter):
            return None
        substitutions = self.parameter_flags(call)
        guards = tuple(guard.with_substitutions(substitutions) for guard in reach.guards) + guards_at(call.site)
        return Reach(flag.function, flag.name, reach.sink, guards)

    def parameter_flags(self, call: UserCall) -> dict[tuple[FunctionInfo, str], Flag]:
        """What the call passes for each parameter of the called function, defaults included."""
        if call.site not in self._parameter_flags:
            self._parameter_flags[call.site] = {
                (call.function, name): self.argument_flag(call.function, name, argument)
                for name, argument in call.bound.items()
            }
        return self._parameter_flags[call.site]

    def argument_flag(self, function: FunctionInfo, name: str, argument: object) -> Flag:
        if isinstance(argument, ArgumentRef):
            return self._resolver.flag(argument.value, argument.scope, argument.order)
        param = function.param(name)
        if argument is None and param is not None and param.default is not None:
            return self._resolver.flag(param.default, function.scope.parent or function.scope)
        return DYNAMIC

    def guard_holds(self, guard: Guard, substitutions: Mapping[tuple[FunctionInfo, str], Flag]) -> bool | None:
        """True/False when the call decides the guard, None when it cannot be told."""
        lookup = {**guard.substitutions, **substitutions}
        value = self._truth(guard.test, guard.scope, guard.order, lookup)
        if value is _UNDECIDED:
            return None
        return bool(value) == guard.polarity

    def _truth(
        self,
        node: cst.BaseExpression,
        scope: Scope,
        order: int,
        lookup: Mapping[tuple[FunctionInfo, str], Flag],
    ) -> object:
        is_literal, value = literal_value(node)
        if is_literal:
            return value
        if isinstance(node, cst.Name):
            return self._name_truth(self._resolver.flag(node, scope, order), lookup)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            inner = self._truth(node.expression, scope, order, lookup)
            return _UNDECIDED if inner is _UNDECIDED else not inner
        if isinstance(node, cst.BooleanOperation):
            return self._boolean(node, scope, order, lookup)
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            left = self._truth(node.left, scope, order, lookup)
            target = node.comparisons[0]
            right = self._truth(target.comparator, scope, order, lookup)
            if left is _UNDECIDED or right is _UNDECIDED:
                return _UNDECIDED
            return _compare(target.operator, left, right)
        return _UNDECIDED

    def _name_truth(self, flag: Flag, lookup: Mapping[tuple[FunctionInfo, str], Flag]) -> object:
        for _ in range(64):
            if isinstance(flag, Literal):
                return flag.value
            if not isinstance(flag, Parameter):
                return _UNDECIDED
            next_flag = lookup.get((flag.function, flag.name))
            if next_flag is None:
                return _UNDECIDED
            flag = next_flag
        return _UNDECIDED

    def _boolean(
        self,
        node: cst.BooleanOperation,
        scope: Scope,
        order: int,
        lookup: Mapping[tuple[FunctionInfo, str], Flag],
    ) -> object:
        left = self._truth(node.left, scope, order, lookup)
        is_and = isinstance(node.operator, cst.And)
        if left is not _UNDECIDED and bool(left) != is_and:
            return left  # `False and ...` / `True or ...`
        right = self._truth(node.right, scope, order, lookup)
        if left is _UNDECIDED:
            return right if right is not _UNDECIDED and bool(right) != is_and else _UNDECIDED
        return right


def _compare(operator: cst.BaseCompOp, left: object, right: object) -> object:
    if isinstance(operator, cst.Is):
        return left is right
    if isinstance(operator, cst.IsNot):
        return left is not right
    if isinstance(operator, cst.Equal):
        return left == right
    if isinstance(operator, cst.NotEqual):
        return left != right
    return _UNDECIDED
