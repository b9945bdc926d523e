"""Pathological code finishes, with the findings it holds or with Python's own reason for refusing it: deep nesting
of every kind, long call and wrapper chains, a huge literal, modules that import themselves or each other, a builder
that calls itself, star imports, names built by exec, and the long generated shapes of issue 19 (a name rebound at
the top level thousands of times, a chain of distinct names, one long function, a chain of wrappers). Time and
memory against file size are measured by the benchmark (its scaling table: 1k to 50k lines), not here."""

from __future__ import annotations

import sys

import pytest

from bnlint.engine import check_source
from bnlint.project import Project
from support import ROOT, run

sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus_generate import SHAPES  # noqa: E402  (the shapes the benchmark times)

HEADER = "import tensorflow as tf\n"
FIXED = "tf.layers.batch_normalization(x, training=True)"  # a BN001, the finding each shape hides


def _codes(text: str) -> list[str]:
    return [diagnostic.code for diagnostic in check_source(text, "train.py", project=Project())]


# Nesting Python accepts: each shape holds the finding at its deepest point, hundreds of levels down (blocks stop at
# 99: Python allows 100 levels of indentation).
NESTED = {
    "99 nested blocks": "".join("    " * i + f"if x{i}:\n" for i in range(99)) + "    " * 99 + f"y = {FIXED}\n",
    "300 nested lambdas": "f = " + "lambda: " * 300 + FIXED + "\n",
    "300 unary operators": "y = " + "-" * 300 + FIXED + "\n",
    "300 nots": "y = " + "not " * 300 + FIXED + "\n",
    "a 1000-term sum": f"y = {FIXED} + " + " + ".join(["x"] * 1000) + "\n",
    "300 attributes": f"y = {FIXED}" + ".a" * 300 + "\n",
    "300 chained calls": f"y = {FIXED}" + ".f()" * 300 + "\n",
    "300 subscripts": f"y = {FIXED}" + "[0]" * 300 + "\n",
    "199 nested calls": "y = " + "f(" * 199 + FIXED + ")" * 199 + "\n",
}


@pytest.mark.parametrize("shape", NESTED)
def test_deep_nesting_is_analysed(shape):
    assert _codes(HEADER + NESTED[shape]) == ["BN001"]


@pytest.mark.parametrize("opening", ["(", "[", "{"])
def test_nesting_python_refuses_is_reported_as_python_reports_it(opening):
    closing = {"(": ")", "[": "]", "{": "}"}[opening]
    text = HEADER + "y = " + opening * 300 + "x" + closing * 300 + "\n"
    (diagnostic,) = check_source(text, "train.py", project=Project())
    assert (diagnostic.code, diagnostic.line) == ("BN900", 2)
    assert "too many nested parentheses" in diagnostic.message


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = HEADER + "s = '" + "(" * 300 + "'\n" + f"y = {FIXED}\n"
    assert _codes(text) == ["BN001"]


def _wrappers(depth: int) -> str:
    """`w0` passes its flag to batch norm, each `wN` passes its own to `wN-1`; the script calls the last without it."""
    text = HEADER + "def w0(x, train_flag=None):\n    return tf.layers.batch_normalization(x, training=train_flag)\n"
    text += "".join(f"def w{n}(x, train_flag=None):\n    return w{n - 1}(x, train_flag)\n" for n in range(1, depth))
    return text + f"y = w{depth - 1}(x)\n"


@pytest.mark.parametrize("depth", [50, 200])
def test_a_default_flag_is_followed_down_a_long_wrapper_chain(depth):
    diagnostics = check_source(_wrappers(depth), "train.py", project=Project())
    assert [(d.code, d.line) for d in diagnostics] == [("BN004", 2 * depth + 2)]


def test_a_2_mb_string_literal():
    text = HEADER + "BLOB = '" + "a" * 2_000_000 + "'\n" + f"y = {FIXED}\n"
    (diagnostic,) = check_source(text, "train.py", project=Project())
    assert (diagnostic.code, diagnostic.line) == ("BN001", 3)


def test_a_builder_that_calls_itself():
    text = HEADER + (
        "def build(x, depth, is_training):\n"
        "    if depth:\n"
        "        return build(x, depth - 1, is_training)\n"
        "    return tf.layers.batch_normalization(x, training=is_training)\n"
        "\n"
        "train = build(images, 3, True)\n"
        "valid = build(images, 3, False)\n"
    )
    assert _codes(text) == ["BN003"]


def test_star_imports_of_tensorflow():
    text = "from tensorflow import *\nfrom tensorflow.compat.v1.layers import *\n"
    assert _codes(text + "y = batch_normalization(x, training=True)\n") == ["BN001"]


def test_names_built_by_exec_are_not_guessed():
    text = HEADER + (
        "exec('bn = tf.layers.batch_normalization')\n"
        "y = globals()['bn'](x, training=True)\n"
        "z = getattr(tf.layers, 'batch_' + 'normalization')(x, training=True)\n"
    )
    assert _codes(text) == []


def test_modules_that_import_themselves_and_each_other(tmp_path):
    (tmp_path / "nets.py").write_text(
        HEADER + "import nets\nimport train\n\n"
        "def tower(x, is_training):\n    return tf.layers.batch_normalization(x, training=is_training)\n"
    )
    (tmp_path / "train.py").write_text(
        "import train\nfrom nets import tower\n\n"
        "train_logits = tower(images, True)\nvalid_logits = tower(images, False)\n"
    )
    result = run("bnlint", "check", "--no-cache", str(tmp_path))
    *findings, count = result.stdout.splitlines()
    assert [line.split(": ")[1].split()[0] for line in findings] == ["BN003"] and count == "Found 1 finding in 1 file."
    assert result.returncode == 1 and result.stderr == ""


def test_a_long_generated_script():
    """2,000 training blocks (10,000 lines) in one file: every block's finding, and nothing else."""
    block = (
        "\n\ndef tower_{n}(images, is_training):\n"
        "    net = tf.layers.conv2d(images, 8, 3, name='conv_{n}')\n"
        "    net = tf.layers.batch_normalization(net, training={mode})\n"
        "    return tf.layers.dense(net, 10)\n"
    )
    text = HEADER + "".join(block.format(n=n, mode="True" if n % 10 == 0 else "is_training") for n in range(2_000))
    assert text.count("\n") > 10_000
    assert _codes(text) == ["BN001"] * 200


def _line_of(text: str, fragment: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), 1) if fragment in line]


@pytest.mark.parametrize("shape", ["rebinding", "chain", "long_function"])
def test_a_long_chain_of_blocks_finishes_with_its_findings(shape):
    """3,000 lines of `x = block(x, is_training)` (or `v1 = block(v0, t)`, ...): a BN001 at every block passed
    False in the graph the train op learns from, however far back from the loss, and the train op's BN002."""
    text = SHAPES[shape](3_000)
    frozen = _line_of(text, ", False)")
    assert len(frozen) == 29 and text.count("\n") == 3_000
    found = [(d.code, d.line) for d in check_source(text, "train.py", project=Project())]
    assert found == [("BN001", line) for line in frozen] + [("BN002", *_line_of(text, ".minimize("))]


def test_a_long_wrapper_chain_script_finishes_with_its_findings():
    """750 wrappers, each passing its flag to the one before; the last called without it."""
    text = SHAPES["wrappers"](3_000)
    found = [(d.code, d.line) for d in check_source(text, "train.py", project=Project())]
    assert found == [("BN004", *_line_of(text, "logits = w")), ("BN002", *_line_of(text, ".minimize("))]
