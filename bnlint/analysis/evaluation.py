"""Which calls build an evaluation graph: what no train op learns from, and scripts that only load a trained model.

A mode default is a bug only where the program wants the other mode. The program says which graph trains: the
train ops' losses. Following each loss back through assignments, `self` attributes and the arguments of calls
gives the calls that build the training graph, and the functions they run; a tower built beside them that no loss
depends on (a GAN's sampler, a validation tower, a test graph) is evaluated, not trained.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef
from bnlint.analysis.dataflow import Followed, Source, attribute_sources, binding_sources
from bnlint.analysis.syntax import Binding, BindingKind, CallSite, ConditionKind, FunctionInfo, Scope, exclusive
from bnlint.analysis.values import External, Unknown, Unresolved, Value

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts

# An expression to follow back, with the scope and position it is read at.
# A slice visits each expression once; this bounds it on generated code all the same.
_MAX_EXPRESSIONS = 20_000


class Evaluation:
    def __init__(self, facts: ModuleFacts) -> None:
        self._facts = facts
        self._resolver = facts.resolver
        self._calls = facts.calls
        self._parts = facts.expression_parts

    def in_evaluation(self, site: CallSite) -> bool:
        """Whether a call builds part of an evaluation graph (see the module's docstring)."""
        if self.evaluation_script:
            return True
        function = self._facts.enclosing[site]
        if self._trains_only_when(function, site):
            return True
        training = self._training
        if training is Unknown.UNRESOLVED:
            return False  # no train op here whose loss can be followed: nothing says what is evaluated
        calls, functions = training
        if site in calls:
            return False
        call = self._calls.user_call_at.get(site)
        if call is not None and self._facts.facts_for(call.function).function_trains(call.function):
            return False  # the call builds a train op itself (a model class whose constructor does)
        if function is None:
            return True  # a module-level call no loss depends on
        return function not in functions and self._called(function)

    def _called(self, function: FunctionInfo) -> bool:
        """Whether the program calls a function: here, or in a module that imports this one."""
        if self._calls.calls_of.get(function):
            return True
        project, module = self._facts.project, self._facts.module
        if project is None or module is None:
            return False
        for importer in project.importers_in_program(module.path):
            facts = project.facts(importer)
            if facts is not None and facts.calls.calls_of.get(function):
                return True
        return False

    def _trains_only_when(self, function: FunctionInfo | None, site: CallSite) -> bool:
        """The function builds its train ops only under a condition the call is not under (`if not
        self.forward_only: ... minimize(...)`): the same code builds an evaluation graph otherwise."""
        ops = [op for op in self._facts.train_ops.train_ops if self._facts.enclosing[op.site] is function]
        return bool(ops) and all(
            any(
                condition.kind is ConditionKind.IF and condition not in site.context.conditions
                for condition in op.site.context.conditions
            )
            for op in ops
        )

    def in_training(self, site: CallSite) -> bool:
        """Whether a train op's loss of this module depends on what the call builds, in a run that builds both
        (not under `if mode == "generate":` while the train op is under `if mode == "train":`)."""
        training = self._training
        ops = self._facts.train_ops.train_ops
        if training is Unknown.UNRESOLVED:
            return False
        return site in training[0] and not all(exclusive(site, op.site) for op in ops)

    @cached_property
    def switch_fed_only_training(self) -> bool:
        """The script's mode switch (a bool placeholder named as a training flag) is fed, and only ever `True`:
        by the script's own word every run of its graph trains."""
        syntax = self._facts.syntax
        fed = [syntax.keyed_values.get(name, []) for name in self._switches()]
        return any(fed) and all(
            isinstance(value, cst.Name) and value.value == "True" for values in fed for value in values
        )

    def _switches(self) -> set[str]:
        syntax = self._facts.syntax
        names: set[str] = set()
        for scope in [syntax.scope, *(function.scope for function in syntax.functions)]:
            for name, bindings in scope.bindings.items():
                if not any(flag in name for flag in catalogue.TRAINING_FLAG_NAMES):
                    continue
                for binding in bindings:
                    site = self._calls.call_at.get(binding.value) if isinstance(binding.value, cst.Call) else None
                    callee = self._calls.callee.get(site) if site is not None else None
                    if isinstance(callee, External) and callee.name in catalogue.BOOL_PLACEHOLDERS:
                        names.add(name)
        return names

    @cached_property
    def evaluation_script(self) -> bool:
        """A script that restores, loads or exports a model and builds no train op."""
        return not self._facts.trains and any(_loads_model(site, callee) for site, callee in self._calls.callee.items())

    @cached_property
    def _training(self) -> tuple[set[CallSite], set[FunctionInfo]] | Unresolved:
        """The calls each loss depends on, and the functions they run (directly or through other calls); UNRESOLVED
        when there is no train op whose loss can be followed."""
        ops = self._facts.train_ops.train_ops
        if not ops or any(op.gradients is None for op in ops):
            return Unknown.UNRESOLVED
        calls = self._slice([(op.gradients.value, op.gradients.scope, op.gradients.order) for op in ops])
        if calls is Unknown.UNRESOLVED:
            return Unknown.UNRESOLVED
        for op in ops:
            calls.add(op.site)
        functions: set[FunctionInfo] = set()
        pending = [call.function for site in calls if (call := self._calls.user_call_at.get(site)) is not None]
        while pending:
            function = pending.pop()
            if function in functions:
                continue
            functions.add(function)
            for site in self._facts.sites_of.get(function, ()):
                call = self._calls.user_call_at.get(site)
                if call is not None:
                    pending.append(call.function)
        return calls, functions

    def _slice(self, roots: list[Source]) -> set[CallSite] | Unresolved:
        """The calls the expressions depend on; UNRESOLVED when they read a collection (`tf.losses.get_total_loss()`):
        what fills it is added by statements anywhere, not followed here."""
        calls: set[CallSite] = set()
        seen: set[cst.CSTNode] = set()
        followed = Followed()
        work = list(roots)
        while work and len(seen) < _MAX_EXPRESSIONS:
            node, scope, order = work.pop()
            if node in seen:
                continue
            seen.add(node)
            parts = self._parts.of(node)
            for call in parts.calls:
                site = self._calls.call_at.get(call)
                if site is None:
                    continue
                if self._reads_losses(site):
                    return Unknown.UNRESOLVED
                calls.add(site)
            for name in parts.bare_names:
                work += self._sources_of_name(name, scope, order, followed)
            for chain in parts.chains:
                work += self._sources_of_attribute(chain, scope, order, followed)
        return calls

    def _reads_losses(self, site: CallSite) -> bool:
        """A read of a collection of losses other than the regularization losses (which every tower adds to)."""
        callee = self._calls.callee.get(site)
        if not isinstance(callee, External):
            return False
        name = callee.name.rpartition(".")[2]
        if name in ("get_regularization_loss", "get_regularization_losses"):
            return False
        if name in ("get_collection", "get_collection_ref") and site.node.args:
            key = self._resolver.flag(site.node.args[0].value, site.scope, site.order)
            if isinstance(key, External) and key.name == catalogue.REGULARIZATION_LOSSES_KEY:
                return False
        return name in catalogue.COLLECTION_READERS

    def _sources_of_name(self, name: str, scope: Scope, order: int, followed: Followed) -> list[Source]:
        uses = self._facts.result_uses
        return binding_sources(self._resolver.visible, uses, name, scope, order, self._from_outside, followed)

    def _from_outside(self, binding: Binding) -> list[Source]:
        """A parameter takes what the module's calls pass; an import, nothing this module's slice follows."""
        if binding.kind is BindingKind.PARAM and binding.function is not None:
            return self._arguments_for(binding.function, binding.name)
        return []

    def _arguments_for(self, function: FunctionInfo, name: str) -> list[Source]:
        """What the module's calls of a function pass for one of its parameters."""
        found = []
        for call in self._calls.calls_of.get(function, ()):
            argument = call.bound.get(name)
            if isinstance(argument, ArgumentRef):
                found.append((argument.value, argument.scope, argument.order))
        return found

    def _sources_of_attribute(self, chain: str, scope: Scope, order: int, followed: Followed) -> list[Source]:
        """`self.d_loss`: every value a method of the class assigns to that attribute; `model.loss`: the object."""
        root, _, rest = chain.partition(".")
        cls = self._resolver.self_class(root, scope, order)
        if cls is None:
            return self._sources_of_name(root, scope, order, followed)
        return attribute_sources(cls.attributes.get(rest.partition(".")[0], []))


def _loads_model(site: CallSite, callee: Value) -> bool:
    func = site.node.func
    if isinstance(func, cst.Attribute) and func.attr.value == "restore":
        return True
    return isinstance(callee, External) and callee.name in catalogue.MODEL_LOADERS
