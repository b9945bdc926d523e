"""What each `with` block around a call means to TensorFlow: arg scopes, variable scopes, dependencies, graphs."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.arguments import ArgumentRef, Found, find_argument
from bnlint.analysis.resolver import Resolver, literal_value
from bnlint.analysis.syntax import CallSite, Scope, WithFrame
from bnlint.analysis.values import (
    CallResult,
    ClassRef,
    External,
    Flag,
    FunctionRef,
    Unknown,
    Unresolved,
    Value,
    from_framework,
)


class FrameKind(enum.Enum):
    ARG_SCOPE = "arg_scope"
    VARIABLE_SCOPE = "variable_scope"
    CONTROL_DEPENDENCIES = "control_dependencies"
    GRAPH = "graph"
    # A context manager bnlint knows to be irrelevant (name_scope, device, Session, ...).
    OTHER = "other"
    # A context manager bnlint cannot see into; it might be an arg_scope built elsewhere.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Frame:
    kind: FrameKind
    with_frame: WithFrame
    call: cst.Call | None = None
    arguments: tuple[ArgumentRef, ...] = ()
    # ARG_SCOPE: the operations listed, or Unknown.UNRESOLVED when the list is not written out (None: not an arg scope).
    ops: frozenset[str] | Unresolved | None = None
    # VARIABLE_SCOPE: the scope name when written as a string.
    scope_name: str | None = None
    # GRAPH: identifies the graph made default; frames with equal keys enter the same graph.
    graph: object = None
    keywords: dict[str, ArgumentRef] = field(default_factory=dict, compare=False)
    star_keywords: bool = False

    def arg_scope_value(self, op: str, keyword: str) -> Found:
        """For an arg scope: the argument it supplies to `op`, Unknown.UNKNOWABLE, or None when it supplies none."""
        if self.ops is Unknown.UNRESOLVED:
            return Unknown.UNKNOWABLE
        if op not in self.ops:
            return None
        if keyword in self.keywords:
            return self.keywords[keyword]
        return Unknown.UNKNOWABLE if self.star_keywords else None


class Contexts:
    """Classifies `with` frames once each."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self._frames: dict[WithFrame, Frame] = {}

    def frame(self, with_frame: WithFrame) -> Frame:
        frame = self._frames.get(with_frame)
        if frame is None:
            frame = self._classify(with_frame)
            self._frames[with_frame] = frame
        return frame

    def frames(self, with_frames: Iterable[WithFrame]) -> list[Frame]:
        return [self.frame(with_frame) for with_frame in with_frames]

    def reuse_flag(self, frame: Frame) -> Flag | None:
        """For a variable scope: the flag passed as `reuse`, or None when absent."""
        found = find_argument(frame.arguments, "reuse", catalogue.VARIABLE_SCOPE_REUSE_INDEX)
        if found is None:
            return None
        if not isinstance(found, ArgumentRef):
            return Unknown.DYNAMIC
        return self._resolver.flag(found.value, found.scope, found.order)

    def _classify(self, with_frame: WithFrame) -> Frame:
        expression = with_frame.item.item
        scope, order = with_frame.scope, with_frame.order
        if not isinstance(expression, cst.Call):
            return Frame(FrameKind.UNKNOWN, with_frame)
        arguments = tuple(ArgumentRef(arg, scope, order) for arg in expression.args)
        func = expression.func
        if isinstance(func, cst.Attribute) and func.attr.value == "as_default":
            return Frame(FrameKind.GRAPH, with_frame, expression, graph=self._graph_key(func.value, scope, order))
        if isinstance(func, cst.Attribute) and func.attr.value == "control_dependencies":
            return Frame(FrameKind.CONTROL_DEPENDENCIES, with_frame, expression, arguments)
        callee = self._resolver.resolve(func, scope, order)
        if not isinstance(callee, External):
            builtin = isinstance(func, cst.Name) and not self._resolver.lookup(func.value, scope, order)
            known = builtin or from_framework(callee)  # open(), sess.as_default(), graph.device(...)
            return Frame(FrameKind.OTHER if known else FrameKind.UNKNOWN, with_frame, expression, arguments)
        if callee.name == catalogue.ARG_SCOPE:
            return self._arg_scope(with_frame, expression, arguments)
        if callee.name == catalogue.VARIABLE_SCOPE:
            name = find_argument(arguments, "name_or_scope", 0)
            scope_name = None
            if isinstance(name, ArgumentRef):
                is_literal, value = literal_value(name.value)
                scope_name = value if is_literal and isinstance(value, str) else None
            return Frame(FrameKind.VARIABLE_SCOPE, with_frame, expression, arguments, scope_name=scope_name)
        if callee.name.endswith(".control_dependencies"):
            return Frame(FrameKind.CONTROL_DEPENDENCIES, with_frame, expression, arguments)
        return Frame(FrameKind.OTHER, with_frame, expression, arguments)

    def _arg_scope(self, with_frame: WithFrame, call: cst.Call, arguments: tuple[ArgumentRef, ...]) -> Frame:
        keywords = {a.arg.keyword.value: a for a in arguments if a.arg.keyword is not None}
        star_keywords = any(a.arg.star == "**" for a in arguments)
        ops: frozenset[str] | Unresolved = Unknown.UNRESOLVED
        listed = find_argument(arguments, "list_ops_or_scope", 0)
        if isinstance(listed, ArgumentRef) and isinstance(listed.value, (cst.List, cst.Tuple)):
            values = [
                self._resolver.resolve(element.value, listed.scope, listed.order) for element in listed.value.elements
            ]
            # The project's own `@add_arg_scope` functions are listed beside slim's ops; they are none of slim's.
            names = [value.name if isinstance(value, External) else None for value in values if not _own(value)]
            if None not in names:
                ops = frozenset(name for name in names if name is not None)
        return Frame(
            FrameKind.ARG_SCOPE,
            with_frame,
            call,
            arguments,
            ops=ops,
            keywords=keywords,
            star_keywords=star_keywords,
        )

    def graph_of(self, site: CallSite) -> object:
        """The graph a call builds into: the innermost `as_default()` block around it (None: the default graph).

        A method call on a graph (`graph.get_collection(...)`) uses that graph wherever it is written.
        """
        func = site.node.func
        if isinstance(func, cst.Attribute) and self._is_graph(func.value, site.scope, site.order):
            return self._graph_key(func.value, site.scope, site.order)
        frames = [frame for frame in self.frames(site.context.withs) if frame.kind is FrameKind.GRAPH]
        return frames[-1].graph if frames else None

    def _is_graph(self, node: cst.BaseExpression, scope: Scope, order: int) -> bool:
        value = self._resolver.resolve(node, scope, order)
        return isinstance(value, CallResult) and value.api in (catalogue.GRAPH, catalogue.GET_DEFAULT_GRAPH)

    def _graph_key(self, receiver: cst.BaseExpression, scope: Scope, order: int) -> object:
        value: Value = self._resolver.resolve(receiver, scope, order)
        if isinstance(value, CallResult) and value.api == catalogue.GET_DEFAULT_GRAPH:
            return None
        if isinstance(value, CallResult):
            # `tf.Graph().as_default()` makes a new graph each time; a named graph is the same graph each time.
            return value.call if value.api == catalogue.GRAPH else value.api
        if isinstance(receiver, cst.Name):
            bindings = self._resolver.lookup(receiver.value, scope, order)
            return tuple(id(binding) for binding in bindings) or receiver.value
        return receiver


def _own(value: Value) -> bool:
    return isinstance(value, (FunctionRef, ClassRef))
