"""Recall and precision of `bnlint check` on real bugs of public repositories (benchmarks/recall/manifest.toml).

Each case of the manifest names a repository, the commit that fixed a batch-norm bug (`fix`) and its parent
(`buggy`), the files to check, and the findings a correct bnlint reports in each version, judged from the code by
hand (`[[case.expect]]`, with why). The repositories' code is not kept in this repository: this script takes the
`*.py` files of each version out of a local git copy of the repository (`git archive`), writes them to a
temporary folder, and runs `bnlint check --format json` there on the case's files, so that imports between the
repository's modules resolve as they do for its users. A local copy is `MIRRORS/owner+name/repo` or
`MIRRORS/owner+name`, a bare clone or a clone (`git clone --bare https://github.com/owner/name
MIRRORS/owner+name`).

A finding matches an expectation of the same version, file and code whose line lies within the finding's span.
Every expectation of a buggy version is a bug; an unmatched finding is a false alarm (on the fixed version:
the clean case). Prints the per-rule table and every miss and false alarm; `--markdown` prints the table for
docs/recall.md; `--json` the raw results. Exit status 0 when every case was checked, 2 when a copy is missing.

    .venv/bin/python benchmarks/recall.py [--mirrors /work/.mirror] [--markdown] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "recall" / "manifest.toml"
TF2_MANIFEST = HERE / "recall" / "tf2.toml"  # the TF2 / Keras set (BN007-BN010)
DEFAULT_MIRRORS = Path("/work/.mirror")
VERSIONS = ("buggy", "fixed")
CLEAN = "clean"  # the version of a `[[clean]]` entry: correct code, every finding on it a false alarm


@dataclass(frozen=True)
class Expectation:
    version: str
    path: str
    line: int
    code: str
    why: str


@dataclass(frozen=True)
class Case:
    id: str
    repository: str
    evidence: str
    buggy: str
    fix: str  # empty for a bug a maintainer confirmed and nobody fixed
    url: str
    files: tuple[str, ...]
    bug: str
    expect: tuple[Expectation, ...]

    clean: str = ""  # for a `[[clean]]` entry, the commit of its correct code (it has no buggy version)

    def commit(self, version: str) -> str:
        return {"buggy": self.buggy, "fixed": self.fix, CLEAN: self.clean}[version]

    @property
    def versions(self) -> tuple[str, ...]:
        """A bug confirmed by a maintainer and never fixed has no fixed version to check."""
        if self.clean:
            return (CLEAN,)
        return VERSIONS if self.fix and self.fix != self.buggy else ("buggy",)


@dataclass
class Outcome:
    """One version of one case: which expectations bnlint met, and what else it reported."""

    case: Case
    version: str
    found: list[Expectation] = field(default_factory=list)
    missed: list[Expectation] = field(default_factory=list)
    false_alarms: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # BN900 / BN901: bnlint could not analyse a file


class MissingCopy(Exception):
    pass


def load(manifest: Path = MANIFEST) -> list[Case]:
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    return [
        Case(
            id=case["id"],
            repository=case["repository"],
            evidence=case["evidence"],
            buggy=case["buggy"],
            fix=case.get("fix", ""),
            url=case["url"],
            files=tuple(case["files"]),
            bug=case["bug"],
            expect=tuple(Expectation(**expect) for expect in case.get("expect", ())),
        )
        for case in data.get("case", ())
    ] + [_clean_case(entry) for entry in data.get("clean", ())]


def _clean_case(entry: dict) -> Case:
    """A `[[clean]]` entry (repository, commit, files, why): correct code whose every finding is a false alarm."""
    repository, commit = entry["repository"], entry["commit"]
    return Case(
        id=f"clean-{repository.replace('/', '-')}-{commit[:7]}",
        repository=repository,
        evidence="clean code",
        buggy="",
        fix="",
        url=f"https://github.com/{repository}/tree/{commit}",
        files=tuple(entry["files"]),
        bug=entry["why"],
        expect=(),
        clean=commit,
    )


def git_dir(mirrors: Path, repository: str) -> Path:
    base = mirrors / repository.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo", base / ".git", base):
        if (candidate / "HEAD").is_file():
            return candidate
    raise MissingCopy(f"no local copy of {repository} under {mirrors} (clone it to {base})")


def materialize(git: Path, commit: str, into: Path, suffixes: tuple[str, ...] = (".py",), limit: int = 0) -> None:
    """The files of the repository at `commit` whose names end in one of `suffixes` (and, with `limit`, whose size
    is at most that many bytes), as a plain folder. Copies may lack big binary files, so the files are read one by
    one rather than archived."""
    listing = _git(git, "ls-tree", "-r", "-l", "-z", commit).split(b"\0")
    blobs = []
    for entry in filter(None, listing):
        info, _, path = entry.partition(b"\t")
        mode, kind, sha, size = info.split()
        name = path.decode("utf-8", "surrogateescape")
        small = not limit or (size.isdigit() and int(size) <= limit)  # "BAD": a blob the copy lacks
        if kind == b"blob" and mode != b"120000" and name.endswith(suffixes) and small:
            blobs.append((name, sha.decode()))
    contents = _git(git, "cat-file", "--batch", stdin="".join(f"{sha}\n" for _, sha in blobs).encode())
    offset = 0
    for path, _ in blobs:
        header_end = contents.index(b"\n", offset)
        size = int(contents[offset:header_end].split()[2])
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents[header_end + 1 : header_end + 1 + size])
        offset = header_end + 1 + size + 1


def _git(git: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["git", f"--git-dir={git}", *args], input=stdin, capture_output=True)
    if result.returncode != 0:
        raise MissingCopy(f"{git}: git {args[0]} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def check(folder: Path, files: tuple[str, ...], source: Path | None) -> list[dict]:
    command = [sys.executable, "-m", "bnlint", "check", "--isolated", "--no-cache", "-j", "1", "--format", "json"]
    # `python -m` puts the folder first on sys.path: a repository's own `bnlint` module would shadow ours, so
    # the checkout to run is named explicitly (another checkout's with --source, to compare versions).
    environment = {**os.environ, "PYTHONPATH": str(source or Path(__file__).resolve().parent.parent)}
    result = subprocess.run([*command, *files], cwd=folder, capture_output=True, text=True, env=environment)
    if result.returncode not in (0, 1, 2) or not result.stdout.strip():
        raise RuntimeError(f"bnlint failed in {folder}: {result.stderr}")
    return json.loads(result.stdout)


def judge(case: Case, version: str, diagnostics: list[dict]) -> Outcome:
    outcome = Outcome(case, version)
    pending = [expect for expect in case.expect if expect.version == version]
    for diagnostic in diagnostics:
        if diagnostic["code"] in ("BN900", "BN901"):
            outcome.errors.append(diagnostic)
            continue
        match = next(
            (
                expect
                for expect in pending
                if expect.path == diagnostic["path"]
                and expect.code == diagnostic["code"]
                and diagnostic["line"] <= expect.line <= diagnostic["end_line"]
            ),
            None,
        )
        if match is None:
            outcome.false_alarms.append(diagnostic)
        else:
            pending.remove(match)
            outcome.found.append(match)
    outcome.missed = pending
    return outcome


def run_case(case: Case, mirrors: Path, source: Path | None = None) -> list[Outcome]:
    git = git_dir(mirrors, case.repository)
    outcomes = []
    for version in case.versions:
        with tempfile.TemporaryDirectory(prefix=f"recall-{case.id}-") as folder:
            materialize(git, case.commit(version), Path(folder))
            outcomes.append(judge(case, version, check(Path(folder), case.files, source)))
    return outcomes


@dataclass(frozen=True)
class Row:
    code: str  # a rule, or "all"
    bugs: int
    found: int
    alarms: tuple[int, ...]  # false alarms on each version of `versions(outcomes)`, in that order

    @property
    def missed(self) -> int:
        return self.bugs - self.found


def versions(outcomes: list[Outcome]) -> tuple[str, ...]:
    """The versions the outcomes check, in the order the table shows them."""
    present = {outcome.version for outcome in outcomes}
    return tuple(version for version in (*VERSIONS, CLEAN) if version in present)


def table(outcomes: list[Outcome]) -> list[Row]:
    """Per rule, then for all: bugs, found, and false alarms on each version."""
    shown = versions(outcomes)
    bugs: Counter[str] = Counter()
    found: Counter[str] = Counter()
    alarms: dict[str, Counter[str]] = {version: Counter() for version in shown}
    for outcome in outcomes:
        bugs.update(expect.code for expect in [*outcome.found, *outcome.missed])
        found.update(expect.code for expect in outcome.found)
        alarms[outcome.version].update(diagnostic["code"] for diagnostic in outcome.false_alarms)
    codes = sorted(set(bugs).union(*alarms.values()))
    rows = [Row(code, bugs[code], found[code], tuple(alarms[version][code] for version in shown)) for code in codes]
    total = Row(
        "all",
        sum(row.bugs for row in rows),
        sum(row.found for row in rows),
        tuple(sum(row.alarms[index] for row in rows) for index in range(len(shown))),
    )
    return [*rows, total]


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "n/a"


def markdown(outcomes: list[Outcome], cases: list[Case]) -> str:
    bugged = [case for case in cases if not case.clean]
    clean = [case for case in cases if case.clean]
    repositories = len({case.repository for case in bugged})
    summary = f"{len(bugged)} cases from {repositories} repositories; each bug is a finding the buggy version must get."
    if clean:
        summary += (
            f" {len(clean)} entries from {len({case.repository for case in clean})} repositories are clean code,"
            " where every finding is a false alarm."
        )
    headers = "".join(f" false alarms ({version} versions) |" for version in versions(outcomes))
    if CLEAN in versions(outcomes):
        headers = headers.replace("(clean versions)", "(clean code)")
    lines = [
        summary,
        "",
        f"| rule | bugs | found | missed | recall |{headers} precision |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(versions(outcomes)) + "---:|",
    ]
    for row in table(outcomes):
        alarms = "".join(f" {count} |" for count in row.alarms)
        precision = _ratio(row.found, row.found + sum(row.alarms))
        lines.append(
            f"| {row.code} | {row.bugs} | {row.found} | {row.missed} | {_ratio(row.found, row.bugs)} |{alarms}"
            f" {precision} |"
        )
    return "\n".join(lines)


def report(outcomes: list[Outcome]) -> str:
    lines = []
    for outcome in outcomes:
        case = outcome.case
        for expect in outcome.missed:
            lines.append(f"MISS  {case.id} [{outcome.version}] {expect.path}:{expect.line} {expect.code}: {expect.why}")
        for diagnostic in outcome.false_alarms:
            lines.append(
                f"FALSE {case.id} [{outcome.version}] {diagnostic['path']}:{diagnostic['line']}"
                f" {diagnostic['code']} {diagnostic['message']}"
            )
        for diagnostic in outcome.errors:
            lines.append(
                f"ERROR {case.id} [{outcome.version}] {diagnostic['path']} {diagnostic['code']} {diagnostic['message']}"
            )
    return "\n".join(lines)


def run_all(cases: list[Case], mirrors: Path, source: Path | None = None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for case in cases:
        outcomes += run_case(case, mirrors, source)
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="folder of the repositories' git copies")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--only", help="comma-separated case ids")
    parser.add_argument("--source", type=Path, help="run the bnlint of this checkout (default: this one)")
    parser.add_argument("--markdown", action="store_true", help="print the table for docs/recall.md")
    parser.add_argument("--json", action="store_true", help="print every outcome as JSON")
    args = parser.parse_args()
    cases = load(args.manifest)
    if args.only:
        wanted = set(args.only.split(","))
        cases = [case for case in cases if case.id in wanted]
    try:
        outcomes = run_all(cases, args.mirrors, args.source)
    except MissingCopy as error:
        print(f"recall: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([_as_json(outcome) for outcome in outcomes], indent=1))
        return 0
    print(markdown(outcomes, cases))
    if not args.markdown:
        print()
        print(report(outcomes))
    return 0


def _as_json(outcome: Outcome) -> dict:
    return {
        "case": outcome.case.id,
        "version": outcome.version,
        "found": [expect.__dict__ for expect in outcome.found],
        "missed": [expect.__dict__ for expect in outcome.missed],
        "false_alarms": outcome.false_alarms,
        "errors": outcome.errors,
    }


if __name__ == "__main__":
    sys.exit(main())
