"""`[tool.bnlint]` in pyproject.toml and the command-line options over it, as a user meets them."""

from __future__ import annotations

import shutil

import pytest

from bnlint.selection import Layer, Selection
from support import ROOT, run

BUGGY = (ROOT / "examples" / "train_buggy.py").read_text(encoding="utf-8")  # BN004, BN003 and BN002
TOWERS = ROOT / "tests" / "fixtures" / "projects" / "bad_bn003_cross_module_towers"  # model.py, train.py


def _codes(result) -> list[tuple[str, str]]:
    """(path, code) of each finding of a bnlint run, in output order, checking the count line that ends it."""
    *findings, count = result.stdout.splitlines()
    plural = "" if len(findings) == 1 else "s"
    assert count.startswith(f"Found {len(findings)} finding{plural} in ") if findings else count == "All checks passed!"
    return _pairs(findings)


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    return [(line.split(":")[0], line.split(": ")[1].split()[0]) for line in lines]


def _project(tmp_path, config: str, files=("train.py",)) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "trainer"\n\n[tool.bnlint]\n{config}')
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(BUGGY)


@pytest.mark.parametrize(
    ("config", "options", "codes"),
    [
        ("", [], ["BN004", "BN003", "BN002"]),
        ('select = ["BN002"]', [], ["BN002"]),
        ('ignore = ["BN00"]\nextend-select = ["BN003"]', [], ["BN003"]),
        ('ignore = ["BN004"]', [], ["BN003", "BN002"]),
        # The command line overrides the file: a `--select` starts over, `--ignore` / `--extend-select` add.
        ('ignore = ["BN004"]', ["--select", "BN004"], ["BN004"]),
        ('select = ["BN002"]', ["--extend-select", "BN003"], ["BN003", "BN002"]),
        ('select = ["BN002", "BN003"]', ["--ignore", "BN003"], ["BN002"]),
        ('ignore = ["BN004"]', ["--isolated"], ["BN004", "BN003", "BN002"]),
    ],
)
def test_selection_from_the_file_and_the_command_line(tmp_path, config, options, codes):
    _project(tmp_path, config)
    result = run("bnlint", "check", *options, ".", cwd=tmp_path)
    assert [code for _, code in _codes(result)] == codes


def test_the_closest_configuration_is_found_from_the_checked_file(tmp_path):
    _project(tmp_path, 'select = ["BN002"]', files=("train.py", "experiments/vision/train.py"))
    # A pyproject.toml without [tool.bnlint] is passed over; one with it is closer than the top one.
    (tmp_path / "experiments" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    (tmp_path / "experiments" / "vision" / "pyproject.toml").write_text('[tool.bnlint]\nselect = ["BN004"]\n')
    result = run("bnlint", "check", str(tmp_path / "train.py"), str(tmp_path / "experiments"), cwd=ROOT)
    assert sorted(_codes(result)) == sorted(
        [(str(tmp_path / "train.py"), "BN002"), (str(tmp_path / "experiments" / "vision" / "train.py"), "BN004")]
    )


def test_per_file_ignores_match_paths_from_the_configuration_folder_and_file_names(tmp_path):
    config = 'per-file-ignores = { "tests/*" = ["BN003", "BN004"], "legacy_*.py" = ["BN0"] }'
    _project(tmp_path, config, files=("train.py", "tests/smoke.py", "scripts/legacy_train.py"))
    result = run("bnlint", "check", "--per-file-ignores", "train.py:BN002", ".", cwd=tmp_path)
    assert _codes(result) == [("./tests/smoke.py", "BN002"), ("./train.py", "BN004"), ("./train.py", "BN003")]


def test_exclude_and_extend_exclude(tmp_path):
    _project(tmp_path, 'extend-exclude = ["generated", "*_pb2.py"]', files=("train.py", "generated/a.py", "b_pb2.py"))
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "train.py").write_text(BUGGY)
    assert {path for path, _ in _codes(run("bnlint", "check", ".", cwd=tmp_path))} == {"./train.py"}
    # `exclude` replaces the default list (which skips build/); `--exclude` replaces the file's.
    replaced = run("bnlint", "check", "--exclude", "generated,*_pb2.py", ".", cwd=tmp_path)
    assert {path for path, _ in _codes(replaced)} == {"./train.py", "./build/train.py"}


