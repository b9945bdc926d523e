"""Functions that build variables (towers), and how each one shares its variables when called again."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, find_argument, forwarded_slots
from bnlint.analysis.calls import CallGraph, UserCall
from bnlint.analysis.contexts import FrameKind
from bnlint.analysis.resolver import literal_value
from bnlint.analysis.syntax import BindingKind, CallSite, Condition, ConditionKind, FunctionInfo, exclusive
from bnlint.analysis.values import Dynamic, External, Flag, Literal, Parameter, Unknown

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts


@dataclass(frozen=True)
class Reuse:
    """How a builder reuses variables: always (AUTO_REUSE, a reuse flag we cannot read), or per parameter."""

    always: bool
    params: frozenset[str]


NO_REUSE = Reuse(False, frozenset())
_COMPARED_CALLS = 16


def reuses(flag: Flag | None) -> bool | Dynamic:
    """True/False when a reuse flag is decided by the source (None: no flag, so no reuse); Unknown.DYNAMIC when it
    is not."""
    if flag is None:
        return False
    if isinstance(flag, Literal):
        return bool(flag.value)
    if isinstance(flag, External):
        return True if flag.name == catalogue.AUTO_REUSE else Unknown.DYNAMIC
    return Unknown.DYNAMIC


class Towers:
    def __init__(self, facts: ModuleFacts) -> None:
        self._facts = facts
        self._resolver = facts.resolver
        self._calls = facts.calls
        self._contexts = facts.contexts
        self._flows = facts.flows
        self._enclosing = facts.enclosing
        self._sites_of = facts.sites_of
        self._reuse: dict[FunctionInfo, Reuse] = {}

    @property
    def builders(self) -> set[FunctionInfo]:
        """Functions of this module that create variables, themselves or through functions they call."""
        return self._facts.once("builders", self._builders, set())

    def _builders(self) -> set[FunctionInfo]:
        builders = {
            function
            for function, sites in self._sites_of.items()
            if function is not None
            and any(self._creates_variables(site) and not self._in_own_graph(site) for site in sites)
        }
        changed = True
        while changed:
            changed = False
            for call in self._calls.user_calls:
                caller = self._enclosing[call.site]
                if (
                    (call.function in builders or self._foreign_builder(call.function))
                    and caller is not None
                    and caller not in builders
                    and not self._in_own_graph(call.site)
                ):
                    builders.add(caller)
                    changed = True
        return builders

    def _foreign_builder(self, function: FunctionInfo) -> bool:
        owner = self._facts.facts_for(function)
        return owner is not self._facts and function in owner.towers.builders

    def _in_own_graph(self, site: CallSite) -> bool:
        """The call runs in a graph its function creates (`with tf.Graph().as_default():`), new on every call."""
        function = self._enclosing[site]
        if function is None:
            return False
        for frame in self._contexts.frames(site.context.withs):
            if frame.kind is FrameKind.GRAPH and isinstance(frame.graph, cst.Call):
                graph_site = self._calls.call_at.get(frame.graph)
                if graph_site is not None and self._enclosing[graph_site] is function:
                    return True
        return False

    def _creates_variables(self, site: CallSite) -> bool:
        callee = self._calls.callee[site]
        if not isinstance(callee, External):
            return False
        if callee.name in catalogue.VARIABLE_CREATORS:
            return True
        index = catalogue.SLIM_LAYER_COMBINATORS.get(callee.name)
        if index is None:
            return False
        arguments = [ArgumentRef(arg, site.scope, site.order) for arg in site.node.args]
        layer = find_argument(arguments, "layer", index)
        if not isinstance(layer, ArgumentRef):
            return False
        return self._resolver.qualified_name(layer.value, layer.scope, layer.order) in catalogue.VARIABLE_CREATORS

    def builds_variables(self, call: UserCall) -> bool:
        return call.function in self.builders or self._foreign_builder(call.function)

    def reuse(self, function: FunctionInfo) -> Reuse:
        owner = self._facts.facts_for(function)
        if owner is not self._facts:
            return owner.towers.reuse(function)
        if function not in self._reuse:
            self._reuse[function] = NO_REUSE  # a recursive builder adds nothing to itself
            self._reuse[function] = self._compute_reuse(function)
        return self._reuse[function]

    def _compute_reuse(self, function: FunctionInfo) -> Reuse:
        always = False
        params: set[str] = set()
        for site in self._sites_of.get(function, ()):
            if is_reuse_variables(site):
                always = True
                continue
            for flag in self._reuse_flags(site):
                if isinstance(flag, Parameter) and flag.function is function:
                    params.add(flag.name)
                elif reuses(flag) is not False:
                    always = True
        return Reuse(always, frozenset(params))

    def _reuse_flags(self, site: CallSite) -> list[Flag]:
        """The reuse flags that decide whether the variables created at this call are shared."""
        flags: list[Flag] = []
        creates = self._creates_variables(site)
        user_call = self._calls.user_call_at.get(site)
        user_calls = [user_call] if user_call is not None and self.builds_variables(user_call) else []
        if not creates and not user_calls:
            return flags
        for frame in self._contexts.frames(site.context.withs):
            if frame.kind is FrameKind.VARIABLE_SCOPE:
                flag = self._contexts.reuse_flag(frame)
                if flag is not None:
                    flags.append(flag)
        if creates:
            arguments = [ArgumentRef(arg, site.scope, site.order) for arg in site.node.args]
            found = find_argument(arguments, "reuse", None)
            if isinstance(found, ArgumentRef):
                flags.append(self._resolver.flag(found.value, found.scope, found.order))
            elif found is Unknown.UNKNOWABLE:
                flags.append(self._forwarded_reuse(site, arguments))
        for call in user_calls:
            inner = self.reuse(call.function)
            if inner.always:
                flags.append(Literal(True, call.site.node))
            flags.extend(flag for name in inner.params if (flag := self.reuse_flag(call, name)) is not None)
        return flags

    def reuse_flag(self, call: UserCall, name: str) -> Flag | None:
        """What a call passes for a reuse parameter of its builder (None: nothing, so no reuse).

        A builder that forwards its `**kwargs` to a layer has the slot `**reuse`: each call says whether it
        passes `reuse=`; only a call that itself passes on `**kwargs` of unknown content cannot be told.
        """
        if not name.startswith("**"):
            return self._flows.parameter_flags(call).get((call.function, name))
        found = self._flows.slot_argument(call, (name,))
        if isinstance(found, ArgumentRef):
            return self._resolver.flag(found.value, found.scope, found.order)
        if found is Unknown.UNKNOWABLE:
            return self._forwarded_reuse(call.site, call.arguments)
        return None

    def _forwarded_reuse(self, site: CallSite, arguments: Sequence[ArgumentRef]) -> Flag:
        """`reuse` may come in a `**kwargs`: the enclosing function's own slot when it forwards its `**kwargs`."""
        function = site.function
        if function is not None:
            slots = forwarded_slots(function, arguments, None, "reuse")
            if slots:
                return Parameter(function, slots[0])
        return Unknown.DYNAMIC


