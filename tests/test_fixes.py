"""`bnlint check --fix` and `--diff`: each fixture under `tests/fixtures/fixes/` becomes its `.fixed.py` neighbour,
byte for byte, through the real command; the engine's `fix_source` for what an editor asks (one finding)."""

from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bnlint import cli
from bnlint.engine import check_source, fix_source
from bnlint.rules import edits
from support import FIXTURES, on_a_terminal, run

FIXES = FIXTURES / "fixes"
CASES = sorted(path for path in FIXES.glob("*.py") if not path.name.endswith(".fixed.py"))
_LOCATION = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>BN\d{3}) ")


def _expected(case: Path) -> Path:
    return case.with_name(case.stem + ".fixed.py")


def _reported(output: str, text: str) -> Counter[tuple[str, str]]:
    """(code, the reported line's text) for each finding the command printed: what stays put when lines move."""
    lines = text.splitlines()
    found: Counter[tuple[str, str]] = Counter()
    for line in output.splitlines():
        match = _LOCATION.match(line)
        assert match, line
        found[(match["code"], lines[int(match["line"]) - 1].strip())] += 1
    return found


def _unfixable(text: str) -> Counter[tuple[str, str]]:
    lines = text.splitlines()
    return Counter((d.code, lines[d.line - 1].strip()) for d in check_source(text, "original.py") if d.fix is None)


def apply_diff(diff: bytes, original: bytes) -> bytes:
    """Apply a unified diff's hunks to the original, checking every context and removed line on the way."""
    source = original.splitlines(keepends=True)
    lines = diff.splitlines(keepends=True)
    result: list[bytes] = []
    index = 0
    for number, line in enumerate(lines):
        hunk = re.match(rb"@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@", line)
        if hunk is None:
            continue
        start = int(hunk.group(1)) - 1
        result += source[index:start]
        index = start
        for body in lines[number + 1 :]:
            if body.startswith(b"@@"):
                break
            tag, content = body[:1], body[1:]
            if tag in (b" ", b"-"):
                assert source[index] == content, (source[index], content)
                index += 1
            if tag in (b" ", b"+"):
                result.append(content)
    return b"".join(result + source[index:])


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.stem)
def test_fix_rewrites_the_fixture_into_its_fixed_file(tmp_path, case):
    original = case.read_text(encoding="utf-8")
    assert any(d.fix for d in check_source(original, case.name)), "a fixture needs a finding to fix"
    target = tmp_path / case.name
    shutil.copy(case, target)

    result = run("bnlint", "check", "--fix", case.name, cwd=tmp_path)

    fixed = target.read_bytes()
    assert fixed == _expected(case).read_bytes()
    ast.parse(fixed)
    # What remains is what had no fix, untouched; nothing fixable is left over.
    *remaining, count = result.stdout.splitlines()
    assert _reported("\n".join(remaining), fixed.decode()) == _unfixable(original)
    assert result.returncode == (1 if remaining else 0)
    assert not any(d.fix for d in check_source(fixed.decode(), case.name))
    # The count line says how many were fixed (standard error stays quiet, as with ruff).
    fixed_and_remaining = rf"\(([1-9]\d*) fixed, {len(remaining)} remaining\)\."
    counted = re.fullmatch(r"Found (\d+) findings? in 1 file " + fixed_and_remaining, count)
    assert counted and int(counted[1]) == int(counted[2]) + len(remaining)
    assert result.stderr == ""

    again = run("bnlint", "check", "--fix", case.name, cwd=tmp_path)
    assert target.read_bytes() == fixed
    *still, count = again.stdout.splitlines()
    assert still == remaining and again.stderr == ""
    plural = "" if len(remaining) == 1 else "s"
    assert count == (f"Found {len(remaining)} finding{plural} in 1 file." if remaining else "All checks passed!")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.stem)
