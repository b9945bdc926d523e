"""Turning bnlint on in a legacy repository: `--add-noqa`, then `# noqa` kept honest by BN910; `# bnlint: noqa`
for generated files."""

from __future__ import annotations

import ast
import shutil

import pytest

from support import ROOT, run

BUGGY = ROOT / "examples" / "train_buggy.py"
# Findings on awkward lines: a backslash continuation (BN001 on its first line), a multi-line string argument
# (BN001), a line with another tool's noqa (BN001) and one with a comment of its own (BN004).
AWKWARD = '''\
import tensorflow as tf

x = tf.zeros([4, 3])
a = tf.layers.batch_normalization(x, training=True) + \\
    tf.zeros([4, 3])
b = tf.layers.batch_normalization(x, training=True, name="""first
second""")
c = tf.layers.batch_normalization(x, training=False)  # noqa:E501,W291
d = tf.layers.batch_normalization(x)  # the default is inference
'''


def _findings(*paths: str, cwd=ROOT, options=()) -> list[str]:
    """bnlint's finding lines, checking the count line that ends its text output."""
    *lines, count = run("bnlint", "check", *options, *paths, cwd=cwd).stdout.splitlines()
    assert count.startswith(f"Found {len(lines)} finding") if lines else count == "All checks passed!"
    return lines


def _flake8(*paths: str, cwd=ROOT) -> str:
    return run("flake8", "--isolated", "--select", "BN", *paths, cwd=cwd).stdout


def test_add_noqa_silences_every_finding_for_bnlint_and_flake8(tmp_path):
    shutil.copy(BUGGY, tmp_path / "train.py")
    (tmp_path / "awkward.py").write_bytes(AWKWARD.replace("\n", "\r\n").encode())
    before = {name: (tmp_path / name).read_bytes() for name in ("train.py", "awkward.py")}
    assert len(_findings(".", cwd=tmp_path)) == 7

    result = run("bnlint", "check", "--add-noqa", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert "Added 7 noqa directive(s) to 2 file(s)." in result.stderr

    assert _findings(".", cwd=tmp_path) == []
    assert _flake8(".", cwd=tmp_path) == ""
    assert _findings(".", cwd=tmp_path, options=("--extend-select", "BN910")) == []  # none of them is unused
    for name, old in before.items():
        new = (tmp_path / name).read_bytes()
        ast.parse(new)
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        assert len(old_lines) == len(new_lines)
        changed = [(o, n) for o, n in zip(old_lines, new_lines, strict=True) if o != n]
        assert all(n.startswith(o.rstrip(b"\r\n")) or b"E501" in o for o, n in changed)
    # Only the lines with findings changed, and line endings were kept.
    assert (tmp_path / "awkward.py").read_bytes().count(b"\r\n") == AWKWARD.count("\n")
    written = (tmp_path / "awkward.py").read_text().splitlines()
    assert written[3].endswith("+ \\")  # never after a backslash: on the line that ends the statement
    assert written[4].endswith("tf.zeros([4, 3])  # noqa: BN001")
    assert written[6].endswith('second""")  # noqa: BN001')  # never inside the string
    assert written[7].endswith("# noqa:E501,W291,BN001")  # joins the comment in its own style
    assert written[8].endswith("# the default is inference  # noqa: BN004")


def test_add_noqa_a_second_time_adds_nothing(tmp_path):
    shutil.copy(BUGGY, tmp_path / "train.py")
    run("bnlint", "check", "--add-noqa", "train.py", cwd=tmp_path)
    once = (tmp_path / "train.py").read_bytes()
    result = run("bnlint", "check", "--add-noqa", "train.py", cwd=tmp_path)
    assert "Added 0 noqa directive(s)" in result.stderr
    assert (tmp_path / "train.py").read_bytes() == once


def test_add_noqa_writes_only_selected_codes_and_refuses_standard_input(tmp_path):
    shutil.copy(BUGGY, tmp_path / "train.py")
    run("bnlint", "check", "--add-noqa", "--select", "BN002", "train.py", cwd=tmp_path)
    remaining = [line.split(": ")[1].split()[0] for line in _findings("train.py", cwd=tmp_path)]
    assert remaining == ["BN004", "BN003"]
    result = run("bnlint", "check", "--add-noqa", "-", stdin=b"import tensorflow as tf\n")
    assert result.returncode == 2
    assert "standard input" in result.stderr


def test_unused_noqa_is_opt_in_and_names_the_code(tmp_path):
    source = BUGGY.read_text()
    lines = source.splitlines()
    # A noqa for the wrong code on the BN004 line and one on a clean line.
    lines[52] += "  # noqa: BN001"
    lines[0] += "  # noqa: BN003, E501"
    (tmp_path / "train.py").write_text("\n".join(lines) + "\n")
    assert not any(" BN910 " in line for line in _findings("train.py", cwd=tmp_path))
    opted_in = _findings("train.py", cwd=tmp_path, options=("--extend-select", "BN9"))
    unused = [line for line in opted_in if "BN910" in line]
    assert [line.split(":")[1] for line in unused] == ["1", "53"]
    assert "no BN003 finding on this line" in unused[0] and "E501" not in unused[0]
    assert "no BN001 finding on this line" in unused[1]
    assert "BN910" not in _flake8("train.py", cwd=tmp_path)  # flake8 applies noqa itself
    # A code whose rule the run does not check is left alone.
    assert _findings("train.py", cwd=tmp_path, options=("--select", "BN002,BN910")) == [
        line for line in _findings("train.py", cwd=tmp_path, options=("--select", "BN002")) if "BN910" not in line
    ]


@pytest.mark.parametrize(
    ("header", "codes"),
    [
        ("# bnlint: noqa", []),
        ("# bnlint: noqa: BN003", ["BN004", "BN002"]),
        ("#bnlint:noqa:BN003,BN004", ["BN002"]),
        ("# Generated by protoc. DO NOT EDIT.\n# bnlint: noqa: BN00", []),
    ],
)
def test_a_file_level_bnlint_noqa(tmp_path, header, codes):
    (tmp_path / "train.py").write_text(header + "\n" + BUGGY.read_text())
    cli = [line.split(": ")[1].split()[0] for line in _findings("train.py", cwd=tmp_path)]
    flake8 = [line.split(": ")[1].split()[0] for line in _flake8("train.py", cwd=tmp_path).splitlines()]
    assert cli == flake8 == codes
