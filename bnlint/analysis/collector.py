"""One pass over a libcst module that records its scopes, bindings, functions, classes and call sites."""

from __future__ import annotations

import libcst as cst

from bnlint.analysis.syntax import (
    Binding,
    BindingKind,
    CallSite,
    ClassInfo,
    Condition,
    ConditionKind,
    Context,
    FunctionInfo,
    AttributeStore,
    ItemAssignment,
    ModuleSyntax,
    ParamInfo,
    ParamKind,
    Scope,
    ScopeKind,
    WithFrame,
    dotted_name,
)
from bnlint.analysis.walk import walk

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_EXITS = (cst.Return, cst.Raise, cst.Continue, cst.Break)


def collect(module: cst.Module) -> ModuleSyntax:
    collector = _Collector(module)
    walk(module, collector)
    return collector.syntax


def _ends_with_exit(body: cst.BaseSuite) -> bool:
    statements = body.body
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return bool(last.body) and isinstance(last.body[-1], _EXITS)
    return isinstance(last, _EXITS)


def _target_names(target: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[cst.Name] = []
        for element in target.elements:
            names.extend(_target_names(element.value))
        return names
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _target_attributes(target: cst.BaseExpression) -> list[cst.Attribute]:
    """The attributes among the elements of a tuple or list target (`self.D, self.D_logits = ...`)."""
    if not isinstance(target, (cst.Tuple, cst.List)):
        return []
    found: list[cst.Attribute] = []
    for element in target.elements:
        value = element.value
        if isinstance(value, cst.Attribute):
            found.append(value)
        else:
            found.extend(_target_attributes(value))
    return found


class _Collector(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        scope = Scope(ScopeKind.MODULE, None)
        self.syntax = ModuleSyntax(module=module, scope=scope)
        self._scope = scope
        self._order = 0
        self._withs: list[WithFrame] = []
        self._conditions: list[Condition] = []
        self._saved_contexts: list[tuple[list[WithFrame], list[Condition]]] = []
        self._block_marks: list[int] = []
        self._lambda_arguments: dict[cst.Lambda, tuple[cst.Call, int]] = {}
        self._lambda_pushed: list[bool] = []
        self._classes: list[ClassInfo] = []

    # -- helpers ---------------------------------------------------------------------------------------------

    def _next_order(self) -> int:
        self._order += 1
        return self._order

    def _branching(self) -> bool:
        """Whether the code runs only under some condition (a loop body runs, as far as this goes, always)."""
        return any(condition.kind is not ConditionKind.LOOP for condition in self._conditions)

    def _function(self) -> FunctionInfo | None:
        return self._scope.nearest_function

    def _binding_scope(self, name: str) -> Scope:
        scope = self._scope
        while scope.kind is ScopeKind.COMPREHENSION and scope.parent is not None:
            scope = scope.parent
        if name in scope.global_names:
            return scope.module
        return scope

    def _bind(
        self,
        name: str,
        kind: BindingKind,
        node: cst.CSTNode,
        *,
        imported: str | None = None,
        value: cst.BaseExpression | None = None,
        unpacked: bool = False,
        from_with: bool = False,
        function: FunctionInfo | None = None,
        cls: ClassInfo | None = None,
    ) -> Binding:
        scope = self._binding_scope(name)
        binding = Binding(
            name=name,
            kind=kind,
            scope=scope,
            order=self._next_order(),
            node=node,
            imported=imported,
            value=value,
            unpacked=unpacked,
            from_with=from_with,
            function=function,
            cls=cls,
        )
        scope.add(binding)
        return binding

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, BindingKind.ASSIGN, node, value=value)
            return
        if isinstance(target, cst.Attribute):
            self._bind_attribute(target, value, node)
            return
        if isinstance(target, cst.Subscript):
            self._record_item_assignment(target, value, node)
            return
        for name in _target_names(target):
            self._bind(name.value, BindingKind.ASSIGN, node, value=value, unpacked=True)
        for attribute in _target_attributes(target):
            self._bind_attribute(attribute, value, node, unpacked=True)

    def _bind_attribute(
        self, target: cst.Attribute, value: cst.BaseExpression | None, node: cst.CSTNode, unpacked: bool = False
    ) -> None:
        """Record `self.<attr> = value` inside a method as an attribute of the class; every store into an attribute
        (`base.trainable = False`) as an AttributeStore."""
        self.syntax.attribute_stores.append(AttributeStore(target, value, self._scope, self._order))
        function = self._function()
        if function is None or function.cls is None or function.is_staticmethod or not function.params:
            return
        if not (isinstance(target.value, cst.Name) and target.value.value == function.params[0].name):
            return
        binding = Binding(
            name=target.attr.value,
            kind=BindingKind.ASSIGN,
            scope=self._scope,
            order=self._next_order(),
            node=node,
            value=value,
            unpacked=unpacked,
            cls=function.cls,
        )
        function.cls.attributes.setdefault(binding.name, []).append(binding)

    def _record_item_assignment(
        self, target: cst.Subscript, value: cst.BaseExpression | None, node: cst.CSTNode
    ) -> None:
        if not isinstance(target.value, cst.Name):
            return
        key: str | None = None
        if len(target.slice) == 1:
            index = target.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Name) and value is not None:
                self.syntax.keyed_values.setdefault(index.value.value, []).append(value)
            if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                evaluated = index.value.evaluated_value
                key = evaluated if isinstance(evaluated, str) else None
        self.syntax.item_assignments.append(
            ItemAssignment(
                name=target.value.value,
                scope=self._scope,
                key=key,
                value=value,
                node=node,
                conditional=self._branching(),
                order=self._next_order(),
            )
        )

    def _push_scope(self, kind: ScopeKind) -> None:
        self._scope = Scope(kind, self._scope)

    def _pop_scope(self) -> None:
        assert self._scope.parent is not None
        self._scope = self._scope.parent

    def _params(self, parameters: cst.Parameters) -> tuple[ParamInfo, ...]:
        params: list[ParamInfo] = []
        positional = [*parameters.posonly_params, *parameters.params]
        for index, param in enumerate(positional):
            params.append(ParamInfo(param.name.value, ParamKind.POSITIONAL, index, param.default, param))
        if isinstance(parameters.star_arg, cst.Param):
            star = parameters.star_arg
            params.append(ParamInfo(star.name.value, ParamKind.VAR_POSITIONAL, None, None, star))
        for param in parameters.kwonly_params:
            params.append(ParamInfo(param.name.value, ParamKind.KEYWORD_ONLY, None, param.default, param))
        if parameters.star_kwarg is not None:
            star_kwarg = parameters.star_kwarg
            params.append(ParamInfo(star_kwarg.name.value, ParamKind.VAR_KEYWORD, None, None, star_kwarg))
        return tuple(params)

    def _register_function(self, function: FunctionInfo) -> None:
        self.syntax.functions.append(function)
        self.syntax.function_of_node[function.node] = function

    def _bind_params(self, function: FunctionInfo) -> None:
        for param in function.params:
            binding = Binding(
                name=param.name,
                kind=BindingKind.PARAM,
                scope=function.scope,
                order=self._next_order(),
                node=param.node,
                function=function,
            )
            function.scope.add(binding)

    # -- imports ---------------------------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, BindingKind.IMPORT, node, imported=full)
            else:
                top = full.split(".")[0]
                self._bind(top, BindingKind.IMPORT, node, imported=top)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted_name(node.module) if node.module is not None else ""
        if module is None:
            return
        prefix = "." * len(node.relative) + module
        if isinstance(node.names, cst.ImportStar):
            if self._scope.kind is ScopeKind.MODULE:
                self.syntax.star_imports.append(prefix)
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            separator = "" if prefix.endswith(".") or not prefix else "."
            self._bind(local, BindingKind.IMPORT, node, imported=f"{prefix}{separator}{name}")

    # -- definitions -----------------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        decorators: list[cst.BaseExpression] = []
        is_staticmethod = False
        for decorator in node.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Name) and expression.value == "staticmethod":
                is_staticmethod = True
            elif not (isinstance(expression, cst.Name) and expression.value == "classmethod"):
                decorators.append(expression)
        cls = self._classes[-1] if self._scope.kind is ScopeKind.CLASS else None
        scope = Scope(ScopeKind.FUNCTION, self._scope)
        function = FunctionInfo(
            node=node,
            name=node.name.value,
            scope=scope,
            params=self._params(node.params),
            cls=cls,
            decorators=tuple(decorators),
            is_staticmethod=is_staticmethod,
        )
        scope.function = function
        if cls is not None:
            cls.methods[function.name] = function
        self._register_function(function)
        self._bind(node.name.value, BindingKind.FUNCTION, node, function=function)

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        # Decorators and defaults were evaluated in the enclosing scope; the body runs later, in its own scope
        # and outside any `with` block or branch around the definition.
        function = self.syntax.function_of_node[node]
        self._scope = function.scope
        self._bind_params(function)
        self._saved_contexts.append((self._withs, self._conditions))
        self._withs, self._conditions = [], []

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._withs, self._conditions = self._saved_contexts.pop()
        self._pop_scope()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = Scope(ScopeKind.LAMBDA, self._scope)
        function = FunctionInfo(node=node, name="<lambda>", scope=scope, params=self._params(node.params))
        scope.function = function
        self._scope = scope
        self._register_function(function)
        self._bind_params(function)
        function.returns.append(node.body)
        owner = self._lambda_arguments.get(node)
        if owner is not None:
            call, index = owner
            self._conditions.append(Condition(ConditionKind.CALL_ARGUMENT, call, None, True, index))
        self._lambda_pushed.append(owner is not None)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        if self._lambda_pushed.pop():
            self._conditions.pop()
        self._pop_scope()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        cls = ClassInfo(node=node, name=node.name.value, scope=Scope(ScopeKind.CLASS, self._scope))
        self.syntax.classes.append(cls)
        self.syntax.class_of_node[node] = cls
        self._bind(node.name.value, BindingKind.CLASS, node, cls=cls)

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        cls = self.syntax.class_of_node[node]
        self._scope = cls.scope
        self._classes.append(cls)

    def leave_ClassDef_body(self, node: cst.ClassDef) -> None:
        self._classes.pop()
        self._pop_scope()

    def visit_Global(self, node: cst.Global) -> None:
        self._scope.global_names.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._scope.nonlocal_names.update(item.name.value for item in node.names)

    # -- assignments -----------------------------------------------------------------------------------------

    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self._bind_target(target.target, original_node.value, original_node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._bind_target(original_node.target, original_node.value, original_node)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        for name in _target_names(original_node.target):
            self._bind(name.value, BindingKind.OPAQUE, original_node)

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        if isinstance(original_node.target, cst.Name):
            self._bind(original_node.target.value, BindingKind.ASSIGN, original_node, value=original_node.value)

    def visit_For_body(self, node: cst.For) -> None:
        for name in _target_names(node.target):
            self._bind(name.value, BindingKind.OPAQUE, node)
        # For a loop, `index` counts the `with` blocks open where it starts: those after it open on every pass.
        self._conditions.append(Condition(ConditionKind.LOOP, node, None, True, len(self._withs)))

    def leave_For_body(self, node: cst.For) -> None:
        self._conditions.pop()

    def visit_ExceptHandler_body(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self._bind(node.name.name.value, BindingKind.OPAQUE, node)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        for name in _target_names(node.target):
            self._scope.add(Binding(name.value, BindingKind.OPAQUE, self._scope, self._next_order(), node))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._push_scope(ScopeKind.COMPREHENSION)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._pop_scope()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._push_scope(ScopeKind.COMPREHENSION)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._pop_scope()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._push_scope(ScopeKind.COMPREHENSION)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._pop_scope()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._push_scope(ScopeKind.COMPREHENSION)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._pop_scope()

    # -- context: with blocks and branches -------------------------------------------------------------------

    def visit_With_body(self, node: cst.With) -> None:
        for item in node.items:
            order = self._next_order()
            self._withs.append(WithFrame(item=item, scope=self._scope, order=order))
            if item.asname is not None:
                for name in _target_names(item.asname.name):
                    self._bind(name.value, BindingKind.ASSIGN, item, value=item.item, from_with=True)

    def leave_With_body(self, node: cst.With) -> None:
        del self._withs[len(self._withs) - len(node.items) :]

    def visit_If_body(self, node: cst.If) -> None:
        self._conditions.append(Condition(ConditionKind.IF, node, node.test, True))

    def leave_If_body(self, node: cst.If) -> None:
        self._conditions.pop()

    def visit_If_orelse(self, node: cst.If) -> None:
        self._conditions.append(Condition(ConditionKind.IF, node, node.test, False))

    def leave_If_orelse(self, node: cst.If) -> None:
        self._conditions.pop()

    def leave_If(self, original_node: cst.If) -> None:
        # `if test: return` makes everything after it in the same block run only when `test` is false.
        if original_node.orelse is None and _ends_with_exit(original_node.body):
            self._conditions.append(Condition(ConditionKind.IF, original_node, original_node.test, False))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._block_marks.append(len(self._conditions))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        del self._conditions[self._block_marks.pop() :]

    def visit_IfExp_body(self, node: cst.IfExp) -> None:
        self._conditions.append(Condition(ConditionKind.IF_EXP, node, node.test, True))

    def leave_IfExp_body(self, node: cst.IfExp) -> None:
        self._conditions.pop()

    def visit_IfExp_orelse(self, node: cst.IfExp) -> None:
        self._conditions.append(Condition(ConditionKind.IF_EXP, node, node.test, False))

    def leave_IfExp_orelse(self, node: cst.IfExp) -> None:
        self._conditions.pop()

    def visit_Return(self, node: cst.Return) -> None:
        function = self._function()
        if function is not None and node.value is not None:
            function.returns.append(node.value)

    # -- calls -----------------------------------------------------------------------------------------------

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if isinstance(node.key, cst.Name):
            self.syntax.keyed_values.setdefault(node.key.value, []).append(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        for index, arg in enumerate(node.args):
            if isinstance(arg.value, cst.Lambda):
                self._lambda_arguments[arg.value] = (node, index)
        function = self._function()
        site = CallSite(
            node=node,
            scope=self._scope,
            order=self._next_order(),
            context=Context(tuple(self._withs), tuple(self._conditions)),
            function=function,
        )
        self.syntax.calls.append(site)
        if function is not None:
            function.calls.append(site)
        self._record_dict_update(node)

    def _record_dict_update(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in {"update", "setdefault", "pop"}
            and isinstance(func.value, cst.Name)
        ):
            self.syntax.item_assignments.append(
                ItemAssignment(
                    name=func.value.value,
                    scope=self._scope,
                    key=None,
                    value=None,
                    node=node,
                    conditional=self._branching(),
                    order=self._next_order(),
                )
            )
