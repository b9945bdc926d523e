"""The benchmark's Markdown: a header saying where and how it ran, a table per corpus, the issue's targets."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from corpus_timing import Command, Sample, Suite

# The rows every corpus table is compared with, when the corpus has them.
FLAKE8_F = "flake8-F"
LIBCST = "libcst"
PYTHON = "python"  # `python -c pass`: the start-up no Python program beats
HEAVY_IMPORTS = "heavy-imports"  # the check that `--version` and `rule` import no libcst, pygls or TensorFlow
# Named, not typed, so that no one mistakes them for an x and a hyphen.
TIMES = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class Target:
    number: str
    goal: str
    measured: str
    verdict: str


def available_cpus() -> int:
    """The processors this process may run on (what `nproc` prints), which a container can limit below the
    machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def machine() -> str:
    return (
        f"{_cpu_model()}, {available_cpus()} CPUs available (`nproc`), {_memory_gib():.1f} GiB RAM; {_os_name()}; "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def _os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return f"{line.split('=', 1)[1].strip(chr(34))}, {platform.system()} {platform.release()}"
    return f"{platform.system()} {platform.release()}"


def _read(path: str) -> str:
    file = Path(path)
    return file.read_text() if file.is_file() else ""


def header(rounds: int, quick: bool, versions: list[str], minutes: float) -> list[str]:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"### Benchmark run {when}", ""]
    if quick:
        lines += ["**Quick smoke run** (`--quick`: small subsets, one round): not representative.", ""]
    lines += [
        f"- Machine: {machine()}.",
        *(f"- {version}." for version in versions),
        f"- Method: {rounds} interleaved round(s) per corpus (each round runs every command of the table once, in "
        f"the same order), {minutes:.0f} min in all (set-up excluded); every row is one whole process (interpreter "
        "start-up and imports included), output discarded; exit status 1 (findings) is normal, any other is listed "
        "under Errors. Wall = elapsed seconds; CPU = user + sys and peak RSS = maximum resident set, both from "
        "`wait4` (for a run with worker processes, the peak RSS is that of its largest process, as GNU time "
        f"reports it). Medians over rounds, (min{DASH}max) of wall; ratios are medians of the per-round ratios, which "
        "other load on the machine disturbs less than the seconds.",
        "",
    ]
    return lines


