"""Start-up: pre-commit hooks and editors start bnlint often, and libcst, pygls and TensorFlow take most of a second
to import, so the commands that never parse import none of them: `--version`, `rule`, and a `check` whose files
are all screened out or all found in the cache. Each test runs the real command under `python -X importtime`,
which lists every module the process imported."""

from __future__ import annotations

import re
import shutil
import sys

import pytest

from support import FIXTURES, ROOT, execute

HEAVY = ("libcst", "pygls", "lsprotocol", "tensorflow")
# `import time:       321 |        654 |     libcst._nodes`: the module is the last column.
_IMPORTED = re.compile(r"^import time:\s+\d+\s+\|\s+\d+\s+\|\s*([\w.]+)\s*$", re.MULTILINE)
# A training script with batch norm and no update ops: the analysis must parse it.
WITH_FINDINGS = FIXTURES / "bn002" / "bad_plain_minimize.py"
NO_FRAMEWORK = "import os\n\nprint(os.getcwd())\n"
# TensorFlow without anything a rule needs: the screen rules it out.
NO_BATCH_NORM = "import tensorflow as tf\n\nx = tf.constant([1.0, 2.0])\nprint(tf.reduce_sum(x))\n"


def imported(*args: str) -> tuple[set[str], str]:
    """The top-level packages of every module `python -m bnlint ARGS` imported, and its standard output."""
    result = execute([sys.executable, "-X", "importtime", "-m", "bnlint", *args], cwd=ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    return {name.split(".")[0] for name in _IMPORTED.findall(result.stderr)}, result.stdout


def heavy(packages: set[str]) -> list[str]:
    return sorted(packages.intersection(HEAVY))


def test_the_version_imports_no_heavy_package():
    packages, output = imported("--version")
    assert output.startswith("bnlint ")
    assert "bnlint" in packages  # the listing is read as it should be
    assert heavy(packages) == []


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("rule", "BN002"), "## Why is this bad?"),  # the documentation, its examples included
        (("rule",), "BN002  train-op-without-update-ops"),
        (("rule", "--format", "markdown"), "| [BN002](docs/rules/BN002.md) |"),
        (("rule", "BN900"), "BN900 (unreadable-file)"),
    ],
)
def test_rule_documentation_imports_no_heavy_package(args, shown):
    packages, output = imported(*args)
    assert shown in output
    assert heavy(packages) == []


def test_a_check_whose_files_are_all_screened_out_imports_no_heavy_package(tmp_path):
    (tmp_path / "tools.py").write_text(NO_FRAMEWORK)
    (tmp_path / "metrics.py").write_text(NO_BATCH_NORM)
    packages, output = imported("check", "--isolated", "--no-cache", "-j1", str(tmp_path))
    assert "All checks passed" in output
    assert heavy(packages) == []


def test_a_check_whose_files_are_all_cached_imports_no_heavy_package(tmp_path):
    shutil.copy(WITH_FINDINGS, tmp_path / "train.py")
    (tmp_path / "metrics.py").write_text(NO_BATCH_NORM)
    command = ("check", "--isolated", "-j1", "--cache-dir", str(tmp_path / "cache"), str(tmp_path))
    cold, reported = imported(*command)
    assert "libcst" in cold  # the cold run parses train.py: what the warm run must not need
    warm, cached = imported(*command)
    assert "BN002" in cached and cached == reported
    assert heavy(warm) == []


def test_a_check_that_parses_imports_libcst_and_not_the_server_or_tensorflow(tmp_path):
    shutil.copy(WITH_FINDINGS, tmp_path / "train.py")
    packages, output = imported("check", "--isolated", "--no-cache", "-j1", str(tmp_path))
    assert "BN002" in output
    assert heavy(packages) == ["libcst"]
