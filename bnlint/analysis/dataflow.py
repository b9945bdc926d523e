"""Small, flow-insensitive questions about values: which names an expression uses, what a call's result feeds."""

from __future__ import annotations

import libcst as cst

from collections.abc import Callable
from dataclasses import dataclass, field

from bnlint.analysis.syntax import Binding, BindingKind, CallSite, ItemAssignment, Scope, dotted_name

# An expression, the scope it is evaluated in, and when: what a backward slice visits.
Source = tuple[cst.BaseExpression, Scope, int]


class _Parts(cst.CSTVisitor):
    def __init__(self, sealed: frozenset[str]) -> None:
        self.sealed = sealed  # attributes (and methods) that end a slice: see ExpressionParts.of
        self.names: set[str] = set()  # every name used, attribute roots included
        self.bare_names: set[str] = set()  # names used on their own
        self.chains: set[str] = set()  # `self.train_x`: attribute chains on a name
        self.calls: set[cst.Call] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)
        self.bare_names.add(node.value)

    def visit_Call(self, node: cst.Call) -> bool:
        self.calls.add(node)
        func = node.func
        return not (isinstance(func, cst.Attribute) and func.attr.value in self.sealed)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node.attr.value in self.sealed:
            return False
        chain = dotted_name(node)
        if chain is None:
            node.value.visit(self)
        else:
            self.names.add(chain.split(".")[0])
            self.chains.add(chain)
        return False  # `x.attr` uses x, not a name `attr`

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False  # a keyword is not a use of a name


class ExpressionParts:
    """The names used and the calls made inside an expression, computed once per expression."""

    def __init__(self) -> None:
        self._caches: dict[frozenset[str], dict[cst.CSTNode, _Parts]] = {}

    def of(self, node: cst.CSTNode, sealed: frozenset[str] = frozenset()) -> _Parts:
        """`sealed`: attributes whose object is no part of the expression, nor, for a call of such a method, its
        arguments; the call itself is (a slice after where gradients come from reaches `tape.gradient(...)`, and
        neither the loss nor `model.trainable_variables`)."""
        cache = self._caches.setdefault(sealed, {})
        parts = cache.get(node)
        if parts is None:
            parts = _Parts(sealed)
            node.visit(parts)
            cache[node] = parts
        return parts

    def names(self, node: cst.CSTNode) -> set[str]:
        return self.of(node).names

    def contains(self, node: cst.CSTNode, call: cst.Call) -> bool:
        return call in self.of(node).calls


# `ops.append(train_op)`: a method call that puts its argument into the object it is called on.
_COLLECTING_METHODS = frozenset({"append", "extend", "insert", "add", "update"})


class ResultUses:
    """Names in a call's scope whose value comes from the call's result, directly or through other names."""

    def __init__(self, parts: ExpressionParts, calls: list[CallSite], items: list[ItemAssignment]) -> None:
        self.parts = parts
        # `hg[i] = block(...)`: the container holds the result from then on.
        self._items: dict[Scope, list[ItemAssignment]] = {}
        for item in items:
            if item.value is not None:
                self._items.setdefault(item.scope, []).append(item)
        self._derived: dict[CallSite, set[str]] = {}
        self._collecting: dict[Scope, list[tuple[CallSite, str]]] = {}
        # What each scope puts into each name, in source order: asked once per use of the name in a slice.
        self._collected: dict[tuple[Scope, str], list[cst.BaseExpression]] = {}
        for call in calls:
            func = call.node.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value in _COLLECTING_METHODS
                and isinstance(func.value, cst.Name)
            ):
                self._collecting.setdefault(call.scope, []).append((call, func.value.value))
                self._collected.setdefault((call.scope, func.value.value), []).extend(a.value for a in call.node.args)
        for item in items:
            if item.value is not None:
                self._collected.setdefault((item.scope, item.name), []).append(item.value)

    def derived_names(self, site: CallSite) -> set[str]:
        if site not in self._derived:
            self._derived[site] = self._compute(site)
        return self._derived[site]

    def _compute(self, site: CallSite) -> set[str]:
        """In source order: assignments from the result, and collections the result is put into."""
        events: list[tuple[int, str, cst.CSTNode]] = [
            (binding.order, binding.name, binding.value)
            for binding in _bindings_after(site.scope, site.order)
            if binding.value is not None and not binding.from_with
        ]
        for call, receiver in self._collecting.get(site.scope, ()):
            if call.order > site.order:
                events.extend((call.order, receiver, arg) for arg in call.node.args)
        events.extend(
            (item.order, item.name, item.value)
            for item in self._items.get(site.scope, ())
            if item.order > site.order and item.value is not None
        )
        derived: set[str] = set()
        for _, name, value in sorted(events, key=lambda event: event[0]):
            if self.parts.contains(value, site.node) or self.parts.names(value) & derived:
                derived.add(name)
        return derived

    def collected(self, name: str, scope: Scope) -> list[cst.BaseExpression]:
        """What the scope puts into the object a name holds: `losses.append(loss)`, `losses[i] = loss`."""
        return self._collected.get((scope, name), [])

    def carried_names(self, site: CallSite) -> set[str]:
        """Names whose value comes from the call's result in any order: what a loop carries from one pass to the
        next (`drop[i] = dropout(hg[i])` before `ll[i] = block(drop[i])`, `sum_[i] = ll[i] + sum_[i - 1]` after)."""
        events: list[tuple[str, cst.CSTNode]] = [
            (binding.name, binding.value)
            for bindings in site.scope.bindings.values()
            for binding in bindings
            if binding.value is not None and not binding.from_with
        ]
        events += [(receiver, arg) for call, receiver in self._collecting.get(site.scope, ()) for arg in call.node.args]
        events += [(item.name, item.value) for item in self._items.get(site.scope, ()) if item.value is not None]
        derived = set(self.derived_names(site))
        changed = True
        while changed:
            changed = False
            for name, value in events:
                if name not in derived and self.parts.names(value) & derived:
                    derived.add(name)
                    changed = True
        return derived

    def uses_result(self, node: cst.CSTNode, site: CallSite) -> bool:
        """Whether `node` contains the call itself or a name derived from its result."""
        return self.parts.contains(node, site.node) or bool(self.parts.names(node) & self.derived_names(site))


