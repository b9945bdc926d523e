"""The pre-commit hook as a user meets it: a real `pre-commit try-repo` of this checkout in a new git repository.

pre-commit installs the hook into a virtual environment of its own with pip. Tests download nothing, so pip is told
to use no index and install bnlint alone (`PIP_NO_DEPS`, and `PIP_NO_BUILD_ISOLATION=0`, which is how pip spells
"no build isolation" in the environment), and the hook's environment finds libcst on `PYTHONPATH`, from this
environment's site-packages. Everything else is pre-commit's own: the hook definition, the file types, the entry.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from support import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs git and a git checkout of bnlint"
)
NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _git(repository: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repository, check=True, capture_output=True)


def _environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
    }


def _pre_commit(repository: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    _git(repository, "add", "--all")
    command = [sys.executable, "-m", "pre_commit", *args, "--all-files", "--color", "never"]
    return subprocess.run(command, cwd=repository, capture_output=True, text=True, env=_environment(home), timeout=600)


def _try_repo(repository: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return _pre_commit(repository, home, "try-repo", str(ROOT), "bnlint")


@pytest.fixture
def repository(tmp_path):
    repository = tmp_path / "repository"
    repository.mkdir()
    _git(repository, "init", "-q")
    return repository


def test_the_hook_fails_on_a_buggy_script_with_its_findings(repository, tmp_path):
    shutil.copy(ROOT / "examples" / "train_buggy.py", repository / "train.py")
    result = _try_repo(repository, tmp_path / "home")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bnlint" in result.stdout and "Failed" in result.stdout
    expected = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bnlint", "check", "--format", "json", "train.py"],
            cwd=repository,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert len(expected) == 3
    for item in expected:
        assert f"train.py:{item['line']}:{item['column']}: {item['code']} {item['message']}" in result.stdout


def test_the_hook_passes_a_clean_script_and_excluded_files(repository, tmp_path):
    shutil.copy(ROOT / "examples" / "train_fixed.py", repository / "train.py")
    # Named by pre-commit itself, so only --force-exclude (in the hook's entry) keeps the vendored copy out.
    (repository / "vendor").mkdir()
    shutil.copy(ROOT / "examples" / "train_buggy.py", repository / "vendor" / "train.py")
    (repository / "pyproject.toml").write_text('[tool.bnlint]\nextend-exclude = ["vendor"]\n')
    (repository / "explore.ipynb").write_text(json.dumps(NOTEBOOK))  # pre-commit passes notebooks too
    result = _try_repo(repository, tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_the_documented_configuration_runs_the_hook(repository, tmp_path):
    """docs/integrations.md's `.pre-commit-config.yaml` as written, its repository URL replaced by a clone of this
    checkout."""
    snippets = re.findall(r"(?ms)^```yaml\n(.*?)^```", (ROOT / "docs" / "integrations.md").read_text())
    config = next(yaml.safe_load(body) for body in snippets if "repos" in body and "bnlint/bnlint" in body)
    (entry,) = config["repos"]
    clone = tmp_path / "bnlint"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, capture_output=True)
    # Between releases a checkout has no tag yet for the version it will be released as: the release makes it.
    if subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{entry['rev']}"], cwd=clone).returncode:
        _git(clone, "tag", entry["rev"])
    entry["repo"] = str(clone)
    (repository / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    shutil.copy(ROOT / "examples" / "train_buggy.py", repository / "train.py")
    result = _pre_commit(repository, tmp_path / "home", "run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"(?m)^train\.py:\d+:\d+: BN002 ", result.stdout), result.stdout
