"""Shared test helpers: where the fixtures are, and the `# expect: BN00x` comments they carry."""

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>BN[0-9]{3}(?:\s*,\s*BN[0-9]{3})*)\s*$")


def fixture_files() -> list[Path]:
    """Single-file fixtures (`bnNNN/`, `runnable/`), the files of fixture projects, and the examples."""
    single = sorted(FIXTURES.glob("bn*/*.py")) + sorted(FIXTURES.glob("runnable/*.py"))
    projects = sorted(FIXTURES.glob("projects/**/*.py"))
    return single + projects + sorted(EXAMPLES.glob("*.py"))


def expected_findings(source: str) -> Counter[tuple[int, str]]:
    """(line, code) for every `# expect: CODE[, CODE]` comment; comments only, never text inside strings."""
    expected: Counter[tuple[int, str]] = Counter()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            match = _EXPECT.search(token.string)
            if match:
                expected.update((token.start[0], code.strip()) for code in match.group("codes").split(","))
    return expected


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
