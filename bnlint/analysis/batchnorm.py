"""Every place the module runs batch norm, with where its mode and its update collection come from."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, Found, find_argument
from bnlint.analysis.calls import CallGraph
from bnlint.analysis.catalogue import BatchNormApi, Family
from bnlint.analysis.contexts import Contexts, Frame, FrameKind
from bnlint.analysis.resolver import Resolver, literal_value
from bnlint.analysis.syntax import CallSite, ModuleSyntax, Scope, WithFrame
from bnlint.analysis.values import CallResult, External, Flag, FunctionRef, Literal, Unknowable, Unknown


class Origin(enum.Enum):
    CALL = "call"
    PARTIAL = "partial"
    ARG_SCOPE = "arg_scope"
    NORMALIZER_PARAMS = "normalizer_params"


@dataclass(frozen=True)
class ModeArgument:
    """Where a batch-norm mode is written, and what it evaluates to."""

    flag: Flag
    node: cst.CSTNode  # the argument, dict entry or assignment that holds the value
    origin: Origin
    keyword: str


# A ModeArgument; None when nothing passes a mode, so the API default applies; or Unknown.UNKNOWABLE when
# `**kwargs` or an arg scope bnlint cannot see into may pass one.
ModeSetting = ModeArgument | Unknowable | None


@dataclass(frozen=True)
class BatchNormUse:
    api: BatchNormApi
    site: CallSite  # the call that runs batch norm (a layer call when batch norm is its normalizer)
    # Where a missing mode is reported: the batch-norm call, or the `normalizer_fn=` that asks for batch norm.
    anchor: cst.CSTNode
    mode: ModeSetting
    # Whether the moving-average updates go to the UPDATE_OPS collection (None: cannot tell).
    updates_to_collection: bool | None
    custom_collections: bool = False

    @property
    def kinds(self) -> frozenset[BatchNormKind]:
        kinds = {BatchNormKind.BUILT}
        if self.custom_collections:
            kinds.add(BatchNormKind.CUSTOM_COLLECTIONS)
        collects = self.api.family in (Family.TF_LAYERS, Family.SLIM) and self.updates_to_collection is True
        if collects and self.fixed_mode is not catalogue.Mode.INFERENCE:
            kinds.add(BatchNormKind.UPDATES)
            if self.fixed_mode is None:
                kinds.add(BatchNormKind.SWITCHABLE)
        return frozenset(kinds)

    @property
    def fixed_mode(self) -> catalogue.Mode | None:
        """The mode this use is frozen in when a literal or the API default decides it, else None."""
        if self.mode is None:
            return None if self.api.default_mode is catalogue.Mode.LEARNING_PHASE else self.api.default_mode
        if isinstance(self.mode, ModeArgument) and isinstance(self.mode.flag, Literal):
            return self.api.fixed_mode(self.mode.flag.value)
        return None


class BatchNormKind(enum.Enum):
    """What a batch-norm layer does to the graph, as the rules about statistics care."""

    BUILT = "built"  # it has moving statistics (every batch norm)
    UPDATES = "updates"  # it adds moving-average updates to UPDATE_OPS (not frozen in inference mode)
    SWITCHABLE = "switchable"  # it adds them and its mode is not frozen, so some graph reads the statistics
    # Its variables go to collections of the code's choosing (slim's `variables_collections`), which may make the
    # moving statistics trainable.
    CUSTOM_COLLECTIONS = "custom_collections"


@dataclass(frozen=True)
class _Entry:
    value: cst.BaseExpression
    node: cst.CSTNode
    scope: Scope
    order: int


def find_batch_norm_uses(
    syntax: ModuleSyntax, resolver: Resolver, calls: CallGraph, contexts: Contexts
) -> list[BatchNormUse]:
    finder = _Finder(syntax, resolver, contexts)
    uses: list[BatchNormUse] = []
    for api_call in calls.api_calls:
        api = catalogue.batch_norm_api(api_call.name)
        if api is not None and not api.is_layer_class:
            uses.append(finder.direct_use(api, api_call.site, api_call.arguments))
        elif api_call.name in catalogue.SLIM_NORMALIZED_LAYERS:
            use = finder.normalizer_use(api_call.name, api_call.site, api_call.arguments)
            if use is not None:
                uses.append(use)
    for site, callee in calls.callee.items():
        if isinstance(callee, CallResult):
            api = catalogue.batch_norm_api(callee.api)
            if api is not None and api.is_layer_class:
                arguments = tuple(ArgumentRef(arg, site.scope, site.order) for arg in site.node.args)
                uses.append(finder.direct_use(api, site, arguments))
    uses += finder.arg_scope_uses(calls)
    return uses


def arg_scope_argument(frames: Sequence[Frame], op: str, keyword: str) -> Found:
    """The argument the innermost enclosing arg scope supplies to `op`, Unknown.UNKNOWABLE, or None."""
    for frame in reversed(frames):
        if frame.kind is FrameKind.ARG_SCOPE:
            found = frame.arg_scope_value(op, keyword)
            if found is not None:
                return found
        elif frame.kind is FrameKind.UNKNOWN:
            return Unknown.UNKNOWABLE
    return None


def _is_set(found: _Entry | Found) -> bool:
    """Whether an optional argument is (or may be) given a value other than None."""
    if found is None:
        return False
    if isinstance(found, (ArgumentRef, _Entry)):
        return literal_value(found.value) != (True, None)
    return True


class _Finder:
    def __init__(self, syntax: ModuleSyntax, resolver: Resolver, contexts: Contexts) -> None:
        self._syntax = syntax
        self._resolver = resolver
        self._contexts = contexts

    def direct_use(self, api: BatchNormApi, site: CallSite, arguments: Sequence[ArgumentRef]) -> BatchNormUse:
        frames = self._contexts.frames(site.context.withs)
        found = find_argument(arguments, api.mode_param, api.mode_index)
        mode = self._mode(found, api.mode_param, Origin.CALL)
        if found is None and api.family is Family.SLIM:
            mode = self._mode(
                arg_scope_argument(frames, "slim.batch_norm", api.mode_param), api.mode_param, Origin.ARG_SCOPE
            )
        updates: bool | None = True
        custom = False
        if api.family is Family.SLIM:
            updates = self._updates(self._slim_setting(arguments, frames, *catalogue.SLIM_UPDATES_COLLECTIONS))
            custom = _is_set(self._slim_setting(arguments, frames, *catalogue.SLIM_VARIABLES_COLLECTIONS))
        return BatchNormUse(api, site, site.node, mode, updates, custom)

    def _slim_setting(self, arguments: Sequence[ArgumentRef], frames: Sequence[Frame], name: str, index: int) -> Found:
        found = find_argument(arguments, name, index)
        return found if found is not None else arg_scope_argument(frames, "slim.batch_norm", name)

    def normalizer_use(self, layer: str, site: CallSite, arguments: Sequence[ArgumentRef]) -> BatchNormUse | None:
        frames = self._contexts.frames(site.context.withs)
        normalizer = find_argument(arguments, "normalizer_fn", None)
        if normalizer is None:
            normalizer = arg_scope_argument(frames, layer, "normalizer_fn")
        if not isinstance(normalizer, ArgumentRef):
            return None
        if self._resolver.qualified_name(normalizer.value, normalizer.scope, normalizer.order) != "slim.batch_norm":
            return None
        params = find_argument(arguments, "normalizer_params", None)
        if params is None:
            params = arg_scope_argument(frames, layer, "normalizer_params")
        return self._normalizer_use(site, normalizer, params, frames)

    def _normalizer_use(
        self, site: CallSite, normalizer: ArgumentRef, params: Found, frames: Sequence[Frame]
    ) -> BatchNormUse:
        """slim batch norm asked for by `normalizer_fn=`, configured by `normalizer_params` and the arg scopes."""
        api = catalogue.SLIM_BATCH_NORM
        mode = self._mode(self._normalizer_setting(params, frames, api.mode_param), api.mode_param, Origin.ARG_SCOPE)
        updates = self._updates(self._normalizer_setting(params, frames, catalogue.SLIM_UPDATES_COLLECTIONS[0]))
        custom = _is_set(self._normalizer_setting(params, frames, catalogue.SLIM_VARIABLES_COLLECTIONS[0]))
        return BatchNormUse(api, site, normalizer.arg, mode, updates, custom)

    def arg_scope_uses(self, calls: CallGraph) -> list[BatchNormUse]:
        """`with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, ...):` around calls of functions that
        build the layers (`darknet53(inputs)`, `common.conv(...)`): the scope makes their layers batch norm, so the
        scope is where this function builds it (a layer written inside the block is its own use already)."""
        uses = []
        for with_frame in sorted(self._with_frames_around_user_calls(calls), key=lambda frame: frame.order):
            frame = self._contexts.frame(with_frame)
            site = calls.call_at.get(frame.call) if frame.call is not None else None
            if frame.kind is not FrameKind.ARG_SCOPE or frame.ops is Unknown.UNRESOLVED or site is None:
                continue
            layers = sorted(frame.ops & catalogue.SLIM_NORMALIZED_LAYERS)
            if layers:
                use = self._scope_normalizer_use(layers[0], site, frame)
                if use is not None:
                    uses.append(use)
        return uses

    @staticmethod
    def _with_frames_around_user_calls(calls: CallGraph) -> set[WithFrame]:
        return {with_frame for call in calls.user_calls for with_frame in call.site.context.withs}

    def _scope_normalizer_use(self, layer: str, site: CallSite, frame: Frame) -> BatchNormUse | None:
        normalizer = frame.arg_scope_value(layer, "normalizer_fn")
        if not isinstance(normalizer, ArgumentRef):
            return None
        if self._resolver.qualified_name(normalizer.value, normalizer.scope, normalizer.order) != "slim.batch_norm":
            return None
        frames = [*self._contexts.frames(site.context.withs), frame]
        return self._normalizer_use(site, normalizer, arg_scope_argument(frames, layer, "normalizer_params"), frames)

    def _normalizer_setting(self, params: Found, frames: Sequence[Frame], key: str) -> _Entry | Found:
        if isinstance(params, ArgumentRef):
            entry = self._dict_entry(params.value, params.scope, params.order, key)
            if entry is not None:
                return entry
        elif params is Unknown.UNKNOWABLE:
            return Unknown.UNKNOWABLE
        return arg_scope_argument(frames, "slim.batch_norm", key)

    def _mode(self, found: _Entry | Found, keyword: str, origin: Origin) -> ModeSetting:
        """`origin` says where an argument came from; a dict entry always comes from normalizer_params."""
        if isinstance(found, _Entry):
            flag = self._resolver.flag(found.value, found.scope, found.order)
            return ModeArgument(flag, found.node, Origin.NORMALIZER_PARAMS, keyword)
        if not isinstance(found, ArgumentRef):
            return found
        if found.preset:
            origin = Origin.PARTIAL
        return ModeArgument(self._resolver.flag(found.value, found.scope, found.order), found.arg, origin, keyword)

    def _updates(self, found: _Entry | Found) -> bool | None:
        if found is None:
            return True
        if not isinstance(found, (ArgumentRef, _Entry)):
            return None
        is_literal, value = literal_value(found.value)
        if is_literal:
            return value == catalogue.UPDATE_OPS_STRING
        flag = self._resolver.flag(found.value, found.scope, found.order)
        if isinstance(flag, Literal):
            return flag.value == catalogue.UPDATE_OPS_STRING
        if isinstance(flag, External):
            return flag.name == catalogue.UPDATE_OPS_KEY
        return None

    def _dict_entry(
        self, node: cst.BaseExpression, scope: Scope, order: int, key: str, depth: int = 0
    ) -> _Entry | Found:
        """The entry `key` of a dict expression: an _Entry, None when the dict has no such key, or UNKNOWABLE."""
        if depth > 8:
            return Unknown.UNKNOWABLE
        if isinstance(node, cst.Dict):
            return self._literal_dict_entry(node, scope, order, key)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
            if self._resolver.lookup("dict", scope, order):
                return Unknown.UNKNOWABLE
            found = find_argument([ArgumentRef(arg, scope, order) for arg in node.args], key, None)
            if isinstance(found, ArgumentRef):
                return _Entry(found.value, found.arg, scope, order)
            if found is None and any(arg.keyword is None for arg in node.args):
                return Unknown.UNKNOWABLE
            return found
        if isinstance(node, cst.Name):
            bindings = self._resolver.lookup(node.value, scope, order)
            if len(bindings) != 1:
                return Unknown.UNKNOWABLE
            binding = bindings[0]
            if binding.value is None or binding.unpacked:
                return Unknown.UNKNOWABLE
            changed = self._changed_entry(binding.name, binding.scope, key)
            if changed is not None:
                return changed
            return self._dict_entry(binding.value, binding.scope, binding.order, key, depth + 1)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            # `self.batch_norm_params`, set in a method of the class or of a base class.
            cls = self._resolver.self_class(node.value.value, scope, order)
            bindings = self._resolver.attribute_bindings(cls, node.attr.value) if cls is not None else []
            if len(bindings) == 1 and bindings[0].value is not None and not bindings[0].unpacked:
                return self._dict_entry(bindings[0].value, bindings[0].scope, bindings[0].order, key, depth + 1)
        if isinstance(node, cst.Call):
            # `bn_params(is_training)` of any module of the project, returning the dict.
            callee = self._resolver.resolve(node.func, scope, order)
            if isinstance(callee, FunctionRef) and len(callee.function.returns) == 1:
                function = callee.function
                return self._dict_entry(function.returns[0], function.scope, 1 << 62, key, depth + 1)
        return Unknown.UNKNOWABLE

    def _literal_dict_entry(self, node: cst.Dict, scope: Scope, order: int, key: str) -> _Entry | Found:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                is_literal, value = literal_value(element.key)
                if is_literal and value == key:
                    return _Entry(element.value, element, scope, order)
        if any(isinstance(element, cst.StarredDictElement) for element in node.elements):
            return Unknown.UNKNOWABLE
        return None

    def _changed_entry(self, name: str, scope: Scope, key: str) -> _Entry | Found:
        """`params['is_training'] = x` after the dict is built: the entry it writes, or Unknown.UNKNOWABLE."""
        for change in self._syntax.item_assignments:
            if change.name != name or change.scope is not scope or change.key not in (key, None):
                continue
            if change.key is None or change.conditional or change.value is None:
                return Unknown.UNKNOWABLE
            return _Entry(change.value, change.node, scope, 0)
        return None
