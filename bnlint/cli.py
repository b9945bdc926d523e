"""The `bnlint` command: `check` files and `rule` documentation."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bnlint import __version__
from bnlint.diagnostic import UNREADABLE, Diagnostic, error
from bnlint.discovery import python_files
from bnlint.docs import rule_list, rule_text, rules_markdown
from bnlint.engine import check_source
from bnlint.project import Project
from bnlint.reporters import RENDERERS
from bnlint.rules import ALL_RULES, RULES_BY_CODE
from bnlint.selection import Selection, SelectionError, parse_codes
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
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args, parser)
    if args.command == "rule":
        return _rule(args, parser)
    if args.command == "verify":
        return verify(args)
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bnlint", description="Find the batch-normalization mistakes in TensorFlow training scripts."
    )
    parser.add_argument("--version", action="version", version=f"bnlint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser("check", help="check files and directories (the default: the current directory)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files, directories, or - for standard input")
    check.add_argument("--format", choices=sorted(RENDERERS), default="text", help="output format (default: text)")
    check.add_argument("--select", metavar="CODES", help="report only these codes or prefixes, e.g. BN001,BN00")
    check.add_argument("--ignore", metavar="CODES", help="do not report these codes or prefixes")
    check.add_argument("--stdin-filename", metavar="NAME", help="the name to report for standard input")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument(
        "--project-root",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder to resolve imports from, besides each file's own package root (repeatable)",
    )
    add_verify_parser(commands)
    rule = commands.add_parser("rule", help="show a rule's documentation, or list the rules")
    rule.add_argument("code", nargs="?", metavar="CODE", help="e.g. BN003; without it, list every rule")
    rule.add_argument("--format", choices=("text", "markdown"), default="text", help="markdown: the README section")
    return parser


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        selection = Selection(
            select=parse_codes(args.select) if args.select else Selection.select,
            ignore=parse_codes(args.ignore) if args.ignore else (),
        )
    except SelectionError as exc:
        parser.error(str(exc))
    rules = [rule for rule in ALL_RULES if selection.selects(rule.code)]
    # One project for the run: every module is parsed once, however many checked files import it.
    project = Project(roots=[Path(root) for root in args.project_root])
    diagnostics: list[Diagnostic] = []
    for path in python_files(args.paths or ["."]):
        if path == "-":
            display = args.stdin_filename or "-"
            diagnostics += check_source(decode(sys.stdin.buffer.read()), display, rules, project=project)
            continue
        try:
            data = _read(path)
        except OSError as exc:
            diagnostics.append(error(path, UNREADABLE, f"could not read: {exc.strerror or exc}"))
            continue
        diagnostics += check_source(decode(data), path, rules, project=project)
    diagnostics.sort()
    sys.stdout.write(RENDERERS[args.format](diagnostics))
    sys.stdout.flush()
    if any(diagnostic.is_error for diagnostic in diagnostics):
        return EXIT_ERROR
    return EXIT_FINDINGS if diagnostics and not args.exit_zero else EXIT_CLEAN


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _rule(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.format == "markdown":
        sys.stdout.write(rules_markdown())
        return EXIT_CLEAN
    if args.code is None:
        sys.stdout.write(rule_list())
        return EXIT_CLEAN
    rule = RULES_BY_CODE.get(args.code.upper())
    if rule is None:
        parser.error(f"unknown rule {args.code!r}; `bnlint rule` lists them")
    sys.stdout.write(rule_text(rule))
    return EXIT_CLEAN
