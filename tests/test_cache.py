"""The result cache of `bnlint check`: a warm run reports what a cold run reports without parsing anything, and an
entry is used only while the file, the modules it imports and the way it is checked stay as they were."""

from __future__ import annotations

import inspect
import json
import os
import shutil
from pathlib import Path

import libcst
import pytest

from bnlint import cli
from bnlint.cache import Cache, Key
from bnlint.diagnostic import Diagnostic, Related
from bnlint.rules import RULES_BY_CODE
from support import EXAMPLES, FIXTURES, run

PROJECTS = FIXTURES / "projects"
TOWERS = PROJECTS / "bad_bn003_cross_module_towers"  # classifier() in model.py, built twice in train.py
REUSING_MODEL = PROJECTS / "ok_bn003_cross_module_auto_reuse" / "model.py"  # classifier() reuses its variables


@pytest.fixture
def towers(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TOWERS, tmp_path / "towers"))


def entries(cache: Path) -> list[Path]:
    return sorted(path for path in cache.rglob("*") if path.is_file() and path.parent != cache)


def check(*args: str, cwd: Path) -> tuple[int, str]:
    result = run("bnlint", "check", "--format", "json", *args, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


def test_a_warm_run_reports_what_the_cold_run_reported(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    (tmp_path / "broken.py").write_text("import tensorflow as tf\ndef f(:\n")
    for output in ("text", "json"):
        uncached = run("bnlint", "check", "--no-cache", "--format", output, ".", cwd=tmp_path)
        cold = run("bnlint", "check", "--format", output, ".", cwd=tmp_path)
        warm = run("bnlint", "check", "--format", output, ".", cwd=tmp_path)
        assert uncached.returncode == cold.returncode == warm.returncode == 2  # broken.py cannot be parsed
        assert uncached.stdout == cold.stdout == warm.stdout
        assert "BN900" in warm.stdout and "BN003" in warm.stdout


def forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse_module(*args: object, **kwargs: object) -> None:
        raise AssertionError("a module was parsed")

    monkeypatch.setattr(libcst, "parse_module", parse_module)


def test_a_warm_run_parses_nothing(tmp_path, monkeypatch, capsys):
    shutil.copytree(PROJECTS, tmp_path / "projects")
    shutil.copytree(FIXTURES / "bn003", tmp_path / "bn003")
    arguments = ["check", "-j1", "--cache-dir", str(tmp_path / "cache"), str(tmp_path)]
    cold = cli.main(arguments)
    cold_output = capsys.readouterr().out
    assert cold == 1
    forbid_parsing(monkeypatch)
    assert (cli.main(arguments), capsys.readouterr().out) == (cold, cold_output)
    # Without the cache the same files are parsed: the check above can fail.
    assert cli.main([*arguments, "--no-cache"]) == 2
    assert "BN901 internal error in bnlint: AssertionError: a module was parsed" in capsys.readouterr().out


def test_a_warm_run_starts_no_worker(tmp_path, monkeypatch, capsys):
    shutil.copytree(FIXTURES / "bn003", tmp_path / "bn003")
    cache = str(tmp_path / "cache")
    cold = cli.main(["check", "-j2", "--cache-dir", cache, str(tmp_path / "bn003")])
    cold_output = capsys.readouterr().out

    def no_workers(*args, **kwargs):
        raise AssertionError("a warm run started workers")

    monkeypatch.setattr("bnlint.parallel.ProcessPoolExecutor", no_workers)
    warm = cli.main(["check", "-j2", "--cache-dir", cache, str(tmp_path / "bn003")])
    assert (warm, capsys.readouterr().out) == (cold, cold_output)


def test_a_changed_file_is_checked_again(towers):
    (line,) = [item["line"] for item in json.loads(check(cwd=towers)[1])]
    train = towers / "train.py"
    train.write_text("# a line more\n" + train.read_text())
    status, output = check(cwd=towers)
    assert (status, output) == check("--no-cache", cwd=towers)
    assert [item["line"] for item in json.loads(output)] == [line + 1]


def test_a_changed_imported_module_checks_its_importers_again(towers):
    status, output = check(cwd=towers)
    assert status == 1 and [(item["path"], item["code"]) for item in json.loads(output)] == [("./train.py", "BN003")]
    shutil.copy(REUSING_MODEL, towers / "model.py")  # train.py is unchanged, its result is not
    assert check(cwd=towers) == (0, "[]\n")
    shutil.copy(TOWERS / "model.py", towers / "model.py")
    assert check(cwd=towers) == (status, output)


def test_a_changed_caller_checks_the_module_it_calls_again(tmp_path):
    # nets.py's batch norm is reported because train.py and eval.py call the network outside any arg scope; once
    # they open one that sets is_training, nets.py (unchanged) has nothing to report.
    project = Path(shutil.copytree(PROJECTS / "bad_bn004_slim_net_called_by_scripts", tmp_path / "project"))
    status, output = check(cwd=project)
    assert status == 1 and {item["path"] for item in json.loads(output)} == {"./nets.py"}
    for script in ("train.py", "eval.py"):
        shutil.copy(PROJECTS / "ok_bn004_slim_net_arg_scope_in_caller" / script, project / script)
    assert check(cwd=project) == (0, "[]\n")


def test_a_module_imported_through_another_is_part_of_the_key(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(TOWERS / "model.py", project / "layers.py")
    (project / "model.py").write_text("from layers import classifier\n")
    shutil.copy(TOWERS / "train.py", project / "train.py")
    assert check(cwd=project)[0] == 1
    shutil.copy(REUSING_MODEL, project / "layers.py")
    assert check(cwd=project) == (0, "[]\n")


def test_an_edit_in_an_import_cycle_checks_every_file_resting_on_it_again(tmp_path):
    # layers.py and model.py import each other, so they and train.py rest on one set of modules, whose texts are
    # hashed once: an edit of any of them must still reach train.py's entry.
    project = tmp_path / "project"
    project.mkdir()
    (project / "layers.py").write_text((TOWERS / "model.py").read_text() + "\nimport model\n")
    (project / "model.py").write_text("from layers import classifier\n")
    shutil.copy(TOWERS / "train.py", project / "train.py")
    assert check(cwd=project)[0] == 1
    (project / "layers.py").write_text(REUSING_MODEL.read_text() + "\nimport model\n")
    assert check(cwd=project) == (0, "[]\n")
    (project / "model.py").write_text("from layers import classifier\nfrom train import BATCH_SIZE\n")
    assert check(cwd=project) == check("--no-cache", cwd=project) == (0, "[]\n")
    (project / "layers.py").write_text((TOWERS / "model.py").read_text() + "\nimport model\n")
    assert check(cwd=project) == check("--no-cache", cwd=project)
    assert check(cwd=project)[0] == 1


def lines(output: str) -> list[tuple[str, int]]:
    return [(item["path"], item["line"]) for item in json.loads(output)]


def spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The checked files the command reads (the stamps let it read none it has nothing to show for)."""
    read: list[str] = []
    real = cli._input

    def recorded(path: str, display: str) -> object:
        read.append(Path(display).name)
        return real(path, display)

    monkeypatch.setattr(cli, "_input", recorded)
    return read


def test_an_unchanged_tree_is_found_by_status_alone_and_a_touched_file_after_one_reading(towers, monkeypatch):
    arguments = ["check", "-j1", "--format", "json", "--cache-dir", str(towers / "cache"), str(towers)]
    assert cli.main(arguments) == 1  # BN003 in train.py, nothing in model.py
    forbid_parsing(monkeypatch)
    read = spy_reads(monkeypatch)
    assert cli.main(arguments) == 1
    assert read == ["train.py"]  # read for its finding's source line; model.py not at all
    status = (towers / "model.py").stat()
    os.utime(towers / "model.py", ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))  # touched, not changed
    read.clear()
    assert cli.main(arguments) == 1  # a hit by its key: nothing parsed
    assert sorted(read) == ["model.py", "train.py"]
    read.clear()
    assert cli.main(arguments) == 1
    assert read == ["train.py"]  # the entries took the new stamp


def test_a_program_too_big_to_stamp_is_found_by_its_texts(towers, monkeypatch):
    # Past PROGRAM_FILES the folder is no program: no stamp, so every entry is validated by the texts it rests on.
    monkeypatch.setattr("bnlint.project.PROGRAM_FILES", 1)
    arguments = ["check", "-j1", "--format", "json", "--cache-dir", str(towers / "cache"), str(towers)]
    assert cli.main(arguments) == 1
    with monkeypatch.context() as warm:
        forbid_parsing(warm)
        read = spy_reads(warm)
        assert cli.main(arguments) == 1
        assert sorted(read) == ["model.py", "train.py"]  # read, and found by their keys: nothing parsed
    shutil.copy(REUSING_MODEL, towers / "model.py")
    assert cli.main(arguments) == 0  # train.py is unchanged, its result is not


def shifted(source: str) -> tuple[str, str]:
    """Two texts of one size whose findings are a line apart."""
    return "\n" + source + "#\n", source + "\n#\n"


def test_an_edit_of_the_same_size_with_a_new_modification_time_is_checked_again(tmp_path):
    before, after = shifted(inspect.cleandoc(RULES_BY_CODE["BN001"].INVALID[0]))
    train = tmp_path / "train.py"
    train.write_text(before)
    _, output = check(cwd=tmp_path)
    status = train.stat()
    train.write_text(after)
    os.utime(train, ns=(status.st_atime_ns, status.st_mtime_ns + 10**6))
    assert check(cwd=tmp_path) == check("--no-cache", cwd=tmp_path)
    assert [line for _, line in lines(check(cwd=tmp_path)[1])] == [line - 1 for _, line in lines(output)]


def test_an_edit_of_another_size_within_the_same_modification_time_is_checked_again(tmp_path):
    source = inspect.cleandoc(RULES_BY_CODE["BN001"].INVALID[0]) + "\n"
    train = tmp_path / "train.py"
    train.write_text(source)
    _, output = check(cwd=tmp_path)
    status = train.stat()
    train.write_text("# a line more\n" + source)
    os.utime(train, ns=(status.st_atime_ns, status.st_mtime_ns))  # as if written in the same clock tick
    assert [line for _, line in lines(check(cwd=tmp_path)[1])] == [line + 1 for _, line in lines(output)]


def test_an_edit_of_a_module_outside_the_program_checks_its_importers_again(tmp_path):
    (tmp_path / "lib").mkdir()
    shutil.copy(TOWERS / "model.py", tmp_path / "lib" / "model.py")
    (tmp_path / "scripts").mkdir()
    shutil.copy(TOWERS / "train.py", tmp_path / "scripts" / "train.py")
    assert check("--project-root", "lib", "scripts", cwd=tmp_path)[0] == 1
    shutil.copy(REUSING_MODEL, tmp_path / "lib" / "model.py")  # lib/ is not train.py's program: its own stamp
    assert check("--project-root", "lib", "scripts", cwd=tmp_path) == (0, "[]\n")


@pytest.mark.parametrize(
    "options",
    [("--select", "BN002"), ("--ignore", "BN003"), ("--per-file-ignores", "train.py:BN0")],
)
def test_the_rule_selection_is_part_of_the_key(towers, options):
    default = check(cwd=towers)
    assert check(*options, cwd=towers) == check("--no-cache", *options, cwd=towers) != default
    assert check(cwd=towers) == default


def test_the_configuration_is_part_of_the_key(towers):
    default = check(cwd=towers)
    (towers / "pyproject.toml").write_text('[tool.bnlint]\nignore = ["BN003"]\n')
    assert check(cwd=towers) == (0, "[]\n")
    (towers / "pyproject.toml").unlink()
    assert check(cwd=towers) == default


def test_the_project_roots_are_part_of_the_key(tmp_path):
    (tmp_path / "lib").mkdir()
    shutil.copy(TOWERS / "model.py", tmp_path / "lib" / "model.py")
    (tmp_path / "scripts").mkdir()
    shutil.copy(TOWERS / "train.py", tmp_path / "scripts" / "train.py")
    assert check("scripts", cwd=tmp_path) == (0, "[]\n")  # model.py cannot be found
    assert check("--project-root", "lib", "scripts", cwd=tmp_path)[0] == 1
    assert check("scripts", cwd=tmp_path) == (0, "[]\n")


def test_the_cache_is_made_in_the_current_folder_and_ignored_by_git(towers):
    check(cwd=towers)
    cache = towers / ".bnlint_cache"
    assert (cache / ".gitignore").read_text() == "*\n"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert len(entries(cache)) == 2  # model.py and train.py


def test_cache_dir_puts_it_elsewhere(towers, tmp_path):
    check("--cache-dir", str(tmp_path / "elsewhere"), cwd=towers)
    assert not (towers / ".bnlint_cache").exists()
    assert len(entries(tmp_path / "elsewhere")) == 2


def test_no_cache_neither_writes_nor_reads_it(towers):
    check("--no-cache", cwd=towers)
    assert not (towers / ".bnlint_cache").exists()
    check(cwd=towers)
    for entry in entries(towers / ".bnlint_cache"):
        entry.write_text(json.dumps({"key": "x", "diagnostics": []}))
    assert check("--no-cache", cwd=towers)[0] == 1


def test_standard_input_and_rewriting_options_do_not_write_the_cache(towers):
    source = (towers / "train.py").read_bytes()
    assert run("bnlint", "check", "--stdin-filename", "train.py", "-", stdin=source, cwd=towers).returncode == 1
    assert run("bnlint", "check", "--diff", ".", cwd=towers).returncode == 0
    assert run("bnlint", "check", "--add-noqa", ".", cwd=towers).returncode == 0
    assert not (towers / ".bnlint_cache").exists()
    assert check(cwd=towers) == (0, "[]\n")  # the noqa comment that --add-noqa wrote


def test_fix_then_checks_through_the_cache(towers):
    shutil.copy(FIXTURES / "fixes" / "bn006_savers.py", towers / "savers.py")
    assert [item["code"] for item in json.loads(check(cwd=towers)[1])] == ["BN006", "BN006", "BN003"]
    fixed = run("bnlint", "check", "--fix", ".", cwd=towers)
    # Of the three findings, in savers.py and the towers' script, one is fixed.
    assert fixed.stdout.splitlines()[-1] == "Found 3 findings in 2 files (1 fixed, 2 remaining)."
    assert check(cwd=towers) == check("--no-cache", cwd=towers)
    assert [item["code"] for item in json.loads(check(cwd=towers)[1])] == ["BN006", "BN003"]


def test_a_corrupt_entry_is_a_miss(towers):
    expected = check(cwd=towers)
    corruptions = [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"key": 1}',
        json.dumps({"key": "stale", "diagnostics": []}).encode(),
    ]
    for corruption in corruptions:
        for entry in entries(towers / ".bnlint_cache"):
            entry.write_bytes(corruption)
        assert check(cwd=towers) == expected, corruption
    for entry in entries(towers / ".bnlint_cache"):  # the right key, diagnostics of the wrong shape
        document = json.loads(entry.read_bytes())
        document["diagnostics"] = [{"line": "one"}] if document["diagnostics"] else [[1, 2]]
        entry.write_text(json.dumps(document))
    assert check(cwd=towers) == expected


def test_a_cache_folder_that_cannot_be_written_costs_nothing_but_the_cache(towers):
    blocked = towers / "blocked"
    blocked.write_text("a file where the cache folder would be\n")
    expected = check("--no-cache", cwd=towers)
    for _ in range(2):
        assert check("--cache-dir", str(blocked), cwd=towers) == expected
        assert check("--cache-dir", str(blocked / "below"), cwd=towers) == expected


def test_unparseable_files_are_cached_and_internal_errors_are_not(tmp_path, monkeypatch, capsys):
    shutil.copytree(TOWERS, tmp_path / "towers")
    (tmp_path / "towers" / "broken.py").write_text("import tensorflow as tf\ndef f(:\n")
    cache = tmp_path / "cache"
    arguments = ["check", "-j1", "--cache-dir", str(cache), str(tmp_path / "towers")]

    def boom(cls, facts):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(RULES_BY_CODE["BN003"], "check", classmethod(boom))
        assert cli.main(arguments) == 2
        assert "BN901" in capsys.readouterr().out
    assert len(entries(cache)) == 1  # broken.py's BN900; the rule failed on model.py and train.py
    assert cli.main(arguments) == 2
    output = capsys.readouterr().out
    assert "BN901" not in output and " BN003 " in output and " BN900 " in output


def test_notebooks_are_cached(tmp_path, monkeypatch, capsys):
    shutil.copytree(FIXTURES / "notebooks", tmp_path / "notebooks")
    arguments = ["check", "-j1", "--cache-dir", str(tmp_path / "cache"), str(tmp_path / "notebooks")]
    cold = cli.main(arguments)
    cold_output = capsys.readouterr().out
    assert ".ipynb:cell " in cold_output
    forbid_parsing(monkeypatch)
    assert (cli.main(arguments), capsys.readouterr().out) == (cold, cold_output)


def test_an_entry_holds_every_field_of_a_diagnostic(tmp_path):
    diagnostics = [
        Diagnostic(
            "nb.ipynb",
            3,
            5,
            4,
            9,
            "BN003",
            "second tower (cell 1, line 2) ✓",
            related=(Related(2, 1, "first tower", cell=1), Related(7, 3, "batch norm")),
            call_lines=(3, 4),
            cell=2,
            fix="reuse the variables",
        ),
        Diagnostic("a.py", 1, 1, 1, 1, "BN900", "could not parse"),
    ]
    cache, key = Cache(tmp_path / "cache"), Key("entry", "digest")
    cache.put(key, diagnostics)
    found = cache.get(key)
    assert found == diagnostics
    assert found is not None and [item.call_lines for item in found] == [(3, 4), None]
    assert cache.get(Key("entry", "another digest")) is None
    assert cache.get(Key("another entry", "digest")) is None
