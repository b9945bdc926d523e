"""The README's copy-paste snippets work as written: the configuration is accepted, the YAML is YAML, the hook it
names exists, and each `bnlint check` command in a CI snippet runs."""

from __future__ import annotations

import json
import re
import shlex
import shutil

import pytest
import yaml

from bnlint.config import tomllib  # tomli before Python 3.11
from support import ROOT, run

README = (ROOT / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(r"^```(?P<language>\w+)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [match["body"] for match in _BLOCK.finditer(README) if match["language"] == language]


def test_the_configuration_example_is_accepted(tmp_path):
    (config,) = [block for block in _blocks("toml") if "[tool.bnlint]" in block]
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "src").mkdir()  # the example's project-root
    shutil.copy(ROOT / "examples" / "train_buggy.py", tmp_path)
    result = run("bnlint", "check", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("block", _blocks("yaml"), ids=lambda block: block.splitlines()[0])
def test_yaml_snippets_parse(block):
    assert yaml.safe_load(block)


def test_the_pre_commit_snippet_names_the_hook_this_repository_defines():
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    snippet = next(yaml.safe_load(block) for block in _blocks("yaml") if "bnlint/bnlint" in block and "repos" in block)
    assert {hook["id"] for repo in snippet["repos"] for hook in repo["hooks"]} <= hooks


def _ci_commands() -> list[list[str]]:
    """`bnlint check ...` of the CI snippets, without shell redirections."""
    commands = []
    for block in _blocks("yaml"):
        for match in re.finditer(r"(?:run:|-)\s+(bnlint check [^>\n]*)", block):
            commands.append(shlex.split(match.group(1)))
    return commands


@pytest.mark.parametrize("command", _ci_commands(), ids=" ".join)
def test_ci_commands_run(tmp_path, command):
    shutil.copy(ROOT / "examples" / "train_buggy.py", tmp_path)
    result = run(*command, cwd=tmp_path)
    assert result.returncode == (0 if "--exit-zero" in command else 1), result.stderr
    assert result.stdout and result.stderr == ""


@pytest.mark.parametrize("block", _blocks("json"), ids=lambda block: block.split("\n")[1].strip())
def test_json_snippets_parse(block):
    assert json.loads(block)


@pytest.mark.parametrize("block", [block for block in _blocks("toml") if "[tool.bnlint]" not in block])
def test_editor_toml_snippets_parse_and_name_the_server_command(block):
    servers = tomllib.loads(block)["language-server"]
    assert [(server["command"], server["args"]) for server in servers.values()] == [("bnlint", ["server"])]


def test_the_server_command_that_editor_snippets_use_exists():
    for block in _blocks("lua") + _blocks("elisp"):
        assert '"bnlint"' in block and '"server"' in block
    assert run("bnlint", "server", "--help").returncode == 0
