"""Train ops built by TF1 optimizers, and whether the batch-norm update ops run with them."""

from __future__ import annotations

import enum
from collections.abc import Generator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, find_argument
from bnlint.analysis.calls import UserCall
from bnlint.analysis.contexts import Frame, FrameKind
from bnlint.analysis.fixpoint import Memo, PrefixAny
from bnlint.analysis.resolver import literal_value
from bnlint.analysis.syntax import Binding, BindingKind, CallSite, FunctionInfo, Scope
from bnlint.analysis.values import CallResult, External, Literal, Member, Value, from_framework

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts


class Taint(enum.IntEnum):
    """How an expression relates to the UPDATE_OPS collection; combining two takes the larger."""

    NONE = 0
    UNKNOWN = 1  # a parameter, an attribute, the result of our own function: it might hold the update ops
    UPDATE_OPS = 2


# The taint of each parameter of the functions being entered, as hashable pairs.
_Env = frozenset[tuple[tuple[FunctionInfo, str], Taint]]


@dataclass(frozen=True)
class TrainOp:
    site: CallSite
    label: str  # `minimize()`, `apply_gradients()`, or the helper of another module that returns the op
    gradients: ArgumentRef | None  # the loss or the gradients the op is built from


class TrainOps:
    def __init__(self, facts: ModuleFacts) -> None:
        self._facts = facts
        self._resolver = facts.resolver
        self._calls = facts.calls
        self._contexts = facts.contexts
        self._parts = facts.expression_parts
        self._results = facts.result_uses
        self._enclosing = facts.enclosing
        # A binding met again while it is evaluated (a cycle) adds nothing.
        self._binding_taints: Memo[tuple[Binding, _Env], Taint] = Memo(Taint.NONE)
        self._entered: list[FunctionInfo] = []
        self._dependent_bindings: Memo[Binding, bool] = Memo(False)
        self._dependent_prefixes: PrefixAny[Binding] = PrefixAny()
        self.grouping_sites = [site for site in self._calls.callee if self._groups_update_ops(site)]

    # -- what is a train op ----------------------------------------------------------------------------------

    @cached_property
    def train_ops(self) -> list[TrainOp]:
        """Optimizer calls of this module, and calls of other modules' helpers that return a bare train op."""
        ops = [op for site, callee in self._calls.callee.items() if (op := self._train_op(site, callee))]
        for call in self._calls.user_calls:
            owner = self._facts.facts_for(call.function)
            if owner is not self._facts and owner.train_ops.returns_bare_train_op(call.function):
                ops.append(TrainOp(call.site, f"{call.label}()", None))
        return ops

    def _train_op(self, site: CallSite, callee: Value) -> TrainOp | None:
        func = site.node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in catalogue.OPTIMIZER_TRAIN_METHODS):
            return None
        if isinstance(callee, Member):
            if not self._is_tf1_optimizer(callee.owner, depth=0):
                return None
        elif not self._always_tf1_optimizer(func.value, site):
            return None
        arguments = [ArgumentRef(arg, site.scope, site.order) for arg in site.node.args]
        keyword = "loss" if func.attr.value == "minimize" else "grads_and_vars"
        found = find_argument(arguments, keyword, 0)
        return TrainOp(site, f"{func.attr.value}()", found if isinstance(found, ArgumentRef) else None)

    @cached_property
    def update_ops_reads(self) -> list[CallSite]:
        """Calls that read the UPDATE_OPS collection."""
        return [site for site in self._calls.callee if self._reads_update_ops(site.node, site.scope, site.order)]

    def returns_bare_train_op(self, function: FunctionInfo) -> bool:
        """Whether a function of this module returns a train op it builds without the update ops."""
        return self._facts.once(
            ("bare_train_op", function),
            lambda: any(
                self._enclosing[op.site] is function
                and not self._runs_update_ops_here(op)
                and any(self._results.uses_result(value, op.site) for value in function.returns)
                for op in self.train_ops
            ),
            False,
        )

    def _always_tf1_optimizer(self, receiver: cst.BaseExpression, site: CallSite) -> bool:
        """A name bound to several values that are all TF1 optimizers: `opt = hvd.DistributedOptimizer(opt)`."""
        if not isinstance(receiver, cst.Name):
            return False
        candidates = self._resolver.name_candidates(receiver, site.scope, site.order)
        return bool(candidates) and all(self._is_tf1_optimizer(value, depth=0) for value in candidates)

    def _is_tf1_optimizer(self, value: Value, depth: int) -> bool:
        if not isinstance(value, CallResult) or depth > 8:
            return False
        if catalogue.is_tf1_optimizer_class(value.api):
            return True
        if value.api in catalogue.OPTIMIZER_WRAPPERS and value.call.args:
            inner = self._resolver.resolve(value.call.args[0].value, value.scope, value.order)
            return self._is_tf1_optimizer(inner, depth + 1)
        return False

    # -- is it covered ---------------------------------------------------------------------------------------

    def runs_update_ops(self, op: TrainOp) -> bool:
        """Whether the update ops run whenever this train op runs, in one of the ways the rule accepts."""
        return self._runs_update_ops_here(op) or self._caller_under_dependency(self._enclosing[op.site], set())

    def _runs_update_ops_here(self, op: TrainOp) -> bool:
        """The same, from what the op's own function shows."""
        return (
            self._under_dependency(op.site)
            or (op.gradients is not None and self._depends_on_updates(op.gradients.value, op.site.scope, op.site.order))
            or any(self._groups_result(site, op) for site in self.grouping_sites)
            or self._result_under_dependency(op)
        )

    def _under_dependency(self, site: CallSite) -> bool:
        return any(self._is_update_dependency(frame) for frame in self._contexts.frames(site.context.withs))

    def _is_update_dependency(self, frame: Frame) -> bool:
        """A `tf.control_dependencies(...)` block over the update ops, or over something that may hold them."""
        return (
            frame.kind is FrameKind.CONTROL_DEPENDENCIES
            and frame.call is not None
            and bool(frame.call.args)
            and self.taint(frame.call.args[0].value, frame.with_frame.scope, frame.with_frame.order) > Taint.NONE
        )

    def _result_under_dependency(self, op: TrainOp) -> bool:
        """The op run through an op built under the dependency: `with tf.control_dependencies(update_ops):
        train_op = tf.group(apply_op, ema_op)`, or a nested `with tf.control_dependencies([train_op]): tf.no_op()`."""
        for site in self._calls.callee:
            frames = self._contexts.frames(site.context.withs)
            covered = False
            for frame in frames:
                covered = covered or self._is_update_dependency(frame)
                if (
                    covered
                    and frame.kind is FrameKind.CONTROL_DEPENDENCIES
                    and frame.call is not None
                    and frame.call.args
                    and self._results.uses_result(frame.call.args[0].value, op.site)
                ):
                    return True
            if covered and site is not op.site and self._groups_op(site, op):
                return True
        return False

    def _groups_op(self, site: CallSite, op: TrainOp) -> bool:
        callee = self._calls.callee[site]
        return (
            isinstance(callee, External)
            and callee.name in catalogue.GROUPING_CALLS
            and any(self._results.uses_result(arg.value, op.site) for arg in site.node.args)
        )

    def _caller_under_dependency(self, function: FunctionInfo | None, seen: set[FunctionInfo]) -> bool:
        """A helper that builds the train op for a caller who wraps the call in the dependency."""
        if function is None or function in seen:
            return False
        seen.add(function)
        return any(
            self._under_dependency(call.site) or self._caller_under_dependency(self._enclosing[call.site], seen)
            for call in self._calls.calls_of.get(function, ())
        )

    def _depends_on_updates(self, node: cst.BaseExpression, scope: Scope, order: int) -> bool:
        """The loss or gradients were computed under the dependency, so every step runs the update ops."""
        return self._dependent_bindings.run(self._node_dependence(node, scope, order), self._binding_dependence)

    def _node_dependence(self, node: cst.BaseExpression, scope: Scope, order: int) -> Generator[Binding, bool, bool]:
        """The same, as a computation that yields each binding whose dependence it needs (see Memo.run)."""
        for call in self._parts.of(node).calls:
            site = self._calls.call_at.get(call)
            if site is not None and (self._under_dependency(site) or self._with_update_dependencies(site)):
                return True
        for name in self._parts.names(node):
            owner, bindings, count = self._resolver.visible(name, scope, order)
            if (yield from self._dependent_prefixes.any((owner, name), bindings, count)):
                return True
        return False

    def _with_update_dependencies(self, site: CallSite) -> bool:
        """`control_flow_ops.with_dependencies([tf.group(*update_ops)], loss)`: slim's barrier on the loss."""
        callee = self._calls.callee[site]
        return (
            isinstance(callee, External)
            and callee.name in catalogue.WITH_DEPENDENCIES
            and bool(site.node.args)
            and self.taint(site.node.args[0].value, site.scope, site.order) > Taint.NONE
        )

    def _binding_dependence(self, binding: Binding) -> Generator[Binding, bool, bool]:
        if binding.kind is BindingKind.ASSIGN and binding.value is not None:
            return (yield from self._node_dependence(binding.value, binding.scope, binding.order))
        return False

    def _groups_update_ops(self, site: CallSite) -> bool:
        """`tf.group(train_op, *update_ops)`, `sess.run([train_op, update_ops])` and the like."""
        callee = self._calls.callee[site]
        func = site.node.func
        is_grouping = (isinstance(callee, External) and callee.name in catalogue.GROUPING_CALLS) or (
            isinstance(func, cst.Attribute) and func.attr.value == "run"
        )
        return is_grouping and any(
            self.taint(arg.value, site.scope, site.order) is Taint.UPDATE_OPS for arg in site.node.args
        )

    def _groups_result(self, grouping: CallSite, op: TrainOp) -> bool:
        if self._enclosing[grouping] is not self._enclosing[op.site]:
            # A train op stored on an object or returned by a helper and grouped elsewhere: trust the grouping.
            return True
        return any(self._results.uses_result(arg.value, op.site) for arg in grouping.node.args)

    # -- the UPDATE_OPS collection ---------------------------------------------------------------------------

    def taint(self, node: cst.BaseExpression, scope: Scope, order: int, env: _Env = frozenset()) -> Taint:
        """How `node` relates to UPDATE_OPS; `env` gives the taint of the parameters of a function being entered."""
        if isinstance(node, cst.Call):
            return self._call_taint(node, scope, order, env)
        if isinstance(node, cst.Name):
            if literal_value(node)[0]:
                return Taint.NONE
            bindings = self._resolver.lookup(node.value, scope, order)
            return max((self._binding_taint(binding, env) for binding in bindings), default=Taint.UNKNOWN)
        if isinstance(node, cst.Attribute):
            return Taint.NONE if isinstance(self._resolver.resolve(node, scope, order), External) else Taint.UNKNOWN
        if isinstance(node, (cst.Lambda, cst.BaseString, cst.Integer, cst.Float)):
            return Taint.NONE
        return max((self.taint(child, scope, order, env) for child in _expressions(node)), default=Taint.NONE)

    def _call_taint(self, node: cst.Call, scope: Scope, order: int, env: _Env) -> Taint:
        if self._reads_update_ops(node, scope, order):
            return Taint.UPDATE_OPS
        site = self._calls.call_at.get(node)
        user_call = self._calls.user_call_at.get(site) if site is not None else None
        if user_call is not None:
            return self._returned_taint(user_call, env)
        callee = self._resolver.resolve(node.func, scope, order)
        own = Taint.NONE if from_framework(callee) else Taint.UNKNOWN
        return max([own, *(self.taint(arg.value, scope, order, env) for arg in node.args)])

    def _returned_taint(self, call: UserCall, env: _Env) -> Taint:
        """What a function of the module returns, with its parameters standing for this call's arguments."""
        if len(self._entered) > 16 or call.function in self._entered:
            return Taint.UNKNOWN
        inner: dict[tuple[FunctionInfo, str], Taint] = {}
        for name, argument in call.bound.items():
            if isinstance(argument, ArgumentRef):
                inner[(call.function, name)] = self.taint(argument.value, argument.scope, argument.order, env)
            elif argument is not None:
                inner[(call.function, name)] = Taint.UNKNOWN
        self._entered.append(call.function)
        try:
            scope = call.function.scope
            return max(
                (self.taint(value, scope, 1 << 62, frozenset(inner.items())) for value in call.function.returns),
                default=Taint.NONE,
            )
        finally:
            self._entered.pop()

    def _binding_taint(self, binding: Binding, env: _Env) -> Taint:
        return self._binding_taints.once((binding, env), self._compute_binding_taint)

    def _compute_binding_taint(self, key: tuple[Binding, _Env]) -> Taint:
        binding, env = key
        if binding.kind is BindingKind.ASSIGN and binding.value is not None:
            return self.taint(binding.value, binding.scope, binding.order, env)
        if binding.kind is BindingKind.PARAM and binding.function is not None:
            return dict(env).get((binding.function, binding.name), Taint.UNKNOWN)
        if binding.kind in (BindingKind.PARAM, BindingKind.OPAQUE):
            return Taint.UNKNOWN
        return Taint.NONE

    def _reads_update_ops(self, call: cst.Call, scope: Scope, order: int) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
        else:
            name = (self._resolver.qualified_name(func, scope, order) or "").rpartition(".")[2]
        if name not in catalogue.GET_COLLECTION_METHODS or not call.args:
            return False
        key = self._resolver.flag(call.args[0].value, scope, order)
        if isinstance(key, External):
            return key.name == catalogue.UPDATE_OPS_KEY
        return isinstance(key, Literal) and key.value == catalogue.UPDATE_OPS_STRING


def _expressions(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """The sub-expressions of a container, operator, comprehension or subscript."""
    found: list[cst.BaseExpression] = []
    for child in node.children:
        if isinstance(child, cst.BaseExpression):
            found.append(child)
        else:
            found.extend(_expressions(child))
    return found