def is_reuse_variables(site: CallSite) -> bool:
    func = site.node.func
    return isinstance(func, cst.Attribute) and func.attr.value == "reuse_variables"


@dataclass(frozen=True)
class TowerPair:
    """A builder called again in the same graph without sharing the variables the earlier call created."""

    first: UserCall
    second: UserCall
    # The calls pass different batch-norm modes: the classic training tower / validation tower pair.
    modes_differ: bool
    # One call in a loop that builds a tower on every pass (`first` is `second`): per-GPU towers.
    in_loop: bool = False


class TowerPairs:
    """Finds second towers: each later call of a builder in the same body, compared with every earlier one."""

    def __init__(self, facts: ModuleFacts) -> None:
        self._facts = facts
        self._towers = facts.towers
        self._contexts = facts.contexts
        self._flows = facts.flows
        self._results = facts.result_uses
        self._enclosing = facts.enclosing
        self._sites_of = facts.sites_of
        self._resolver = facts.resolver
        self._barrier_orders: dict[FunctionInfo | None, list[int]] = {}

    def find(self, calls: CallGraph) -> list[TowerPair]:
        # Only calls with the same settings in the same body can be towers of one model: different settings
        # (filters, names, dtypes, scopes) make different layers.
        groups: dict[tuple[object, ...], list[UserCall]] = {}
        for call in calls.user_calls:
            if self._towers.builds_variables(call) and not self._towers.reuse(call.function).always:
                key = (self._enclosing[call.site], call.function, self._settings(call))
                groups.setdefault(key, []).append(call)
        pairs = []
        for group in groups.values():
            group.sort(key=lambda call: call.site.order)
            for index, second in enumerate(group):
                # Towers come in twos and threes; a helper called hundreds of times in one body is a stack of
                # layers. Comparing each call with the first few only keeps long generated scripts linear.
                for first in group[: min(index, _COMPARED_CALLS)]:
                    pair = self._unshared(first, second)
                    if pair is not None:
                        pairs.append(pair)
                        break
        pairs += [
            TowerPair(call, call, modes_differ=False, in_loop=True)
            for group in groups.values()
            for call in group
            if self._tower_per_pass(call)
        ]
        return pairs

    def _trains_itself(self, function: FunctionInfo) -> bool:
        """The builder makes a train op on every call (`self.train = opt.minimize(self.loss)` in a model's
        constructor, under no condition): what it builds is trained, whichever call built it."""
        facts = self._facts.facts_for(function)
        return any(
            facts.enclosing[op.site] is function
            and not any(condition.kind is ConditionKind.IF for condition in op.site.context.conditions)
            for op in facts.train_ops.train_ops
        )

    def _tower_per_pass(self, call: UserCall) -> bool:
        """A builder called once in a `for` loop over data splits (`infer(images[i])`), which builds a new tower on
        every pass: unless the towers share variables, every one after the first trains its own."""
        loops = [condition for condition in call.site.context.conditions if condition.kind is ConditionKind.LOOP]
        if not loops:
            return False
        loop = loops[-1]
        assert isinstance(loop.owner, cst.For)
        targets = {name.value for name in _loop_names(loop.owner.target)}
        if not self._indexes_by(call, targets) or self._reused(call, self._flows.parameter_flags(call)):
            return False
        frames = self._contexts.frames(call.site.context.withs)
        if any(
            frame.kind is FrameKind.VARIABLE_SCOPE and frame.arguments and self._uses(frame.arguments[0], targets)
            for frame in frames[loop.index :]
        ):
            return False  # a scope named anew on each pass (`'tower_%d' % i`): no variable name is shared
        return not self._reuses_later_passes(call.site, loop)

    def _uses(self, argument: ArgumentRef, names: set[str]) -> bool:
        return not self._results.parts.names(argument.value).isdisjoint(names)

    def _indexes_by(self, call: UserCall, targets: set[str]) -> bool:
        """The call gets the loop's data (`images[i]`), and uses the loop variable for nothing else."""
        indexed = False
        carried = self._results.carried_names(call.site)
        for argument in call.arguments:
            parts = self._results.parts.of(argument.value)
            if parts.names & carried:
                return False  # a stack of blocks, each pass on the last one's output
            if not parts.names & targets:
                continue
            value = argument.value
            if not (isinstance(value, cst.Subscript) and self._results.parts.names(value.value).isdisjoint(targets)):
                return False
            indexed = True
        return indexed

    def _reuses_later_passes(self, site: CallSite, loop: Condition) -> bool:
        """`scope.reuse_variables()` in the loop, in a variable scope opened outside it (one opened on each pass
        is left, and its reuse forgotten, at the end of the pass)."""
        for other in self._sites_of.get(self._enclosing[site], ()):
            if not is_reuse_variables(other) or loop not in other.context.conditions:
                continue
            frames = self._contexts.frames(other.context.withs)
            scopes = [index for index, frame in enumerate(frames) if frame.kind is FrameKind.VARIABLE_SCOPE]
            if not scopes or scopes[-1] < loop.index:
                return True
        return False

    def _unshared(self, first: UserCall, second: UserCall) -> TowerPair | None:
        if self._chained(first.site, second.site):
            return None  # checked first: it settles the most pairs, those of a stack of layers
        if _different_objects(first, second):
            return None  # `self.g_bn0(h)` and `self.g_bn1(h)`: two layers, each with its own variables
        if self._trains_itself(first.function):
            return None  # each call builds the train op of its own variables: two models, both trained
        first_flags = self._flows.parameter_flags(first)
        second_flags = self._flows.parameter_flags(second)
        mode_params = self._facts.mode_parameters(first.function)
        reuse_params = self._towers.reuse(first.function).params
        modes_differ = any(
            _differ(first_flags.get((first.function, name)), second_flags.get((second.function, name)))
            for name in mode_params
        )
        # A training tower and an evaluation tower differ in the mode or in some other boolean switch.
        switched = modes_differ or any(
            _switched(flag, second_flags.get(key)) for key, flag in first_flags.items() if key[1] not in reuse_params
        )
        if not switched and not self._facts.site_batch_norm(second.site):
            # Without a training/evaluation switch or batch norm, two calls are two uses of a variable helper
            # (`load_filter(name, depthwise)`, `load_filter(name, pointwise)`), not a model and its second tower.
            return None
        if not switched and (first.cls is not None or not self._independent_inputs(first, second, reuse_params)):
            # Without a training/evaluation switch, a second call is a second tower only when it runs the same
            # function on another input: not on the same arguments (a target network, an EMA copy), not on
            # slices of one tensor (parallel heads), and not as a second object of a class (a layer, a model).
            return None
        if (
            self._reused(second, second_flags)
            or self._graph(first.site) != self._graph(second.site)
            or self._reset_or_reused_between(first.site, second.site)
            or exclusive(first.site, second.site)
            or (not switched and self._scope_names(first.site) != self._scope_names(second.site))
        ):
            return None
        return TowerPair(first, second, modes_differ)

    def _independent_inputs(self, first: UserCall, second: UserCall, ignored: frozenset[str]) -> bool:
        differs = False
        for name, argument in first.bound.items():
            other = second.bound.get(name)
            if name in ignored or not isinstance(argument, ArgumentRef) or not isinstance(other, ArgumentRef):
                continue
            if _same_expression(argument.value, other.value):
                continue
            if self._sources(argument) & self._sources(other):
                return False
            differs = True
        return differs

    def _sources(self, argument: ArgumentRef) -> set[object]:
        """Where the data an argument carries comes from: the statements binding its names, its attribute chains."""
        parts = self._results.parts.of(argument.value)
        sources: set[object] = set(parts.chains)
        for name in parts.bare_names:
            bindings = self._resolver.lookup(name, argument.scope, argument.order)
            latest = bindings[-1] if bindings else None
            if latest is not None and latest.kind in (BindingKind.ASSIGN, BindingKind.OPAQUE, BindingKind.PARAM):
                sources.add(latest.node)
        return sources

    def _reused(self, call: UserCall, flags: dict[tuple[FunctionInfo, str], Flag]) -> bool:
        """The call reuses: through the builder's reuse parameter, an enclosing scope, or reuse_variables()."""
        if any(
            reuses(self._towers.reuse_flag(call, name)) is not False
            for name in self._towers.reuse(call.function).params
        ):
            return True
        for frame in self._contexts.frames(call.site.context.withs):
            if frame.kind is FrameKind.VARIABLE_SCOPE and reuses(self._contexts.reuse_flag(frame)) is not False:
                return True
        return False

    def _reset_or_reused_between(self, first: CallSite, second: CallSite) -> bool:
        """`scope.reuse_variables()` or `tf.reset_default_graph()` between the two calls."""
        barriers = self._barriers(self._enclosing[first])
        index = bisect.bisect_right(barriers, first.order)
        return index < len(barriers) and barriers[index] < second.order

    def _barriers(self, function: FunctionInfo | None) -> list[int]:
        """The orders of the calls in a body after which earlier variables are reused or gone."""
        if function not in self._barrier_orders:
            self._barrier_orders[function] = sorted(
                site.order
                for site in self._sites_of.get(function, ())
                if is_reuse_variables(site)
                or self._resolver.qualified_name(site.node.func, site.scope, site.order)
                == catalogue.RESET_DEFAULT_GRAPH
            )
        return self._barrier_orders[function]

    def _graph(self, site: CallSite) -> object:
        frames = [frame for frame in self._contexts.frames(site.context.withs) if frame.kind is FrameKind.GRAPH]
        return frames[-1].graph if frames else None

    def _chained(self, first: CallSite, second: CallSite) -> bool:
        """Layers stacked on each other (`x = block(x)`), not two towers over two inputs."""
        return self._results.uses_result(second.node, first) or self._results.uses_result(first.node, second)

    def _settings(self, call: UserCall) -> frozenset[tuple[str, object]]:
        """A call's settings: non-boolean literals and API constants, the mode and reuse flags left out.

        Other arguments are the data each tower runs on; booleans are what a training and a validation tower
        differ in.
        """
        ignored = self._facts.mode_parameters(call.function) | self._towers.reuse(call.function).params
        settings: dict[str, object] = {}
        for (_, name), flag in self._flows.parameter_flags(call).items():
            setting = _setting(flag)
            if setting is not None:
                settings[name] = setting
        for argument in call.arguments:
            keyword = argument.arg.keyword
            if keyword is not None and keyword.value not in call.bound:  # collected by **kwargs
                setting = _setting(self._resolver.flag(argument.value, argument.scope, argument.order))
                if setting is not None:
                    settings[keyword.value] = setting
        return frozenset((name, value) for name, value in settings.items() if name not in ignored)

    def _scope_names(self, site: CallSite) -> tuple[str | None, ...]:
        return tuple(
            frame.scope_name
            for frame in self._contexts.frames(site.context.withs)
            if frame.kind is FrameKind.VARIABLE_SCOPE
        )


