"""The long fuzz run: the properties of tests/test_fuzz.py over 100,000+ random inputs (the test suite runs a few
hundred per property, the same ones every time). Each property runs in its own pytest process, --jobs at a time;
prints a Markdown summary (inputs, failures, time) for the README's Hardening section.

    .venv/bin/python benchmarks/fuzz.py [--inputs 100000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = "tests/test_fuzz.py"
# Share of the inputs each property gets: more for the cheap ones, fewer where one input costs a whole CLI run or a
# fix pass.
SHARES = {
    "test_fixtures_with_lines_deleted_duplicated_swapped_and_cut": 0.30,
    "test_programs_of_batch_norm_calls_and_blocks": 0.14,
    "test_programs_from_the_python_grammar": 0.14,
    "test_the_flake8_plugin_never_raises": 0.14,
    "test_the_command_line_on_damaged_files": 0.10,
    "test_fixes_apply_or_leave_the_text_alone": 0.10,
    "test_notebooks_whole_or_broken": 0.08,
}
_COUNTS = re.compile(r"(\d+) passing, (\d+) failing,(?: and)? (\d+) invalid")


@dataclass(frozen=True)
class Outcome:
    test: str
    asked: int
    passing: int
    failing: int
    invalid: int
    seconds: float
    passed: bool
    output: str


def run(test: str, inputs: int) -> Outcome:
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n0",  # one process per property: this script runs them side by side
            "--hypothesis-show-statistics",
            f"{TESTS}::{test}",
        ],
        cwd=ROOT,
        env={**os.environ, "BNLINT_FUZZ_EXAMPLES": str(inputs)},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    counts = [tuple(map(int, match)) for match in _COUNTS.findall(completed.stdout)]
    passing, failing, invalid = (sum(column) for column in zip(*counts, strict=True)) if counts else (0, 0, 0)
    output = completed.stdout + completed.stderr
    return Outcome(test, inputs, passing, failing, invalid, seconds, completed.returncode == 0, output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs in all (default: 100000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="properties run at once")
    args = parser.parse_args()
    started = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(lambda item: run(item[0], round(args.inputs * item[1])), SHARES.items()))
    wall = time.perf_counter() - started
    print(
        f"Long fuzz run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.jobs} processes, "
        f"{wall / 60:.1f} min wall, Python {sys.version.split()[0]}\n"
    )
    print("| property | inputs run | failing | invalid (rejected by the strategy) | minutes | result |")
    print("|---|---:|---:|---:|---:|---|")
    for outcome in outcomes:
        result = "pass" if outcome.passed else "FAIL"
        print(
            f"| `{outcome.test}` | {outcome.passing + outcome.failing:,} | {outcome.failing} | {outcome.invalid:,} "
            f"| {outcome.seconds / 60:.1f} | {result} |"
        )
    total = sum(outcome.passing + outcome.failing for outcome in outcomes)
    print(f"| all | {total:,} | {sum(o.failing for o in outcomes)} | | {wall / 60:.1f} wall | |")
    for outcome in outcomes:
        if not outcome.passed:
            print(f"\n#### {outcome.test}\n\n```\n{outcome.output[-6000:]}\n```")
    return 0 if all(outcome.passed for outcome in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
