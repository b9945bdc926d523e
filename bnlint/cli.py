"""The `bnlint` command: `check` files and `rule` documentation."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bnlint import __version__
from bnlint.cache import CACHE_DIR, Cache, Key, Keys
from bnlint.config import KNOWN_CODES, ConfigError, Configurations, Options, Settings
from bnlint.diagnostic import ERROR_CODES, UNREADABLE, Diagnostic, error
from bnlint.discovery import python_files
from bnlint.docs import describe, rule_list, rule_text, rules_markdown
from bnlint.engine import fix_source
from bnlint.keras_setting import KerasSetting
from bnlint.noqa import add_noqa
from bnlint.notebook import Notebook, is_notebook, read_notebook
from bnlint.notebook import add_noqa as add_notebook_noqa
from bnlint.parallel import Task, check_all, jobs
from bnlint.project import Project
from bnlint.reporters import RENDERERS, Report
from bnlint.reporters.text import statistics
from bnlint.rules import RULES_BY_CODE, Rule, selected_rules
from bnlint.selection import Layer, SelectionError, parse_codes
from bnlint.source import decode
from bnlint.verify.command import add_parser as add_verify_parser
from bnlint.verify.command import verify

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `bnlint check . | head`: the reader left; say nothing more.
        sys.stderr.close()
        return EXIT_FINDINGS


def _run(argv: Sequence[str] | None) -> int:
    parser, commands = _parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args, commands["check"])
    if args.command == "rule":
        return _rule(args)
    if args.command == "verify":
        return verify(args)
    if args.command == "server":
        from bnlint.server import main as serve  # only the server needs pygls

        return serve()
    parser.print_help(sys.stderr)
    return EXIT_ERROR


class _CommandParser(argparse.ArgumentParser):
    """A subcommand's parser. argparse hands the arguments a subcommand does not know back to the top-level parser,
    which reports them under its own usage; this one reports them itself, under the subcommand's usage."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def _parser() -> tuple[argparse.ArgumentParser, Mapping[str, argparse.ArgumentParser]]:
    """The `bnlint` parser, and each subcommand's parser by name (for the usage errors found after parsing)."""
    parser = argparse.ArgumentParser(
        prog="bnlint", description="Find the batch-normalization mistakes in TensorFlow training scripts."
    )
    parser.add_argument("--version", action="version", version=f"bnlint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    _add_check_parser(commands)
    add_verify_parser(commands)
    commands.add_parser("server", help="run the language server for editors (over standard input and output)")
    rule = commands.add_parser("rule", help="show a rule's documentation, or list the rules")
    rule.add_argument("code", nargs="?", metavar="CODE", help="e.g. BN003; without it, list every rule")
    rule.add_argument("--format", choices=("text", "markdown"), default="text", help="markdown: the README section")
    return parser, commands.choices


def _add_check_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = commands.add_parser("check", help="check files and directories (the default: the current directory)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files, directories, or - for standard input")
    output = check.add_argument_group("output")
    output.add_argument("--format", choices=list(RENDERERS), default="text", help="output format (default: text)")
    output.add_argument("--show-source", action="store_true", help="text: print the line under each finding")
    output.add_argument(
        "-v", "--verbose", action="store_true", help="text: print each finding's help, and its fix, under it"
    )
    output.add_argument("--statistics", action="store_true", help="count the findings of each code")
    output.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="auto: on a terminal, unless NO_COLOR"
    )
    output.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    rules = check.add_argument_group("rule selection (override the configuration file)")
    rules.add_argument("--select", metavar="CODES", help="report only these codes or prefixes, e.g. BN001,BN00")
    rules.add_argument("--extend-select", metavar="CODES", help="report these codes too, e.g. BN910")
    rules.add_argument("--ignore", metavar="CODES", help="do not report these codes or prefixes")
    rules.add_argument(
        "--per-file-ignores",
        metavar="PATTERN:CODES",
        action="append",
        default=[],
        help="do not report these codes in files matching the pattern (repeatable)",
    )
    files = check.add_argument_group("files")
    files.add_argument("--exclude", metavar="PATTERNS", help="replace the excluded files and folders")
    files.add_argument("--extend-exclude", metavar="PATTERNS", help="exclude these files and folders too")
    files.add_argument(
        "--force-exclude", action="store_true", help="exclude files named on the command line too (for pre-commit)"
    )
    files.add_argument("--stdin-filename", metavar="NAME", help="the name to report for standard input")
    files.add_argument(
        "--project-root",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder to resolve imports from, besides each file's own package root (repeatable)",
    )
    configuration = check.add_argument_group("configuration")
    configuration.add_argument("--config", metavar="PATH", help="use this configuration file and no other")
    configuration.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    # Like --fix, --add-noqa rewrites the checked files: ruff lists the two together.
    fixes = check.add_argument_group("fixes and adoption")
    fixes.add_argument("--fix", action="store_true", help="apply the fixes that are always right, report the rest")
    fixes.add_argument("--diff", action="store_true", help="print what --fix would change as a diff; write nothing")
    fixes.add_argument(
        "--add-noqa",
        action="store_true",
        help="write `# noqa: CODE` on the line of every finding (to adopt bnlint on existing code)",
    )
    performance = check.add_argument_group("performance")
    performance.add_argument(
        "-j",
        "--jobs",
        type=jobs,
        default="auto",
        metavar="N",
        help="check files in N processes; auto (the default): one per processor, when there are enough files "
        "(--fix and --diff fix one file after another)",
    )
    performance.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache of results of unchanged files"
    )
    performance.add_argument(
        "--cache-dir", metavar="DIR", default=CACHE_DIR, help=f"where the cache is (default: {CACHE_DIR})"
    )


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.isolated and args.config:
        parser.error("--isolated and --config cannot be used together")
    if args.add_noqa and "-" in args.paths:
        parser.error("--add-noqa rewrites files; it cannot take standard input")
    if args.add_noqa and (args.fix or args.diff):
        parser.error("--add-noqa cannot be used with --fix or --diff")
    if args.fix and not args.diff and "-" in args.paths:
        parser.error("--fix rewrites files; it cannot take standard input (--diff can)")
    try:
        configurations = Configurations(_command_line(args), Path(args.config) if args.config else None, args.isolated)
        files = _files(args, configurations)
        settings = {path: configurations.settings_for(_display(path, args)) for path in files}
    except (SelectionError, ConfigError) as exc:
        # One line naming the entry and where it came from: the usage would bury it.
        sys.stderr.write(f"bnlint: error: {exc}\n")
        return EXIT_ERROR
    if not files:
        # As ruff says it; the run is still clean (a pre-commit hook given only excluded files passes).
        sys.stderr.write("bnlint: warning: no Python files found under the given paths\n")
    # One project for the run: every module is parsed once, however many checked files import it.
    roots = dict.fromkeys(root for item in settings.values() for root in item.project_roots)
    keras = _keras_setting(settings, args)
    project = Project(roots=list(roots), keras=keras)
    fixed = _Fixed()
    if args.fix or args.diff:
        fixed = _fix(args, files, settings, project)
        if args.diff:
            return _diff_status(fixed)
        project = Project(roots=list(roots), keras=keras)  # the fixed files are new code: analyse them afresh
    # --add-noqa writes comments where the findings are: it takes them from a fresh analysis.
    cache = Cache(Path(args.cache_dir)) if not (args.no_cache or args.add_noqa) else None
    checked = _check_files(args, files, settings, project, cache)
    diagnostics = sorted(fixed.errors + [item for file in checked for item in file.diagnostics or ()])
    sources = {file.path: file.source for file in checked if file.diagnostics and isinstance(file.source, str)}
    notebooks = {file.path: file.source for file in checked if file.diagnostics and isinstance(file.source, Notebook)}
    if args.add_noqa:
        return _add_noqa(diagnostics)
    text = args.format == "text"
    report = Report(
        diagnostics,
        sources,
        show_source=args.show_source,
        statistics=args.statistics and text,  # other formats print them apart
        color=_color(args),
        notebooks=notebooks,
        verbose=args.verbose,
        summary=text,
        fixed=fixed.fixed,
    )
    _report(args, report)
    if any(diagnostic.is_error for diagnostic in diagnostics):
        return EXIT_ERROR
    return EXIT_FINDINGS if diagnostics and not args.exit_zero else EXIT_CLEAN


