"""Keras models and layers as objects, and the gradient steps that train them.

Which objects hold batch norm: a `BatchNormalization` layer; a `Sequential([...])` (or `Sequential()` and its
`.add(...)` calls) holding one; a functional `Model(inputs, outputs)` whose graph applies one; an object of a
project class (a `keras.Model` / `Layer` subclass, a block of another module) whose methods build or apply one,
directly, in lists, through helper functions and classes; a `keras.applications` backbone with batch norm in its
architecture (catalogue data). An object is followed as the resolver follows any value: through names, attributes
on `self`, function returns, module globals, parameters (what the program's calls pass) and other modules of the
project. What the program does not show (a loaded model, an object of an unknown library) is Unknown.UNRESOLVED.

Which calls run in a gradient step: the body of `with tf.GradientTape() as tape:` whose gradients an optimizer
applies (`apply_gradients`, `minimize(..., tape=tape)`, Keras 3's `apply`), followed back from the optimizer call
through names, returns, parameters and attributes; an overridden `train_step` of a Keras model; the loss function
`minimize()` differentiates; the function a JAX `grad` / `value_and_grad` differentiates (Keras 3 stateless
training); and the functions of the project such a step calls. A tape whose gradients nobody applies (a
validation step, a saliency map, an adversarial example) is no gradient step.

How the mode travels to batch norm: the Keras `call` method a call is written in (Keras gives it the caller's
mode), the parameters of project functions that reach the `training` of a Keras object holding batch norm
(through other functions of the project too), and whether Keras' own `fit()` runs a class's `call` (an object of
the class, or of a subclass keeping that `call`, fitted in the program without a `train_step` override).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, Found, call_arguments, find_argument
from bnlint.analysis.calls import UserCall
from bnlint.analysis.resolver import literal_value
from bnlint.analysis.dataflow import Followed, Source, attribute_sources, binding_sources
from bnlint.analysis.syntax import (
    Binding,
    BindingKind,
    CallSite,
    ClassInfo,
    FunctionInfo,
    ParamKind,
    Scope,
    dotted_name,
)
from bnlint.analysis.values import (
    CallResult,
    ClassRef,
    External,
    FunctionRef,
    Instance,
    Member,
    Parameter,
    Partial,
    Unknown,
    Unresolved,
    Value,
)

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts

# Whether an object holds batch norm: True, False, or Unknown.UNRESOLVED where the program does not show it.
Holds = bool | Unresolved
# An expression to follow back, with the scope and position it is read at.
# A slice visits each expression once; this bounds it on generated code all the same.
_MAX_EXPRESSIONS = 5_000
# How many functions a model handed on as an argument is followed back through (`train(model)` → `step(model)`).
_MAX_PARAMETER_DEPTH = 4
# A return statement is read after every binding of its function.
_AFTER_ALL = 1 << 62
# `tape.gradient(target, sources)`: the method that takes a tape's gradients.
_GRADIENT_METHODS = frozenset({"gradient"})
# Where gradients come from: their own method, and neither the loss nor the variables.
_GRADIENT_SLICE_ENDS = _GRADIENT_METHODS | catalogue.TRAINABLE_VARIABLE_ATTRIBUTES


def _any(results: Iterable[Holds]) -> Holds:
    """True as soon as one holds; else Unknown.UNRESOLVED if one may; else False."""
    unknown = False
    for result in results:
        if result is True:
            return True
        unknown = unknown or result is Unknown.UNRESOLVED
    return Unknown.UNRESOLVED if unknown else False


def _constructor_holds(name: str) -> Holds:
    """What an object an API constructs holds (`BatchNormalization()`, `ResNet50()`, `load_model(path)`). Other
    Keras containers hold what their arguments hold: the slice that meets them reads those."""
    api = catalogue.batch_norm_api(name)
    if api is not None and api.is_layer_class:
        return True
    if name in catalogue.KERAS_APPLICATIONS_WITH_BATCH_NORM:
        return True
    if name in catalogue.KERAS_APPLICATIONS_WITHOUT_BATCH_NORM:
        return False
    last = name.rpartition(".")[2]
    if name.startswith("keras.applications.") and last[:1].isupper():
        return Unknown.UNRESOLVED  # an application the catalogue does not know
    return Unknown.UNRESOLVED if name in catalogue.KERAS_LOADERS else False


def _is_batch_norm_layer(value: Value) -> bool:
    return isinstance(value, CallResult) and catalogue.batch_norm_api(value.api) is not None


def _made_of_arguments(name: str) -> bool:
    return name in catalogue.KERAS_SEQUENTIAL or name in catalogue.KERAS_FUNCTIONAL or (
        name in catalogue.KERAS_LAYER_WRAPPERS
    )


@dataclass(frozen=True)
class ModelCall:
    """A call that runs a Keras model or layer: `model(x)`, `self(x)`, `model.stateless_call(...)`."""

    # The object; or, where the program binds the name several ways (`model = ResNet50()` or `ResNet34()` by
    # configuration), each object it may be.
    values: tuple[Value, ...]
    receiver: cst.BaseExpression  # how the call names it: `model`, `self.model`, `self`
    stateless: bool  # `stateless_call`: `training` is keyword-only

    @property
    def batch_norm_layer(self) -> bool:
        """The call applies a batch-norm layer itself (`bn(x)`), not a model holding one."""
        return len(self.values) == 1 and _is_batch_norm_layer(self.values[0])


class KerasObjects:
    """Which objects hold batch norm, as one module sees them; each answer is computed once in the module that
    makes the object."""

    def __init__(self, facts: ModuleFacts) -> None:
        self._facts = facts
        self._resolver = facts.resolver

    # -- questions -------------------------------------------------------------------------------------------

    def holds_batch_norm(self, value: Value) -> Holds:
        if isinstance(value, CallResult):
            owner = self._owner(value.scope)
            return owner.once(("keras-object", value.call), lambda: owner.keras._object_holds(value), False)
        if isinstance(value, Instance):
            return self.class_holds(value.cls)
        if isinstance(value, Parameter):
            owner = self._owner(value.function.scope)
            key = ("keras-parameter", value.function, value.name)
            return owner.once(key, lambda: owner.keras._parameter_holds(value), False)
        if value is Unknown.UNRESOLVED or isinstance(value, Member):
            return Unknown.UNRESOLVED
        return False  # a module, a class or function as such, an API: no object

    def class_holds(self, cls: ClassInfo) -> Holds:
        """Whether the objects of a project class hold batch norm: what its methods (and its project base classes')
        build or apply, and what they store on `self` from elsewhere (`self.backbone = backbone`)."""
        owner = self._owner(cls.scope)
        return owner.once(("keras-class", cls), lambda: owner.keras._class_holds(cls), False)

    def is_keras_class(self, cls: ClassInfo) -> bool:
        owner = self._owner(cls.scope)
        return any(base.startswith(catalogue.KERAS_BASE_PREFIX) for base in owner.resolver.external_bases(cls))

    def is_keras_object(self, value: Value) -> bool:
        """A Keras model or layer (of an API, or of a Keras subclass of the project), or a parameter that may be one."""
        if isinstance(value, CallResult):
            api = catalogue.batch_norm_api(value.api)
            return value.api.startswith(catalogue.KERAS_BASE_PREFIX) or (api is not None and api.is_layer_class)
        if isinstance(value, Instance):
            return self.is_keras_class(value.cls)
        return isinstance(value, Parameter)

    def model_call(self, site: CallSite) -> ModelCall | None:
        """The Keras object a call runs, if it runs one: every object the name may be is a Keras object."""
        func = site.node.func
        stateless = isinstance(func, cst.Attribute) and func.attr.value == catalogue.STATELESS_CALL
        receiver = func.value if isinstance(func, cst.Attribute) and stateless else func
        value = self._facts.calls.callee.get(site) if not stateless else None
        if value is None or value is Unknown.UNRESOLVED:
            values = tuple(self._resolver.candidates(receiver, site.scope, site.order))
        else:
            values = (value,)
        if all(self._is_called_object(value) for value in values):
            return ModelCall(values, receiver, stateless)
        return None

    def _is_called_object(self, value: Value) -> bool:
        return isinstance(value, (CallResult, Instance, Parameter)) and self.is_keras_object(value)

    def runs_batch_norm(self, call: ModelCall) -> Holds:
        """Whether the object a call runs holds batch norm: True when one of the objects it may be does."""
        return _any(self.holds_batch_norm(value) for value in call.values)

    def training_argument(self, site: CallSite, call: ModelCall) -> Found:
        """The call's `training` argument (by keyword, or where the objects' call takes it by position)."""
        positions = {None} if call.stateless else {self.training_position(value) for value in call.values}
        return find_argument(call_arguments(site), "training", positions.pop() if len(positions) == 1 else None)

    def frozen(self, call: ModelCall) -> bool:
        """Whether the program sets `<object>.trainable = False` on every object a call may run (in this module or
        the one that makes it): Keras then runs its batch norm in inference mode whatever `training` says."""
        return all(self._frozen(value) for value in call.values)

    def _frozen(self, value: Value) -> bool:
        modules = {id(self._facts): self._facts}
        if isinstance(value, CallResult):
            owner = self._owner(value.scope)
            modules[id(owner)] = owner
        elif isinstance(value, Instance):
            owner = self._owner(value.cls.scope)
            modules[id(owner)] = owner
        return any(owner.keras._sets_untrainable(value) for owner in modules.values())

    def default_mode(self, call: ModelCall) -> object:
        """The mode a call that passes no `training` runs in outside any Keras call: the literal default of the
        `training` parameter of the objects' own `call` (`def call(self, x, training=True)`), where they all give the
        same; None where one does not (Keras' own layers and models: inference)."""
        defaults = {self._call_default(value, depth=0) for value in call.values}
        return defaults.pop() if len(defaults) == 1 else None

    def _call_default(self, value: Value, depth: int) -> object:
        if isinstance(value, Parameter) and depth < _MAX_PARAMETER_DEPTH:
            # a model handed in (`def train(model, ...)`): the objects the program's calls pass
            passed = {
                self._owner(scope).keras._call_default(candidate, depth + 1)
                for node, scope, order in self._arguments_for(value.function, value.name)
                for candidate in self._owner(scope).resolver.candidates(node, scope, order)
            }
            return passed.pop() if len(passed) == 1 else None
        method = self._own_call(value)
        param = method.function.param("training") if method is not None else None
        if param is None or param.default is None:
            return None
        is_literal, default = literal_value(param.default)
        return default if is_literal else None

    def _own_call(self, value: Value) -> FunctionRef | None:
        """The `call` method a project subclass defines (or inherits from a project base class)."""
        if not isinstance(value, Instance):
            return None
        method = self._owner(value.cls.scope).resolver.member_of_class(value.cls, catalogue.KERAS_CALL, bound=True)
        return method if isinstance(method, FunctionRef) else None

    def training_position(self, value: Value) -> int | None:
        """The position of `training` among a call's arguments (the inputs being 0): where a subclass's own `call`
        says; None where that `call` takes it by keyword only or not at all. Otherwise second, as Keras' own layers
        and models take it, and as an object handed in (a parameter) most likely does: `generator(z, is_training)`
        passes the mode."""
        method = self._own_call(value)
        if method is not None:
            param = method.function.param("training")
            if param is not None and param.kind is ParamKind.POSITIONAL and param.index is not None:
                return param.index - method.function.bound_offset
            return None
        return 1

    def keras_call_of(self, site: CallSite) -> ClassInfo | None:
        """The Keras class whose `call` method a call is written in: Keras runs it in the mode its caller gives."""
        function = self._facts.enclosing.get(site)
        if function is None or function.cls is None or function.name != catalogue.KERAS_CALL:
            return None
        return function.cls if self.is_keras_class(function.cls) else None

    def mode_reaches_batch_norm(self, function: FunctionInfo, name: str) -> bool:
        """Whether a parameter of a project function reaches the `training` of a Keras object holding batch norm
        (`bn(x, training=training)`, `self.block(x, training)`), in the function or through the project functions
        it passes the parameter to."""
        owner = self._owner(function.scope)
        key = ("keras-mode-parameter", function, name)
        return owner.once(key, lambda: owner.keras._mode_reaches(function, name), False)

    def fit_runs(self, call: FunctionInfo) -> bool:
        """Whether Keras' own `fit()` runs a `call` method: the program calls `.fit(...)` on an object of its class
        (or of a subclass that keeps it) that does not override `train_step`, in the module that defines the class
        or in a module of the program importing it."""
        owner = self._owner(call.scope)
        modules = [owner]
        project, module = owner.project, owner.module
        if project is not None and module is not None:
            modules += [project.facts(path) for path in project.importers_in_program(module.path)]
        return any(facts is not None and facts.keras._fits(call) for facts in modules)

    def in_fitted_graph(self, site: CallSite) -> bool:
        """Whether a call builds part of the graph of a functional `Model(inputs, outputs)` of this module that the
        module trains with Keras' own `fit()` (`layers.BatchNormalization()(x, training=False)` between `Input` and
        `Model`, in the function that makes the model or in the project functions it calls). Keras 3 runs every
        layer of such a graph in the mode fit(), evaluate() and predict() give, whatever literal the call passed."""
        if not self._fitted:
            return False
        model = self._graphs.get(site)
        return model is not None and model in self._fitted

    @cached_property
    def _fitted(self) -> set[cst.Call]:
        """The `Model(...)` calls whose object this module calls `.fit()` on."""
        fitted: set[cst.Call] = set()
        for site in self._facts.syntax.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value == catalogue.KERAS_FIT:
                receiver = self._resolver.resolve(func.value, site.scope, site.order)
                if isinstance(receiver, CallResult):
                    fitted.add(receiver.call)
        return fitted

    @cached_property
    def _graphs(self) -> dict[CallSite, cst.Call]:
        """The calls of this module each functional `Model(...)` call of the module is built from."""
        graphs: dict[CallSite, cst.Call] = {}
        for site in self._facts.syntax.calls:
            callee = self._facts.calls.callee.get(site)
            if not (isinstance(callee, External) and callee.name in catalogue.KERAS_FUNCTIONAL):
                continue
            roots: list[Source] = [(arg.value, site.scope, site.order) for arg in site.node.args]
            for owner, part in self.sliced_calls(roots, into_returns=True):
                if owner is self._facts:
                    graphs.setdefault(part, site.node)
        return graphs

    # -- how each kind of object is answered -----------------------------------------------------------------

    def _object_holds(self, value: CallResult) -> Holds:
        if _made_of_arguments(value.api):
            return self._slice_holds([(value.call, value.scope, value.order)])
        found = _constructor_holds(value.api)
        if found is False and not value.api.startswith(catalogue.KERAS_BASE_PREFIX):
            return Unknown.UNRESOLVED  # a callable object of a library bnlint does not know (a hub layer)
        return found

    def _class_holds(self, cls: ClassInfo) -> Holds:
        if any(_constructor_holds(base) is True for base in self._resolver.external_bases(cls)):
            return True  # a batch-norm layer of the project's own (`class SyncBatchNorm(layers.BatchNormalization)`)
        results: list[Holds] = []
        for current in self._resolver.project_classes(cls):
            owner = self._owner(current.scope)
            for method in current.methods.values():
                results += [owner.keras._site_holds(site) for site in owner.sites_of.get(method, ())]
            stored = [
                (binding.value, binding.scope, binding.order)
                for bindings in current.attributes.values()
                for binding in bindings
                if isinstance(binding.value, (cst.Name, cst.Attribute, cst.List, cst.Tuple))
            ]
            if stored:
                results.append(owner.keras._slice_holds(stored))
        return _any(results)

    def _function_holds(self, function: FunctionInfo) -> Holds:
        """Whether a function of the project builds or applies batch norm (`conv_bn(x)`, `build_model()`)."""
        owner = self._owner(function.scope)
        return owner.once(
            ("keras-function", function),
            lambda: _any(owner.keras._site_holds(site) for site in owner.sites_of.get(function, ())),
            False,
        )

    def _parameter_holds(self, value: Parameter) -> Holds:
        sources = self._arguments_for(value.function, value.name)
        return self._slice_holds(sources) if sources else Unknown.UNRESOLVED

    def _site_holds(self, site: CallSite) -> Holds:
        """What a call of this module adds to an object: a Keras object it applies (`bn(x)`, `backbone(x)`), or one
        it constructs (`BatchNormalization()`, `ResBlock(64)`, `conv_bn(x, 64)`)."""
        callee = self._facts.calls.callee.get(site)
        if callee is not None and callee is not Unknown.UNRESOLVED:
            return self._callee_holds(callee)
        # `batch_norm_class(...)`, where `batch_norm_class` is one of several classes a helper returns
        return _any(map(self._callee_holds, self._resolver.candidates(site.node.func, site.scope, site.order)))

    def _callee_holds(self, callee: Value) -> Holds:
        if isinstance(callee, Partial):
            callee = callee.target
        if isinstance(callee, External):
            return _constructor_holds(callee.name)
        if isinstance(callee, (CallResult, Instance, Parameter)):
            return self.holds_batch_norm(callee)
        if isinstance(callee, ClassRef):
            return self.class_holds(callee.cls)
        if isinstance(callee, FunctionRef):
            return self._function_holds(callee.function)
        return False

    def _mode_reaches(self, function: FunctionInfo, name: str) -> bool:
        parameter = Parameter(function, name)
        for site in self._facts.sites_of.get(function, ()):
            target = self.model_call(site)
            if target is not None:
                found = self.training_argument(site, target)
                if self._is_flag(found, parameter) and self.runs_batch_norm(target) is True:
                    return True
                continue
            call = self._facts.calls.user_call_at.get(site)
            if call is None or call.cls is not None:
                continue
            passed = [slot for slot, found in call.bound.items() if self._is_flag(found, parameter)]
            if any(self.mode_reaches_batch_norm(call.function, slot) for slot in passed):
                return True
        return False

    def _is_flag(self, found: Found, parameter: Parameter) -> bool:
        if not isinstance(found, ArgumentRef):
            return False
        return self._resolver.flag(found.value, found.scope, found.order) == parameter

    def _fits(self, call: FunctionInfo) -> bool:
        for site in self._facts.syntax.calls:
            func = site.node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == catalogue.KERAS_FIT):
                continue
            receiver = self._resolver.resolve(func.value, site.scope, site.order)
            if not isinstance(receiver, Instance):
                continue
            resolver = self._owner(receiver.cls.scope).resolver
            method = resolver.member_of_class(receiver.cls, catalogue.KERAS_CALL, bound=True)
            step = resolver.member_of_class(receiver.cls, catalogue.TRAIN_STEP, bound=True)
            if isinstance(method, FunctionRef) and method.function is call and not isinstance(step, FunctionRef):
                return True
        return False

    def _sets_untrainable(self, value: Value) -> bool:
        for store in self._facts.syntax.attribute_stores:
            if store.target.attr.value != "trainable" or store.value is None:
                continue
            if literal_value(store.value) != (True, False):
                continue
            if self._resolver.resolve(store.target.value, store.scope, store.order) == value:
                return True
        return False

    # -- slices: what an expression is built from ------------------------------------------------------------

    def _slice_holds(self, roots: list[Source]) -> Holds:
        results: list[Holds] = []
        for owner, site in self.sliced_calls(roots, into_returns=False):
            found = owner.keras._site_holds(site)
            if found is True:
                return True
            results.append(found)
        return _any(results)

    def sliced_calls(
        self, roots: list[Source], into_returns: bool, sealed: frozenset[str] = frozenset()
    ) -> Iterator[tuple[ModuleFacts, CallSite]]:
        """The calls (with their module) the expressions are made from: through names, `self` attributes, the
        arguments the program passes for parameters, what a `Sequential` is given by `.add`, and with
        `into_returns` the return values of the project functions called. The calls of `sealed` methods are
        yielded, and what they are made from is not followed (`ExpressionParts.of`)."""
        seen: set[cst.CSTNode] = set()
        followed = Followed()
        work = list(roots)
        while work and len(seen) < _MAX_EXPRESSIONS:
            node, scope, order = work.pop()
            if node in seen:
                continue
            seen.add(node)
            owner = self._owner(scope)
            parts = owner.expression_parts.of(node, sealed)
            for call in parts.calls:
                site = owner.calls.call_at.get(call)
                if site is None:
                    continue
                yield owner, site
                work += owner.keras._added(site)
                user_call = owner.calls.user_call_at.get(site)
                if into_returns and user_call is not None and user_call.cls is None:
                    function = user_call.function
                    work += [(value, function.scope, _AFTER_ALL) for value in function.returns]
            for name in parts.bare_names:
                work += owner.keras._name_sources(name, scope, order, followed)
            for chain in parts.chains:
                work += owner.keras._chain_sources(chain, scope, order, followed)

    def _name_sources(self, name: str, scope: Scope, order: int, followed: Followed) -> list[Source]:
        uses = self._facts.result_uses
        return binding_sources(self._resolver.visible, uses, name, scope, order, self._from_outside, followed)

    def _from_outside(self, binding: Binding) -> list[Source]:
        """A parameter takes what the program's calls pass (`self` is read by chains); an import, the object
        another module of the project makes."""
        if binding.kind is BindingKind.PARAM and binding.function is not None:
            if isinstance(self._resolver.binding_value(binding), Instance):
                return []
            return self._arguments_for(binding.function, binding.name)
        value = self._resolver.binding_value(binding) if binding.kind is BindingKind.IMPORT else None
        return [(value.call, value.scope, value.order)] if isinstance(value, CallResult) else []

    def _chain_sources(self, chain: str, scope: Scope, order: int, followed: Followed) -> list[Source]:
        """`self.backbone`: every value a method of the class stores there; `base.output`: the object `base`."""
        root, _, rest = chain.partition(".")
        cls = self._resolver.self_class(root, scope, order)
        if cls is None:
            return self._name_sources(root, scope, order, followed)
        return attribute_sources(self._resolver.attribute_bindings(cls, rest.partition(".")[0]))

    def _arguments_for(self, function: FunctionInfo, name: str) -> list[Source]:
        """What the program's calls of a function pass for one of its parameters, its default where they omit it."""
        found: list[Source] = []
        param = function.param(name)
        for call in self.calls_of(function):
            argument = call.bound.get(name)
            if isinstance(argument, ArgumentRef):
                found.append((argument.value, argument.scope, argument.order))
            elif argument is None and param is not None and param.default is not None:
                found.append((param.default, function.scope.parent or function.scope, 0))
        return found

    def calls_of(self, function: FunctionInfo) -> list[UserCall]:
        """The calls of a function in the module that defines it and in the modules of the program importing it."""
        owner = self._owner(function.scope)
        calls = list(owner.calls.calls_of.get(function, ()))
        project, module = owner.project, owner.module
        if project is not None and module is not None:
            for importer in project.importers_in_program(module.path):
                facts = project.facts(importer)
                if facts is not None and facts is not owner:
                    calls += facts.calls.calls_of.get(function, ())
        return calls

    @cached_property
    def _adds(self) -> dict[cst.Call, list[Source]]:
        """`model.add(layer)` on a `Sequential` this module makes, by the call that makes it."""
        adds: dict[cst.Call, list[Source]] = {}
        for site in self._facts.syntax.calls:
            func = site.node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == "add" and site.node.args):
                continue
            receiver = self._resolver.resolve(func.value, site.scope, site.order)
            if isinstance(receiver, CallResult) and receiver.api in catalogue.KERAS_SEQUENTIAL:
                adds.setdefault(receiver.call, []).append((site.node.args[0].value, site.scope, site.order))
        return adds

    def _added(self, site: CallSite) -> list[Source]:
        callee = self._facts.calls.callee.get(site)
        if isinstance(callee, External) and callee.name in catalogue.KERAS_SEQUENTIAL:
            return self._adds.get(site.node, [])
        return []

    def _owner(self, scope: Scope) -> ModuleFacts:
        project = self._facts.project
        owner = project.owner(scope) if project is not None else None
        return owner if owner is not None else self._facts