def test_diff_shows_the_fix_and_writes_nothing(tmp_path, case):
    target = tmp_path / case.name
    shutil.copy(case, target)

    result = subprocess.run(
        [sys.executable, "-m", "bnlint", "check", "--diff", case.name], cwd=tmp_path, capture_output=True
    )

    assert result.returncode == 1
    assert target.read_bytes() == case.read_bytes()
    assert result.stdout.startswith(f"--- a/{case.name}\n+++ b/{case.name}\n".encode())
    assert apply_diff(result.stdout, case.read_bytes()) == _expected(case).read_bytes()


def test_diff_of_a_file_with_nothing_to_fix_is_empty_and_exits_0(tmp_path):
    shutil.copy(_expected(CASES[0]), tmp_path / "train.py")
    result = run("bnlint", "check", "--diff", "train.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_diff_reads_standard_input():
    case = FIXES / "bn006_savers.py"
    result = subprocess.run(
        [sys.executable, "-m", "bnlint", "check", "--diff", "--stdin-filename", "train.py", "-"],
        input=case.read_bytes(),
        capture_output=True,
    )
    assert result.returncode == 1
    assert result.stdout.startswith(b"--- a/train.py\n+++ b/train.py\n")
    assert apply_diff(result.stdout, case.read_bytes()) == _expected(case).read_bytes()


@pytest.mark.parametrize(
    ("name", "convert"),
    [
        ("crlf", lambda text: text.replace("\n", "\r\n").encode()),
        ("latin-1", lambda text: ("# -*- coding: latin-1 -*-\n# Données d'entraînement\n" + text).encode("latin-1")),
        ("bom", lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()),
    ],
)
def test_fix_keeps_line_endings_and_encoding(tmp_path, name, convert):
    case = FIXES / "bn002_in_function.py"
    target = tmp_path / "train.py"
    target.write_bytes(convert(case.read_text(encoding="utf-8")))
    run("bnlint", "check", "--fix", "train.py", cwd=tmp_path)
    assert target.read_bytes() == convert(_expected(case).read_text(encoding="utf-8"))


def test_diff_of_a_crlf_file_applies_to_it(tmp_path):
    case = FIXES / "bn002_in_function.py"
    original = case.read_bytes().replace(b"\n", b"\r\n")
    (tmp_path / "train.py").write_bytes(original)
    result = subprocess.run(
        [sys.executable, "-m", "bnlint", "check", "--diff", "train.py"], cwd=tmp_path, capture_output=True
    )
    assert apply_diff(result.stdout, original) == _expected(case).read_bytes().replace(b"\n", b"\r\n")


def test_a_finding_under_noqa_is_not_fixed(tmp_path):
    case = FIXES / "bn002_in_function.py"
    statement = "  train_op = optimizer.apply_gradients(zip(grads, variables), global_step=global_step)"
    original = case.read_text(encoding="utf-8").replace(statement, statement + "  # noqa: BN002")
    (tmp_path / "train.py").write_text(original)

    result = run("bnlint", "check", "--fix", "train.py", cwd=tmp_path)

    wrapped = "  with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n  " + statement + "\n"
    expected = _expected(case).read_text(encoding="utf-8").replace(wrapped, statement + "  # noqa: BN002\n")
    assert expected != _expected(case).read_text(encoding="utf-8")
    assert (tmp_path / "train.py").read_text() == expected
    # The fixture's other BN002 is fixed; the one under noqa is neither fixed nor reported.
    assert result.returncode == 0 and result.stdout == "Found 1 finding in 1 file (1 fixed, 0 remaining).\n"


def test_a_file_wide_noqa_fixes_nothing(tmp_path):
    case = FIXES / "bn006_savers.py"
    (tmp_path / "train.py").write_text("# bnlint: noqa: BN006\n" + case.read_text(encoding="utf-8"))
    run("bnlint", "check", "--fix", "train.py", cwd=tmp_path)
    assert (tmp_path / "train.py").read_text() == "# bnlint: noqa: BN006\n" + case.read_text(encoding="utf-8")


def test_only_selected_rules_are_fixed(tmp_path):
    case = FIXES / "bn004_then_bn002.py"
    shutil.copy(case, tmp_path / "train.py")
    run("bnlint", "check", "--fix", "--ignore", "BN002", "train.py", cwd=tmp_path)
    fixed = (tmp_path / "train.py").read_text()
    assert "training=is_training" in fixed and "control_dependencies" not in fixed


def test_fix_cannot_take_standard_input_or_add_noqa(tmp_path):
    shutil.copy(FIXES / "bn006_savers.py", tmp_path / "train.py")
    stdin = run("bnlint", "check", "--fix", "-", stdin=b"import tensorflow as tf\n")
    both = run("bnlint", "check", "--fix", "--add-noqa", "train.py", cwd=tmp_path)
    assert stdin.returncode == both.returncode == 2
    assert "standard input" in stdin.stderr and "--add-noqa" in both.stderr
    assert (tmp_path / "train.py").read_bytes() == (FIXES / "bn006_savers.py").read_bytes()


# -- the engine --------------------------------------------------------------------------------------------------


def _source(text: str) -> str:
    return inspect.cleandoc(text) + "\n"


def test_fix_source_fixes_only_the_finding_asked_for():
    text = (FIXES / "bn002_in_function.py").read_text(encoding="utf-8")
    diagnostics = check_source(text, "train.py")
    (chosen,) = [d for d in diagnostics if "apply_gradients" in d.message]
    (other,) = [d for d in diagnostics if d is not chosen]

    result = fix_source(text, "train.py", only=chosen)

    statement = "  train_op = optimizer.apply_gradients(zip(grads, variables), global_step=global_step)\n"
    wrapped = "  with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n  " + statement
    assert result.text == text.replace(statement, wrapped)
    assert result.fixed == [chosen] and chosen.fix and result.failure is None
    assert [(d.code, d.line, d.fix) for d in result.remaining] == [(other.code, other.line, other.fix)]


def test_nested_fixes_compose_and_one_statement_is_wrapped_once():
    text = _source(
        """
        import tensorflow as tf

        def train(x, is_training):
            net = tf.layers.batch_normalization(x, training=is_training)
            adam = tf.train.AdamOptimizer(1e-3)
            return adam.minimize(tf.reduce_mean(tf.layers.batch_normalization(net)))

        def train_two(loss_a, loss_b, x, is_training):
            net = tf.layers.batch_normalization(x, training=is_training)
            adam = tf.train.AdamOptimizer(1e-3)
            ops = [adam.minimize(loss_a), adam.minimize(loss_b + tf.reduce_sum(net))]
            return ops
        """
    )
    result = fix_source(text, "train.py")
    dependency = "with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):"
    assert result.text == _source(
        f"""
        import tensorflow as tf

        def train(x, is_training):
            net = tf.layers.batch_normalization(x, training=is_training)
            adam = tf.train.AdamOptimizer(1e-3)
            {dependency}
                return adam.minimize(tf.reduce_mean(tf.layers.batch_normalization(net, training=is_training)))

        def train_two(loss_a, loss_b, x, is_training):
            net = tf.layers.batch_normalization(x, training=is_training)
            adam = tf.train.AdamOptimizer(1e-3)
            {dependency}
                ops = [adam.minimize(loss_a), adam.minimize(loss_b + tf.reduce_sum(net))]
            return ops
        """
    )
    assert Counter(d.code for d in result.fixed) == {"BN002": 3, "BN004": 1}
    assert result.remaining == []


def test_a_flag_with_a_default_is_passed_and_the_calls_that_omit_it_are_reported():
    text = _source(
        """
        import tensorflow as tf

        def block(x, is_training=False):
            return tf.nn.relu(tf.layers.batch_normalization(x))

        images = tf.placeholder(tf.float32, [None, 8])
        flag = tf.placeholder(tf.bool, [])
        train_features = block(images, is_training=flag)
        frozen_features = block(images)
        """
    )
    result = fix_source(text, "train.py")
    assert "tf.layers.batch_normalization(x, training=is_training)" in result.text
    (remaining,) = [d for d in result.remaining if d.code == "BN004"]
    assert result.text.splitlines()[remaining.line - 1] == "frozen_features = block(images)"


@pytest.mark.parametrize(
    ("signature", "flag"),
    [
        ("def f(x, is_training):", "is_training"),
        ("def f(x, training=None):", "training"),
        ("def f(x, *, phase_train=True):", "phase_train"),
        ("def f(x, bn_switch, train):", "bn_switch"),  # the parameter already passed to a batch-norm mode wins
        ("def f(x, train_mode='train'):", None),  # a mode name, not a flag
        ("def f(x, training, is_training):", None),  # which one?
        ("def f(x, mode):", None),
        ("def f(x, *is_training):", None),
    ],
)
def test_which_parameter_is_the_training_flag(signature, flag):
    first = "tf.layers.batch_normalization(x, training=bn_switch)" if "bn_switch" in signature else "x"
    text = _source(
        f"""
        import tensorflow as tf

        {signature}
            y = {first}
            return tf.layers.batch_normalization(y)
        """
    )
    (finding,) = [d for d in check_source(text, "model.py") if d.code == "BN004"]
    assert finding.fix == (f"pass {flag} as training=" if flag else None)


def test_the_flag_must_mean_the_parameter_where_the_layer_is_built():
    text = _source(
        """
        import tensorflow as tf

        def f(x, is_training):
            is_training = tf.constant(True)
            return tf.layers.batch_normalization(x)

        def g(xs, is_training):
            return [tf.layers.batch_normalization(x) for x in xs]

        def h(x, is_training):
            build = lambda is_training: tf.layers.batch_normalization(x)
            return build(True)
        """
    )
    fixes = {d.line: d.fix for d in check_source(text, "model.py") if d.code == "BN004"}
    assert fixes == {5: None, 8: "pass is_training as training=", 11: None}


@pytest.mark.parametrize(
    "statement",
    [
        "a = 1; train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)",
        "if loss is not None: train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)",
        "make = lambda: tf.train.AdamOptimizer(1e-3).minimize(loss)",
        "for train_op in [tf.train.AdamOptimizer(1e-3).minimize(loss)]: pass",
        "train_ops = (tf.train.AdamOptimizer(rate).minimize(loss) for rate in (1e-3, 1e-4))",
        "def steps():\n    yield tf.train.AdamOptimizer(1e-3).minimize(loss)",
    ],
)
def test_a_train_op_that_one_with_cannot_hold_alone_gets_no_fix(statement):
    text = _source(
        """
        import tensorflow as tf

        x = tf.placeholder(tf.float32, [None, 8])
        is_training = tf.placeholder(tf.bool, [])
        loss = tf.reduce_sum(tf.layers.batch_normalization(x, training=is_training))
        """
    )
    text += statement + "\n"
    findings = [d for d in check_source(text, "train.py") if d.code == "BN002"]
    assert findings and all(d.fix is None for d in findings)


def test_a_file_that_imports_tensorflow_compat_v1_by_name_gets_that_name():
    text = _source(
        """
        import tensorflow as tf
        from tensorflow.compat import v1
        from tensorflow.compat.v1.train import AdamOptimizer

        x = v1.placeholder(tf.float32, [None, 8])
        loss = tf.reduce_sum(v1.layers.batch_normalization(x, training=v1.placeholder(tf.bool, [])))
        train_op = AdamOptimizer(1e-3).minimize(loss)
        """
    )
    (finding,) = check_source(text, "train.py")
    assert finding.fix == "build the train op under a dependency on v1.GraphKeys.UPDATE_OPS"


def test_a_saver_of_a_name_bound_to_the_list_gets_no_fix():
    text = _source(
        """
        import tensorflow as tf

        x = tf.layers.batch_normalization(tf.zeros([4, 3]), training=tf.placeholder(tf.bool, []))
        variables = tf.trainable_variables()
        saver = tf.train.Saver(variables)
        scoped = tf.train.Saver(tf.trainable_variables("model"))
        """
    )
    fixes = {d.line: d.fix for d in check_source(text, "train.py")}
    assert fixes == {5: None, 6: "save tf.global_variables()"}
    assert 'scoped = tf.train.Saver(tf.global_variables("model"))' in fix_source(text, "train.py").text


def test_test_code_is_not_fixed():
    text = _source(
        """
        import tensorflow as tf

        class LayerTest(tf.test.TestCase):
            def test_inference(self, is_training=False):
                return tf.layers.batch_normalization(tf.zeros([4, 3]))
        """
    )
    assert fix_source(text, "test_layer.py").text == text


def test_a_fix_that_fails_leaves_the_text_as_it_was(monkeypatch):
    def broken(context):
        def edit(node):
            raise RuntimeError("boom")

        return edit

    monkeypatch.setattr(edits, "wrap_in_with", broken)
    text = (FIXES / "bn002_module_level.py").read_text(encoding="utf-8")
    result = fix_source(text, "train.py")
    assert (result.text, result.fixed) == (text, [])
    assert result.failure is not None and result.failure.code == "BN901" and "boom" in result.failure.message
    assert [d.code for d in result.remaining] == ["BN002", "BN002"]


def test_the_command_reports_a_fix_that_failed(monkeypatch, tmp_path, capsys):
    def broken(context):
        def edit(node):
            raise RuntimeError("boom")

        return edit

    monkeypatch.setattr(edits, "wrap_in_with", broken)
    target = tmp_path / "train.py"
    shutil.copy(FIXES / "bn002_module_level.py", target)
    status = cli.main(["check", "--fix", str(target)])
    output = capsys.readouterr().out
    assert status == 2
    assert target.read_bytes() == (FIXES / "bn002_module_level.py").read_bytes()
    *lines, count = output.splitlines()
    assert Counter(line.split(": ")[1].split()[0] for line in lines) == {"BN901": 1, "BN002": 2}
    fixable = sum(d.fix is not None for d in check_source(target.read_text(encoding="utf-8"), str(target)))
    assert count == f"Found 3 findings in 1 file; {fixable} fixable with --fix."


def test_diagnostics_name_their_fix():
    text = (FIXES / "bn006_savers.py").read_text(encoding="utf-8")
    assert [d.fix for d in check_source(text, "train.py")] == ["save tf.global_variables()", None]


# -- telling people ----------------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_count_line_says_how_many_findings_fix_would_fix_on_a_terminal_or_not():
    case = str(FIXES / "bn006_savers.py")
    count = "Found 2 findings in 1 file; 1 fixable with --fix."
    assert on_a_terminal("check", "--color", "never", case, env={}).splitlines()[-1] == count
    piped = run("bnlint", "check", case)
    assert piped.stderr == "" and piped.stdout.splitlines()[2:] == [count]


def test_machine_formats_say_what_was_fixed_on_standard_error(tmp_path):
    shutil.copy(FIXES / "bn006_savers.py", tmp_path / "train.py")
    result = run("bnlint", "check", "--fix", "--format", "json", "train.py", cwd=tmp_path)
    assert [item["code"] for item in json.loads(result.stdout)] == ["BN006"]
    assert result.stderr == "Fixed 1 finding(s) in 1 file(s).\n"


@pytest.mark.parametrize("given", ["./train.py", "sub/../train.py", ".//train.py"])
def test_diff_headers_name_the_path_as_given_normalised(tmp_path, given):
    shutil.copy(FIXES / "bn006_savers.py", tmp_path / "train.py")
    (tmp_path / "sub").mkdir()
    result = run("bnlint", "check", "--diff", given, cwd=tmp_path)
    assert result.stdout.startswith("--- a/train.py\n+++ b/train.py\n@@ ")
    nested = run("bnlint", "check", "--diff", ".", cwd=tmp_path)
    assert nested.stdout.startswith("--- a/train.py\n+++ b/train.py\n@@ ")