def _loop_names(target: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _loop_names(element.value)]
    return []


def _receiver(call: UserCall) -> cst.BaseExpression | None:
    """The object a method or `__call__` runs on, as written: `self.g_bn0` in `self.g_bn0(h)`, `net` in
    `net.build(x)`."""
    if not call.implicit or call.cls is not None:
        return None
    func = call.site.node.func
    if call.function.name == "__call__":
        return func
    return func.value if isinstance(func, cst.Attribute) else None


def _different_objects(first: UserCall, second: UserCall) -> bool:
    first_receiver, second_receiver = _receiver(first), _receiver(second)
    return (
        first_receiver is not None
        and second_receiver is not None
        and not _same_expression(first_receiver, second_receiver)
    )


def _same_expression(first: cst.BaseExpression, second: cst.BaseExpression) -> bool:
    if isinstance(first, cst.Name) and isinstance(second, cst.Name):
        return first.value == second.value  # the common cases first, without a deep comparison
    first_is_literal, first_value = literal_value(first)
    second_is_literal, second_value = literal_value(second)
    if first_is_literal or second_is_literal:
        return first_is_literal == second_is_literal and first_value == second_value
    return first.deep_equals(second)


def _setting(flag: Flag | None) -> object | None:
    if isinstance(flag, Literal) and not isinstance(flag.value, bool):
        return ("literal", flag.value)
    if isinstance(flag, External):
        return ("api", flag.name)
    return None


def _switched(first: Flag | None, second: Flag | None) -> bool:
    return (
        isinstance(first, Literal)
        and isinstance(second, Literal)
        and isinstance(first.value, bool)
        and isinstance(second.value, bool)
        and first.value != second.value
    )


def _differ(first: Flag | None, second: Flag | None) -> bool:
    if isinstance(first, Literal) and isinstance(second, Literal):
        return bool(first.value) != bool(second.value)
    return isinstance(first, Literal) != isinstance(second, Literal)
