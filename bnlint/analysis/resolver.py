"""Name resolution on top of the collected syntax: imports, aliases, functions, classes, methods and flags.

Built instead of libcst's scope and qualified-name providers, which together cost about eight times the parse on
real TensorFlow code; this resolver only looks at the names a rule asks about.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from typing import Protocol

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, find_argument
from bnlint.analysis.fixpoint import Memo, PrefixAny
from bnlint.analysis.syntax import Binding, BindingKind, ClassInfo, FunctionInfo, ModuleSyntax, Scope, ScopeKind
from bnlint.analysis.values import (
    AnyMember,
    CallResult,
    ClassRef,
    External,
    Flag,
    FunctionRef,
    Instance,
    Literal,
    Member,
    ModuleRef,
    Parameter,
    Partial,
    Template,
    Unknown,
    Value,
)

_LITERAL_NAMES = {"True": True, "False": False, "None": None}
# Builtins that give the elements of a list in another order or container.
_ORDER_BUILTINS = frozenset({"reversed", "list", "tuple", "sorted", "iter"})
# How far `candidates` follows names and returns, and how many values it gathers: a name bound a few ways by
# configuration is what it is for; beyond these the value is unknown.
_MAX_CANDIDATE_DEPTH = 6
_MAX_CANDIDATES = 16


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


class ModuleLinks(Protocol):
    """What a resolver needs from the project around its module."""

    def is_framework(self, imported: str) -> bool:
        """Whether an import names a framework bnlint knows by its APIs, not a package of the project's own."""

    def resolve_import(self, imported: str) -> Value | None:
        """The project module or member an import names; None when it is not in the project."""

    def module_member(self, module: ModuleRef, attr: str) -> Value:
        """A submodule, or the value of a module-level name, of a project module."""

    def resolver_for(self, scope: Scope) -> Resolver | None:
        """The resolver of the module that owns `scope`."""

    def module_flag(self, module: ModuleRef, name: str) -> Flag:
        """The flag a module-level name of a project module gives."""

    def module_functions(self, module: ModuleRef) -> list[FunctionInfo]:
        """The functions a project module defines at its top level."""


