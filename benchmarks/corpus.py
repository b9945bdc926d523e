"""How fast bnlint is on published code, next to flake8, pyflakes, a bare libcst parse and TorchFix.

Builds its corpora and comparison virtualenvs from pinned packages into a cache folder (once), times every tool as a
whole process in interleaved rounds, and prints Markdown: one table per corpus and the issue's targets, PASS or FAIL.
Progress goes to stderr; the Markdown, to stdout (and to --output).

    .venv/bin/python benchmarks/corpus.py [--corpora small,large,stdlib,scaling] [--rounds 3] [--quick]
        [--cache DIR] [--skip-torchfix] [--torch-marked] [--output FILE]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from corpus_generate import TOWERS, write_scripts, write_shapes
from corpus_report import (
    FLAKE8_F,
    HEAVY_IMPORTS,
    LIBCST,
    PYTHON,
    available_cpus,
    errors_section,
    header,
    scaling_table,
    suite_table,
    targets_table,
)
from corpus_setup import (
    FLAKE8_PINS,
    Environments,
    SetupError,
    environments,
    executable,
    large_corpus,
    package_versions,
    prepare_cache,
    require_bnlint_options,
    small_corpus,
    stdlib_corpus,
    torch_marked_corpus,
)
from corpus_targets import targets
from corpus_timing import Command, Comparison, Suite, run_suite

CORPORA = ("small", "large", "stdlib", "scaling")
# --quick: the large corpus needs the 274 MB tensorflow wheel, so it runs only when asked for.
QUICK_CORPORA = ("small", "stdlib", "scaling")
QUICK_SUBSETS = {"small": "tflearn-*", "large": "*/tensorflow/python/layers", "stdlib": "json"}
SCALING_LINES = (1_000, 10_000, 50_000)
SHAPE_LINES = (1_000, 5_000, 20_000)  # the shapes of issue 19 (corpus_generate.SHAPES)
QUICK_SCALING_LINES = (1_000,)
# The floor of any libcst-based design: read each file and parse it, nothing else, in one process.
PARSE_ONLY = (
    "import pathlib, sys, libcst\n"
    "for name in sys.argv[1:]:\n"
    "    root = pathlib.Path(name)\n"
    "    for path in sorted(root.rglob('*.py')) if root.is_dir() else [root]:\n"
    "        libcst.parse_module(path.read_bytes())\n"
)
# `--version` and `rule` in one process, which fails naming what they imported that they should not.
START_UP_IMPORTS = (
    "import sys\n"
    "from bnlint.cli import main\n"
    "for args in (['--version'], ['rule', 'BN002'], ['rule', '--format', 'markdown']):\n"
    "    try:\n"
    "        main(args)\n"
    "    except SystemExit:\n"
    "        pass\n"
    "heavy = sorted(name for name in ('libcst', 'pygls', 'tensorflow') if name in sys.modules)\n"
    "sys.exit(f'imported {heavy}' if heavy else 0)\n"
)
TITLES = {
    "small": "Small corpus: tf-slim 1.1.0, tensorpack 0.11, tflearn 0.5.0 (sdist), tf-models-official 2.20.0",
    "large": "Large corpus: the `*.py` files of the tensorflow-cpu 2.21.0 wheel (cp311, manylinux)",
    "stdlib": "Non-TensorFlow corpus: the standard library's own `.py` files (no tests, site-packages or venv)",
    "scaling": "Scaling: generated TF1-style training scripts (towers; the shapes of issue 19), one file per run",
}


@dataclass(frozen=True)
class Options:
    corpora: tuple[str, ...]
    rounds: int
    quick: bool
    cache: Path
    torchfix: bool
    torch_marked: bool
    output: Path | None


@dataclass(frozen=True)
class Tools:
    """The measured commands, each in the virtualenv it belongs to."""

    environments: Environments
    parallel: tuple[int, ...]  # job counts timed besides -j1
    cache: Path

    def parse_only(self, path: Path) -> Command:
        python = executable(self.environments.project, "python")
        label = "libcst parse, one process (`libcst.parse_module` of each file)"
        return Command(LIBCST, label, (python, "-c", PARSE_ONLY, str(path)), normal_exits=frozenset({0}))

    def pyflakes(self, path: Path) -> Command:
        pyflakes = executable(self.environments.flake8, "pyflakes")
        return Command("pyflakes", "`pyflakes` (flake8-only venv)", (pyflakes, str(path)))

    def flake8_f(self, path: Path) -> Command:
        flake8 = executable(self.environments.flake8, "flake8")
        label = "`flake8 --isolated --select F -j1` (flake8-only venv)"
        return Command(FLAKE8_F, label, (flake8, "--isolated", "--select", "F", "-j1", str(path)))

    def flake8(self, path: Path) -> Command:
        flake8 = executable(self.environments.flake8, "flake8")
        label = "`flake8 --isolated -j1`, without bnlint (flake8-only venv)"
        return Command("flake8", label, (flake8, "--isolated", "-j1", str(path)))

    def flake8_with_plugin(self, path: Path) -> Command:
        flake8 = executable(self.environments.project, "flake8")
        label = "`flake8 --isolated -j1 --bnlint-no-cache`, with the bnlint plugin (project venv), cold"
        comparison = Comparison("flake8", "ratio", "flake8 without bnlint")
        argv = (flake8, "--isolated", "-j1", "--bnlint-no-cache", str(path))
        return Command("flake8+BN", label, argv, comparison=comparison)

    def flake8_with_plugin_warm(self, path: Path, name: str) -> Command:
        flake8 = executable(self.environments.project, "flake8")
        cache = self._fresh_cache(f"flake8-{name}")
        label = "`flake8 --isolated -j1 --bnlint-cache-dir DIR`, with the bnlint plugin, warm (nothing changed)"
        comparison = Comparison("flake8", "ratio", "flake8 without bnlint")
        argv = (flake8, "--isolated", "-j1", "--bnlint-cache-dir", str(cache), str(path))
        return Command("flake8+BN-warm", label, argv, comparison=comparison)

    def torchfix(self, path: Path, key: str, what: str) -> Command:
        flake8 = executable(self.environments.torchfix, "flake8")
        label = f"`flake8 --isolated --select TOR -j1` (TorchFix venv){what}"
        comparison = Comparison(FLAKE8_F, "added", "flake8 --select F")
        return Command(key, label, (flake8, "--isolated", "--select", "TOR", "-j1", str(path)), comparison=comparison)

    def bnlint_cold(self, path: Path, jobs: int) -> Command:
        bnlint = executable(self.environments.project, "bnlint")
        label = f"`bnlint check --isolated --no-cache -j{jobs}` (cold)"
        argv = (bnlint, "check", "--isolated", "--no-cache", f"-j{jobs}", str(path))
        comparison = Comparison("bnlint-j1", "speedup", "-j1") if jobs > 1 else None
        return Command(f"bnlint-j{jobs}", label, argv, comparison=comparison)

    def start_up(self) -> list[Command]:
        """Start-up as pre-commit hooks and editors pay it: bare Python, then bnlint commands that parse nothing."""
        python = executable(self.environments.project, "python")
        bnlint = executable(self.environments.project, "bnlint")
        bare = Comparison(PYTHON, "ratio", "`python -c pass`")
        return [
            Command(PYTHON, "`python -c pass` (project venv)", (python, "-c", "pass"), normal_exits=frozenset({0})),
            Command("bnlint-version", "`bnlint --version`", (bnlint, "--version"), comparison=bare),
            Command("bnlint-rule", "`bnlint rule BN002`", (bnlint, "rule", "BN002"), comparison=bare),
        ]

    def start_up_imports(self) -> Command:
        """Fails (exit 1, naming them) when `--version` or `rule` imports libcst, pygls or TensorFlow."""
        python = executable(self.environments.project, "python")
        argv = (python, "-c", START_UP_IMPORTS)
        return Command(HEAVY_IMPORTS, "heavy imports of `--version` and `rule`", argv, normal_exits=frozenset({0}))

    def bnlint_warm(self, path: Path, name: str) -> Command:
        bnlint = executable(self.environments.project, "bnlint")
        cache = self._fresh_cache(name)
        label = "`bnlint check --isolated -j1 --cache-dir DIR`, warm (nothing changed)"
        argv = (bnlint, "check", "--isolated", "-j1", "--cache-dir", str(cache), str(path))
        return Command("bnlint-warm", label, argv, comparison=Comparison("bnlint-j1", "percent", "the cold -j1 run"))

    def _fresh_cache(self, name: str) -> Path:
        """An empty cache folder, which the suite's untimed run fills: the timed runs find every file unchanged."""
        cache = self.cache / "bnlint-cache" / name
        shutil.rmtree(cache, ignore_errors=True)
        return cache


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", help=f"comma-separated, of {','.join(CORPORA)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per corpus (default: 3)")
    parser.add_argument("--quick", action="store_true", help="smoke test: small subsets, 1k-line script, 1 round")
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent / ".cache")
    parser.add_argument("--skip-torchfix", action="store_true", help="no TorchFix virtualenv, no TorchFix rows")
    parser.add_argument(
        "--torch-marked",
        action="store_true",
        help="also time TorchFix on a copy whose every file mentions torch (about 200 s a round on the small corpus)",
    )
    parser.add_argument("--output", type=Path, help="write the Markdown to this file too")
    args = parser.parse_args(argv)
    corpora = tuple(args.corpora.split(",")) if args.corpora else QUICK_CORPORA if args.quick else CORPORA
    unknown = set(corpora) - set(CORPORA)
    if unknown:
        parser.error(f"unknown corpora: {', '.join(sorted(unknown))}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    rounds = 1 if args.quick else args.rounds
    torchfix = not args.skip_torchfix and "small" in corpora
    return Options(
        corpora, rounds, args.quick, args.cache.resolve(), torchfix, args.torch_marked and torchfix, args.output
    )


def build_suites(options: Options, tools: Tools) -> list[Suite]:
    builders = {"small": _small, "large": _large, "stdlib": _stdlib, "scaling": _scaling}
    return [builders[name](options, tools) for name in CORPORA if name in options.corpora]


def _small(options: Options, tools: Tools) -> Suite:
    full = small_corpus(options.cache)
    path = _subset(options, "small", full)
    torchfix: list[Command] = []
    if options.torchfix:
        torchfix.append(tools.torchfix(path, "torchfix", ""))
    if options.torch_marked:
        marked = torch_marked_corpus(options.cache, full) / path.relative_to(full)
        torchfix.append(tools.torchfix(marked, "torchfix-marked", ", on the `# torch`-marked copy"))
    commands = [
        *_baselines(tools, path),
        *_plugin(tools, path),
        tools.flake8_with_plugin_warm(path, "small"),
        *torchfix,
        *_bnlint(tools, path, "small"),
        *tools.start_up(),
    ]
    suite = _suite(options, "small", path, commands)
    suite.prime.append(tools.start_up_imports())
    return suite


def _large(options: Options, tools: Tools) -> Suite:
    path = _subset(options, "large", large_corpus(options.cache))
    return _suite(options, "large", path, [*_baselines(tools, path), *_bnlint(tools, path, "large")])


def _stdlib(options: Options, tools: Tools) -> Suite:
    path = _subset(options, "stdlib", stdlib_corpus(options.cache))
    commands = [*_baselines(tools, path), *_plugin(tools, path), tools.bnlint_cold(path, 1)]
    return _suite(options, "stdlib", path, commands)


def _scaling(options: Options, tools: Tools) -> Suite:
    folder = options.cache / "corpora" / "scaling"
    scripts = write_scripts(folder, QUICK_SCALING_LINES if options.quick else SCALING_LINES)
    start_up = scripts.pop(0)
    groups = {TOWERS: scripts, **write_shapes(folder, QUICK_SCALING_LINES if options.quick else SHAPE_LINES)}
    commands = []
    for tool, command in (("bnlint", lambda path: tools.bnlint_cold(path, 1)), ("libcst", tools.parse_only)):
        commands.append(_scaled(command(start_up), tool, "", 0, start_up))
        for group, paths in groups.items():
            commands += [_scaled(command(path), tool, group, size, path) for size, path in paths.items()]
    title = f"{TITLES['scaling']}; start-up = the 1-line `{start_up.name}`"
    paths = [start_up, *(path for group in groups.values() for path in group.values())]
    return Suite("scaling", title, len(paths), sum(_lines(path) for path in paths), 0.0, commands)


def _scaled(command: Command, tool: str, group: str, size: int, path: Path) -> Command:
    """The command on one generated script (size 0: the start-up script), whose wall time and peak RSS, less the
    start-up script's in the same round, are divided by its lines."""
    start_up = Comparison(f"{tool}@0", "start-up", "start-up") if size else None
    label = f"{command.label}, `{path.name}`"
    key = f"{tool}@{group}@{size}" if size else f"{tool}@0"
    return replace(command, key=key, label=label, lines=_lines(path), comparison=start_up, group=group)


def _baselines(tools: Tools, path: Path) -> list[Command]:
    return [tools.parse_only(path), tools.pyflakes(path), tools.flake8_f(path)]


def _plugin(tools: Tools, path: Path) -> list[Command]:
    return [tools.flake8(path), tools.flake8_with_plugin(path)]


def _bnlint(tools: Tools, path: Path, name: str) -> list[Command]:
    return [
        tools.bnlint_cold(path, 1),
        tools.bnlint_warm(path, name),
        *(tools.bnlint_cold(path, j) for j in tools.parallel),
    ]


def _subset(options: Options, name: str, corpus: Path) -> Path:
    if not options.quick:
        return corpus
    matches = sorted(corpus.glob(QUICK_SUBSETS[name]))
    if not matches:
        raise SetupError(f"the quick subset {QUICK_SUBSETS[name]} is not in {corpus}")
    return matches[0]


def _suite(options: Options, name: str, path: Path, commands: list[Command]) -> Suite:
    files = sorted(path.rglob("*.py"))
    title = TITLES[name] + (f" (quick subset: `{path.name}`)" if options.quick else "")
    lines = sum(_lines(file) for file in files)
    megabytes = sum(file.stat().st_size for file in files) / 1e6
    prime = [command for command in commands if command.key in ("bnlint-warm", "flake8+BN-warm")]
    return Suite(name, title, len(files), lines, megabytes, commands, prime)


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n")


def versions(environments: Environments) -> list[str]:
    flake8 = tuple(pin.split("==")[0] for pin in FLAKE8_PINS)
    project = package_versions(environments.project, ("bnlint", "libcst", *flake8))
    lines = [
        f"Project venv (bnlint, and flake8 with the plugin): {project}",
        f"flake8-only venv (no bnlint): {package_versions(environments.flake8, flake8)}",
    ]
    if environments.torchfix:
        lines.append(f"TorchFix venv: {package_versions(environments.torchfix, ('TorchFix', 'libcst', *flake8))}")
    return lines


def markdown(options: Options, suites: list[Suite], tools: Tools, cpus: int, minutes: float) -> str:
    lines = header(options.rounds, options.quick, versions(tools.environments), minutes)
    for suite in suites:
        lines += scaling_table(suite) if suite.name == "scaling" else suite_table(suite)
    lines += targets_table(targets({suite.name: suite for suite in suites}, cpus))
    lines += errors_section(suites)
    return "\n".join(lines).rstrip() + "\n"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    cpus = available_cpus()
    try:
        prepare_cache(options.cache)
        environment = environments(options.cache, options.torchfix)
        require_bnlint_options(executable(environment.project, "bnlint"), ("--jobs", "--no-cache", "--cache-dir"))
        tools = Tools(environment, tuple(sorted({2, cpus})) if cpus >= 2 else (), options.cache)
        suites = build_suites(options, tools)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    start = time.monotonic()
    for suite in suites:
        run_suite(suite, options.rounds, options.cache, progress)
    text = markdown(options, suites, tools, cpus, (time.monotonic() - start) / 60)
    print(text, end="")
    if options.output:
        options.output.write_text(text)
    return 1 if any(suite.errors for suite in suites) else 0


if __name__ == "__main__":
    sys.exit(main())
