"""A read-only traversal of a libcst tree that calls a CSTVisitor's methods as `module.visit(visitor)` would.

libcst's own traversal rebuilds and re-validates every node it passes, even for a visitor that changes nothing:
on real code that costs as much as the parse. This walk only reads the nodes, and skips punctuation and whitespace,
which carry nothing an analysis needs. It calls `visit_<Node>` (a False result skips the node's children),
`visit_<Node>_<field>` / `leave_<Node>_<field>` around each field, and `leave_<Node>`, in libcst's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

# Operators, commas, parentheses, whitespace and comments: leaves of the tree as far as an analysis goes.
_LEAF_MODULES = frozenset({"libcst._nodes.op", "libcst._nodes.whitespace"})

_Method = Callable[[cst.CSTVisitor, cst.CSTNode], object]  # a visitor class's method, called with the visitor


# Fields libcst visits only when they hold something (an f-string's format spec); it visits them last.
_VISITED_WHEN_PRESENT = frozenset({"format_spec"})


@dataclass(frozen=True)
class _Field:
    name: str
    before: _Method | None  # visit_<Node>_<field>
    after: _Method | None  # leave_<Node>_<field>
    when_present: bool  # libcst skips the field, callbacks and all, when it is None


@dataclass(frozen=True)
class _Plan:
    """What to call for one node class: its visitor methods and its fields in libcst's order."""

    visit: _Method | None
    leave: _Method | None
    fields: tuple[_Field, ...]


class _FieldOrder(cst.CSTVisitor):
    """Records the fields of one node in the order libcst visits them, without descending into them."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node is self.root

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.root:
            self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


# Memos of facts about classes (libcst's field order, a visitor class's methods): worked out once per process.
_PLANS: dict[tuple[type[cst.CSTVisitor], type[cst.CSTNode]], _Plan | None] = {}


def _plan(visitor: type[cst.CSTVisitor], node: cst.CSTNode) -> _Plan | None:
    kind = type(node)
    if kind.__module__ in _LEAF_MODULES:
        return None
    recorder = _FieldOrder(node)
    node.visit(recorder)
    name = kind.__name__
    conditional = [field for field in _VISITED_WHEN_PRESENT if hasattr(node, field) and field not in recorder.fields]
    fields = tuple(
        _Field(
            field,
            getattr(visitor, f"visit_{name}_{field}", None),
            getattr(visitor, f"leave_{name}_{field}", None),
            field in _VISITED_WHEN_PRESENT,
        )
        for field in [*recorder.fields, *conditional]
    )
    return _Plan(getattr(visitor, f"visit_{name}", None), getattr(visitor, f"leave_{name}", None), fields)


def _walked(kind: type) -> bool:
    """Whether a field's value of this class is a node to walk: not punctuation or whitespace, not a string."""
    if kind not in _WALKED:
        _WALKED[kind] = issubclass(kind, cst.CSTNode) and kind.__module__ not in _LEAF_MODULES
    return _WALKED[kind]


# Memo of `_walked`: CSTNode is an abstract class, and isinstance on one costs more than the rest of the walk's step.
_WALKED: dict[type, bool] = {}


def walk(root: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Visit `root` and everything below it but punctuation and whitespace, calling the visitor's methods."""
    visitor_class = type(visitor)
    walked = _WALKED

    def visit(node: cst.CSTNode) -> None:
        key = (visitor_class, type(node))
        steps = _PLANS[key] if key in _PLANS else _PLANS.setdefault(key, _plan(visitor_class, node))
        if steps is None:
            return
        if steps.visit is None or steps.visit(visitor, node) is not False:
            for field in steps.fields:
                value = getattr(node, field.name)
                if value is None and field.when_present:
                    continue
                if field.before is not None:
                    field.before(visitor, node)
                kind = type(value)
                if kind is tuple or kind is list:
                    for child in value:
                        if walked[type(child)] if type(child) in walked else _walked(type(child)):
                            visit(child)
                elif walked[kind] if kind in walked else _walked(kind):
                    visit(value)
                if field.after is not None:
                    field.after(visitor, node)
        if steps.leave is not None:
            steps.leave(visitor, node)

    visit(root)


def nodes_below(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`root` and every node under it but punctuation and whitespace, in libcst's order."""
    pending = [root]
    while pending:
        node = pending.pop()
        key = (cst.CSTVisitor, type(node))
        steps = _PLANS[key] if key in _PLANS else _PLANS.setdefault(key, _plan(cst.CSTVisitor, node))
        if steps is None:
            continue
        yield node
        children: list[cst.CSTNode] = []
        for field in steps.fields:
            value = getattr(node, field.name)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (tuple, list)):
                children.extend(child for child in value if isinstance(child, cst.CSTNode))
        pending.extend(reversed(children))
