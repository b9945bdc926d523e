"""Hypothesis strategies for the fuzz tests: programs written from TensorFlow's batch-norm vocabulary, programs from
Python's grammar (hypothesmith), every fixture mutated line by line, and the bytes of all of them re-encoded and
damaged. Shared by the bounded run in the test suite and the long run (benchmarks/fuzz.py)."""

from __future__ import annotations

import json

import hypothesmith
from hypothesis import strategies as st

from support import fixture_files

FIXTURES = tuple(path.read_text(encoding="utf-8") for path in fixture_files())

# Import lines the rules resolve, including the odd ones (a star import, a name bound to batch norm itself).
IMPORTS = (
    "import tensorflow as tf",
    "import tensorflow.compat.v1 as tf",
    "import tf_slim as slim",
    "from tensorflow.contrib import slim",
    "from tensorflow.compat.v1.layers import batch_normalization as bn",
    "from tensorflow import keras",
    "from tensorflow import *",
    "import functools",
    "from model import build, tower",
    "from . import nets",
)
NAMES = ("x", "net", "images", "is_training", "training", "loss", "opt", "update_ops", "train_op", "logits", "flag")
FUNCTIONS = ("build", "tower", "model", "bn", "conv", "nets.resnet", "self.layer", "self.build")
LITERALS = ("True", "False", "None", "0", "1", "'train'", "0.5", "[]", "tf.constant(True)")
# Calls with holes: each `{}` is an expression drawn at the next depth.
CALLS = (
    "tf.layers.batch_normalization({}, training={})",
    "tf.layers.batch_normalization({})",
    "tf.compat.v1.layers.batch_normalization({}, {}, training={})",
    "tf.contrib.layers.batch_norm({}, is_training={})",
    "slim.batch_norm({}, is_training={}, updates_collections={})",
    "slim.conv2d({}, 8, 3, normalizer_fn=slim.batch_norm, normalizer_params={{'is_training': {}}})",
    "tf.keras.layers.BatchNormalization()({}, training={})",
    "keras.layers.BatchNormalization(momentum={})",
    "bn({}, training={})",
    "tf.layers.conv2d({}, 8, 3)",
    "tf.layers.dense({}, 10)",
    "tf.get_collection(tf.GraphKeys.UPDATE_OPS)",
    "tf.get_collection({})",
    "tf.placeholder(tf.bool, name={})",
    "tf.placeholder_with_default({}, [])",
    "tf.group({}, {})",
    "tf.get_variable('w', [3], initializer={})",
    "tf.Variable({})",
    "{}.minimize({})",
    "tf.train.AdamOptimizer({}).minimize({})",
    "opt.apply_gradients(zip({}, {}))",
    "slim.learning.create_train_op({}, {})",
    "tf.train.Saver({})",
    "tf.train.Saver(tf.trainable_variables())",
    "tf.make_template('net', {})",
    "tf.cond({}, lambda: {}, lambda: {})",
    "functools.partial(tf.layers.batch_normalization, training={})",
    "tf.estimator.EstimatorSpec(mode={}, train_op={})",
    "slim.arg_scope([slim.batch_norm], is_training={})",
    "exec({})",
    "getattr(tf.layers, {})({})",
)
STATEMENTS = (
    "{name} = {expr}",
    "{name}, {other} = {expr}, {expr}",
    "{name} += {expr}",
    "{expr}",
    "return {expr}",
    "tf.get_variable_scope().reuse_variables()",
    "update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)",
    "train_op = tf.group(train_op, *update_ops)",
    "sess.run([train_op, update_ops], feed_dict={{is_training: {expr}}})",
    "global {name}",
    "del {name}",
    "pass",
    "yield {expr}",
    "assert {expr}",
)
BLOCKS = (
    "def {function}({params}):",
    "async def {function}({params}):",
    "class {Class}(tf.keras.Model):",
    "with tf.control_dependencies({expr}):",
    "with tf.variable_scope({name_literal}, reuse={expr}):",
    "with tf.name_scope({name_literal}), tf.device('/cpu:0'):",
    "with slim.arg_scope([slim.batch_norm], is_training={expr}):",
    "with tf.Graph().as_default():",
    "if {expr}:",
    "for {name} in {expr}:",
    "while {expr}:",
    "try:",
    "@tf.function\ndef {function}({params}):",
)
# The clause that may follow a block of that kind, at its indentation.
CLAUSES = {
    "if": ("elif flag:", "else:"),
    "for": ("else:",),
    "while": ("else:",),
    "try": ("except Exception:", "finally:"),
}
PARAMS = ("", "x", "x, is_training", "x, training=None", "x, train_flag=True", "self, x, training=False", "*args, **kw")


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 5 if depth < 3 else 1))
    if choice == 0:
        return draw(st.sampled_from(NAMES))
    if choice == 1:
        return draw(st.sampled_from(LITERALS))
    if choice == 2:
        callee = draw(st.sampled_from(FUNCTIONS))
        arguments = draw(st.lists(expressions(depth + 1), max_size=2))
        keyword = draw(st.sampled_from(("", "is_training", "training", "reuse", "scope")))
        if keyword:
            arguments.append(f"{keyword}={draw(expressions(depth + 1))}")
        return f"{callee}({', '.join(arguments)})"
    template = draw(st.sampled_from(CALLS))
    return template.format(*(draw(expressions(depth + 1)) for _ in range(template.count("{}"))))