def suite_table(suite: Suite) -> list[str]:
    lines = [
        f"#### {suite.title}: {suite.files:,} files, {suite.lines:,} lines, {suite.megabytes:.2f} MB",
        "",
        f"| command | rounds | wall s median (min{DASH}max) | CPU s | peak RSS MB | files/s "
        f"| {TIMES} flake8 --select F -j1 | {TIMES} libcst parse | compared with |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for command in suite.commands:
        samples = suite.samples.get(command.key, [])
        if samples:
            lines.append(_row(suite, command, samples))
    return [*lines, ""]


def _row(suite: Suite, command: Command, samples: list[Sample]) -> str:
    wall = statistics.median(sample.wall for sample in samples)
    cells = [
        _label(suite, command),
        str(len(samples)),
        _wall_cell(samples),
        f"{statistics.median(sample.cpu for sample in samples):.2f}",
        f"{max(sample.peak_rss_mb for sample in samples):.0f}",
        f"{suite.files / wall:,.0f}",
        _ratio_cell(suite, command.key, FLAKE8_F),
        _ratio_cell(suite, command.key, LIBCST),
        _comparison_cell(suite, command),
    ]
    return "| " + " | ".join(cells) + " |"


def _label(suite: Suite, command: Command) -> str:
    return (
        f"{command.label} **(exit {_exit_codes(suite, command.key)})**"
        if command.key in suite.errors
        else command.label
    )


def _exit_codes(suite: Suite, key: str) -> str:
    return ", ".join(sorted({str(sample.exit_code) for sample in suite.samples.get(key, [])}))


def _wall_cell(samples: list[Sample]) -> str:
    walls = [sample.wall for sample in samples]
    return f"**{statistics.median(walls):.2f}** ({min(walls):.2f}{DASH}{max(walls):.2f})"


def _ratio_cell(suite: Suite, key: str, base: str) -> str:
    ratio = paired(suite, key, base, lambda wall, base_wall: wall / base_wall)
    return "" if ratio is None else f"{ratio:.3g}"


def _comparison_cell(suite: Suite, command: Command) -> str:
    comparison = command.comparison
    if comparison is None:
        return ""
    if comparison.kind == "ratio":
        value = paired(suite, command.key, comparison.key, lambda wall, base: wall / base)
        return "" if value is None else f"{value:.3g}{TIMES} {comparison.name}"
    if comparison.kind == "speedup":
        value = paired(suite, command.key, comparison.key, lambda wall, base: base / wall)
        return "" if value is None else f"{value:.2f}{TIMES} faster than {comparison.name}"
    if comparison.kind == "percent":
        value = paired(suite, command.key, comparison.key, lambda wall, base: wall / base)
        return "" if value is None else f"{value:.1%} of {comparison.name}"
    value = added_per_file(suite, command.key, comparison.key)
    return "" if value is None else f"adds {value:.2f} ms/file to {comparison.name}"


def paired(suite: Suite, key: str, base: str, combine: Callable[[float, float], float]) -> float | None:
    """The median over rounds of `combine(this row's wall, the base row's wall)`, both from the same round."""
    rows, bases = suite.samples.get(key), suite.samples.get(base)
    if not rows or not bases:
        return None
    return statistics.median(combine(row.wall, other.wall) for row, other in zip(rows, bases, strict=False))


def added_per_file(suite: Suite, key: str, base: str) -> float | None:
    """Milliseconds per corpus file that this row takes over the base row, paired by round."""
    added = paired(suite, key, base, lambda wall, base_wall: wall - base_wall)
    return None if added is None else added / suite.files * 1000


def median_wall(suite: Suite, key: str) -> float | None:
    samples = suite.samples.get(key)
    return statistics.median(sample.wall for sample in samples) if samples else None


def scaling_table(suite: Suite) -> list[str]:
    lines = [
        f"#### {suite.title}",
        "",
        f"| command | lines | rounds | wall s median (min{DASH}max) | CPU s | peak RSS MB | µs/line net of start-up "
        f"| per line, {TIMES} the smallest script | KB/line net of start-up | memory per line, {TIMES} the smallest |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for command in suite.commands:
        samples = suite.samples.get(command.key, [])
        if samples:
            lines.append(_scaling_row(suite, command, samples))
    return [*lines, ""]


def _scaling_row(suite: Suite, command: Command, samples: list[Sample]) -> str:
    per_line = net_per_line(suite, command)
    smallest = net_per_line(suite, smallest_script(suite, command))
    memory = net_memory_per_line(suite, command)
    smallest_memory = net_memory_per_line(suite, smallest_script(suite, command))
    cells = [
        _label(suite, command),
        f"{command.lines:,}",
        str(len(samples)),
        _wall_cell(samples),
        f"{statistics.median(sample.cpu for sample in samples):.2f}",
        f"{max(sample.peak_rss_mb for sample in samples):.0f}",
        "start-up" if per_line is None else f"{per_line:,.0f}",
        "" if per_line is None or not smallest else f"{per_line / smallest:.2f}",
        "start-up" if memory is None else f"{memory:,.1f}",
        "" if memory is None or not smallest_memory else f"{memory / smallest_memory:.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


def net_per_line(suite: Suite, command: Command) -> float | None:
    """Microseconds per line once the start-up script's wall time (same tool, same round) is taken off."""
    if command.comparison is None:
        return None
    net = paired(suite, command.key, command.comparison.key, lambda wall, start_up: wall - start_up)
    return None if net is None else net / command.lines * 1e6


def net_memory_per_line(suite: Suite, command: Command) -> float | None:
    """Kilobytes of peak RSS per line once the start-up script's peak RSS (same tool, same round) is taken off:
    the median over rounds."""
    rows = suite.samples.get(command.key)
    bases = suite.samples.get(command.comparison.key) if command.comparison is not None else None
    if not rows or not bases:
        return None
    net = statistics.median(row.peak_rss_mb - base.peak_rss_mb for row, base in zip(rows, bases, strict=False))
    return net * 1024 / command.lines


def smallest_script(suite: Suite, command: Command) -> Command:
    """The same tool's row on the smallest script of the same shape: the scaling rows of one tool share their
    start-up."""
    same_tool = [
        other
        for other in suite.commands
        if other.comparison == command.comparison and other.group == command.group and other.lines
    ]
    return min(same_tool, key=lambda other: other.lines)


def targets_table(targets: list[Target]) -> list[str]:
    lines = ["#### Targets (issue 8)", "", "| # | target | measured | result |", "|---|---|---|---|"]
    lines += [f"| {t.number} | {t.goal} | {t.measured} | {t.verdict} |" for t in targets]
    return [*lines, ""]


def errors_section(suites: list[Suite]) -> list[str]:
    errors = [(suite.name, message) for suite in suites for message in suite.errors.values()]
    if not errors:
        return []
    lines = ["#### Errors", ""]
    for name, message in errors:
        lines += [f"{name}:", "", "```", message.strip(), "```", ""]
    return lines
