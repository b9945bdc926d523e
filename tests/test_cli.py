"""The `bnlint` command as a user meets it: paths, formats, selection, standard input, exit status."""

from __future__ import annotations

import json
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from bnlint.diagnostic import ERROR_CODES
from bnlint.rules import ALL_RULES
from support import ROOT, execute, on_a_terminal, run

BUGGY = "examples/train_buggy.py"
FIXED = "examples/train_fixed.py"
LITERAL = b"import tensorflow as tf\n\ny = tf.layers.batch_normalization(tf.zeros([4, 3]), training=True)\n"
# Every code bnlint has, as a usage error lists them: the rules' and the error codes', in order.
KNOWN = ", ".join(sorted([rule.code for rule in ALL_RULES] + list(ERROR_CODES)))
NO_FILES = "bnlint: warning: no Python files found under the given paths\n"


def findings(stdout: str) -> list[str]:
    """The finding lines of text output; the count line that ends it must count them."""
    *lines, count = stdout.splitlines()
    plural = "" if len(lines) == 1 else "s"
    assert count.startswith(f"Found {len(lines)} finding{plural} in ") if lines else count == "All checks passed!"
    return lines


def codes_of(stdout: str) -> list[str]:
    return [line.split(": ")[1].split()[0] for line in findings(stdout)]


def test_console_script_and_module_give_the_same_report():
    script = Path(sys.executable).with_name("bnlint")
    assert script.exists(), "pip install -e . should install the bnlint command"
    direct = execute([str(script), "check", "examples/"])
    module = run("bnlint", "check", "examples/")
    assert direct.returncode == module.returncode == 1
    assert direct.stdout == module.stdout
    assert codes_of(module.stdout) == ["BN004", "BN003", "BN002"]


def test_text_and_json_formats_carry_the_same_findings():
    text = run("bnlint", "check", BUGGY).stdout.splitlines()
    items = json.loads(run("bnlint", "check", "--format", "json", BUGGY).stdout)
    fixable = sum(item["fix"] is not None for item in items)
    assert 0 < fixable < len(items)
    assert text == [
        *(f"{i['path']}:{i['line']}:{i['column']}: {i['code']} {i['message']}" for i in items),
        f"Found {len(items)} findings in 1 file; {fixable} fixable with --fix.",
    ]
    for item in items:
        assert {"path", "line", "column", "end_line", "end_column", "code", "name", "message", "help"} <= set(item)
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


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--select", "BN02", "--select: unknown code or prefix 'BN02'"),
        ("--select", "BN001,BN999", "--select: unknown code or prefix 'BN999'"),
        ("--select", "BN2", "--select: unknown code or prefix 'BN2'"),
        ("--ignore", "E501", "--ignore: unknown code or prefix 'E501'"),
        ("--extend-select", "bn911", "--extend-select: unknown code or prefix 'BN911'"),
        ("--per-file-ignores", "tests/*:BN02", "--per-file-ignores 'tests/*:BN02': unknown code or prefix 'BN02'"),
    ],
)
def test_an_unknown_code_is_a_usage_error_naming_it_and_the_known_codes(option, value, named):
    result = run("bnlint", "check", option, value, BUGGY)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"bnlint: error: {named} (known codes: {KNOWN})\n"


@pytest.mark.parametrize("prefix", ["BN", "BN0", "BN00", "bn9", "BN91"])
def test_a_prefix_of_a_known_code_is_accepted(prefix):
    result = run("bnlint", "check", "--select", prefix, FIXED)
    assert (result.returncode, result.stderr) == (0, "")