def _command_line(args: argparse.Namespace) -> Options:
    return Options(
        layer=Layer(
            _codes(args.select, "--select") if args.select else None,
            _codes(args.extend_select, "--extend-select") if args.extend_select else (),
            _codes(args.ignore, "--ignore") if args.ignore else (),
        ),
        per_file_ignores=tuple(_per_file_ignore(item) for item in args.per_file_ignores),
        exclude=_patterns(args.exclude) if args.exclude is not None else None,
        extend_exclude=_patterns(args.extend_exclude) if args.extend_exclude else (),
        project_roots=tuple(Path(root).absolute() for root in args.project_root),
    )


def _keras_setting(settings: dict[str, Settings], args: argparse.Namespace) -> KerasSetting:
    """Each checked file's configured Keras version (its configuration's `keras-version`), by the name the engine
    analyses it under."""
    return KerasSetting(
        by_file={
            Path(_display(path, args)).absolute(): item.keras_version
            for path, item in settings.items()
            if item.keras_version is not None
        }
    )


def _codes(text: str, option: str) -> tuple[str, ...]:
    try:
        return parse_codes(text, KNOWN_CODES)
    except SelectionError as exc:
        raise SelectionError(f"{option}: {exc}") from None


def _per_file_ignore(item: str) -> tuple[str, tuple[str, ...]]:
    pattern, separator, codes = item.rpartition(":")
    if not separator or not pattern:
        raise SelectionError(f"--per-file-ignores takes PATTERN:CODES, not {item!r}")
    return pattern, _codes(codes, f"--per-file-ignores {item!r}")