def test_force_exclude_applies_to_files_named_on_the_command_line(tmp_path):
    _project(tmp_path, 'extend-exclude = ["vendor"]', files=("vendor/train.py",))
    assert _codes(run("bnlint", "check", "vendor/train.py", cwd=tmp_path))
    result = run("bnlint", "check", "--force-exclude", "vendor/train.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr == "bnlint: warning: no Python files found under the given paths\n"


def test_an_explicit_configuration_file(tmp_path):
    _project(tmp_path, 'select = ["BN002"]')
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "bnlint.toml").write_text('select = ["BN003"]\n')
    assert _codes(run("bnlint", "check", "--config", "ci/bnlint.toml", ".", cwd=tmp_path)) == [("./train.py", "BN003")]
    other = tmp_path / "ci" / "pyproject.toml"
    other.write_text('[tool.bnlint]\nignore = ["BN002"]\n')
    codes = [code for _, code in _codes(run("bnlint", "check", "--config", str(other), ".", cwd=tmp_path))]
    assert codes == ["BN004", "BN003"]


def test_the_project_root_resolves_imports_of_scripts_elsewhere(tmp_path):
    (tmp_path / "src").mkdir()
    shutil.copy(TOWERS / "model.py", tmp_path / "src")
    (tmp_path / "scripts").mkdir()
    shutil.copy(TOWERS / "train.py", tmp_path / "scripts")
    assert run("bnlint", "check", "scripts", cwd=tmp_path).stdout == "All checks passed!\n"
    (tmp_path / "pyproject.toml").write_text('[tool.bnlint]\nproject-root = "src"\n')
    assert [code for _, code in _codes(run("bnlint", "check", "scripts", cwd=tmp_path))] == ["BN003"]


# A tf.keras evaluation script that sets the learning phase: bnlint takes tf.keras for Keras 3 unless told otherwise.
PHASE_ZERO = (ROOT / "tests" / "fixtures" / "bn009" / "bad_test_script_phase_zero.py").read_text(encoding="utf-8")
KERAS2_MESSAGE = "BN009 set_learning_phase(0) puts every later model call in inference mode (removed in Keras 3)"
KERAS3_MESSAGE = "BN009 set_learning_phase(0) does not exist in Keras 3: this call raises AttributeError"


def test_keras_version_overrides_what_the_code_says(tmp_path):
    (tmp_path / "evaluate.py").write_text(PHASE_ZERO)
    # The cache (on by default) must not hand back a result checked under another setting.
    for config, message in [
        ("keras-version = 2", KERAS2_MESSAGE),
        ("", KERAS3_MESSAGE),
        ("keras-version = 3", KERAS3_MESSAGE),
        ("keras-version = 2", KERAS2_MESSAGE),
    ]:
        (tmp_path / "pyproject.toml").write_text(f"[tool.bnlint]\n{config}\n")
        result = run("bnlint", "check", "evaluate.py", cwd=tmp_path)
        assert result.stdout.splitlines()[0] == f"evaluate.py:11:1: {message}", config


