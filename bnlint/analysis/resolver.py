"""Name resolution on top of the collected syntax: imports, aliases, functions, classes, methods and flags.

Built instead of libcst's scope and qualified-name providers, which together cost about eight times the parse on
real TensorFlow code; this resolver only looks at the names a rule asks about.
"""

from __future__ import annotations

import bisect

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, find_argument
from bnlint.analysis.syntax import Binding, BindingKind, ClassInfo, FunctionInfo, ModuleSyntax, Scope, ScopeKind
from bnlint.analysis.values import (
    DYNAMIC,
    UNKNOWN,
    CallResult,
    ClassRef,
    External,
    Flag,
    FunctionRef,
    Instance,
    Literal,
    Member,
    Parameter,
    Partial,
    Template,
    Value,
)

_LITERAL_NAMES = {"True": True, "False": False, "None": None}


def literal_value(node: cst.BaseExpression) -> tuple[bool, object]:
    """(True, value) for a literal constant written in the source, else (False, None)."""
    if isinstance(node, cst.Name) and node.value in _LITERAL_NAMES:
        return True, _LITERAL_NAMES[node.value]
    if isinstance(node, (cst.Integer, cst.Float)):
        return True, node.evaluated_value
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value is not None, value
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, (cst.Integer, cst.Float))
    ):
        return True, -node.expression.evaluated_value
    return False, None


