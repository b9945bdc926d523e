"""The module's call graph: what every call site calls, and which calls reach functions of the module."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from bnlint.analysis.arguments import ArgumentRef, Found, bind_arguments, call_arguments
from bnlint.analysis.resolver import Resolver
from bnlint.analysis.syntax import CallSite, ClassInfo, FunctionInfo, ModuleSyntax
from bnlint.analysis.values import AnyMember, ClassRef, External, FunctionRef, Instance, Partial, Value


@dataclass(frozen=True)
class UserCall:
    """A call that runs a function of the module (a class call runs its `__init__`)."""

    site: CallSite
    function: FunctionInfo
    arguments: tuple[ArgumentRef, ...]
    implicit: int  # leading parameters the call fills by itself (`self`)
    cls: ClassInfo | None = None

    @cached_property
    def bound(self) -> dict[str, Found]:
        """Each parameter's argument: an ArgumentRef, Unknown.UNKNOWABLE (`*args`, `**kwargs`), or None when omitted."""
        return bind_arguments(self.function, self.arguments, self.implicit)

    @property
    def label(self) -> str:
        """How the call names its callee in the source: `conv`, `self.build`, `Model`."""
        func = self.site.node.func
        if isinstance(func, (cst.Name, cst.Attribute)):
            return cst.Module([]).code_for_node(func)
        return self.cls.name if self.cls is not None else self.function.name


@dataclass(frozen=True)
class ApiCall:
    """A call of an external API, with a partial's preset arguments in front of the call's own."""

    site: CallSite
    name: str
    arguments: tuple[ArgumentRef, ...]


class CallGraph:
    def __init__(self, syntax: ModuleSyntax, resolver: Resolver) -> None:
        self._resolver = resolver
        self.callee: dict[CallSite, Value] = {}
        self.user_calls: list[UserCall] = []
        self.api_calls: list[ApiCall] = []
        self.calls_of: dict[FunctionInfo, list[UserCall]] = {}
        self.user_call_at: dict[CallSite, UserCall] = {}
        self.call_at: dict[cst.Call, CallSite] = {}
        # Functions handed to other code as values (`model_fn=model_fn`, `tf.map_fn(step, ...)`), by the call
        # that receives them: they run from places this module does not show.
        self.passed_at: dict[CallSite, list[FunctionInfo]] = {}
        # Calls of a method on a loop variable over objects of several classes (`for layer in layers:
        # layer.create_layer(x)`): each class's method may run there.
        self.possible: dict[CallSite, list[FunctionInfo]] = {}
        for site in syntax.calls:
            self._add(site)

    def _add(self, site: CallSite) -> None:
        resolver = self._resolver
        callee = resolver.resolve(site.node.func, site.scope, site.order)
        self.callee[site] = callee
        self.call_at[site.node] = site
        preset: Partial | None = None
        if isinstance(callee, Partial):
            preset, callee = callee, callee.target
        arguments = call_arguments(site, preset)
        if isinstance(callee, External):
            self.api_calls.append(ApiCall(site, callee.name, arguments))
        elif isinstance(callee, FunctionRef):
            implicit = 1 if callee.bound else 0
            self._add_user_call(UserCall(site, callee.function, arguments, implicit))
        elif isinstance(callee, ClassRef):
            init = resolver.member_of_class(callee.cls, "__init__", bound=True)
            if isinstance(init, FunctionRef):
                self._add_user_call(UserCall(site, init.function, arguments, 1, cls=callee.cls))
        elif isinstance(callee, AnyMember):
            self.possible[site] = resolver.module_functions(callee.module)
        elif isinstance(func := site.node.func, cst.Attribute) and isinstance(func.value, cst.Name):
            self._add_possible(site, func.value, func.attr.value)
        if isinstance(callee, Instance) and not resolver.external_bases(callee.cls):
            # An object of our own class called like a function runs its __call__. A Keras layer's call() is not
            # followed: Keras fills `training` from the outer call when the caller leaves it out.
            method = resolver.member_of_class(callee.cls, "__call__", bound=True)
            if isinstance(method, FunctionRef):
                self._add_user_call(UserCall(site, method.function, arguments, 1))
        for arg in site.node.args:
            if isinstance(arg.value, (cst.Name, cst.Attribute)):
                value = resolver.resolve(arg.value, site.scope, site.order)
                if isinstance(value, FunctionRef):
                    self.passed_at.setdefault(site, []).append(value.function)

    def _add_possible(self, site: CallSite, receiver: cst.Name, method: str) -> None:
        functions = []
        for value in self._resolver.loop_candidates(receiver, site.scope, site.order):
            found = self._resolver.attribute(value, method) if isinstance(value, Instance) else None
            if isinstance(found, FunctionRef):
                functions.append(found.function)
        if functions:
            self.possible[site] = list(dict.fromkeys(functions))

    def _add_user_call(self, call: UserCall) -> None:
        self.user_calls.append(call)
        self.user_call_at[call.site] = call
        self.calls_of.setdefault(call.function, []).append(call)