def _patterns(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _files(args: argparse.Namespace, configurations: Configurations) -> list[str]:
    def excluded(path: str) -> bool:
        return configurations.settings_for(path).excludes(path)

    # A file named and also inside a named folder is checked once (reported twice, it would count twice).
    files = list(dict.fromkeys(python_files(args.paths or ["."], excluded, args.force_exclude)))
    if args.force_exclude and args.stdin_filename and excluded(args.stdin_filename):
        return [path for path in files if path != "-"]
    return files


def _display(path: str, args: argparse.Namespace) -> str:
    return (args.stdin_filename or "-") if path == "-" else path


@dataclass
class _File:
    """A checked file: the name it is reported by, what was read, and its diagnostics once known."""

    path: str
    rules: tuple[type[Rule], ...]
    source: str | Notebook | None = None  # None: not read (it could not be, or its cached entry holds no finding)
    key: Key | None = None  # None: not cached (standard input, no cache, an unreadable file)
    diagnostics: list[Diagnostic] | None = None


def _check_files(
    args: argparse.Namespace, files: list[str], settings: dict[str, Settings], project: Project, cache: Cache | None
) -> list[_File]:
    """Each file's diagnostics: from the cache when it holds them, from analyses (in parallel with --jobs) for the
    rest, which are then stored. Cached results are found before any worker starts, so an unchanged tree starts
    none."""
    keys = Keys(project) if cache is not None else None
    checked = [_look_up(path, _display(path, args), settings[path], keys, cache) for path in files]
    pending = [file for file in checked if file.diagnostics is None and file.source is not None]
    # The project reads these files again for the modules importing one another: one text of each is enough (on
    # the tensorflow package, the second copy was a tenth of the memory).
    for path, file in zip(files, checked):
        if isinstance(file.source, str) and path != "-":
            project.provide(Path(path), file.source)
    tasks = [Task(file.path, file.source, file.rules) for file in pending if file.source is not None]
    for file, found in zip(pending, check_all(tasks, project, args.jobs), strict=True):
        file.diagnostics = found
        if cache is not None and file.key is not None:
            cache.store(file.key, found)
    return checked


def _look_up(path: str, display: str, settings: Settings, keys: Keys | None, cache: Cache | None) -> _File:
    """The file, with its diagnostics when the cache has them: by its stamp, without reading the file unless it has
    findings to show; else by its key, and then the entry takes the new stamp (the file was touched, not changed)."""
    file = _File(display, tuple(selected_rules(settings.selection_for(display))))
    codes = [rule.code for rule in file.rules]
    stamp = keys.stamp(display, codes) if keys is not None and path != "-" else None
    stamped = cache.get_stamped(stamp) if cache is not None and stamp is not None else None
    if stamped == []:
        file.diagnostics = stamped
        return file
    read = _input(path, display)
    if isinstance(read, Diagnostic):
        file.diagnostics = [read]
        return file
    data, file.source = read
    if stamped is not None:
        file.diagnostics = stamped
    elif keys is not None and cache is not None and path != "-":
        program = file.source.text if isinstance(file.source, Notebook) else file.source
        file.key = keys.key(display, data, program, codes, stamp)
        file.diagnostics = cache.look_up(file.key)
    return file


def _input(path: str, display: str) -> tuple[bytes, str | Notebook] | Diagnostic:
    """The file's bytes and its text as flake8 would see it (a notebook, by its display name: its code cells as one
    program), or the diagnostic saying why it cannot be read."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else _read(path)
    except OSError as exc:
        return error(path, UNREADABLE, f"could not read: {exc.strerror or exc}")
    source = read_notebook(data, display) if is_notebook(display) else decode(data)
    return source if isinstance(source, Diagnostic) else (data, source)


def _color(args: argparse.Namespace) -> bool:
    """As flake8 and the NO_COLOR convention have it: `auto` colours a terminal unless NO_COLOR is set."""
    if args.format != "text" or args.color == "never":
        return False
    return args.color == "always" or (sys.stdout.isatty() and not os.environ.get("NO_COLOR"))


def _report(args: argparse.Namespace, report: Report) -> None:
    sys.stdout.write(RENDERERS[args.format](report))
    if args.statistics and args.format != "text":  # standard output stays the machine-readable document
        sys.stderr.write("".join(line + "\n" for line in statistics(report.diagnostics)))
    sys.stdout.flush()


def _add_noqa(diagnostics: list[Diagnostic]) -> int:
    errors = [diagnostic for diagnostic in diagnostics if diagnostic.is_error]
    sys.stdout.write(RENDERERS["text"](Report(errors)))
    findings = [diagnostic for diagnostic in diagnostics if not diagnostic.is_error]
    added = add_noqa([diagnostic for diagnostic in findings if diagnostic.cell is None])
    in_notebooks = add_notebook_noqa([diagnostic for diagnostic in findings if diagnostic.cell is not None])
    comments, files = added.comments + in_notebooks.comments, added.files + in_notebooks.files
    sys.stderr.write(f"Added {comments} noqa directive(s) to {files} file(s).\n")
    return EXIT_ERROR if errors else EXIT_CLEAN


@dataclass
class _Fixed:
    """What --fix or --diff did: the errors to report, the findings fixed, and how many files change."""

    errors: list[Diagnostic] = field(default_factory=list)
    fixed: list[Diagnostic] = field(default_factory=list)
    changed: int = 0


def _fix(args: argparse.Namespace, files: list[str], settings: dict[str, Settings], project: Project) -> _Fixed:
    """--fix writes each file's fixes back in its own encoding and line endings; --diff prints them as a unified
    diff and writes nothing. Notebooks are not fixed. The errors are, with --fix, only fixes that failed: the check
    of the fixed files reports the rest."""
    from bnlint.fixes import SourceFile  # fixing parses: libcst is loaded only then

    done = _Fixed()
    for path in files:
        display = _display(path, args)
        if is_notebook(display):
            continue
        try:
            source = SourceFile.read(sys.stdin.buffer.read() if path == "-" else _read(path))
        except OSError as exc:
            done.errors += [error(path, UNREADABLE, f"could not read: {exc.strerror or exc}")] if args.diff else []
            continue
        result = fix_source(source.text, display, selected_rules(settings[path].selection_for(display)), project)
        done.errors += [diagnostic for diagnostic in result.remaining if diagnostic.is_error and args.diff]
        done.errors += [result.failure] if result.failure is not None else []
        if result.text == source.text:
            continue
        done.changed += 1
        done.fixed += result.fixed
        if args.diff:
            sys.stdout.flush()
            sys.stdout.buffer.write(source.diff(display, result.text))
        else:
            with open(path, "wb") as file:
                file.write(source.encode(result.text))
    sys.stdout.flush()
    # The text format's count line says how many were fixed; the other formats keep standard output a document.
    if args.diff or args.format != "text":
        verb = "Would fix" if args.diff else "Fixed"
        sys.stderr.write(f"{verb} {len(done.fixed)} finding(s) in {done.changed} file(s).\n")
    return done


def _diff_status(done: _Fixed) -> int:
    """As ruff's --diff: 1 when there is a change to make, 0 when there is none; 2 for files it could not fix."""
    sys.stderr.write(RENDERERS["text"](Report(sorted(done.errors))))
    if done.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if done.changed else EXIT_CLEAN


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _rule(args: argparse.Namespace) -> int:
    if args.format == "markdown":
        sys.stdout.write(rules_markdown())
        return EXIT_CLEAN
    if args.code is None:
        sys.stdout.write(rule_list())
        return EXIT_CLEAN
    code = args.code.upper()
    rule = RULES_BY_CODE.get(code)
    if rule is not None:
        sys.stdout.write(rule_text(rule))
    elif code in ERROR_CODES:
        info = describe(code)  # an error code's page: its description is all there is to say
        sys.stdout.write(f"{info.code} ({info.name}): {info.summary}\n")
    else:
        sys.stderr.write(f"bnlint: error: unknown rule {args.code!r} (known codes: {', '.join(sorted(KNOWN_CODES))})\n")
        return EXIT_ERROR
    return EXIT_CLEAN
