"""Everything the rules may ask about one module, each part computed once and only when a rule asks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, find_argument
from bnlint.analysis.batchnorm import BatchNormKind, BatchNormUse, ModeArgument, find_batch_norm_uses
from bnlint.analysis.calls import CallGraph
from bnlint.analysis.checkpoints import Checkpoints
from bnlint.analysis.contexts import Contexts, Frame, FrameKind
from bnlint.analysis.dataflow import ExpressionParts, ResultUses
from bnlint.analysis.evaluation import Evaluation
from bnlint.analysis.fixpoint import FixpointCache
from bnlint.analysis.keras import GradientSteps, KerasObjects
from bnlint.analysis.keras_version import KERAS_SWITCHES, KerasEvidence, KerasVersion, decide, find_evidence
from bnlint.analysis.learning_phase import LearningPhase
from bnlint.analysis.flow import Flows, Reach, guards_at
from bnlint.analysis.modules import ModuleId
from bnlint.analysis.resolver import Resolver
from bnlint.analysis.syntax import CallSite, ConditionKind, FunctionInfo, ModuleSyntax, Scope
from bnlint.analysis.towers import TowerPair, TowerPairs, Towers
from bnlint.analysis.training import TrainOps
from bnlint.analysis.values import External, Flag, FunctionRef, ModuleRef, Parameter, Unknown, Value

if TYPE_CHECKING:
    from bnlint.project import Project

T = TypeVar("T")


class ModuleFacts:
    """One module's facts; with a project, names imported from its other modules resolve into them."""

    def __init__(self, syntax: ModuleSyntax, module: ModuleId | None = None, project: Project | None = None) -> None:
        self.syntax = syntax
        self.module = module
        self.project = project
        self.resolver = Resolver(syntax, self if project is not None else None)
        self._local = FixpointCache()

    # -- links to the other modules of the project (the resolver's ModuleLinks) -------------------------------

    def is_framework(self, imported: str) -> bool:
        if self.project is None or self.module is None:
            return catalogue.is_framework(imported)
        return self.project.is_framework(self.module.path, imported)

    def resolve_import(self, imported: str) -> Value | None:
        if self.project is None or self.module is None:
            return None
        found = self.project.find_import(self.module.path, imported)
        if found is None:
            return Unknown.UNRESOLVED if imported.startswith(".") else None
        path, attributes = found
        value: Value = ModuleRef(path)
        for attr in attributes:
            value = self.resolver.attribute(value, attr)
        return value

    def module_member(self, module: ModuleRef, attr: str) -> Value:
        if self.project is None:
            return Unknown.UNRESOLVED
        submodule = self.project.submodule(module.path, attr)
        if submodule is not None:
            return ModuleRef(submodule)
        facts = self.project.facts(module.path)
        return facts.resolver.module_level(attr) if facts is not None else Unknown.UNRESOLVED

    def module_flag(self, module: ModuleRef, name: str) -> Flag:
        facts = self.project.facts(module.path) if self.project is not None else None
        return facts.resolver.module_flag(name) if facts is not None else Unknown.DYNAMIC

    def module_functions(self, module: ModuleRef) -> list[FunctionInfo]:
        facts = self.project.facts(module.path) if self.project is not None else None
        if facts is None:
            return []
        return [function for function in facts.syntax.functions if function.scope.parent is facts.syntax.scope]

    def resolver_for(self, scope: Scope) -> Resolver | None:
        owner = self.project.owner(scope) if self.project is not None else None
        return owner.resolver if owner is not None else None

    def facts_for(self, function: FunctionInfo) -> ModuleFacts:
        """The facts of the module that defines `function`."""
        owner = self.project.owner(function.scope) if self.project is not None else None
        return owner if owner is not None else self

    def _foreign(self, function: FunctionInfo) -> ModuleFacts | None:
        owner = self.facts_for(function)
        return owner if owner is not self else None

    def once(self, name: Hashable, compute: Callable[[], T], default: T) -> T:
        """Compute a fact that may ask other modules, once; modules that import each other reach a fixpoint."""
        if self.project is None:
            return self._local.once(name, compute, default)
        return self.project.facts_cache.once((self.syntax.scope, name), compute, default)

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
        return ResultUses(self.expression_parts, self.syntax.calls, self.syntax.item_assignments)

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

    @property
    def mode_wrappers(self) -> dict[tuple[FunctionInfo, tuple[str, ...]], list[Reach]]:
        """Slots of functions that reach a batch-norm mode, with the uses they reach.

        Wrappers of other modules that this module calls are included, so its calls of them can be checked.
        """
        return self.once("mode_wrappers", self._mode_wrappers, {})

    def _mode_wrappers(self) -> dict[tuple[FunctionInfo, tuple[str, ...]], list[Reach]]:
        direct = [
            Reach(flag.function, (flag.name,), use, guards_at(use.site), (flag.function, flag.name))
            for use in self.batch_norm_uses
            if isinstance(use.mode, ModeArgument) and isinstance(flag := use.mode.flag, Parameter)
        ]
        for function in {call.function for call in self.calls.user_calls}:
            owner = self._foreign(function)
            if owner is not None:
                direct += owner.wrapper_reaches.get(function, [])
        return self.flows.propagate(direct)

    @property
    def wrapper_reaches(self) -> dict[FunctionInfo, list[Reach]]:
        """The mode wrappers defined in this module, by function, as other modules see them."""
        return self.once("wrapper_reaches", self._wrapper_reaches, {})

    def _wrapper_reaches(self) -> dict[FunctionInfo, list[Reach]]:
        by_function: dict[FunctionInfo, list[Reach]] = {}
        for (function, _), reaches in self.mode_wrappers.items():
            if self.facts_for(function) is self:
                by_function.setdefault(function, []).extend(reaches)
        return by_function

    def mode_parameters(self, function: FunctionInfo) -> set[str]:
        """The named parameters of a function (of any module) that reach a batch-norm mode."""
        owner = self.facts_for(function)
        return {
            slot for reach in owner.wrapper_reaches.get(function, []) for slot in reach.slots if slot.isidentifier()
        }

    @property
    def batch_norm_kinds(self) -> dict[FunctionInfo, frozenset[BatchNormKind]]:
        """What batch norm each function of this module builds, itself or through the functions it calls."""
        return self.once("batch_norm_kinds", self._batch_norm_kinds, {})

    def _batch_norm_kinds(self) -> dict[FunctionInfo, frozenset[BatchNormKind]]:
        kinds: dict[FunctionInfo, frozenset[BatchNormKind]] = {}
        changed = True
        while changed:
            changed = False
            for function, sites in self.sites_of.items():
                if function is None:
                    continue
                found = frozenset().union(*(self._site_kinds(site, kinds) for site in sites))
                if found != kinds.get(function, frozenset()):
                    kinds[function] = found
                    changed = True
        return kinds

    def site_batch_norm(self, site: CallSite) -> frozenset[BatchNormKind]:
        """What batch norm a call builds: its own, or that of the function it calls (in any module)."""
        return self._site_kinds(site, self.batch_norm_kinds)

    def _site_kinds(
        self, site: CallSite, kinds: dict[FunctionInfo, frozenset[BatchNormKind]]
    ) -> frozenset[BatchNormKind]:
        found = self.batch_norm_at.get(site, frozenset())
        call = self.calls.user_call_at.get(site)
        callees = [call.function] if call is not None else self.calls.possible.get(site) or self._callbacks(site)
        for function in callees:
            owner = self.facts_for(function)
            callee = kinds if owner is self else owner.batch_norm_kinds
            found = found | callee.get(function, frozenset())
        return found

    def _callbacks(self, site: CallSite) -> list[FunctionInfo]:
        """Functions of the project handed to a framework call that runs them there (`tf.map_fn(step, ...)`,
        `tf.while_loop(cond, body, ...)`): what they build, the call builds."""
        if not isinstance(self.calls.callee.get(site), External):
            return []
        return self.calls.passed_at.get(site, [])

    def batch_norm_through_objects(self, kind: BatchNormKind) -> cst.CSTNode | None:
        """Where this module first calls a method on an object it does not know (`self.model.create_model(...)`, the
        model handed to an exporter's constructor) that may build batch norm of a kind: any method of that name in
        the classes of the program may run there. Asked only where a rule has found what it reports (a Saver),
        since following every such call through the program costs a whole-program fixpoint."""
        for site in sorted(self.syntax.calls, key=_order):
            for method in self._methods_of_unknown_receiver(site):
                if kind in self.facts_for(method).batch_norm_kinds.get(method, frozenset()):
                    return site.node
        return None

    def _methods_of_unknown_receiver(self, site: CallSite) -> list[FunctionInfo]:
        func = site.node.func
        if not isinstance(func, cst.Attribute) or func.attr.value in _GENERIC_METHODS:
            return []
        if self.calls.user_call_at.get(site) is not None or self.calls.possible.get(site):
            return []
        receiver = self.resolver.resolve(func.value, site.scope, site.order)
        if receiver is not Unknown.UNRESOLVED and not isinstance(receiver, Parameter):
            return []
        return self.program_methods.get(func.attr.value, [])

    @cached_property
    def program_methods(self) -> dict[str, list[FunctionInfo]]:
        """The methods of the classes of this module's program (the modules it imports and those importing it),
        by name."""
        modules = [self]
        if self.project is not None and self.module is not None:
            for path in self.project.dependencies(self.module.path):
                # A module the screen rules out builds no batch norm: its classes cannot change a finding.
                facts = self.project.facts(path) if self.project.relevant(path) else None
                if facts is not None:
                    modules.append(facts)
        methods: dict[str, list[FunctionInfo]] = {}
        for facts in modules:
            for cls in facts.syntax.classes:
                for name, method in cls.methods.items():
                    methods.setdefault(name, []).append(method)
        return methods

    def first_batch_norm(self, kind: BatchNormKind) -> cst.CSTNode | None:
        """Where this module first builds batch norm of a kind: the layer, or the call of the function that does."""
        sites = sorted((site for site in self.syntax.calls if kind in self.site_batch_norm(site)), key=_order)
        if not sites:
            return None
        uses = [use for use in self.batch_norm_uses if use.site is sites[0]]
        return uses[0].anchor if uses else sites[0].node

    @cached_property
    def batch_norm_at(self) -> dict[CallSite, frozenset[BatchNormKind]]:
        uses: dict[CallSite, frozenset[BatchNormKind]] = {}
        for use in self.batch_norm_uses:
            uses[use.site] = uses.get(use.site, frozenset()) | use.kinds
        return uses

    @cached_property
    def keras(self) -> KerasObjects:
        """Keras models and layers as objects: which hold batch norm (bnlint.analysis.keras)."""
        return KerasObjects(self)

    @cached_property
    def gradient_steps(self) -> GradientSteps:
        """The gradient steps (GradientTape, train_step, minimize() losses, JAX gradient functions) and the calls
        they run (bnlint.analysis.keras)."""
        return GradientSteps(self)

    @cached_property
    def learning_phase(self) -> LearningPhase:
        return LearningPhase(self.syntax, self.resolver, self.calls)

    @cached_property
    def keras_evidence(self) -> KerasEvidence:
        """What this module's own code says about the Keras it runs (bnlint.analysis.keras_version)."""
        text = self.project.text(self.module.path) if self.project and self.module else None
        source = text if text is not None else self.syntax.module.code
        return find_evidence(self.syntax, self.resolver, self.calls, source)

    @cached_property
    def keras_version(self) -> KerasVersion:
        """The Keras the module runs, 2 or 3: configured, or decided from the code of its whole program."""
        configured = self.project.keras.for_module(self.module.path) if self.project and self.module else None
        return decide(configured, self.keras_evidence, self._program_keras_evidence())

    def _program_keras_evidence(self) -> Iterator[tuple[str, KerasEvidence]]:
        """The evidence of the other modules of the program: those it imports, those importing it, and theirs, each
        analysed only when `decide` reads that far. A module the screen rules out is parsed for this only where its
        text names a Keras switch (a `config.py` that sets TF_USE_LEGACY_KERAS): parsing every module of a program
        would cost a libcst parse each, so the Keras-2-only or Keras-3-only names of the others go unseen."""
        if self.project is None or self.module is None:
            return
        for path in self.project.dependencies(self.module.path):
            text = self.project.text(path) or ""
            if not (self.project.relevant(path) or any(switch in text for switch in KERAS_SWITCHES)):
                continue
            facts = self.project.facts(path)
            if facts is not None:
                yield path.name, facts.keras_evidence

    @cached_property
    def train_ops(self) -> TrainOps:
        return TrainOps(self)

    @cached_property
    def checkpoints(self) -> Checkpoints:
        return Checkpoints(self)

    @cached_property
    def towers(self) -> Towers:
        return Towers(self)

    @cached_property
    def tower_pairs(self) -> list[TowerPair]:
        return TowerPairs(self).find(self.calls)

    @cached_property
    def evaluation(self) -> Evaluation:
        return Evaluation(self)

    def in_evaluation(self, site: CallSite) -> bool:
        """Whether a call builds part of an evaluation graph (bnlint.analysis.evaluation)."""
        return self.evaluation.in_evaluation(site)

    def in_training(self, site: CallSite) -> bool:
        """Whether a train op's loss depends on what a call builds (bnlint.analysis.evaluation)."""
        return self.evaluation.in_training(site)

    @property
    def switch_fed_only_training(self) -> bool:
        """Whether the script's mode placeholder is fed only `True` (bnlint.analysis.evaluation)."""
        return self.evaluation.switch_fed_only_training

    @property
    def trains(self) -> bool:
        """Whether the module builds a train op, itself or through functions it calls (in any module)."""
        return bool(self.train_ops.train_ops) or any(
            self.facts_for(call.function).function_trains(call.function) for call in self.calls.user_calls
        )

    def function_trains(self, function: FunctionInfo) -> bool:
        return self.once(("trains", function), lambda: self._function_trains(function), False)

    def _function_trains(self, function: FunctionInfo) -> bool:
        sites = set(self.sites_of.get(function, ()))
        return any(op.site in sites for op in self.train_ops.train_ops) or any(
            self.facts_for(call.function).function_trains(call.function)
            for call in self.calls.user_calls
            if call.site in sites
        )

    @cached_property
    def _test_scopes(self) -> set[Scope]:
        scopes = {
            cls.scope
            for cls in self.syntax.classes
            if any(name.endswith("TestCase") for name in self.resolver.external_bases(cls))
        }
        if "pytest" in self.syntax.scope.bindings:
            scopes |= {
                function.scope
                for function in self.syntax.functions
                if function.name.startswith("test") and function.scope.parent is self.syntax.scope
            }
        return scopes

    def in_test_code(self, site: CallSite) -> bool:
        """Unit tests build batch norm in a fixed mode on purpose: `TestCase` classes, pytest test functions."""
        scope: Scope | None = site.scope
        while scope is not None:
            if scope in self._test_scopes:
                return True
            scope = scope.parent
        return False

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

    def results_chosen_by_condition(self, first: CallSite, second: CallSite) -> bool:
        """Whether one conditional (`tf.cond(is_training, lambda: a, lambda: b)`) picks between the two calls'
        results, one in each branch: both are built, and the condition decides which one runs."""
        for branches in self._conditional_branches:
            for index, branch in enumerate(branches):
                other = branches[1 - index]
                if self.result_uses.uses_result(branch, first) and self.result_uses.uses_result(other, second):
                    return True
        return False

    @cached_property
    def _conditional_branches(self) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
        found = []
        for site, callee in self.calls.callee.items():
            if not (isinstance(callee, External) and callee.name in catalogue.CONDITIONALS):
                continue
            arguments = [ArgumentRef(arg, site.scope, site.order) for arg in site.node.args]
            true_names, false_names = catalogue.CONDITIONALS[callee.name]
            true_fn = find_argument(arguments, true_names[0], 1)
            false_fn = find_argument(arguments, false_names[0], 2)
            if isinstance(true_fn, ArgumentRef) and isinstance(false_fn, ArgumentRef):
                found.append((true_fn.value, false_fn.value))
        return found

    def _is_conditional_call(self, call: cst.CSTNode) -> bool:
        site = self.calls.call_at.get(call) if isinstance(call, cst.Call) else None
        callee = self.calls.callee.get(site) if site is not None else None
        return isinstance(callee, External) and callee.name in catalogue.CONDITIONALS

    @property
    def functions_run_outside_arg_scope(self) -> frozenset[FunctionInfo]:
        """Functions (of any module) that some chain of calls reaches with no arg scope around any link, from the
        top level of this module or of a module of the program that imports it.

        tf-slim's arg_scope is dynamic: a caller may supply `is_training` to every batch norm below it. A function
        that no module of the program calls (a library of networks), or that is called only under an arg scope
        (or a context manager bnlint cannot see into), may get its mode that way, so it is not in this set.
        """
        return self.once("outside_arg_scope", self._outside_arg_scope, frozenset())

    def _outside_arg_scope(self) -> frozenset[FunctionInfo]:
        reached = set(self._entry_points)
        for importer in self.project.importers_in_program(self.module.path) if self.project and self.module else ():
            facts = self.project.facts(importer)
            if facts is not None:
                reached |= facts.functions_run_outside_arg_scope
        edges = [(call.site, call.function) for call in self.calls.user_calls] + [
            (site, function) for site, functions in self.calls.possible.items() for function in functions
        ]
        changed = True
        while changed:
            changed = False
            for site, function in edges:
                if function in reached or self._may_supply_arguments(site):
                    continue
                caller = self.enclosing[site]
                if caller is None or caller in reached:
                    reached.add(function)
                    changed = True
        return frozenset(reached)

    @cached_property
    def _entry_points(self) -> set[FunctionInfo]:
        """Functions the module's top level hands to a runner (`tf.app.run()` runs `main`; `app.run(main)`)."""
        entries: set[FunctionInfo] = set()
        for site, callee in self.calls.callee.items():
            if self.enclosing[site] is not None:
                continue
            if isinstance(callee, External) and callee.name in catalogue.APP_RUNNERS and not site.node.args:
                main = self.resolver.module_level("main")
                if isinstance(main, FunctionRef):
                    entries.add(main.function)
            entries.update(self.calls.passed_at.get(site, ()))
        return entries

    def runs_outside_arg_scope(self, site: CallSite) -> bool:
        if self._may_supply_arguments(site):
            return False
        function = self.enclosing[site]
        return function is None or function in self.functions_run_outside_arg_scope

    def _may_supply_arguments(self, site: CallSite) -> bool:
        """An arg scope around the call that may give batch norm its mode (not `arg_scope([slim.conv2d],
        padding='SAME')`), or a context manager bnlint cannot see into."""
        return any(
            frame.kind is FrameKind.UNKNOWN or (frame.kind is FrameKind.ARG_SCOPE and _may_set_batch_norm(frame))
            for frame in self.contexts.frames(site.context.withs)
        )


def _may_set_batch_norm(frame: Frame) -> bool:
    if frame.ops is Unknown.UNRESOLVED or frame.star_keywords or "slim.batch_norm" in frame.ops:
        return True
    return bool(frame.ops & catalogue.SLIM_NORMALIZED_LAYERS) and not frame.keywords.keys().isdisjoint(
        {"normalizer_fn", "normalizer_params"}
    )


# Method names every model class has (Keras' and our own conventions): a call of one on an unknown object says
# nothing about which class it is.
_GENERIC_METHODS = frozenset(
    {"__init__", "__call__", "call", "build", "forward", "get_config", "run", "fit", "predict"}
)


def _order(site: CallSite) -> int:
    return site.order


def _named_function(function: FunctionInfo | None) -> FunctionInfo | None:
    while function is not None and isinstance(function.node, cst.Lambda):
        parent = function.scope.parent
        function = parent.nearest_function if parent is not None else None
    return function