class Resolver:
    def __init__(self, syntax: ModuleSyntax, links: ModuleLinks | None = None) -> None:
        self._syntax = syntax
        self._links = links
        # A binding met again while it is evaluated is a cycle (`x = x.y`), which resolves to nothing.
        self._binding_values: Memo[Binding, Value] = Memo(Unknown.UNRESOLVED)
        self._binding_flags: Memo[Binding, Flag] = Memo(Unknown.DYNAMIC)
        # Whether a binding of a list disagrees with the list's first, by value and by flag.
        self._value_disagreements: PrefixAny[Binding] = PrefixAny()
        self._flag_disagreements: PrefixAny[Binding] = PrefixAny()
        self._stars_in_progress: set[str] = set()
        self._returns_in_progress: set[FunctionInfo] = set()
        self._appends: dict[tuple[Scope, str], list[cst.BaseExpression]] | None = None

    def _for(self, scope: Scope) -> Resolver:
        """The resolver of the module that owns `scope`: a name is resolved in the module where it is written."""
        if self._links is None or scope.module is self._syntax.scope:
            return self
        return self._links.resolver_for(scope) or self

    # -- scopes ----------------------------------------------------------------------------------------------

    def lookup(self, name: str, scope: Scope, order: int | None = None) -> list[Binding]:
        """The bindings a use of `name` may see.

        In the use's own function, only bindings made before `order` count when there are any (so that
        `tf = tf.compat.v1` reads the import); from an enclosing scope every binding counts.
        """
        _, bindings, count = self.visible(name, scope, order)
        return bindings if count == len(bindings) else bindings[:count]

    def visible(self, name: str, scope: Scope, order: int | None = None) -> tuple[Scope | None, list[Binding], int]:
        """What `lookup` gives, without copying: the scope that binds the name, all its bindings of the name, and
        how many of them, from the first, the use sees (None, [], 0 when no scope binds it). Uses of a name
        rebound N times in one scope see prefixes of one list, which a caller that has followed a longer prefix
        need not follow again: `x = block(x)` repeated costs N steps, not the N²/2 of each use copying its own."""
        owner = self._for(scope)
        if owner is not self:
            return owner.visible(name, scope, order)
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
                        return current, bindings, count
                return current, bindings, len(bindings)
            if current.kind is not ScopeKind.COMPREHENSION:
                local = False
            if current.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA):
                in_function = True
            current = current.parent
        return None, [], 0

    # -- references ------------------------------------------------------------------------------------------

    def resolve(self, node: cst.BaseExpression, scope: Scope, order: int | None = None) -> Value:
        owner = self._for(scope)
        if owner is not self:
            return owner.resolve(node, scope, order)
        if isinstance(node, cst.Name):
            return self._resolve_name(node.value, scope, order)
        if isinstance(node, cst.Attribute):
            return self.attribute(self.resolve(node.value, scope, order), node.attr.value)
        if isinstance(node, cst.Call):
            return self._call_result(node, scope, order)
        if isinstance(node, cst.Lambda):
            return FunctionRef(self._syntax.function_of_node[node])
        return Unknown.UNRESOLVED

    def qualified_name(self, node: cst.BaseExpression, scope: Scope, order: int | None = None) -> str | None:
        value = self.resolve(node, scope, order)
        return value.name if isinstance(value, External) else None

    def _resolve_name(self, name: str, scope: Scope, order: int | None) -> Value:
        owner, bindings, count = self.visible(name, scope, order)
        if not count:
            return self._star_imported(name)
        return self._agreed((owner, name), bindings, count)

    def _star_imported(self, name: str) -> Value:
        """A name only a `from module import *` can bind: the last such import that supplies it wins, as in Python."""
        if name.startswith("_") or name in self._stars_in_progress:
            # `import *` skips private names; a cycle of star imports supplies nothing new.
            return Unknown.UNRESOLVED
        self._stars_in_progress.add(name)
        try:
            for module in reversed(self._syntax.star_imports):
                found = self._star_member(module, name)
                if found is not Unknown.UNRESOLVED:
                    return found
        finally:
            self._stars_in_progress.discard(name)
        return Unknown.UNRESOLVED

    def _star_member(self, module: str, name: str) -> Value:
        in_project = None
        if self._links is not None and not self._links.is_framework(module):
            in_project = self._links.resolve_import(module)
        if isinstance(in_project, ModuleRef):
            return self._links.module_member(in_project, name) if self._links is not None else Unknown.UNRESOLVED
        if module.startswith(".") or in_project is not None:
            return Unknown.UNRESOLVED
        candidate = catalogue.canonical(f"{module}.{name}")
        return External(candidate) if catalogue.is_known(candidate) else Unknown.UNRESOLVED

    def self_class(self, name: str, scope: Scope, order: int | None = None) -> ClassInfo | None:
        """The class whose instance a name is, when it is the `self` parameter of a method (`self.d_loss`)."""
        bindings = self.lookup(name, scope, order)
        if len(bindings) != 1 or bindings[0].kind is not BindingKind.PARAM:
            return None
        function = bindings[0].function
        if function is None or function.cls is None or function.is_staticmethod or function.params[0].name != name:
            return None
        return function.cls

    def attribute_bindings(self, cls: ClassInfo, name: str) -> list[Binding]:
        """The assignments of `self.<name>` in the methods of a class, else of its nearest project base class."""
        classes, _ = self._ancestry(cls)
        return next((current.attributes[name] for current in classes if name in current.attributes), [])

    def attribute_names(self, cls: ClassInfo) -> set[str]:
        """The attributes the methods of a class and of its project base classes assign on `self`."""
        classes, _ = self._ancestry(cls)
        return {name for current in classes for name in current.attributes}

    def name_candidates(self, node: cst.Name, scope: Scope, order: int | None = None) -> list[Value]:
        """What each binding a use of a name may see gives, where the bindings disagree (`opt = wrap(opt)`)."""
        owner = self._for(scope)
        if owner is not self:
            return owner.name_candidates(node, scope, order)
        return [self.binding_value(binding) for binding in self.lookup(node.value, scope, order)]

    def candidates(self, node: cst.BaseExpression, scope: Scope, order: int | None = None) -> list[Value]:
        """The values an expression may have, one per way the program reaches it: the value where the resolver
        decides one; else, for a name, what each of its bindings gives, and for a call of a project function, what
        each of its return statements gives (`model = ResNet50()` or `model = ResNet34()` by configuration, returned
        by `get_model()`). Unresolved where one way is not known; at most _MAX_CANDIDATES values."""
        found: dict[Value, None] = {}
        self._add_candidates(node, scope, order, found, depth=0)
        return list(found) or [Unknown.UNRESOLVED]

    def _add_candidates(
        self, node: cst.BaseExpression, scope: Scope, order: int | None, found: dict[Value, None], depth: int
    ) -> None:
        value = self.resolve(node, scope, order)
        if value is not Unknown.UNRESOLVED or depth == _MAX_CANDIDATE_DEPTH or len(found) >= _MAX_CANDIDATES:
            found[value] = None
            return
        owner = self._for(scope)
        if isinstance(node, cst.Name):
            for binding in owner.lookup(node.value, scope, order):
                if binding.kind is BindingKind.ASSIGN and binding.value is not None and not binding.unpacked:
                    owner._add_candidates(binding.value, binding.scope, binding.order, found, depth + 1)
                else:
                    found[owner.binding_value(binding)] = None
            return
        callee = owner.resolve(node.func, scope, order) if isinstance(node, cst.Call) else None
        if not isinstance(callee, FunctionRef) or not callee.function.returns:
            found[value] = None
            return
        function = callee.function
        for returned in function.returns:
            self._add_candidates(returned, function.scope, None, found, depth + 1)

    def module_level(self, name: str) -> Value:
        """What a module-level name of this module refers to, as another module importing it sees it."""
        return self._resolve_name(name, self._syntax.scope, None)

    def _agreed(self, key: Hashable, bindings: list[Binding], count: int) -> Value:
        """The value each of the first `count` bindings (of the list `key` names) gives, or Unknown.UNRESOLVED;
        stops at the first that disagrees."""
        first = self.binding_value(bindings[0])
        if first is Unknown.UNRESOLVED:
            return Unknown.UNRESOLVED
        differs = self._value_disagreements(key, bindings, count, lambda binding: self.binding_value(binding) != first)
        return Unknown.UNRESOLVED if differs else first

    def binding_value(self, binding: Binding) -> Value:
        owner = self._for(binding.scope)
        if owner is not self:
            return owner.binding_value(binding)
        return self._binding_values.once(binding, self._compute_binding_value)

    def _compute_binding_value(self, binding: Binding) -> Value:
        kind = binding.kind
        if kind is BindingKind.IMPORT:
            assert binding.imported is not None
            if self._links is not None and not self._links.is_framework(binding.imported):
                in_project = self._links.resolve_import(binding.imported)
                if in_project is not None:
                    return in_project
            if binding.imported.startswith("."):
                return Unknown.UNRESOLVED
            return External(catalogue.canonical(binding.imported))
        if kind is BindingKind.FUNCTION:
            assert binding.function is not None
            return self.function_ref(binding.function, bound=False)
        if kind is BindingKind.CLASS:
            return ClassRef(binding.cls) if binding.cls is not None else Unknown.UNRESOLVED
        if kind is BindingKind.PARAM:
            assert binding.function is not None
            return self._parameter_value(binding.function, binding.name)
        if kind is BindingKind.ASSIGN and binding.value is not None and not binding.unpacked:
            return self.resolve(binding.value, binding.scope, binding.order)
        if isinstance(binding.node, (cst.For, cst.CompFor)) and isinstance(binding.node.target, cst.Name):
            return self._element(binding.node.iter, binding.scope, binding.order, depth=0)
        return Unknown.UNRESOLVED

    def _element(self, node: cst.BaseExpression, scope: Scope, order: int, depth: int) -> Value:
        """What every element of a list a loop walks is (`for layer in layers: layer.create_layer(x)`), when the
        list's elements, written out or appended, all agree (`layers.append(Conv2d(...))`)."""
        values = self.elements(node, scope, order, depth)
        return values[0] if values and all(value == values[0] for value in values) else Unknown.UNRESOLVED

    def loop_candidates(self, name: cst.Name, scope: Scope, order: int | None) -> list[Value]:
        """The elements a loop variable may be, one after another (`for layer in layers`); [] when unknown."""
        bindings = self.lookup(name.value, scope, order)
        if not bindings or not all(isinstance(binding.node, (cst.For, cst.CompFor)) for binding in bindings):
            return []
        found: list[Value] = []
        for binding in bindings:  # `for layer in layers:` twice, once reversed
            elements = self.elements(binding.node.iter, binding.scope, binding.order, depth=0)
            if not elements:
                return []
            found += elements
        return found

    def elements(self, node: cst.BaseExpression, scope: Scope, order: int, depth: int) -> list[Value]:
        """The values of a list's elements, written out or appended; [] when they cannot all be known."""
        if depth > 4:
            return []
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and len(node.args) == 1:
            if node.func.value in _ORDER_BUILTINS and not self.lookup(node.func.value, scope, order):
                return self.elements(node.args[0].value, scope, order, depth + 1)  # `reversed(layers)`
            return []
        if isinstance(node, (cst.List, cst.Tuple)):
            return [self.resolve(element.value, scope, order) for element in node.elements]
        if not isinstance(node, cst.Name):
            return []
        elements: list[cst.BaseExpression] = []
        for binding in self.lookup(node.value, scope, order):
            if self._none_parameter(binding):
                continue  # `def __init__(self, layers=None)`, then `if layers is None: layers = [...]`
            if binding.kind is not BindingKind.ASSIGN or not isinstance(binding.value, (cst.List, cst.Tuple)):
                return []
            elements += [element.value for element in binding.value.elements]
            elements += self._appended(node.value, binding.scope)
        return [self.resolve(element, scope, order) for element in elements]

    @staticmethod
    def _none_parameter(binding: Binding) -> bool:
        if binding.kind is not BindingKind.PARAM or binding.function is None:
            return False
        param = binding.function.param(binding.name)
        return param is not None and param.default is not None and literal_value(param.default) == (True, None)

    def _appended(self, name: str, scope: Scope) -> list[cst.BaseExpression]:
        """What `name.append(x)` calls in the scope put into the list (indexed once per module)."""
        if self._appends is None:
            self._appends = {}
            for site in self._syntax.calls:
                func = site.node.func
                if (
                    type(func) is cst.Attribute
                    and func.attr.value == "append"
                    and type(func.value) is cst.Name
                    and len(site.node.args) == 1
                ):
                    self._appends.setdefault((site.scope, func.value.value), []).append(site.node.args[0].value)
        return self._appends.get((scope, name), [])

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
                return Unknown.UNRESOLVED
        return FunctionRef(function, bound=bound and not function.is_staticmethod)

    def attribute(self, owner: Value, attr: str) -> Value:
        if isinstance(owner, ModuleRef):
            return self._links.module_member(owner, attr) if self._links is not None else Unknown.UNRESOLVED
        if isinstance(owner, External):
            return External(catalogue.canonical(f"{owner.name}.{attr}"))
        if isinstance(owner, Instance):
            return self.member_of_class(owner.cls, attr, bound=True)
        if isinstance(owner, ClassRef):
            return self.member_of_class(owner.cls, attr, bound=False)
        if isinstance(owner, (CallResult, Member, Parameter)):
            return Member(owner, attr)
        return Unknown.UNRESOLVED

    def member_of_class(
        self, cls: ClassInfo, attr: str, bound: bool, seen: frozenset[ClassInfo] = frozenset()
    ) -> Value:
        owner = self._for(cls.scope)
        if owner is not self:
            return owner.member_of_class(cls, attr, bound, seen)
        if cls in seen:
            return Unknown.UNRESOLVED
        method = cls.methods.get(attr)
        if method is not None:
            return self.function_ref(method, bound=bound)
        bindings = cls.attributes.get(attr) or cls.scope.bindings.get(attr)
        if bindings:
            return self._agreed(("member", cls, attr), bindings, len(bindings))
        for base in cls.node.bases:
            parent = self.resolve(base.value, cls.scope.parent or cls.scope)
            if isinstance(parent, ClassRef):
                found = self.member_of_class(parent.cls, attr, bound, seen | {cls})
                if found is not Unknown.UNRESOLVED:
                    return found
        return Unknown.UNRESOLVED

    def external_bases(self, cls: ClassInfo) -> set[str]:
        """The framework classes among a class's ancestors (`tensorflow.test.TestCase`, `keras.layers.Layer`)."""
        return self._ancestry(cls)[1]

    def project_classes(self, cls: ClassInfo) -> list[ClassInfo]:
        """A class and its ancestors that are classes of the project."""
        return self._ancestry(cls)[0]

    def _ancestry(self, cls: ClassInfo) -> tuple[list[ClassInfo], set[str]]:
        """A class and its ancestors of the project, and the framework classes among its ancestors."""
        classes: list[ClassInfo] = []
        external: set[str] = set()
        pending = [cls]
        while pending:
            current = pending.pop()
            if current in classes:
                continue
            classes.append(current)
            for base in current.node.bases:
                value = self.resolve(base.value, current.scope.parent or current.scope)
                if isinstance(value, External):
                    external.add(value.name)
                elif isinstance(value, ClassRef):
                    pending.append(value.cls)
        return classes, external

    def _call_result(self, node: cst.Call, scope: Scope, order: int | None) -> Value:
        callee = self.resolve(node.func, scope, order)
        call_order = order if order is not None else 0
        if isinstance(callee, External):
            if callee.name == catalogue.PARTIAL and node.args and not node.args[0].star:
                return Partial(self.resolve(node.args[0].value, scope, order), node, scope, call_order)
            if callee.name == catalogue.MAKE_TEMPLATE:
                arguments = [ArgumentRef(arg, scope, call_order) for arg in node.args]
                template_fn = find_argument(arguments, "func_", 1)
                if not isinstance(template_fn, ArgumentRef):
                    return Template(Unknown.UNRESOLVED)
                return Template(self.resolve(template_fn.value, scope, order))
            return CallResult(callee.name, node, scope, call_order)
        if isinstance(callee, ClassRef):
            return Instance(callee.cls)
        if isinstance(callee, FunctionRef):
            return self._returned(callee.function)
        is_getattr = isinstance(node.func, cst.Name) and node.func.value == "getattr"
        if is_getattr and not self.lookup("getattr", scope, order):
            return self._getattr(node, scope, order)
        return Unknown.UNRESOLVED

    def _returned(self, function: FunctionInfo) -> Value:
        """What a function of the project returns, where all its return statements agree (`return getattr(ops,
        name)`, `return self.model`)."""
        owner = self._for(function.scope)
        if owner is not self:
            return owner._returned(function)
        if function in self._returns_in_progress or not function.returns:
            return Unknown.UNRESOLVED
        self._returns_in_progress.add(function)
        try:
            values = [self.resolve(value, function.scope) for value in function.returns]
        finally:
            self._returns_in_progress.discard(function)
        return values[0] if all(value == values[0] for value in values) else Unknown.UNRESOLVED

    def _getattr(self, node: cst.Call, scope: Scope, order: int | None) -> Value:
        if len(node.args) != 2 or any(arg.star or arg.keyword for arg in node.args):
            return Unknown.UNRESOLVED
        target = self.resolve(node.args[0].value, scope, order)
        is_literal, name = literal_value(node.args[1].value)
        if is_literal:
            return self.attribute(target, name) if isinstance(name, str) else Unknown.UNRESOLVED
        return AnyMember(target) if isinstance(target, ModuleRef) else Unknown.UNRESOLVED

    def module_functions(self, module: ModuleRef) -> list[FunctionInfo]:
        return self._links.module_functions(module) if self._links is not None else []

    # -- flags -----------------------------------------------------------------------------------------------

    def flag(self, node: cst.BaseExpression, scope: Scope, order: int | None = None) -> Flag:
        """What a mode or reuse argument evaluates to, as far as the source tells."""
        owner = self._for(scope)
        if owner is not self:
            return owner.flag(node, scope, order)
        is_literal, value = literal_value(node)
        if is_literal:
            return Literal(value, node)
        if isinstance(node, cst.Name):
            owner, bindings, count = self.visible(node.value, scope, order)
            return self._agreed_flag((owner, node.value), bindings, count, node.value)
        if isinstance(node, cst.Attribute):
            return self._attribute_flag(node, scope, order)
        if (
            isinstance(node, cst.Call)
            and node.args
            and self.qualified_name(node.func, scope, order) == catalogue.TF_CONSTANT
        ):
            is_literal, value = literal_value(node.args[0].value)
            if is_literal:
                return Literal(value, node)
        return Unknown.DYNAMIC

    def _agreed_flag(self, key: Hashable, bindings: Sequence[Binding], count: int, name: str) -> Flag:
        """The flag each of the first `count` bindings of a name (of the list `key` names) gives; Unknown.DYNAMIC
        when they disagree or there is none."""
        if not count:
            return Unknown.DYNAMIC
        first = self._binding_flag(bindings[0])
        if first is Unknown.DYNAMIC:
            return Unknown.DYNAMIC  # whatever the other bindings say, the name is not one known value
        if isinstance(first, Literal):
            literal = first

            def differs(binding: Binding) -> bool:
                flag = self._binding_flag(binding)
                return not isinstance(flag, Literal) or flag.value != literal.value

            same = not self._flag_disagreements(key, bindings, count, differs)
            return Literal(first.value, first.node, constant=name) if same else Unknown.DYNAMIC
        same = not self._flag_disagreements(key, bindings, count, lambda binding: self._binding_flag(binding) != first)
        return first if same else Unknown.DYNAMIC

    def _attribute_flag(self, node: cst.Attribute, scope: Scope, order: int | None) -> Flag:
        """`tf.AUTO_REUSE`; `self.is_training` set from a constructor parameter; `Config.IS_TRAINING`."""
        owner = self.resolve(node.value, scope, order)
        attr = node.attr.value
        if isinstance(owner, (Instance, ClassRef)):
            return self.class_attribute_flag(owner.cls, attr, frozenset())
        if isinstance(owner, ModuleRef) and self._links is not None:
            return self._links.module_flag(owner, attr)
        value = self.attribute(owner, attr)
        return value if isinstance(value, External) else Unknown.DYNAMIC

    def class_attribute_flag(self, cls: ClassInfo, attr: str, seen: frozenset[ClassInfo]) -> Flag:
        owner = self._for(cls.scope)
        if owner is not self:
            return owner.class_attribute_flag(cls, attr, seen)
        instance = cls.attributes.get(attr, [])
        bindings = instance + cls.scope.bindings.get(attr, [])
        if bindings or cls in seen:
            flag = self._agreed_flag(("attribute", cls, attr), bindings, len(bindings), attr)
            # Code anywhere may set an object's attribute, so a constant stored on the instance is not one known
            # value; a constructor parameter stored there is still the flag the caller passed.
            return Unknown.DYNAMIC if instance and isinstance(flag, Literal) else flag
        for base in cls.node.bases:
            parent = self.resolve(base.value, cls.scope.parent or cls.scope)
            if isinstance(parent, ClassRef):
                return self.class_attribute_flag(parent.cls, attr, seen | {cls})
        return Unknown.DYNAMIC

    def module_flag(self, name: str) -> Flag:
        """The flag a module-level name of this module gives, as another module importing it sees it."""
        bindings = self._syntax.scope.bindings.get(name, [])
        return self._agreed_flag((self._syntax.scope, name), bindings, len(bindings), name)

    def _binding_flag(self, binding: Binding) -> Flag:
        owner = self._for(binding.scope)
        if owner is not self:
            return owner._binding_flag(binding)
        return self._binding_flags.once(binding, self._compute_binding_flag)

    def _compute_binding_flag(self, binding: Binding) -> Flag:
        if binding.kind is BindingKind.PARAM:
            assert binding.function is not None
            value = self._parameter_value(binding.function, binding.name)
            return value if isinstance(value, Parameter) else Unknown.DYNAMIC
        if binding.kind is BindingKind.IMPORT:
            assert binding.imported is not None
            if self._links is not None and not self._links.is_framework(binding.imported):
                module, _, name = binding.imported.rpartition(".")
                target = self._links.resolve_import(module) if module else None
                if isinstance(target, ModuleRef):
                    return self._links.module_flag(target, name)  # `from config import IS_TRAINING`
            value = self.binding_value(binding)
            return value if isinstance(value, External) else Unknown.DYNAMIC
        if (
            binding.kind is BindingKind.ASSIGN
            and binding.value is not None
            and not binding.unpacked
            and not binding.from_with
        ):
            return self.flag(binding.value, binding.scope, binding.order)
        return Unknown.DYNAMIC
