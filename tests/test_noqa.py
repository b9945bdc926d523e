"""`# noqa` in the command behaves exactly as in flake8, comment by comment."""

from __future__ import annotations

import pytest

from support import run

COMMENTS = {
    "": True,
    "  # noqa": False,
    "  # noqa: BN001": False,
    "  # noqa:BN001": False,
    "  # NOQA: BN001": False,
    "  # noqa: BN0": False,
    "  # noqa: BN": False,
    "  # noqa: E501 BN001": False,
    "  # noqa: E501,BN001": False,
    "  # noqa: BN001  # frozen on purpose": False,
    "  # noqa: E501": True,
    "  # noqa: BN002": True,
    "  # noqa BN001": False,
    "  # noqa: bn001": True,
    "  # type: ignore  # noqa: BN001": False,
}


def _script(comments):
    lines = ["import tensorflow as tf", "", "x = tf.zeros([4, 3])"]
    lines += [f"y{i} = tf.layers.batch_normalization(x, training=True){comment}" for i, comment in enumerate(comments)]
    return "\n".join(lines) + "\n"


def _reported_lines(output):
    return sorted(int(line.split(":")[1]) for line in output.splitlines())


def _bnlint(path) -> str:
    """bnlint's finding lines, checking the count line that ends its text output."""
    *lines, count = run("bnlint", "check", str(path)).stdout.splitlines()
    assert count.startswith(f"Found {len(lines)} finding") if lines else count == "All checks passed!"
    return "".join(line + "\n" for line in lines)


def test_each_comment_is_read_as_flake8_reads_it(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(_script(COMMENTS))
    cli = _reported_lines(_bnlint(path))
    flake8 = _reported_lines(run("flake8", "--isolated", "--select", "BN", str(path)).stdout)
    expected = [4 + index for index, reported in enumerate(COMMENTS.values()) if reported]
    assert cli == flake8 == expected


@pytest.mark.parametrize("header", ["# flake8: noqa", "# flake8: noqa: BN002", "# FLAKE8=NOQA"])
def test_a_file_level_flake8_noqa_skips_the_file(tmp_path, header):
    path = tmp_path / "train.py"
    path.write_text(header + "\n" + _script([""]))
    assert run("bnlint", "check", str(path)).stdout == "All checks passed!\n"
    assert run("flake8", "--isolated", "--select", "BN", str(path)).stdout == ""


def test_noqa_counts_on_the_reported_line_of_a_multi_line_call(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(
        "import tensorflow as tf\n\nx = tf.zeros([4, 3])\n"
        "y = tf.layers.batch_normalization(  # noqa: BN001\n"
        "    x,\n"
        "    training=True,\n"
        ")\n"
        "z = tf.layers.batch_normalization(\n"
        "    x,\n"
        "    training=True,  # noqa: BN001\n"
        ")\n"
    )
    assert _reported_lines(_bnlint(path)) == [6]
    assert _reported_lines(run("flake8", "--isolated", "--select", "BN", str(path)).stdout) == [6]
