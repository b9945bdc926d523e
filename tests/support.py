"""Shared test helpers: where the fixtures are, and the `# expect: BN00x` comments they carry."""

from __future__ import annotations

import io
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
