"""`bnlint verify` on real training scripts of public repositories (benchmarks/verify_real/*.toml).

Each script of the manifests names a repository, a commit, the script and its arguments, the synthetic data it
expects (made by the generators of benchmarks/verify_real/data.py, offline and seeded, where the script expects
it), and the verdict a correct verify gives each static finding, judged from the code (`[[script.expect]]`, with
why). As for the recall set, the repositories' code is not kept here: the files of each commit are taken out of a
local git copy (`--mirrors`, see benchmarks/recall.py) into a temporary folder, the data is made there, and
`bnlint verify --format json` runs the script.

Per script it prints: whether verify ran to a verdict (exit 0 or 1), the findings confirmed, refuted, not
measured and not reached, the false confirmations (a finding confirmed where the expectation says it is not a
bug, or a confirmation of a clean line), verify's time, and the script's own time for the same steps (the same
child process with every measurement off). Scripts that cannot run for reasons outside bnlint (`outside = "..."`)
are listed apart, with the reason. `--markdown` prints the tables for docs/verify-real.md.

    .venv/bin/python benchmarks/verify_real.py [--mirrors /work/.mirror] [--only ID,ID] [--markdown]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MANIFESTS = HERE / "verify_real"
sys.path.insert(0, str(HERE))

import recall  # noqa: E402  (the git copies: one way to find and read them, shared with the recall set)

from bnlint.verify.command import child_environment  # noqa: E402

# Files of a commit written out besides the Python files: the configuration and small data files scripts read.
_KEPT = (".py", ".json", ".yaml", ".yml", ".txt", ".cfg", ".ini", ".csv", ".names")
_KEPT_BYTES = 2_000_000
VERDICTS = ("confirmed", "refuted", "not measured", "not reached")


@dataclass(frozen=True)
class Expectation:
    path: str
    line: int
    code: str  # a static rule (BN0xx), or a runtime check (BN1xx) for a mistake only the run can show
    verdict: str  # what a correct verify says of the finding on that line ("confirmed" for a runtime one)
    why: str


@dataclass(frozen=True)
class Script:
    id: str
    repository: str
    commit: str
    script: str
    kind: str
    why: str
    args: tuple[str, ...] = ()
    workdir: str = ""
    data: tuple[str, ...] = ()  # "generator:target", target relative to the working directory
    steps: int = 20
    timeout: float = 300.0
    outside: str = ""  # why it cannot run, for a reason outside bnlint
    expect: tuple[Expectation, ...] = ()


@dataclass
class Result:
    script: Script
    status: int = -1
    verdicts: Counter[str] = field(default_factory=Counter)
    false_confirmations: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # verdicts other than the judged one
    internal_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    own_seconds: float | None = None
    message: str = ""

    @property
    def verdict(self) -> bool:
        return self.status in (0, 1)


def load(folder: Path = MANIFESTS) -> list[Script]:
    scripts = []
    for manifest in sorted(folder.glob("*.toml")):
        for entry in tomllib.loads(manifest.read_text(encoding="utf-8")).get("script", []):
            expect = tuple(Expectation(**item) for item in entry.pop("expect", ()))
            for key in ("args", "data"):
                entry[key] = tuple(entry.get(key, ()))
            scripts.append(Script(**entry, expect=expect))
    return scripts


def generator(name: str):
    """A data generator by name, from the `data*.py` modules beside the manifests."""
    for module_file in sorted(MANIFESTS.glob("data*.py")):
        module = importlib.import_module(f"verify_real.{module_file.stem}")
        if hasattr(module, name):
            return getattr(module, name)
    raise KeyError(f"no data generator {name!r} in {MANIFESTS}/data*.py")


def prepare(script: Script, mirrors: Path, folder: Path) -> Path:
    recall.materialize(recall.git_dir(mirrors, script.repository), script.commit, folder, _KEPT, _KEPT_BYTES)
    workdir = folder / script.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    for item in script.data:
        name, _, target = item.partition(":")
        generator(name)(workdir / target)
    return workdir


def run(script: Script, mirrors: Path) -> Result:
    result = Result(script)
    if script.outside:
        return result
    with tempfile.TemporaryDirectory(prefix=f"verify-real-{script.id}-") as temporary:
        folder = Path(temporary)
        workdir = prepare(script, mirrors, folder)
        path = folder / script.script
        command = [
            sys.executable, "-m", "bnlint", "verify", "--format", "json", "--steps", str(script.steps),
            "--timeout", str(script.timeout), "--workdir", str(workdir), str(path), "--", *script.args,
        ]  # fmt: skip
        # The repository may hold a module named like ours: the checkout to run is named explicitly.
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        process = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=workdir)
        result.seconds = time.monotonic() - started
        result.status = process.returncode
        result.message = process.stderr.strip().splitlines()[-1] if process.stderr.strip() else ""
        if process.stdout.strip():
            _judge(result, json.loads(process.stdout), folder, workdir)
        if result.verdict:
            report = json.loads(process.stdout)
            # The same Keras and mode as verify's run, so that the two times are of the same code.
            timing = child_environment(environment, report["mode"], report["keras"])
            result.own_seconds = _own_time(script, path, workdir, timing, report["mode"])
    return result


def _judge(result: Result, report: dict, folder: Path, workdir: Path) -> None:
    result.internal_errors = report.get("internal_errors", [])
    expected = {(item.path, item.line, item.code): item for item in result.script.expect}
    for finding in report["findings"]:
        path = (workdir / finding["path"]).resolve()  # verify shows paths relative to its working directory
        key = (path.relative_to(folder.resolve()).as_posix(), finding["line"], finding["code"])
        verdict = finding["verdict"]
        result.verdicts[verdict] += 1
        judged = expected.get(key)
        where = f"{key[0]}:{key[1]} {key[2]}"
        if verdict == "confirmed" and (judged is None or judged.verdict != "confirmed"):
            result.false_confirmations.append(where)
        elif judged is not None and judged.verdict != verdict:
            result.unexpected.append(f"{where}: {verdict}, judged {judged.verdict} ({finding.get('reason', '')})")
    # A mistake only the run shows (BN1xx at the user's line) is a claim too: expected, or a false confirmation.
    for finding in report["runtime_findings"]:
        path = (workdir / finding["path"]).resolve()
        key = (path.relative_to(folder.resolve()).as_posix(), finding["line"], finding["code"])
        result.verdicts["runtime"] += 1
        judged = expected.get(key)
        if judged is None or judged.verdict != "confirmed":
            result.false_confirmations.append(f"{key[0]}:{key[1]} {key[2]} (runtime): {finding['message']}")


def _own_time(script: Script, path: Path, workdir: Path, environment: dict[str, str], mode: str) -> float | None:
    """The script's own time for the same steps: the verifier's child with every measurement off."""
    with tempfile.TemporaryDirectory() as temporary:
        command = [
            sys.executable, "-m", "bnlint.verify.child", "--script", str(path), "--result",
            str(Path(temporary) / "result.json"), "--root", str(workdir), "--steps", str(script.steps),
            "--mode", mode, "--timing-only", "--", *script.args,
        ]  # fmt: skip
        started = time.monotonic()
        try:
            subprocess.run(command, capture_output=True, env=environment, cwd=workdir, timeout=script.timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic() - started


def markdown(results: list[Result]) -> str:
    lines = [
        "| script | kind | verdict | confirmed | refuted | not measured | not reached | runtime only |"
        " false confirmations | verify (s) | script alone (s) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if result.script.outside:
            continue
        v = result.verdicts
        own = f"{result.own_seconds:.1f}" if result.own_seconds is not None else "-"
        lines.append(
            f"| {result.script.id} | {result.script.kind} | {'yes' if result.verdict else 'no: ' + result.message} |"
            f" {v['confirmed']} | {v['refuted']} | {v['not measured']} | {v['not reached']} | {v['runtime']} |"
            f" {len(result.false_confirmations)} | {result.seconds:.1f} | {own} |"
        )
    ran = [result for result in results if not result.script.outside]
    decided = [result for result in ran if result.verdict]
    lines += ["", f"{len(decided)} of {len(ran)} scripts ran to a verdict."]
    ratios = [result.seconds / result.own_seconds for result in decided if result.own_seconds]
    if ratios:
        median = statistics.median(ratios)
        lines.append(f"Median time to a verdict: {median:.2f}× the script's own time for the same steps.")
    outside = [result for result in results if result.script.outside]
    if outside:
        lines += ["", "Not run, for reasons outside bnlint:", ""]
        lines += [f"- {result.script.id}: {result.script.outside}" for result in outside]
    return "\n".join(lines)


def report(results: list[Result]) -> str:
    lines = []
    for result in results:
        for item in result.false_confirmations:
            lines.append(f"FALSE CONFIRMATION  {result.script.id}: {item}")
        for item in result.unexpected:
            lines.append(f"UNEXPECTED  {result.script.id}: {item}")
        for item in result.internal_errors:
            lines.append(f"BN901  {result.script.id}: {item}")
        if not result.script.outside and not result.verdict:
            lines.append(f"NO VERDICT  {result.script.id}: {result.message}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=recall.DEFAULT_MIRRORS)
    parser.add_argument("--only", help="comma-separated script ids")
    parser.add_argument("--markdown", action="store_true", help="print only the tables for docs/verify-real.md")
    args = parser.parse_args()
    scripts = load()
    if args.only:
        wanted = set(args.only.split(","))
        scripts = [script for script in scripts if script.id in wanted]
    results = []
    for script in scripts:
        try:
            results.append(run(script, args.mirrors))
        except recall.MissingCopy as error:
            print(f"verify_real: {error}", file=sys.stderr)
            return 2
        if not args.markdown:
            print(f"{script.id}: exit {results[-1].status}, {dict(results[-1].verdicts)}", file=sys.stderr)
    print(markdown(results))
    if not args.markdown:
        print()
        print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
