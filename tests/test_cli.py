"""The `bnlint` command as a user meets it: paths, formats, selection, standard input, exit status."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from support import execute, on_a_terminal, run

BUGGY = "examples/train_buggy.py"
FIXED = "examples/train_fixed.py"
LITERAL = b"import tensorflow as tf\n\ny = tf.layers.batch_normalization(tf.zeros([4, 3]), training=True)\n"


def test_console_script_and_module_give_the_same_report():
    script = Path(sys.executable).with_name("bnlint")
    assert script.exists(), "pip install -e . should install the bnlint command"
    direct = execute([str(script), "check", "examples/"])
    module = run("bnlint", "check", "examples/")
    assert direct.returncode == module.returncode == 1
    assert direct.stdout == module.stdout
    assert [line.split(": ")[1].split()[0] for line in module.stdout.splitlines()] == ["BN004", "BN003", "BN002"]


def test_text_and_json_formats_carry_the_same_findings():
    text = run("bnlint", "check", BUGGY).stdout.splitlines()
    items = json.loads(run("bnlint", "check", "--format", "json", BUGGY).stdout)
    assert text == [f"{i['path']}:{i['line']}:{i['column']}: {i['code']} {i['message']}" for i in items]
    for item in items:
        assert {"path", "line", "column", "end_line", "end_column", "code", "name", "message"} <= set(item)
        assert (item["end_line"], item["end_column"]) > (item["line"], item["column"])
    assert [(i["path"], i["line"], i["column"]) for i in items] == sorted(
        (i["path"], i["line"], i["column"]) for i in items
    )


def test_json_names_the_related_location():
    items = json.loads(run("bnlint", "check", "--format", "json", "--select", "BN003", BUGGY).stdout)
    (finding,) = items
    assert finding["related"][0]["line"] < finding["line"]
    assert f"(line {finding['related'][0]['line']})" in finding["message"]


def test_exit_status():
    assert run("bnlint", "check", FIXED).returncode == 0
    assert run("bnlint", "check", BUGGY).returncode == 1
    assert run("bnlint", "check", "--exit-zero", BUGGY).returncode == 0
    assert run("bnlint", "check", "--select", "E501", BUGGY).returncode == 2
    assert run("bnlint").returncode == 2


def test_an_unparseable_file_is_reported_and_the_others_still_checked(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorflow as tf\ndef f(:\n")
    result = run("bnlint", "check", str(broken), BUGGY)
    assert result.returncode == 2
    codes = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()]
    assert codes == ["BN900", "BN004", "BN003", "BN002"]  # ordered by path: /tmp/... before examples/
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        (["--select", "BN002"], ["BN002"]),
        (["--select", "BN003,BN004"], ["BN004", "BN003"]),
        (["--ignore", "BN00"], []),
        (["--select", "BN0", "--ignore", "BN003"], ["BN004", "BN002"]),
        (["--ignore", "BN", "--select", "BN002"], ["BN002"]),
    ],
)
def test_select_and_ignore_by_prefix(options, codes):
    result = run("bnlint", "check", *options, BUGGY)
    assert [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()] == codes


def test_directories_are_walked_skipping_environments_and_build_output(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "train.py").write_bytes(LITERAL)
    (tmp_path / "pkg" / "notes.txt").write_bytes(LITERAL)
    for skipped in (".git", "build", "node_modules", ".venv", "env"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "train.py").write_bytes(LITERAL)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    result = run("bnlint", "check", str(tmp_path))
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [str(tmp_path / "pkg" / "sub" / "train.py")]


def test_a_directory_without_python_files_is_clean(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "README").write_text("nothing to see\n")
    result = run("bnlint", "check", str(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_standard_input_with_a_display_name():
    result = run("bnlint", "check", "--stdin-filename", "train.py", "-", stdin=LITERAL)
    assert result.returncode == 1
    assert result.stdout.startswith("train.py:3:")
    assert run("bnlint", "check", "-", stdin=b"").returncode == 0


def test_a_missing_path_is_reported_and_the_run_goes_on():
    result = run("bnlint", "check", "no/such/file.py", FIXED)
    assert result.returncode == 2
    assert result.stdout.startswith("no/such/file.py:1:1: BN900 could not read:")


def test_version():
    from bnlint import __version__

    result = run("bnlint", "--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"bnlint {__version__}")


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a shell")
def test_a_closed_pipe_is_not_a_traceback():
    completed = execute(["sh", "-c", f"{sys.executable} -m bnlint check tests/fixtures | head -n 1"])
    assert completed.stdout.count("\n") == 1
    assert "Traceback" not in completed.stderr


def test_show_source_puts_carets_under_the_reported_span():
    lines = run("bnlint", "check", "--show-source", "--select", "BN002,BN004", BUGGY).stdout.splitlines()
    items = json.loads(run("bnlint", "check", "--format", "json", "--select", "BN002,BN004", BUGGY).stdout)
    source = Path(BUGGY).read_text().splitlines()
    assert len(lines) == 3 * len(items)
    for index, item in enumerate(items):
        headline, code, carets = lines[3 * index : 3 * index + 3]
        assert headline.startswith(f"{item['path']}:{item['line']}:{item['column']}: {item['code']}")
        assert code == "    " + source[item["line"] - 1]
        start = carets.index("^")
        assert start - 4 == item["column"] - 1
        underlined = code[start : len(carets)]
        span_end = item["end_column"] - 1 if item["end_line"] == item["line"] else len(source[item["line"] - 1])
        assert underlined == source[item["line"] - 1][item["column"] - 1 : span_end]


def test_statistics_count_each_code():
    items = json.loads(run("bnlint", "check", "--format", "json", "tests/fixtures/bn001").stdout)
    result = run("bnlint", "check", "--statistics", "tests/fixtures/bn001")
    counts = {}
    for item in items:
        counts[item["code"]] = counts.get(item["code"], 0) + 1
    tail = result.stdout.splitlines()[len(items) :]
    assert {line.split()[1]: int(line.split()[0]) for line in tail} == counts
    assert tail[0].split()[2] == "constant-batch-norm-mode"
    # With a machine-readable format the counts go to standard error, leaving the document whole.
    machine = run("bnlint", "check", "--statistics", "--format", "json", "tests/fixtures/bn001")
    assert json.loads(machine.stdout) == items
    assert machine.stderr.splitlines() == tail


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_only_on_a_terminal_and_never_with_no_color():
    escape = "\x1b["
    assert escape in on_a_terminal("check", BUGGY, env={})
    assert escape not in on_a_terminal("check", BUGGY, env={"NO_COLOR": "1"})
    assert escape not in on_a_terminal("check", "--color", "never", BUGGY, env={})
    assert escape not in run("bnlint", "check", BUGGY).stdout  # a pipe
    assert escape in run("bnlint", "check", "--color", "always", BUGGY).stdout
    assert escape not in run("bnlint", "check", "--color", "always", "--format", "json", BUGGY).stdout
