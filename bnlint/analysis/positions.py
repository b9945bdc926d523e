"""Where reported nodes are, without computing a position for every node of the module.

libcst's PositionProvider over a whole module costs about two parses; a module's findings sit in a few of its
top-level statements. Each statement's code is generated once to count its lines (a fraction of a parse), and
positions are resolved only inside the statements that hold a wanted node.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from bnlint.analysis.walk import nodes_below

_NEWLINE = re.compile(r"\r\n?|\n")  # what libcst counts as a line break


def positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange]:
    """The syntactic range (as PositionProvider gives it) of each of `nodes`, all within the module's statements."""
    wanted = set(nodes)
    found: dict[cst.CSTNode, CodeRange] = {}
    line = 1 + len(module.header)  # each header line is an empty line or a comment
    for statement in module.body:
        if len(found) == len(wanted):
            break
        if not wanted.isdisjoint(nodes_below(statement)):
            found.update(_within(module, statement, line, wanted))
        line += len(_NEWLINE.findall(module.code_for_node(statement)))
    return found


def _within(
    module: cst.Module, statement: cst.BaseStatement, line: int, wanted: set[cst.CSTNode]
) -> dict[cst.CSTNode, CodeRange]:
    """Positions inside one top-level statement whose code starts on `line`: it is laid out alone, as a module of
    its own with the same indentation and newlines, then moved down to where it is."""
    alone = module.with_changes(header=(), body=(statement,), footer=())
    ranges = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
    return {node: _moved(span, line - 1) for node, span in ranges.items() if node in wanted}


def _moved(span: CodeRange, lines: int) -> CodeRange:
    return CodeRange(
        CodePosition(span.start.line + lines, span.start.column), CodePosition(span.end.line + lines, span.end.column)
    )
