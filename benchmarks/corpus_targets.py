"""The issue's performance targets, each with the value this run measured and PASS or FAIL."""

from __future__ import annotations

from collections.abc import Callable

from corpus_report import (
    FLAKE8_F,
    HEAVY_IMPORTS,
    LIBCST,
    PYTHON,
    TIMES,
    Target,
    added_per_file,
    median_wall,
    net_memory_per_line,
    net_per_line,
    paired,
    smallest_script,
)
from corpus_generate import SHAPES, TOWERS
from corpus_timing import Suite

NOT_MEASURED = "not measured"


def targets(suites: dict[str, Suite], cpus: int) -> list[Target]:
    small, large, stdlib, scaling = (suites.get(name) for name in ("small", "large", "stdlib", "scaling"))
    cold = "`bnlint check -j1` cold"
    plugin = "flake8 with the bnlint plugin"
    return [
        _ratio("1a", f"{cold} ≤ 1.0{TIMES} `flake8 --select F -j1`, small corpus", small, "bnlint-j1", FLAKE8_F, 1.0),
        _ratio("1b", f"{cold} ≤ 1.5{TIMES} libcst parse, small corpus", small, "bnlint-j1", LIBCST, 1.5),
        _warm(small, large),
        _ratio("3a", f"{plugin} ≤ 1.05{TIMES} without, non-TF corpus (stdlib)", stdlib, "flake8+BN", "flake8", 1.05),
        _ratio("3b", f"{plugin} ≤ 1.3{TIMES} without, small TF corpus, cold", small, "flake8+BN", "flake8", 1.3),
        _ratio(
            "3c", f"{plugin} ≤ 1.3{TIMES} without, small TF corpus, warm", small, "flake8+BN-warm", "flake8", 1.3
        ),
        _parallel(small, cpus),
        _memory(large),
        _scaling(scaling),
        _torchfix("7a", small, "torchfix", "as is: it parses only the files that mention `torch`"),
        _torchfix(
            "7b", small, "torchfix-marked", "on the `# torch`-marked copy (`--torch-marked`): it parses every file"
        ),
        *(_shape(f"8{letter}", scaling, shape) for letter, shape in zip("abcd", SHAPES, strict=True)),
        _start_up("9a", "`bnlint --version`", small, "bnlint-version"),
        _start_up("9b", "`bnlint rule BN002`", small, "bnlint-rule"),
    ]


def _verdict(suite: Suite | None, keys: tuple[str, ...], passed: Callable[[], bool]) -> str:
    if suite is None or any(key not in suite.samples for key in keys):
        return NOT_MEASURED
    if any(key in suite.errors for key in keys):
        return "ERROR (see Errors)"
    return "PASS" if passed() else "FAIL"


def _ratio(number: str, goal: str, suite: Suite | None, key: str, base: str, limit: float) -> Target:
    ratio = paired(suite, key, base, lambda wall, base_wall: wall / base_wall) if suite else None
    measured = "" if ratio is None else f"{ratio:.2f}{TIMES} (median of per-round ratios)"
    return Target(number, goal, measured, _verdict(suite, (key, base), lambda: ratio <= limit))


def _warm(small: Suite | None, large: Suite | None) -> Target:
    shares = {
        name: paired(suite, "bnlint-warm", "bnlint-j1", lambda warm, cold: warm / cold) if suite else None
        for name, suite in (("small", small), ("large", large))
    }
    measured = "; ".join(f"{name}: {share:.1%} of the cold run" for name, share in shares.items() if share is not None)
    goal = "warm `bnlint check -j1` (nothing changed) ≤ 10 % of cold, small and large corpora"
    keys = ("bnlint-warm", "bnlint-j1")
    corpora = (("small", small), ("large", large))
    verdicts = [_verdict(suite, keys, lambda name=name: shares[name] <= 0.10) for name, suite in corpora]
    return Target("2", goal, measured, _combined(verdicts))


def _combined(verdicts: list[str]) -> str:
    """One verdict for a target measured on several corpora: each must pass; one not measured leaves it open."""
    for verdict in ("ERROR (see Errors)", "FAIL", NOT_MEASURED):
        if verdict in verdicts:
            return verdict
    return "PASS"


START_UP_LIMIT = 10.0  # × `python -c pass`: what is left once nothing heavy is imported (argparse, the rules)


def _start_up(number: str, command: str, small: Suite | None, key: str) -> Target:
    goal = (
        f"{command} ≤ {START_UP_LIMIT:g}{TIMES} `python -c pass`, importing none of libcst, pygls and TensorFlow "
        "(`--version`, `rule` and `rule --format markdown` checked in one process)"
    )
    ratio = paired(small, key, PYTHON, lambda wall, base: wall / base) if small else None
    measured = "" if ratio is None else f"{ratio:.1f}{TIMES} (median of per-round ratios)"
    if small is not None and HEAVY_IMPORTS in small.errors:
        return Target(number, goal, measured + "; imports a heavy package (see Errors)", "FAIL")
    return Target(number, goal, measured, _verdict(small, (key, PYTHON), lambda: ratio <= START_UP_LIMIT))