class Resolver:
    def __init__(self, syntax: ModuleSyntax) -> None:
        self._syntax = syntax
        self._binding_values: dict[Binding, Value] = {}
        self._binding_flags: dict[Binding, Flag] = {}
        # Bindings being evaluated: meeting one again means a cycle (`x = x.y`), which resolves to nothing.
        self._values_in_progress: set[Binding] = set()
        self._flags_in_progress: set[Binding] = set()

    # -- scopes ----------------------------------------------------------------------------------------------

    def lookup(self, name: str, scope: Scope, order: int | None = None) -> list[Binding]:
        """The bindings a use of `name` may see.

        In the use's own function, only bindings made before `order` count when there are any (so that
        `tf = tf.compat.v1` reads the import); from an enclosing scope every binding counts.
        """
        current: Scope | None = scope.module if name in scope.global_names else scope
        local = True
        in_function = False
        while current is not None:
            if current.kind is ScopeKind.CLASS and in_function:
                current = current.parent
                continue
            bindings = current.bindings.get(name)
            if bindings and name not in current.nonlocal_names:
                if local and order is not None:
                    # Bindings are recorded in traversal order, so the earlier ones are a prefix.
                    count = bisect.bisect_left(bindings, order, key=lambda binding: binding.order)
                    if count:
                        return bindings[:count]
                return bindings
            if current.kind is not ScopeKind.COMPREHENSION:
                local = False
            if current.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA):
                in_function = True
            current = current.parent
        return []

    # -- references ------------------------------------------------------------------------------------------

    def resolve(self, node: cst.BaseExpression, scope: Scope, order: int | None = None) -> Value:
        if isinstance(node, cst.Name):
            return self._resolve_name(node.value, scope, order)
        if isinstance(node, cst.Attribute):
            return self._attribute(self.resolve(node.value, scope, order), node.attr.value)
        if isinstance(node, cst.Call):
            return self._call_result(node, scope, order)
        if isinstance(node, cst.Lambda):
            return FunctionRef(self._syntax.function_of_node[node])
        return UNKNOWN

    def qualified_name(self, node: cst.BaseExpression, scope: Scope, order: int | None = None) -> str | None:
        value = self.resolve(node, scope, order)
        return value.name if isinstance(value, External) else None

    def _resolve_name(self, name: str, scope: Scope, order: int | None) -> Value:
        bindings = self.lookup(name, scope, order)
        if not bindings:
            for module in self._syntax.star_imports:
                candidate = catalogue.canonical(f"{module}.{name}")
                if catalogue.is_known(candidate):
                    return External(candidate)
            return UNKNOWN
        return self._agreed(bindings)

    def _agreed(self, bindings: list[Binding]) -> Value:
        """The value every binding gives, or UNKNOWN; stops at the first that disagrees."""
        first = self.binding_value(bindings[0])
        if first is UNKNOWN:
            return UNKNOWN
        return first if all(self.binding_value(binding) == first for binding in bindings[1:]) else UNKNOWN

    def binding_value(self, binding: Binding) -> Value:
        if binding in self._binding_values:
            return self._binding_values[binding]
        if binding in self._values_in_progress:
            return UNKNOWN
        self._values_in_progress.add(binding)
        try:
            value = self._compute_binding_value(binding)
        finally:
            self._values_in_progress.discard(binding)
        self._binding_values[binding] = value
        return value

    def _compute_binding_value(self, binding: Binding) -> Value:
        kind = binding.kind
        if kind is BindingKind.IMPORT:
            assert binding.imported is not None
            if binding.imported.startswith("."):
                return UNKNOWN
            return External(catalogue.canonical(binding.imported))
        if kind is BindingKind.FUNCTION:
            assert binding.function is not None
            return self.function_ref(binding.function, bound=False)
        if kind is BindingKind.CLASS:
            return ClassRef(binding.cls) if binding.cls is not None else UNKNOWN
        if kind is BindingKind.PARAM:
            assert binding.function is not None
            return self._parameter_value(binding.function, binding.name)
        if kind is BindingKind.ASSIGN and binding.value is not None and not binding.unpacked:
            return self.resolve(binding.value, binding.scope, binding.order)
        return UNKNOWN

    def _parameter_value(self, function: FunctionInfo, name: str) -> Value:
        if function.cls is not None and not function.is_staticmethod and function.params[0].name == name:
            return Instance(function.cls)
        return Parameter(function, name)

    def function_ref(self, function: FunctionInfo, bound: bool) -> Value:
        for decorator in function.decorators:
            target = decorator.func if isinstance(decorator, cst.Call) else decorator
            if self.qualified_name(target, function.scope.parent or function.scope) not in (
                catalogue.TRANSPARENT_DECORATORS
            ):
                return UNKNOWN
        return FunctionRef(function, bound=bound and not function.is_staticmethod)

    def _attribute(self, owner: Value, attr: str) -> Value:
        if isinstance(owner, External):
            return External(catalogue.canonical(f"{owner.name}.{attr}"))
        if isinstance(owner, Instance):
            return self.member_of_class(owner.cls, attr, bound=True)
        if isinstance(owner, ClassRef):
            return self.member_of_class(owner.cls, attr, bound=False)
        if isinstance(owner, (CallResult, Member, Parameter)):
            return Member(owner, attr)
        return UNKNOWN

    def member_of_class(
        self, cls: ClassInfo, attr: str, bound: bool, seen: frozenset[ClassInfo] = frozenset()
    ) -> Value:
        if cls in seen:
            return UNKNOWN
        method = cls.methods.get(attr)
        if method is not None:
            return self.function_ref(method, bound=bound)
        bindings = cls.attributes.get(attr) or cls.scope.bindings.get(attr)
        if bindings:
            return self._agreed(bindings)
        for base in cls.node.bases:
            parent = self.resolve(base.value, cls.scope.parent or cls.scope)
            if isinstance(parent, ClassRef):
                found = self.member_of_class(parent.cls, attr, bound, seen | {cls})
                if found is not UNKNOWN:
                    return found
        return UNKNOWN

    def external_bases(self, cls: ClassInfo) -> set[str]:
        """The framework classes among a class's ancestors (`tensorflow.test.TestCase`, `keras.layers.Layer`)."""
        found: set[str] = set()
        seen: set[ClassInfo] = set()
        pending = [cls]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            for base in current.node.bases:
                value = self.resolve(base.value, current.scope.parent or current.scope)
                if isinstance(value, External):
                    found.add(value.name)
                elif isinstance(value, ClassRef):
                    pending.append(value.cls)
        return found

    def _call_result(self, node: cst.Call, scope: Scope, order: int | None) -> Value:
        callee = self.resolve(node.func, scope, order)
        call_order = order if order is not None else 0
        if isinstance(callee, External):
            if callee.name == catalogue.PARTIAL and node.args and not node.args[0].star:
                return Partial(self.resolve(node.args[0].value, scope, order), node, scope, call_order)
            if callee.name == catalogue.MAKE_TEMPLATE:
                arguments = [ArgumentRef(arg, scope, call_order) for arg in node.args]
                template_fn = find_argument(arguments, "func_", 1)
                target = (
                    self.resolve(template_fn.value, scope, order) if isinstance(template_fn, ArgumentRef) else UNKNOWN
                )
                return Template(target)
            return CallResult(callee.name, node, scope, call_order)
        if isinstance(callee, ClassRef):
            return Instance(callee.cls)
        return UNKNOWN

    # -- flags -----------------------------------------------------------------------------------------------

    def flag(self, node: cst.BaseExpression, scope: Scope, order: int | None = None) -> Flag:
        """What a mode or reuse argument evaluates to, as far as the source tells."""
        is_literal, value = literal_value(node)
        if is_literal:
            return Literal(value, node)
        if isinstance(node, cst.Name):
            bindings = self.lookup(node.value, scope, order)
            if not bindings:
                return DYNAMIC
            first = self._binding_flag(bindings[0])
            if first is DYNAMIC:
                return DYNAMIC  # whatever the other bindings say, the name is not one known value
            rest = (self._binding_flag(binding) for binding in bindings[1:])
            if isinstance(first, Literal):
                same = all(isinstance(flag, Literal) and flag.value == first.value for flag in rest)
                return Literal(first.value, first.node, constant=node.value) if same else DYNAMIC
            return first if all(flag == first for flag in rest) else DYNAMIC
        if isinstance(node, cst.Attribute):
            value = self.resolve(node, scope, order)
            return value if isinstance(value, External) else DYNAMIC
        if (
            isinstance(node, cst.Call)
            and node.args
            and self.qualified_name(node.func, scope, order) == catalogue.TF_CONSTANT
        ):
            is_literal, value = literal_value(node.args[0].value)
            if is_literal:
                return Literal(value, node)
        return DYNAMIC

    def _binding_flag(self, binding: Binding) -> Flag:
        if binding in self._binding_flags:
            return self._binding_flags[binding]
        if binding in self._flags_in_progress:
            return DYNAMIC
        self._flags_in_progress.add(binding)
        try:
            flag = self._compute_binding_flag(binding)
        finally:
            self._flags_in_progress.discard(binding)
        self._binding_flags[binding] = flag
        return flag

    def _compute_binding_flag(self, binding: Binding) -> Flag:
        if binding.kind is BindingKind.PARAM:
            assert binding.function is not None
            value = self._parameter_value(binding.function, binding.name)
            return value if isinstance(value, Parameter) else DYNAMIC
        if binding.kind is BindingKind.IMPORT:
            value = self.binding_value(binding)
            return value if isinstance(value, External) else DYNAMIC
        if (
            binding.kind is BindingKind.ASSIGN
            and binding.value is not None
            and not binding.unpacked
            and not binding.from_with
        ):
            return self.flag(binding.value, binding.scope, binding.order)
        return DYNAMIC
