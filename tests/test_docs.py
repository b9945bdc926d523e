"""The documentation as a user meets it: the README is a front page, every generated page is current, every link
lands, every command shown in a `console` block prints what the page shows, and every snippet a user copies (the
configuration, the CI and editor set-ups) works as written."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from bnlint import __version__
from bnlint.config import tomllib  # tomli before Python 3.11
from bnlint.diagnostic import ERROR_CODES
from bnlint.docs import HOMEPAGE, RULE_PAGES, block, describe, generated_blocks, generated_pages
from bnlint.rules import RULES_BY_CODE
from support import ROOT, run

PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"^```(?P<language>\w+)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
# What differs between two runs of `bnlint verify` on the same script: the seconds it took.
_SECONDS = re.compile(r"\d+(\.\d+)? s$", re.MULTILINE)


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _blocks(language: str) -> list[tuple[Path, str]]:
    found = [(page, match) for page in PAGES for match in _BLOCK.finditer(_text(page))]
    return [(page, match["body"]) for page, match in found if match["language"] == language]


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_the_readme_is_a_front_page():
    assert len(_text(ROOT / "README.md").splitlines()) <= 300


def test_generated_pages_are_current():
    """Regenerate them with `python -m bnlint.docs` in the checkout."""
    pages = generated_pages()
    for relative, text in pages.items():
        assert _text(ROOT / relative) == text, relative
    on_disk = {str(path.relative_to(ROOT)) for path in (ROOT / RULE_PAGES).iterdir()}
    assert on_disk == set(pages), "a page in docs/rules/ that no code generates"
    for (relative, name), text in generated_blocks().items():
        assert block(_text(ROOT / relative), name) == text, f"{relative}: {name}"


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    outside_code = _BLOCK.sub("", _text(page))
    return {_slug(heading) for heading in re.findall(r"(?m)^#+ (.*)$", outside_code)}


def _links() -> list[tuple[Path, str]]:
    return [
        (page, match["target"])
        for page in PAGES
        for match in _LINK.finditer(_BLOCK.sub("", _text(page)))
        if not re.match(r"[a-z]+:", match["target"])
    ]


@pytest.mark.parametrize(("page", "target"), _links(), ids=lambda item: _name(item) if isinstance(item, Path) else item)
def test_every_link_lands(page, target):
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    assert destination.exists(), f"{_name(page)} links to {target}, which does not exist"
    if anchor:
        assert anchor in _anchors(destination), f"{_name(page)} links to {target}: no such heading"


def _console_commands() -> list:
    """Each `$ command` of a `console` block, with the lines the page shows after it."""
    commands = []
    for page, body in _blocks("console"):
        for chunk in re.split(r"(?m)^\$ ", body)[1:]:
            command, _, shown = chunk.partition("\n")
            marks = [pytest.mark.tensorflow] if command.startswith("bnlint verify") else []
            commands.append(pytest.param(command, shown, marks=marks, id=f"{_name(page)}: {command}"))
    return commands


@pytest.mark.parametrize(("command", "shown"), _console_commands())
def test_shown_commands_print_what_the_page_shows(command, shown):
    # Run from the checkout's root, as the pages do; `bnlint` and `flake8` are this environment's.
    result = run(*shlex.split(command))
    printed = result.stdout + result.stderr
    if command.startswith("bnlint verify"):
        printed, shown = _SECONDS.sub("N s", printed), _SECONDS.sub("N s", shown)
    assert printed == shown


def test_there_are_shown_commands_to_check():
    pages = {_name(page) for page, _ in _blocks("console")}
    assert {"README.md", "docs/usage.md"} <= pages


def test_the_configuration_examples_are_accepted(tmp_path):
    examples = [body for _, body in _blocks("toml") if "[tool.bnlint]" in body]
    assert len(examples) >= 2
    for index, config in enumerate(examples):
        folder = tmp_path / str(index)
        (folder / "src").mkdir(parents=True)  # a project-root an example may name
        (folder / "pyproject.toml").write_text(config)
        shutil.copy(ROOT / "examples" / "train_buggy.py", folder)
        result = run("bnlint", "check", ".", cwd=folder)
        assert (result.returncode, result.stderr) == (1, ""), config


@pytest.mark.parametrize("block", [body for _, body in _blocks("yaml")], ids=lambda body: body.splitlines()[0])
def test_yaml_snippets_parse(block):
    assert yaml.safe_load(block)


def test_the_pre_commit_snippet_names_the_hook_this_repository_defines():
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    snippet = next(yaml.safe_load(body) for _, body in _blocks("yaml") if "bnlint/bnlint" in body and "repos" in body)
    assert {hook["id"] for repo in snippet["repos"] for hook in repo["hooks"]} <= hooks


def test_the_versions_the_docs_name_are_this_release():
    named = re.findall(r"(?:rev: |bnlint@)v(\d+\.\d+\.\d+)", "".join(_text(page) for page in PAGES))
    assert named and set(named) == {__version__}
    assert f"\n## {__version__} (" in _text(ROOT / "CHANGELOG.md")


def _ci_commands() -> list[list[str]]:
    """`bnlint check ...` of the CI snippets, without shell redirections."""
    return [
        shlex.split(match.group(1))
        for _, body in _blocks("yaml")
        for match in re.finditer(r"(?:run:|-)\s+(bnlint check [^>\n]*)", body)
    ]


@pytest.mark.parametrize("command", _ci_commands(), ids=" ".join)
def test_ci_commands_run(tmp_path, command):
    shutil.copy(ROOT / "examples" / "train_buggy.py", tmp_path)
    result = run(*command, cwd=tmp_path)
    assert result.returncode == (0 if "--exit-zero" in command else 1), result.stderr
    assert result.stdout and result.stderr == ""


@pytest.mark.parametrize("block", [body for _, body in _blocks("json")], ids=lambda body: body.split("\n")[1].strip())
def test_json_snippets_parse(block):
    assert json.loads(block)


@pytest.mark.parametrize("block", [body for _, body in _blocks("toml") if "[tool.bnlint]" not in body])
def test_editor_toml_snippets_parse_and_name_the_server_command(block):
    servers = tomllib.loads(block)["language-server"]
    assert [(server["command"], server["args"]) for server in servers.values()] == [("bnlint", ["server"])]


def test_the_server_command_that_editor_snippets_use_exists():
    for _, snippet in _blocks("lua") + _blocks("elisp"):
        assert '"bnlint"' in snippet and '"server"' in snippet
    assert run("bnlint", "server", "--help").returncode == 0


def test_every_code_links_to_its_page_in_this_repository():
    for code in [*RULES_BY_CODE, *ERROR_CODES]:
        uri = describe(code).help_uri
        assert uri == f"{HOMEPAGE}/blob/main/{RULE_PAGES}/{code}.md" and (ROOT / RULE_PAGES / f"{code}.md").is_file()
