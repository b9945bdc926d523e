"""Positions are computed only where findings are: they must be exactly what libcst's PositionProvider gives."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from bnlint.analysis.positions import positions
from support import fixture_files


def _expressions(module: cst.Module) -> list[cst.CSTNode]:
    class Found(cst.CSTVisitor):
        def __init__(self) -> None:
            self.nodes: list[cst.CSTNode] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.Call, cst.Arg, cst.BaseExpression, cst.BaseStatement)):
                self.nodes.append(node)
            return True

    found = Found()
    module.visit(found)
    return found.nodes


@pytest.mark.parametrize("path", fixture_files(), ids=lambda path: str(path.relative_to(path.parents[1])))
def test_positions_of_every_expression_match_libcst(path: Path):
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = _expressions(module)
    assert nodes
    assert positions(module, nodes) == {node: expected[node] for node in nodes}


@pytest.mark.parametrize(
    "source",
    [
        "# header comment\n\nimport tensorflow as tf\r\n\r\n"
        "x = tf.layers.batch_normalization(\r\n    y, training=True)\r\n",
        "@decorator\n# between\ndef f():\n    '''doc\n    string'''\n    return g(\n        1)\n\n\n# footer\n",
        "if a:\n    b(1); c(2)\nelse:\n    d = [e(i)\n         for i in f]\n",
        "x = 1",  # no trailing newline
    ],
)
def test_positions_count_lines_as_libcst_does(source: str):
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = _expressions(module)
    assert positions(module, nodes) == {node: expected[node] for node in nodes}
    # One node alone is placed as well as with all the others.
    last = nodes[-1]
    assert positions(module, [last]) == {last: expected[last]}