def _bindings_after(scope: Scope, order: int) -> list[Binding]:
    return sorted(
        (binding for bindings in scope.bindings.values() for binding in bindings if binding.order > order),
        key=lambda binding: binding.order,
    )


@dataclass
class Followed:
    """What one backward slice has followed of each name: a use of a name sees the first bindings of the scope that
    binds it (`Resolver.visible`), and a later use the same ones or more, so each binding is followed once per
    slice however many uses see it (`x = block(x)` repeated N times: N steps, not N²/2), and what the scope
    collects into the name once."""

    bindings: dict[tuple[Scope, str], int] = field(default_factory=dict)  # how many of the first are followed
    collected: set[tuple[Scope, str]] = field(default_factory=set)


def binding_sources(
    visible: Callable[[str, Scope, int], tuple[Scope | None, list[Binding], int]],
    uses: ResultUses,
    name: str,
    scope: Scope,
    order: int,
    from_outside: Callable[[Binding], list[Source]],
    followed: Followed,
) -> list[Source]:
    """One step of a backward slice: the expressions a use of `name` takes its value from, less what the slice has
    already followed. Assignments, `+=`, loop iterables and what the scope collects into the name are read here; a
    parameter's or an import's value comes from outside the function, which `from_outside` says (the module's
    calls, or the whole program's)."""
    owner, bindings, count = visible(name, scope, order)
    if owner is None or not count:  # no scope binds the name
        return []
    key = (owner, name)
    done = followed.bindings.get(key, 0)
    sources: list[Source] = []
    if key not in followed.collected:
        followed.collected.add(key)
        # Every binding of the list is the owner's (Scope.add), so the owner's collections are every binding's.
        sources += [(value, owner, order) for value in uses.collected(name, owner)]
    if count <= done:
        return sources
    followed.bindings[key] = count
    for binding in bindings[done:count]:
        if binding.kind is BindingKind.ASSIGN and binding.value is not None:
            sources.append((binding.value, binding.scope, binding.order))
        elif binding.kind in (BindingKind.PARAM, BindingKind.IMPORT):
            sources += from_outside(binding)
        elif isinstance(binding.node, cst.AugAssign):  # `total_loss += pixel_loss`
            sources.append((binding.node.value, binding.scope, binding.order))
        elif isinstance(binding.node, (cst.For, cst.CompFor)):  # `for loss in tower_losses`
            sources.append((binding.node.iter, binding.scope, binding.order))
    return sources


def attribute_sources(bindings: list[Binding]) -> list[Source]:
    """The values assigned to `self.<name>` by these bindings."""
    return [(binding.value, binding.scope, binding.order) for binding in bindings if binding.value is not None]