# -- gradient steps ----------------------------------------------------------------------------------------------


class StepKind(enum.Enum):
    TAPE = "a GradientTape step"
    TRAIN_STEP = "train_step"
    LOSS = "a minimize() loss function"
    STATELESS = "a JAX gradient function"


@dataclass(frozen=True)
class GradientStep:
    """Code that computes gradients an optimizer applies."""

    kind: StepKind
    node: cst.CSTNode  # where it starts: the `with` item, the `def train_step`, the minimize() / jax.grad call
    # The objects whose trainable variables it differentiates, as the code names them (`model` of
    # `model.trainable_variables`, `self.generator`); None where the source does not name them.
    trained: frozenset[str] | None
    lexical: bool = True  # the call is written inside it, not in a function it calls


class GradientSteps:
    """The gradient steps of one module, and the step each call runs in."""

    def __init__(self, facts: ModuleFacts) -> None:
        self._facts = facts
        self._resolver = facts.resolver

    def step_of(self, site: CallSite) -> GradientStep | None:
        own = self._own_step(site)
        if own is not None:
            return own
        function = self._facts.enclosing.get(site)
        entered = self.entered.get(function) if function is not None else None
        return replace(entered, lexical=False) if entered is not None else None

    def evaluation_pass(self, site: CallSite) -> FunctionInfo | None:
        """The function a call runs in when that function evaluates: no gradient step, and named so (`evaluate`,
        `val_step`, `predict_fn`, `run_inference`) or a `test_step` / `predict_step` override of a Keras model."""
        function = self._facts.enclosing.get(site)
        if function is None or self.step_of(site) is not None:
            return None
        if function.cls is not None and function.name in catalogue.KERAS_EVALUATION_STEPS:
            return function if self._facts.keras.is_keras_class(function.cls) else None
        words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", function.name).lower())
        return function if catalogue.EVALUATION_NAME_WORDS.intersection(words) else None

    def trains(self, step: GradientStep, site: CallSite, receiver: cst.BaseExpression) -> bool:
        """Whether the step differentiates the variables of the object a call runs (`receiver`): named in the
        step's sources (`model` of `model.trainable_variables`), or an attribute of one (`self.backbone` where
        `self.trainable_variables` is differentiated). Objects are told apart by the names the code gives them
        (a teacher and a student made by one factory are one value to the resolver, two names to the code); an
        object reached through a parameter, or where the step does not name its sources, counts as trained."""
        name = dotted_name(receiver)
        if step.trained is None or name is None:
            return True
        if any(name == trained or name.startswith(trained + ".") for trained in step.trained):
            return True
        root = self._resolver.resolve(cst.Name(name.partition(".")[0]), site.scope, site.order)
        return isinstance(root, Parameter)

    def _own_step(self, site: CallSite) -> GradientStep | None:
        for frame in reversed(site.context.withs):
            tape = self._tape_of_with.get(frame.item)
            if tape is not None and tape in self.applied_tapes:
                return GradientStep(StepKind.TAPE, frame.item, self._trained_by_tape(tape))
        function = site.function
        while function is not None:
            root = self._roots.get(function)
            if root is not None:
                return root
            if not isinstance(function.node, cst.Lambda):
                break
            parent = function.scope.parent
            function = parent.nearest_function if parent is not None else None
        return None

    @property
    def entered(self) -> dict[FunctionInfo, GradientStep]:
        """The functions of this module that a gradient step runs (through calls, from any module of the program)."""
        return self._facts.once("keras-entered", self._entered, {})

    def _entered(self) -> dict[FunctionInfo, GradientStep]:
        facts = self._facts
        work: list[tuple[FunctionInfo, GradientStep]] = []
        for call in facts.calls.user_calls:
            step = self._own_step(call.site)
            if step is not None:
                work.append((call.function, step))
        project, module = facts.project, facts.module
        for path in project.importers_in_program(module.path) if project is not None and module is not None else ():
            importer = project.facts(path)
            if importer is None or importer is facts:
                continue
            for call in importer.calls.user_calls:
                if facts.facts_for(call.function) is facts:
                    step = importer.gradient_steps.step_of(call.site)
                    if step is not None:
                        work.append((call.function, step))
        found: dict[FunctionInfo, GradientStep] = {}
        while work:
            function, step = work.pop()
            if function in found or facts.facts_for(function) is not facts:
                continue
            found[function] = step
            for site in facts.sites_of.get(function, ()):
                call = facts.calls.user_call_at.get(site)
                if call is not None:
                    work.append((call.function, step))
        return found

    # -- tapes -----------------------------------------------------------------------------------------------

    @cached_property
    def _tape_of_with(self) -> dict[cst.WithItem, cst.Call]:
        """Each `with` item that records on a tape, with the `tf.GradientTape()` call that made the tape."""
        tapes: dict[cst.WithItem, cst.Call] = {}
        for site in self._facts.syntax.calls:
            for frame in site.context.withs:
                if frame.item not in tapes:
                    tape = self._tape(frame.item.item, frame.scope, frame.order)
                    if tape is not None:
                        tapes[frame.item] = tape
        return tapes

    def _tape(self, node: cst.BaseExpression, scope: Scope, order: int) -> cst.Call | None:
        value = self._resolver.resolve(node, scope, order)
        if isinstance(value, CallResult) and value.api in catalogue.GRADIENT_TAPE:
            return value.call
        return None

    @cached_property
    def _gradient_calls(self) -> dict[CallSite, cst.Call]:
        """`tape.gradient(loss, sources)` calls, with the tape's `tf.GradientTape()` call."""
        found = {}
        for site in self._facts.syntax.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value in _GRADIENT_METHODS:
                tape = self._tape(func.value, site.scope, site.order)
                if tape is not None:
                    found[site] = tape
        return found

    @property
    def applied_tapes(self) -> frozenset[cst.Call]:
        """The tapes of this module whose gradients an optimizer applies, here or in a module of the program that
        imports this one (a helper returning gradients)."""
        return self._facts.once("keras-applied-tapes", self._applied_tapes, frozenset())

    def _applied_tapes(self) -> frozenset[cst.Call]:
        applied = set(self.tapes_applied_here)
        facts = self._facts
        project, module = facts.project, facts.module
        for path in project.importers_in_program(module.path) if project is not None and module is not None else ():
            importer = project.facts(path)
            if importer is not None and importer is not facts:
                applied |= importer.gradient_steps.tapes_applied_here
        return frozenset(applied)

    @cached_property
    def tapes_applied_here(self) -> frozenset[cst.Call]:
        """The tapes (of any module) whose gradients the optimizer calls of this module apply."""
        applied: set[cst.Call] = set()
        roots: list[tuple[cst.BaseExpression, Scope, int]] = []
        for site in self._facts.syntax.calls:
            func = site.node.func
            if not isinstance(func, cst.Attribute):
                continue
            method = func.attr.value
            arguments = [ArgumentRef(arg, site.scope, site.order) for arg in site.node.args]
            if method == catalogue.MINIMIZE:
                tape = find_argument(arguments, "tape", None)
                if isinstance(tape, ArgumentRef):
                    found = self._tape(tape.value, tape.scope, tape.order)
                    applied |= {found} if found is not None else set()
            elif method == catalogue.APPLY_GRADIENTS or (
                method == catalogue.KERAS_APPLY and self._keras_optimizer(site, func)
            ):
                roots += [(argument.value, site.scope, site.order) for argument in arguments]
        # Where gradients come from ends at `tape.gradient(...)`: the loss and the model it differentiates, like
        # the variables they are zipped with, are no part of them, and following those slices the whole program.
        for owner, site in self._facts.keras.sliced_calls(roots, into_returns=True, sealed=_GRADIENT_SLICE_ENDS):
            tape = owner.gradient_steps._gradient_calls.get(site)
            if tape is not None:
                applied.add(tape)
        return frozenset(applied)

    def _keras_optimizer(self, site: CallSite, func: cst.Attribute) -> bool:
        value = self._resolver.resolve(func.value, site.scope, site.order)
        while isinstance(value, Member):
            value = value.owner
        return isinstance(value, CallResult) and value.api.startswith(catalogue.KERAS_OPTIMIZER_PREFIX)

    def _trained_by_tape(self, tape: cst.Call) -> frozenset[str] | None:
        return self._trained_by([site for site, made_by in self._gradient_calls.items() if made_by is tape])

    def _trained_by(self, sites: list[CallSite]) -> frozenset[str] | None:
        """What `tape.gradient(loss, sources)` calls differentiate, where each names its sources."""
        sources = [find_argument(call_arguments(site), "sources", 1) for site in sites]
        if not sources or not all(isinstance(source, ArgumentRef) for source in sources):
            return None
        return self._trained([(source.value, source.scope, source.order) for source in sources])

    def _trained(self, roots: list[Source]) -> frozenset[str] | None:
        """The objects whose `.trainable_variables` the expressions name (`model`, `self.generator`), following
        names within their function; None where they name none."""
        found: set[str] = set()
        seen: set[cst.CSTNode] = set()
        work = list(roots)
        while work and len(seen) < _MAX_EXPRESSIONS:
            node, scope, order = work.pop()
            if node in seen:
                continue
            seen.add(node)
            parts = self._facts.expression_parts.of(node)
            for chain in parts.chains:
                owner, _, last = chain.rpartition(".")
                if last in catalogue.TRAINABLE_VARIABLE_ATTRIBUTES and owner:
                    found.add(owner)
            for name in parts.bare_names:
                for binding in self._resolver.lookup(name, scope, order):
                    if binding.kind is BindingKind.ASSIGN and binding.value is not None and binding.scope is scope:
                        work.append((binding.value, binding.scope, binding.order))
        return frozenset(found) if found else None

    # -- steps that are functions ----------------------------------------------------------------------------

    @cached_property
    def _roots(self) -> dict[FunctionInfo, GradientStep]:
        """Functions that are gradient steps as a whole: `train_step` overrides of Keras models, the loss callables
        given to `minimize()`, the functions JAX differentiates."""
        roots: dict[FunctionInfo, GradientStep] = {}
        keras = self._facts.keras
        for cls in self._facts.syntax.classes:
            method = cls.methods.get(catalogue.TRAIN_STEP)
            if method is not None and keras.is_keras_class(cls):
                roots[method] = GradientStep(StepKind.TRAIN_STEP, method.node, self._trained_in(method))
        for site, callee in self._facts.calls.callee.items():
            arguments = call_arguments(site)
            func = site.node.func
            if isinstance(callee, External) and callee.name in catalogue.JAX_GRADIENTS:
                function = self._function_argument(find_argument(arguments, "fun", 0))
                if function is not None:
                    roots[function] = GradientStep(StepKind.STATELESS, site.node, None)
            elif isinstance(func, cst.Attribute) and func.attr.value == catalogue.MINIMIZE:
                function = self._function_argument(find_argument(arguments, "loss", 0))
                if function is not None:
                    variables = find_argument(arguments, "var_list", 1)
                    trained = (
                        self._trained([(variables.value, variables.scope, variables.order)])
                        if isinstance(variables, ArgumentRef)
                        else None
                    )
                    roots[function] = GradientStep(StepKind.LOSS, site.node, trained)
        return roots

    def _trained_in(self, function: FunctionInfo) -> frozenset[str] | None:
        """What a train_step differentiates: the sources of its tapes' gradients."""
        return self._trained_by([site for site in self._gradient_calls if self._facts.enclosing.get(site) is function])

    def _function_argument(self, argument: object) -> FunctionInfo | None:
        if not isinstance(argument, ArgumentRef):
            return None
        value = self._resolver.resolve(argument.value, argument.scope, argument.order)
        return value.function if isinstance(value, FunctionRef) else None
