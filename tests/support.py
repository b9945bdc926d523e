"""Shared test helpers: where the fixtures are, and the `# expect: BN00x` comments they carry.

An expectation names a code and, optionally, a fragment its message must contain, in double quotes; several on
one line are separated by commas: `# expect: BN002 "minimize()"`, `# expect: BN001 "training=True", BN004`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"
_ITEM = r'BN[0-9]{3}(?:\s+"[^"\n]+")?'
_EXPECT = re.compile(rf"#\s*expect:\s*(?P<items>{_ITEM}(?:\s*,\s*{_ITEM})*)\s*$")
_ITEMS = re.compile(r'(?P<code>BN[0-9]{3})(?:\s+"(?P<fragment>[^"\n]+)")?')


# Editors show a finding's message inline: one short sentence, its detail and fix in the help beside it.
MESSAGE_LIMIT = 100


@dataclass(frozen=True)
class Expectation:
    line: int
    code: str
    fragment: str | None  # a part of the finding's message, which tells it from the rule's other messages


def fixture_files() -> list[Path]:
    """Single-file fixtures (`bnNNN/`, `runnable/`), the files of fixture projects, and the examples."""
    single = sorted(FIXTURES.glob("bn*/*.py")) + sorted(FIXTURES.glob("runnable/*.py"))
    projects = sorted(FIXTURES.glob("projects/**/*.py"))
    return single + projects + sorted(EXAMPLES.glob("*.py"))


def expectations(source: str) -> list[Expectation]:
    """Every `# expect: CODE ["fragment"][, ...]` comment; comments only, never text inside strings."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            match = _EXPECT.search(token.string)
            if match:
                found += [
                    Expectation(token.start[0], item["code"], item["fragment"])
                    for item in _ITEMS.finditer(match["items"])
                ]
    return found


def expected_findings(source: str) -> Counter[tuple[int, str]]:
    """(line, code) of every expectation."""
    return Counter((expectation.line, expectation.code) for expectation in expectations(source))


def unmet_fragments(source: str, findings: Iterable[tuple[int, str, str]]) -> list[Expectation]:
    """The expectations with a fragment that the message of no finding (line, code, message) on their line and of
    their code contains."""
    messages: dict[tuple[int, str], list[str]] = {}
    for line, code, message in findings:
        messages.setdefault((line, code), []).append(message)
    unmet = []
    for expectation in expectations(source):
        found = messages.get((expectation.line, expectation.code), [])
        if expectation.fragment is not None and not any(expectation.fragment in message for message in found):
            unmet.append(expectation)
    return unmet


def message_defects(code: str, message: str, help: str | None) -> list[str]:
    """What keeps a rule's finding from reading as one short sentence (its message) with its detail beside it."""
    defects = []
    if len(message) > MESSAGE_LIMIT:
        defects.append(f"{code} message of {len(message)} characters: {message}")
    if message.endswith(".") or ";" in message:
        defects.append(f"{code} message is not one sentence without a final period: {message}")
    if not help:
        defects.append(f"{code} without help: {message}")
    return defects


def run(
    *args: str, stdin: bytes | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command of this environment (`bnlint ...` becomes `python -m bnlint ...`) as a user would."""
    return execute([sys.executable, "-m", *args], stdin=stdin, cwd=cwd, env=env)


def check_in_process(*args: str) -> tuple[int, str]:
    """`bnlint check --isolated --no-cache -j 1 ARGS` in this process (where a test can patch it, and fast enough
    to repeat): its exit status and standard output."""
    from bnlint.cli import main

    with contextlib.redirect_stdout(io.StringIO()) as output:
        status = main(["check", "--isolated", "--no-cache", "-j", "1", *args])
    return status, output.getvalue()


def execute(
    command: list[str], stdin: bytes | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, input=stdin, capture_output=True, cwd=cwd, timeout=300, env=env)
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


def on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """What a terminal shows (standard output and error together) when `bnlint ARGS` runs on a real tty."""
    import pty  # Unix only

    controller, terminal = pty.openpty()
    environment = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    with subprocess.Popen(
        [sys.executable, "-m", "bnlint", *args], stdout=terminal, stderr=terminal, env={**environment, **env}
    ) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait()
    os.close(controller)
    return b"".join(chunks).decode()


def traps(folder: Path) -> Path:
    """A project whose every module, and the frameworks it imports (shadowed by local packages), leaves a file in
    `traces/` when imported or run; its configuration holds code that leaves one if evaluated. Returns `traces/`."""
    traces = folder / "traces"
    traces.mkdir()

    def trap(name: str) -> str:
        return f"open({str(traces / name)!r}, 'w').close()\n"

    for package in ("tensorflow", "tf_slim", "keras"):
        (folder / package).mkdir()
        (folder / package / "__init__.py").write_text(trap(package))
    for module in ("sideeffect", "model", "conftest", "setup", "__main__"):
        (folder / f"{module}.py").write_text(trap(module))
    (folder / "train.py").write_text(
        "import tensorflow as tf\nimport sideeffect\nfrom model import build\n"
        + trap("train")
        + "y = tf.layers.batch_normalization(tf.zeros([4, 3]), training=True)\n"
        + "if __name__ == '__main__':\n    "
        + trap("main")
    )
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": (folder / "train.py").read_text()}]
    (folder / "notebook.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    (folder / "pyproject.toml").write_text(f"[tool.bnlint]\nexclude = [{trap('config').strip()!r}]\n")
    return traces
