"""How a function parameter travels to a batch-norm mode or a reuse flag, through calls of other functions.

A parameter that reaches a sink makes its function a wrapper of that sink. The flow follows positional and
keyword arguments through any number of module functions, methods, closures and lambdas, and keeps the branch
conditions on the way (`if with_bn: x = bn(x, train_flag)`) so a caller can tell whether the sink is reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import libcst as cst

from bnlint.analysis.arguments import ArgumentRef, Found, forwarded_slots, slot_argument
from bnlint.analysis.calls import CallGraph, UserCall
from bnlint.analysis.resolver import Resolver, literal_value
from bnlint.analysis.syntax import CallSite, ConditionKind, FunctionInfo, ParamKind, Scope
from bnlint.analysis.values import Dynamic, Flag, Literal, Parameter, Unknown


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
    """A slot of `function` flows into `sink` when all `guards` hold.

    `slots` are the ways a caller passes the value: a parameter name, and where the function forwards its
    `*args` / `**kwargs` on, `*i` / `**name` (the first one a call fills wins). `default` names the parameter
    whose default applies when a call fills none of them.
    """

    function: FunctionInfo
    slots: tuple[str, ...]
    sink: object
    guards: tuple[Guard, ...]
    default: tuple[FunctionInfo, str]


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

    def propagate(self, direct: Iterable[Reach]) -> dict[tuple[FunctionInfo, tuple[str, ...]], list[Reach]]:
        """Every (function, slots) that reaches a sink, directly or through calls in this module."""
        reaches: dict[tuple[FunctionInfo, tuple[str, ...]], list[Reach]] = {}
        seen: set[tuple[FunctionInfo, tuple[str, ...], int]] = set()
        work = list(direct)
        while work:
            reach = work.pop()
            key = (reach.function, reach.slots, id(reach.sink))
            if key in seen:
                continue
            seen.add(key)
            reaches.setdefault((reach.function, reach.slots), []).append(reach)
            for call in self._calls.calls_of.get(reach.function, ()):
                outer = self._through(call, reach)
                if outer is not None:
                    work.append(outer)
        return reaches

    def slot_argument(self, call: UserCall, slots: tuple[str, ...]) -> Found:
        """What a call passes for a reach's slots: the first filled one, UNKNOWABLE, or None when it fills none."""
        unknowable = False
        for slot in slots:
            found = slot_argument(call.function, call.arguments, call.implicit, call.bound, slot)
            if isinstance(found, ArgumentRef):
                return found
            unknowable = unknowable or found is Unknown.UNKNOWABLE
        return Unknown.UNKNOWABLE if unknowable else None

    def _through(self, call: UserCall, reach: Reach) -> Reach | None:
        caller = call.site.function
        argument = self.slot_argument(call, reach.slots)
        guards = tuple(guard.with_substitutions(self.parameter_flags(call)) for guard in reach.guards)
        guards += guards_at(call.site)
        if isinstance(argument, ArgumentRef):
            flag = self._resolver.flag(argument.value, argument.scope, argument.order)
            if not isinstance(flag, Parameter):
                return None
            return Reach(flag.function, (flag.name,), reach.sink, guards, (flag.function, flag.name))
        if argument is Unknown.UNKNOWABLE and caller is not None:
            slots = self._forwarded(call, caller, reach.slots)
            if slots:
                return Reach(caller, slots, reach.sink, guards, reach.default)
        return None

    def _forwarded(self, call: UserCall, caller: FunctionInfo, slots: tuple[str, ...]) -> tuple[str, ...]:
        """The caller's `*args` / `**kwargs` slots through which the call forwards the callee's slots."""
        forwarded: list[str] = []
        for slot in slots:
            if slot.startswith("**"):
                index, keyword = None, slot[2:]
            elif slot.startswith("*"):
                index, keyword = int(slot[1:]) + _named_positionals(call), None
            else:
                param = call.function.param(slot)
                index = param.index - call.implicit if param is not None and param.index is not None else None
                keyword = slot
            forwarded += forwarded_slots(caller, call.arguments, index, keyword)
        return tuple(dict.fromkeys(forwarded))

    def parameter_flags(self, call: UserCall) -> dict[tuple[FunctionInfo, str], Flag]:
        """What the call passes for each parameter of the called function, defaults included."""
        if call.site not in self._parameter_flags:
            self._parameter_flags[call.site] = {
                (call.function, name): self.argument_flag(call.function, name, argument)
                for name, argument in call.bound.items()
            }
        return self._parameter_flags[call.site]

    def default_flag(self, default: tuple[FunctionInfo, str]) -> Flag:
        """The flag a parameter's default gives."""
        function, name = default
        return self.argument_flag(function, name, None)

    def argument_flag(self, function: FunctionInfo, name: str, argument: object) -> Flag:
        if isinstance(argument, ArgumentRef):
            return self._resolver.flag(argument.value, argument.scope, argument.order)
        param = function.param(name)
        if argument is None and param is not None and param.default is not None:
            return self._resolver.flag(param.default, function.scope.parent or function.scope)
        return Unknown.DYNAMIC

    def guard_holds(self, guard: Guard, substitutions: Mapping[tuple[FunctionInfo, str], Flag]) -> bool | Dynamic:
        """True/False when the call decides the guard, Unknown.DYNAMIC when it cannot be told."""
        lookup = {**guard.substitutions, **substitutions}
        value = self._truth(guard.test, guard.scope, guard.order, lookup)
        if value is Unknown.DYNAMIC:
            return Unknown.DYNAMIC
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
            return Unknown.DYNAMIC if inner is Unknown.DYNAMIC else not inner
        if isinstance(node, cst.BooleanOperation):
            return self._boolean(node, scope, order, lookup)
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            left = self._truth(node.left, scope, order, lookup)
            target = node.comparisons[0]
            right = self._truth(target.comparator, scope, order, lookup)
            if left is Unknown.DYNAMIC or right is Unknown.DYNAMIC:
                return Unknown.DYNAMIC
            return _compare(target.operator, left, right)
        return Unknown.DYNAMIC

    def _name_truth(self, flag: Flag, lookup: Mapping[tuple[FunctionInfo, str], Flag]) -> object:
        for _ in range(64):
            if isinstance(flag, Literal):
                return flag.value
            if not isinstance(flag, Parameter):
                return Unknown.DYNAMIC
            next_flag = lookup.get((flag.function, flag.name))
            if next_flag is None:
                return Unknown.DYNAMIC
            flag = next_flag
        return Unknown.DYNAMIC

    def _boolean(
        self,
        node: cst.BooleanOperation,
        scope: Scope,
        order: int,
        lookup: Mapping[tuple[FunctionInfo, str], Flag],
    ) -> object:
        left = self._truth(node.left, scope, order, lookup)
        is_and = isinstance(node.operator, cst.And)
        if left is not Unknown.DYNAMIC and bool(left) != is_and:
            return left  # `False and ...` / `True or ...`
        right = self._truth(node.right, scope, order, lookup)
        if left is Unknown.DYNAMIC:
            return right if right is not Unknown.DYNAMIC and bool(right) != is_and else Unknown.DYNAMIC
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
    return Unknown.DYNAMIC


def _named_positionals(call: UserCall) -> int:
    """How many positional arguments of the call fill named parameters (the rest land in `*args`)."""
    return sum(1 for param in call.function.params if param.kind is ParamKind.POSITIONAL) - call.implicit