@st.composite
def statements(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> list[str]:
    pad = "    " * indent
    if depth < 3 and draw(st.booleans()):
        header = draw(st.sampled_from(BLOCKS))
        header = header.format(
            function=draw(st.sampled_from(("build", "tower", "model", "conv", "model_fn", "call", "__init__"))),
            params=draw(st.sampled_from(PARAMS)),
            Class=draw(st.sampled_from(("Net", "Tower"))),
            expr=draw(expressions()),
            name=draw(st.sampled_from(NAMES)),
            name_literal=draw(st.sampled_from(("'tower'", "'net'", "scope", "None"))),
        )
        lines = [pad + line for line in header.splitlines()] + draw(bodies(indent + 1, depth + 1))
        clauses = CLAUSES.get(header.split()[0], ())
        if clauses and (header.startswith("try") or draw(st.booleans())):
            lines += [pad + draw(st.sampled_from(clauses)), *draw(bodies(indent + 1, depth + 1))]
        return lines
    template = draw(st.sampled_from(STATEMENTS))
    line = template.format(
        name=draw(st.sampled_from(NAMES)),
        other=draw(st.sampled_from(NAMES)),
        expr=draw(expressions()),
    )
    return [pad + line]


@st.composite
def bodies(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    return [line for _ in range(draw(st.integers(1, 3))) for line in draw(statements(indent, depth))]


@st.composite
def tensorflow_programs(draw: st.DrawFn) -> str:
    """Training scripts made of the calls, blocks and idioms the rules reason about, nested at random."""
    imports = draw(st.lists(st.sampled_from(IMPORTS), min_size=1, max_size=4))
    body = [line for _ in range(draw(st.integers(1, 6))) for line in draw(statements())]
    return "\n".join([*imports, *body]) + "\n"


def grammar_programs() -> st.SearchStrategy[str]:
    """Any valid Python 3 module from the grammar, made TensorFlow code by its first line (else the pre-filter
    would skip it unread)."""
    return hypothesmith.from_grammar().map(lambda source: "import tensorflow as tf\n" + source)


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> str:
    """A fixture or example with lines deleted, duplicated, swapped, moved in or out, replaced, or cut short."""
    lines = draw(st.sampled_from(FIXTURES)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        where = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(("delete", "duplicate", "swap", "indent", "dedent", "replace", "graft")))
        if operation == "delete":
            del lines[where]
        elif operation == "duplicate":
            lines.insert(where, lines[where])
        elif operation == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[where], lines[other] = lines[other], lines[where]
        elif operation == "indent":
            lines[where] = "    " + lines[where]
        elif operation == "dedent":
            lines[where] = lines[where][4:] if lines[where].startswith("    ") else lines[where].lstrip()
        elif operation == "replace":
            lines[where] = draw(st.text(max_size=40)) + "\n"
        else:  # a line of another fixture
            lines.insert(where, draw(st.sampled_from(draw(st.sampled_from(FIXTURES)).splitlines(keepends=True))))
    text = "".join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


@st.composite
def damaged_bytes(draw: st.DrawFn) -> bytes:
    """A program's bytes in another encoding (with or without its cookie), with bytes flipped, inserted or cut."""
    text = draw(st.one_of(mutated_fixtures(), tensorflow_programs()))
    encoding = draw(st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "shift_jis")))
    cookie = draw(st.sampled_from(("", f"# -*- coding: {encoding} -*-\n", "# coding: klingon\n")))
    data = (cookie + text).encode(encoding, errors="replace")
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.integers(0, len(data)))
        data = data[:where] + draw(st.binary(min_size=1, max_size=8)) + data[where + 1 :]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def notebooks(draw: st.DrawFn) -> bytes:
    """Notebook documents, well formed or not, whose cells are fuzzed programs and IPython lines."""
    cell = st.one_of(
        tensorflow_programs(),
        mutated_fixtures(),
        st.sampled_from(("%matplotlib inline\n", "!pip install tf-slim\n", "%%time\nx = 1\n", "x?\n", "")),
    )
    sources = draw(st.lists(cell, max_size=5))
    cells = [
        {
            "cell_type": draw(st.sampled_from(("code", "markdown", "raw"))),
            "source": draw(st.sampled_from((source, source.splitlines(keepends=True)))),
            "metadata": {},
        }
        for source in sources
    ]
    document: object = {"cells": cells, "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4}
    if draw(st.booleans()):  # a broken document: the cells or the whole of it replaced by something else
        document = draw(st.sampled_from(({"cells": "x"}, {"cells": [1, None]}, [], None, {"cells": [{"source": 3}]})))
    data = json.dumps(document).encode()
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data
