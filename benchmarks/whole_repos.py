"""Whole real repositories through both front ends: the `*.py` files of the tensorflow package and of
tf-models-official (the corpora of benchmarks/corpus.py, built into its cache) checked by `bnlint check -j2` and
`flake8 --select BN -j2`. Counts the files, the findings by code and the internal errors (BN901, which must be
none), with wall time, CPU and peak RSS; prints Markdown for the README's Hardening section.

    .venv/bin/python benchmarks/whole_repos.py [--cache benchmarks/.cache] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpus_setup import SetupError, environments, executable, large_corpus, prepare_cache, small_corpus
from corpus_timing import Command, Sample, run_once

INTERNAL_ERROR = "BN901"
_FLAKE8_CODE = re.compile(r":\d+:\d+: (BN\d{3}) ")


@dataclass(frozen=True)
class Run:
    front_end: str
    sample: Sample
    codes: Counter[str]
    stderr: str


def repositories(cache: Path) -> dict[str, Path]:
    small = small_corpus(cache)
    (official,) = small.glob("tf_models_official-*")
    return {"tensorflow 2.21.0 (the installed package)": large_corpus(cache), "tf-models-official 2.20.0": official}


def check(command: Command, folder: Path, parse: str) -> Run:
    with tempfile.TemporaryFile() as output:
        sample, stderr = run_once(command, folder, stdout=output)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if parse == "json":
        codes = Counter(item["code"] for item in json.loads(text))
    else:
        codes = Counter(_FLAKE8_CODE.findall(text))
    return Run(command.label, sample, codes, stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent / ".cache")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    try:
        prepare_cache(args.cache)
        project = environments(args.cache, with_torchfix=False).project
        repos = repositories(args.cache)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    jobs = f"-j{args.jobs}"
    print(f"Whole repositories, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {jobs}\n")
    print("| repository | files | front end | wall s | CPU s | peak RSS MB | exit | findings by code | BN901 |")
    print("|---|---:|---|---:|---:|---:|---:|---|---:|")
    failed = False
    for name, folder in repos.items():
        files = sum(1 for _ in folder.rglob("*.py"))
        commands = (
            (
                Command(
                    "bnlint",
                    f"`bnlint check --no-cache {jobs} --format json`",
                    (executable(project, "bnlint"), "check", "--isolated", "--no-cache", jobs, "--format", "json", "."),
                ),
                "json",
            ),
            (
                Command(
                    "flake8",
                    f"`flake8 --select BN {jobs}`",
                    (executable(project, "flake8"), "--isolated", "--select", "BN", jobs, "."),
                ),
                "flake8",
            ),
        )
        for command, parse in commands:
            run = check(command, folder, parse)
            codes = ", ".join(f"{code} {count}" for code, count in sorted(run.codes.items())) or "none"
            errors = run.codes[INTERNAL_ERROR]
            failed |= bool(errors) or run.sample.exit_code not in (0, 1)
            print(
                f"| {name} | {files:,} | {run.front_end} | {run.sample.wall:.1f} | {run.sample.cpu:.1f} | "
                f"{run.sample.peak_rss_mb:.0f} | {run.sample.exit_code} | {codes} | {errors} |"
            )
            if run.sample.exit_code not in (0, 1):
                print(f"\n```\n{run.stderr}\n```\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