def _speedup(small: Suite | None, jobs: int) -> float | None:
    return paired(small, f"bnlint-j{jobs}", "bnlint-j1", lambda parallel, serial: serial / parallel) if small else None


def _parallel(small: Suite | None, cpus: int) -> Target:
    goal = f"`bnlint check -j2` ≥ 1.7{TIMES} faster than `-j1` (on 2 cores), small corpus"
    if cpus < 2:
        return Target("4", goal, f"{cpus} CPU: nothing to run in parallel on", NOT_MEASURED)
    speedup, many = _speedup(small, 2), _speedup(small, cpus)
    measured = "" if speedup is None else f"{speedup:.2f}{TIMES} faster"
    if many is not None and cpus > 2:
        measured += f"; `-j{cpus}`: {many:.2f}{TIMES} faster"
    return Target("4", goal, measured, _verdict(small, ("bnlint-j2", "bnlint-j1"), lambda: speedup >= 1.7))


def _memory(large: Suite | None) -> Target:
    samples = large.samples.get("bnlint-j1", []) if large else []
    peak = max((sample.peak_rss_mb for sample in samples), default=None)
    measured = "" if peak is None else f"{peak:.0f} MB (the highest of the rounds)"
    goal = "peak RSS of `bnlint check -j1` on the large corpus < 300 MB"
    return Target("5", goal, measured, _verdict(large, ("bnlint-j1",), lambda: peak < 300))


def _scaling(scaling: Suite | None) -> Target:
    goal = (
        "time linear in file size: µs/line (net of start-up) on the largest generated script "
        f"≤ 1.5{TIMES} that on the smallest"
    )
    sized = [c for c in scaling.commands if c.key.startswith("bnlint@") and c.group == TOWERS] if scaling else []
    if len(sized) < 2:
        return Target("6", goal, "needs two script sizes", NOT_MEASURED)
    largest = max(sized, key=lambda command: command.lines)
    smallest = smallest_script(scaling, largest)
    per_line, base = net_per_line(scaling, largest), net_per_line(scaling, smallest)
    keys = (largest.key, smallest.key, largest.comparison.key)
    if per_line is None or base is None:
        return Target("6", goal, "", _verdict(scaling, keys, lambda: False))
    measured = (
        f"{per_line:,.0f} µs/line at {largest.lines:,} lines, {base:,.0f} at {smallest.lines:,}: "
        f"{per_line / base:.2f}{TIMES}"
    )
    return Target("6", goal, measured, _verdict(scaling, keys, lambda: per_line <= 1.5 * base))


def _torchfix(number: str, small: Suite | None, key: str, how: str) -> Target:
    goal = (
        f"per file faster than TorchFix through flake8, small corpus; TorchFix {how}. Compared: `bnlint check -j1` "
        "cold wall / files, against (`flake8 --select TOR -j1` with TorchFix minus `flake8 --select F -j1` without "
        "it, same round) / files"
    )
    keys = (key, "bnlint-j1", FLAKE8_F)
    bnlint = median_wall(small, "bnlint-j1") if small else None
    torchfix = added_per_file(small, key, FLAKE8_F) if small else None
    if bnlint is None or torchfix is None:
        return Target(number, goal, "", _verdict(small, keys, lambda: False))
    per_file = bnlint / small.files * 1000
    measured = f"bnlint {per_file:.2f} ms/file, TorchFix {torchfix:.2f} ms/file"
    plugin = added_per_file(small, "flake8+BN", "flake8")
    if plugin is not None:
        measured += f" (as a flake8 plugin, bnlint adds {plugin:.2f} ms/file to flake8)"
    return Target(number, goal, measured, _verdict(small, keys, lambda: per_file < torchfix))


def _shape(number: str, scaling: Suite | None, shape: str) -> Target:
    """Issue 19: a generated shape's time and peak memory per line, net of start-up, at its largest script within
    1.5× of those at its smallest."""
    goal = (
        f"`{shape}` scripts (issue 19): time per line and peak memory per line (net of start-up) at the largest "
        f"within 1.5{TIMES} of those at the smallest"
    )
    sized = [c for c in scaling.commands if c.key.startswith("bnlint@") and c.group == shape] if scaling else []
    if len(sized) < 2:
        return Target(number, goal, "needs two script sizes", NOT_MEASURED)
    largest = max(sized, key=lambda command: command.lines)
    smallest = smallest_script(scaling, largest)
    keys = (largest.key, smallest.key, largest.comparison.key)
    time, base_time = net_per_line(scaling, largest), net_per_line(scaling, smallest)
    memory, base_memory = net_memory_per_line(scaling, largest), net_memory_per_line(scaling, smallest)
    if None in (time, base_time, memory, base_memory) or not base_time or not base_memory:
        return Target(number, goal, "", _verdict(scaling, keys, lambda: False))
    measured = (
        f"{time:,.0f} µs/line at {largest.lines:,} lines, {base_time:,.0f} at {smallest.lines:,}: "
        f"{time / base_time:.2f}{TIMES}; {memory:,.1f} KB/line, {base_memory:,.1f}: {memory / base_memory:.2f}{TIMES}"
    )
    passed = time <= 1.5 * base_time and memory <= 1.5 * base_memory
    return Target(number, goal, measured, _verdict(scaling, keys, lambda: passed))
