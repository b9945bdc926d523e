"""Timing whole processes: wall seconds, CPU seconds and peak RSS of each, in interleaved rounds."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

# Linters exit 1 when they report something: a normal outcome, unlike a crash or a usage error.
NORMAL_EXITS = frozenset({0, 1})
# ru_maxrss is in kilobytes on Linux, bytes on macOS.
_RSS_PER_MB = 1024 * 1024 if sys.platform == "darwin" else 1024


@dataclass(frozen=True)
class Comparison:
    """What a row is compared with besides the corpus' baselines: `ratio` (its wall over another row's), `speedup`
    (the other row's wall over its own), `percent` (its wall as a share of the other's), `added` (milliseconds per
    file over the other row) or `start-up` (the other row is the fixed cost of a run, taken off per line)."""

    key: str
    kind: str
    name: str


@dataclass(frozen=True)
class Command:
    key: str
    label: str
    argv: tuple[str, ...]
    lines: int = 0  # the lines of the one file it reads, for the scaling rows
    group: str = ""  # the generated shape of a scaling row: its rows are compared with its smallest script
    comparison: Comparison | None = None
    normal_exits: frozenset[int] = NORMAL_EXITS


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float  # user + sys
    peak_rss_mb: float  # of the process or, for a parent of workers, of its largest process (as GNU time reports)
    exit_code: int


@dataclass
class Suite:
    """Commands timed together: each round runs every command once, in the same order, so that load from
    elsewhere falls on all of them alike."""

    name: str
    title: str
    files: int
    lines: int
    megabytes: float
    commands: list[Command]
    prime: list[Command] = field(default_factory=list)  # run once before the rounds, untimed (fills a cache)
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def child_environment() -> dict[str, str]:
    # Each tool runs as its users run it: with its bytecode cached after the first run, not compiled every time.
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_once(command: Command, cwd: Path, stdout: IO[bytes] | None = None) -> tuple[Sample, str]:
    """One whole process, its output written to `stdout` or discarded; its resource usage comes from wait4, which
    reports this child's (and its waited-for children's) CPU and peak RSS and nothing else's. Returns the sample and
    the stderr's tail."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            command.argv,
            cwd=cwd,
            env=child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if stdout is None else stdout,
            stderr=stderr,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        # wait4 reaped the child: tell Popen, which would otherwise wait for it again.
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        tail = stderr.read()[-2000:].decode(errors="replace")
    sample = Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / _RSS_PER_MB, process.returncode)
    return sample, tail


def run_suite(suite: Suite, rounds: int, cwd: Path, progress: Callable[[str], None]) -> None:
    for command in suite.prime:
        progress(f"[{suite.name}] untimed: {command.label}")
        _checked(suite, command, cwd)
    for number in range(1, rounds + 1):
        for command in suite.commands:
            sample = _checked(suite, command, cwd)
            suite.samples.setdefault(command.key, []).append(sample)
            progress(f"[{suite.name} {number}/{rounds}] {command.label}: {sample.wall:.2f} s, exit {sample.exit_code}")


def _checked(suite: Suite, command: Command, cwd: Path) -> Sample:
    """One run; an exit status that is not a normal outcome is kept, with the stderr's tail, for the report."""
    sample, stderr = run_once(command, cwd)
    if sample.exit_code not in command.normal_exits:
        suite.errors.setdefault(command.key, f"exit status {sample.exit_code}: {' '.join(command.argv)}\n{stderr}")
    return sample