def test_keras_version_comes_from_each_files_own_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.bnlint]\nkeras-version = 2\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "evaluate.py").write_text(PHASE_ZERO)
    (tmp_path / "current").mkdir()
    (tmp_path / "current" / "evaluate.py").write_text(PHASE_ZERO)
    (tmp_path / "current" / "pyproject.toml").write_text('[tool.bnlint]\nignore = ["BN001"]\n')  # no keras-version
    lines = run("bnlint", "check", ".", cwd=tmp_path).stdout.splitlines()
    assert lines[:2] == [
        f"./current/evaluate.py:11:1: {KERAS3_MESSAGE}",
        f"./legacy/evaluate.py:11:1: {KERAS2_MESSAGE}",
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('selct = ["BN001"]', "[tool.bnlint]: unknown key 'selct'"),
        ('select = "BN001"', "[tool.bnlint]: 'select' must be a list of strings"),
        ('ignore = ["E501"]', "[tool.bnlint]: 'ignore': unknown code or prefix 'E501' (known codes: BN001, BN002,"),
        ('select = ["BN2"]', "[tool.bnlint]: 'select': unknown code or prefix 'BN2'"),
        ('extend-select = ["BN999"]', "[tool.bnlint]: 'extend-select': unknown code or prefix 'BN999'"),
        (
            'per-file-ignores = { "tests/*" = ["BN02"] }',
            "[tool.bnlint]: per-file-ignores: 'tests/*': unknown code or prefix 'BN02'",
        ),
        ('per-file-ignores = ["tests/*"]', "[tool.bnlint]: per-file-ignores must be a table"),
        ('per-file-ignores = { "tests/*" = "BN001" }', "per-file-ignores: 'tests/*' must be a list of strings"),
        ('project-root = "nowhere"', "[tool.bnlint]: project-root"),
        ("keras-version = 4", "[tool.bnlint]: 'keras-version' must be 2 or 3, not 4"),
        ('keras-version = "3"', "[tool.bnlint]: 'keras-version' must be 2 or 3, not '3'"),
        ("keras-version = 3.0", "[tool.bnlint]: 'keras-version' must be 2 or 3, not 3.0"),
        ("select = [", "invalid TOML"),
    ],
)
def test_a_bad_configuration_names_the_file_and_the_key(tmp_path, config, message):
    _project(tmp_path, config)
    result = run("bnlint", "check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"bnlint: error: {tmp_path / 'pyproject.toml'}: ")
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_isolated_and_config_together_is_a_usage_error(tmp_path):
    _project(tmp_path, "")
    result = run("bnlint", "check", "--isolated", "--config", "pyproject.toml", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "--isolated and --config cannot be used together" in result.stderr


@pytest.mark.parametrize(
    ("layers", "code", "selected"),
    [
        ((), "BN003", True),
        ((), "BN910", False),  # opt-in
        ((Layer(select=("BN",)),), "BN910", True),
        ((Layer(ignore=("BN0",)), Layer(extend_select=("BN003",))), "BN003", True),
        ((Layer(select=("BN003",), ignore=("BN",)),), "BN003", True),  # the longer prefix wins
        ((Layer(select=("BN0",), ignore=("BN00",)),), "BN003", False),
        ((Layer(select=("BN003",), ignore=("BN003",)),), "BN003", False),  # a tie goes to ignore
        ((Layer(ignore=("BN003",)), Layer(select=("BN0",))), "BN003", True),  # a select starts over
        ((Layer(ignore=("BN003",)), Layer(extend_select=("BN004",))), "BN003", False),
    ],
)
def test_selection_layers(layers, code, selected):
    assert Selection(layers).selects(code) is selected


@pytest.mark.parametrize("config_file", [".flake8", "setup.cfg", "tox.ini"])
def test_flake8_configures_the_plugin_in_its_own_files(tmp_path, config_file):
    _project(tmp_path, 'ignore = ["BN002"]', files=("train.py", "tests/smoke.py"))  # flake8 does not read this
    (tmp_path / "src").mkdir()
    shutil.copy(TOWERS / "model.py", tmp_path / "src")
    (tmp_path / "scripts").mkdir()
    shutil.copy(TOWERS / "train.py", tmp_path / "scripts")
    (tmp_path / config_file).write_text(
        "[flake8]\nselect = BN\nextend-ignore = BN004\nper-file-ignores =\n    tests/*: BN003\n"
        "bnlint-project-root = src\n"
    )
    result = run("flake8", ".", cwd=tmp_path)
    assert sorted(_pairs(result.stdout.splitlines())) == [
        ("./scripts/train.py", "BN003"),
        ("./tests/smoke.py", "BN002"),
        ("./train.py", "BN002"),
        ("./train.py", "BN003"),
    ]


@pytest.mark.parametrize(("setting", "message"), [("", KERAS3_MESSAGE), ("bnlint-keras-version = 2\n", KERAS2_MESSAGE)])
def test_flake8_takes_the_keras_version_from_its_own_files(tmp_path, setting, message):
    (tmp_path / "evaluate.py").write_text(PHASE_ZERO)
    (tmp_path / "setup.cfg").write_text(f"[flake8]\nselect = BN\n{setting}")
    assert run("flake8", ".", cwd=tmp_path).stdout.splitlines() == [f"./evaluate.py:11:1: {message}"]


def test_flake8_refuses_an_unknown_keras_version(tmp_path):
    (tmp_path / "evaluate.py").write_text(PHASE_ZERO)
    result = run("flake8", "--select", "BN", "--bnlint-keras-version", "4", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "--bnlint-keras-version: invalid choice: 4 (choose from 2, 3)" in result.stderr
