"""Small, flow-insensitive questions about values: which names an expression uses, what a call's result feeds."""

from __future__ import annotations

import libcst as cst

from bnlint.analysis.syntax import Binding, CallSite, Scope


class _Parts(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.calls: set[cst.Call] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.add(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False  # `x.attr` uses x, not a name `attr`

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False  # a keyword is not a use of a name


class ExpressionParts:
    """The names used and the calls made inside an expression, computed once per expression."""

    def __init__(self) -> None:
        self._cache: dict[cst.CSTNode, _Parts] = {}

    def of(self, node: cst.CSTNode) -> _Parts:
        parts = self._cache.get(node)
        if parts is None:
            parts = _Parts()
            node.visit(parts)
            self._cache[node] = parts
        return parts

    def names(self, node: cst.CSTNode) -> set[str]:
        return self.of(node).names

    def contains(self, node: cst.CSTNode, call: cst.Call) -> bool:
        return call in self.of(node).calls


class ResultUses:
    """Names in a call's scope whose value comes from the call's result, directly or through other names."""

    def __init__(self, parts: ExpressionParts) -> None:
        self._parts = parts
        self._derived: dict[CallSite, set[str]] = {}

    def derived_names(self, site: CallSite) -> set[str]:
        if site not in self._derived:
            self._derived[site] = self._compute(site)
        return self._derived[site]

    def _compute(self, site: CallSite) -> set[str]:
        derived: set[str] = set()
        for binding in _bindings_after(site.scope, site.order):
            if binding.value is None or binding.from_with:
                continue
            if self._parts.contains(binding.value, site.node) or self._parts.names(binding.value) & derived:
                derived.add(binding.name)
        return derived

    def uses_result(self, node: cst.CSTNode, site: CallSite) -> bool:
        """Whether `node` contains the call itself or a name derived from its result."""
        return self._parts.contains(node, site.node) or bool(self._parts.names(node) & self.derived_names(site))


def _bindings_after(scope: Scope, order: int) -> list[Binding]:
    return sorted(
        (binding for bindings in scope.bindings.values() for binding in bindings if binding.order > order),
        key=lambda binding: binding.order,
    )
