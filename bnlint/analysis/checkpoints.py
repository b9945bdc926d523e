"""Savers, and which variables the list they save holds."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, find_argument
from bnlint.analysis.fixpoint import Memo
from bnlint.analysis.syntax import Binding, BindingKind, CallSite, Scope
from bnlint.analysis.values import CallResult, External, FunctionRef, Literal, Member, from_framework

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts


class Variables(enum.IntFlag):
    """What a list of variables is made of; combining two takes both."""

    NONE = 0
    TRAINABLE = 1  # `tf.trainable_variables()`: no moving statistics
    ALL = 2  # a list that holds the moving statistics (`tf.global_variables()`, the moving-average collection)
    UNKNOWN = 4  # a parameter, an attribute, our own function's result: it may hold anything


@dataclass(frozen=True)
class SaverCall:
    site: CallSite
    var_list: ArgumentRef | None
    variables: Variables


class Checkpoints:
    def __init__(self, facts: ModuleFacts) -> None:
        self._resolver = facts.resolver
        self._calls = facts.calls
        self._binding_variables: Memo[Binding, Variables] = Memo(Variables.NONE)  # a cycle adds nothing
        self.savers = [
            self._saver(api_call.site, api_call.arguments)
            for api_call in facts.calls.api_calls
            if api_call.name == catalogue.SAVER
        ]

    def methods_called(self, saver: SaverCall) -> set[str]:
        """The methods called on the Saver a call makes (`saver.restore(...)`, `saver.save(...)`), wherever its
        object is kept in this module, with `"*"` when the object is handed to a call (`train(model, saver)`),
        which may call any."""
        methods = {
            site.node.func.attr.value
            for site, callee in self._calls.callee.items()
            if isinstance(site.node.func, cst.Attribute) and self._is_saver(site.node.func.value, site, callee, saver)
        }
        for site in self._calls.callee:
            for arg in site.node.args:
                value = self._resolver.resolve(arg.value, site.scope, site.order)
                if isinstance(value, CallResult) and value.call is saver.site.node:
                    methods.add("*")
        return methods

    def _is_saver(self, receiver: cst.BaseExpression, site: CallSite, callee: object, saver: SaverCall) -> bool:
        """Whether a method call's receiver may be the Saver: resolved to it, or a name one of whose bindings is it
        (a name bound in several branches, `if mode == 'test': ... elif mode == 'train': ...`)."""
        if isinstance(callee, Member) and isinstance(callee.owner, CallResult):
            return callee.owner.call is saver.site.node
        if not isinstance(receiver, cst.Name):
            return False
        bindings = self._resolver.lookup(receiver.value, site.scope, site.order)
        return any(binding.value is saver.site.node for binding in bindings)

    def _saver(self, site: CallSite, arguments: tuple[ArgumentRef, ...]) -> SaverCall:
        found = find_argument(arguments, "var_list", 0)
        if not isinstance(found, ArgumentRef):
            return SaverCall(site, None, Variables.NONE if found is None else Variables.UNKNOWN)
        return SaverCall(site, found, self.variables(found.value, found.scope, found.order))

    def variables(self, node: cst.CSTNode, scope: Scope, order: int) -> Variables:
        if isinstance(node, cst.Call):
            return self._call_variables(node, scope, order)
        if isinstance(node, cst.Name):
            bindings = self._resolver.lookup(node.value, scope, order)
            combined = Variables.NONE
            for binding in bindings:
                combined |= self._binding(binding)
            return combined
        if isinstance(node, cst.Attribute):
            value = self._resolver.resolve(node, scope, order)
            if isinstance(value, External):
                return Variables.NONE
            attribute = self._self_attribute(node, scope, order)
            if attribute is not None:
                return attribute
            root = node.value
            while isinstance(root, cst.Attribute):
                root = root.value
            return self.variables(root, scope, order) if isinstance(root, cst.Name) else Variables.UNKNOWN
        combined = Variables.NONE
        for child in node.children:
            combined |= self.variables(child, scope, order)
        return combined

    def _call_variables(self, node: cst.Call, scope: Scope, order: int) -> Variables:
        arguments = Variables.NONE
        for arg in node.args:
            arguments |= self.variables(arg.value, scope, order)
        callee = self._resolver.resolve(node.func, scope, order)
        if isinstance(callee, External):
            name = callee.name
            if name in catalogue.TRAINABLE_VARIABLE_LISTS:
                return Variables.TRAINABLE
            if name in catalogue.COMPLETE_VARIABLE_LISTS:
                return Variables.ALL
            if name.rpartition(".")[2] in catalogue.GET_COLLECTION_METHODS and node.args:
                return self._collection(node.args[0].value, scope, order)
            return arguments
        if isinstance(node.func, cst.Attribute) and not isinstance(callee, FunctionRef):
            # A method of what the receiver holds: `v.name.startswith(...)`, `variables.copy()`.
            return arguments | self.variables(node.func.value, scope, order)
        if from_framework(callee) or self._is_builtin(node.func, scope, order):
            return arguments  # `list(...)`, `sorted(...)`, `filter(...)`
        return arguments | Variables.UNKNOWN

    def _is_builtin(self, func: cst.BaseExpression, scope: Scope, order: int) -> bool:
        return isinstance(func, cst.Name) and not self._resolver.lookup(func.value, scope, order)

    def _collection(self, key: cst.BaseExpression, scope: Scope, order: int) -> Variables:
        flag = self._resolver.flag(key, scope, order)
        name = flag.name.rpartition(".")[2] if isinstance(flag, External) else None
        if isinstance(flag, Literal) and isinstance(flag.value, str):
            name = flag.value.upper()
        if name == "TRAINABLE_VARIABLES":
            return Variables.TRAINABLE
        return Variables.ALL if name in catalogue.COMPLETE_COLLECTIONS else Variables.UNKNOWN

    def _self_attribute(self, node: cst.Attribute, scope: Scope, order: int) -> Variables | None:
        """`self.global_step`: what the methods of the class assign to the attribute (None: not such an attribute)."""
        cls = self._resolver.self_class(node.value.value, scope, order) if isinstance(node.value, cst.Name) else None
        if cls is None:
            return None
        assigned = cls.attributes.get(node.attr.value)
        if not assigned:
            return None
        combined = Variables.NONE
        for binding in assigned:
            combined |= self._binding(binding)
        return combined

    def _binding(self, binding: Binding) -> Variables:
        return self._binding_variables.once(binding, self._compute_binding)

    def _compute_binding(self, binding: Binding) -> Variables:
        if binding.kind is BindingKind.ASSIGN and binding.value is not None:
            return self.variables(binding.value, binding.scope, binding.order)
        if isinstance(binding.node, (cst.For, cst.CompFor)):  # `[v for v in tf.trainable_variables()]`
            return self.variables(binding.node.iter, binding.scope, binding.order)
        if binding.kind in (BindingKind.ASSIGN, BindingKind.PARAM, BindingKind.OPAQUE):
            return Variables.UNKNOWN
        return Variables.NONE