def test_an_unparseable_file_is_reported_and_the_others_still_checked(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorflow as tf\ndef f(:\n")
    result = run("bnlint", "check", str(broken), BUGGY)
    assert result.returncode == 2
    assert codes_of(result.stdout) == ["BN900", "BN004", "BN003", "BN002"]  # ordered by path: /tmp/... before examples/
    # An unreadable file counts, as ruff counts a syntax error: the count adds up with the lines printed.
    assert result.stdout.splitlines()[-1] == "Found 4 findings in 2 files; 1 fixable with --fix."
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
    assert codes_of(result.stdout) == codes


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
    assert [line.split(":")[0] for line in findings(result.stdout)] == [str(tmp_path / "pkg" / "sub" / "train.py")]


def test_a_directory_without_python_files_is_clean_with_a_warning(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "README").write_text("nothing to see\n")
    result = run("bnlint", "check", str(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", NO_FILES)
    # A file named on the command line is checked, whatever its name: this one is no Python, as flake8 would say.
    machine = run("bnlint", "check", "--format", "json", str(tmp_path / "data" / "README"), str(tmp_path / "data"))
    assert (machine.returncode, machine.stderr) == (2, "")
    assert [item["code"] for item in json.loads(machine.stdout)] == ["BN900"]
    assert run("bnlint", "check", "--format", "json", str(tmp_path / "data")).stderr == NO_FILES


def test_a_clean_run_says_so():
    result = run("bnlint", "check", FIXED)
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")
    assert run("bnlint", "check", "--format", "json", FIXED).stdout == "[]\n"  # machine formats get no count line


def test_the_count_line_is_singular_for_one_finding_and_leaves_out_an_empty_fixable_part():
    one = run("bnlint", "check", "--select", "BN004", BUGGY)
    assert one.stdout.splitlines()[-1] == "Found 1 finding in 1 file."
    paths = ("--select", "BN002", BUGGY, "tests/fixtures/bn002")
    items = json.loads(run("bnlint", "check", "--format", "json", *paths).stdout)
    files, fixable = len({item["path"] for item in items}), sum(item["fix"] is not None for item in items)
    assert files > 1 and fixable > 1
    expected = f"Found {len(items)} findings in {files} files; {fixable} fixable with --fix."
    assert run("bnlint", "check", *paths).stdout.splitlines()[-1] == expected


def test_after_fix_the_count_line_says_what_was_fixed_and_what_remains(tmp_path):
    script = tmp_path / "train.py"
    script.write_bytes(Path(BUGGY).read_bytes())
    before = json.loads(run("bnlint", "check", "--format", "json", str(script)).stdout)
    fixable = sum(item["fix"] is not None for item in before)
    result = run("bnlint", "check", "--fix", "--statistics", str(script))
    remaining = len(before) - fixable
    *lines, count = result.stdout.splitlines()
    assert count == f"Found {len(before)} findings in 1 file ({fixable} fixed, {remaining} remaining)."
    assert len(lines) == 2 * remaining  # each remaining finding, then its statistics line
    assert sum(int(line.split()[0]) for line in lines[remaining:]) == remaining
    assert result.stderr == ""  # the count line says what the line on standard error says for other formats
    again = run("bnlint", "check", "--fix", str(script))
    assert again.stdout.splitlines()[-1] == f"Found {remaining} findings in 1 file."


def test_verbose_shows_the_help_and_the_fix_under_each_finding():
    items = json.loads(run("bnlint", "check", "--format", "json", BUGGY).stdout)
    lines = run("bnlint", "check", "-v", BUGGY).stdout.splitlines()
    for item in items:
        index = next(i for i, line in enumerate(lines) if line.endswith(f"{item['code']} {item['message']}"))
        assert item["help"] and lines[index + 1] == f"    help: {item['help']}"
        shown = lines[index + 2] if index + 2 < len(lines) else ""
        assert (shown == f"    fix: {item['fix']} (bnlint check --fix)") is (item["fix"] is not None)


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
    *lines, count = run("bnlint", "check", "--show-source", "--select", "BN002,BN004", BUGGY).stdout.splitlines()
    items = json.loads(run("bnlint", "check", "--format", "json", "--select", "BN002,BN004", BUGGY).stdout)
    source = Path(BUGGY).read_text().splitlines()
    assert len(lines) == 3 * len(items) and count.startswith(f"Found {len(items)} findings in 1 file")
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
    *tail, count = result.stdout.splitlines()[len(items) :]
    assert {line.split()[1]: int(line.split()[0]) for line in tail} == counts
    assert count.startswith(f"Found {sum(counts.values())} findings in ")  # the counts add up to the count line
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


@pytest.mark.parametrize("code", ERROR_CODES)
def test_the_error_codes_have_a_rule_page(code):
    result = run("bnlint", "rule", code.lower())
    assert result.returncode == 0
    assert result.stdout == f"{code} ({ERROR_CODES[code].name}): {ERROR_CODES[code].description}\n"
    assert f"{code}  {ERROR_CODES[code].name}" in run("bnlint", "rule").stdout


def test_an_unknown_rule_is_a_usage_error_naming_the_known_codes():
    result = run("bnlint", "rule", "BN9999")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"bnlint: error: unknown rule 'BN9999' (known codes: {KNOWN})\n"


@pytest.mark.parametrize(
    "command", [["check", "--bogus"], ["rule", "--bogus"], ["verify", "--bogus", "train.py"], ["server", "--bogus"]]
)
def test_a_subcommand_usage_error_prints_the_subcommand_usage(command):
    result = run("bnlint", *command)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"usage: bnlint {command[0]} ")
    assert result.stderr.endswith(f"bnlint {command[0]}: error: unrecognized arguments: --bogus\n")


def test_a_check_option_error_prints_the_check_usage():
    result = run("bnlint", "check", "--isolated", "--config", "pyproject.toml")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: bnlint check ")


def test_add_noqa_is_listed_with_the_fixes_not_the_configuration():
    usage = run("bnlint", "check", "--help").stdout
    groups = {part.split(":\n")[0]: part for part in usage.split("\n\n")}
    assert "--add-noqa" in groups["fixes and adoption"] and "--fix" in groups["fixes and adoption"]
    assert "--add-noqa" not in groups["configuration"]


def test_the_version_has_one_source():
    """pyproject.toml takes the version from bnlint.__version__ rather than keeping a copy of its own."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bnlint.__version__"}
    assert project["build-system"]["build-backend"] == "setuptools.build_meta"
