"""The flake8 front end: `flake8 --select BN` runs the same engine on the text flake8 already read."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bnlint import __version__
from bnlint.diagnostic import INTERNAL_ERROR
from bnlint.engine import check_source
from bnlint.keras_setting import KERAS_VERSIONS, KerasSetting
from bnlint.project import Project

if TYPE_CHECKING:
    from flake8.options.manager import OptionManager


class BnlintChecker:
    name = "bnlint"
    version = __version__
    # flake8 makes one checker per file; the project lives as long as the process (or the worker, with -j), so a
    # module imported by many checked files is parsed once.
    project = Project()

    # flake8 passes arguments by parameter name; asking for `tree` makes this a once-per-file plugin.
    @staticmethod
    def add_options(manager: OptionManager) -> None:
        manager.add_option(
            "--bnlint-project-root",
            default=None,
            parse_from_config=True,
            normalize_paths=True,  # a relative folder in a configuration file is relative to that file
            help="bnlint: a folder to resolve the checked files' imports from, besides each file's own package root",
        )
        manager.add_option(
            "--bnlint-keras-version",
            default=None,
            type=int,
            choices=KERAS_VERSIONS,
            parse_from_config=True,
            help="bnlint: the Keras the checked code runs, 2 (tf_keras, TF_USE_LEGACY_KERAS) or 3; default: read "
            "from the code",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        root = options.bnlint_project_root
        keras = KerasSetting(default=options.bnlint_keras_version)
        cls.project = Project(roots=[Path(root)] if root else (), keras=keras)

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        self._tree = tree if isinstance(tree, ast.Module) else None
        self._lines = lines
        self._filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        # flake8 loses its whole run when a plugin raises, so nothing may escape from here.
        try:
            # flake8 parsed exactly this text into the tree: the screen reads it instead of parsing again.
            text = "".join(self._lines)
            diagnostics = check_source(
                text, self._filename, honour_noqa=False, project=BnlintChecker.project, tree=self._tree
            )
        except Exception as exc:  # flake8 loses its whole run when a plugin raises
            yield 1, 0, f"{INTERNAL_ERROR} internal error: {type(exc).__name__}: {exc} (please report it)", type(self)
            return
        finally:
            BnlintChecker.project.freeze()
        for diagnostic in diagnostics:
            # flake8 columns are 0-based; it adds 1 when printing.
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
