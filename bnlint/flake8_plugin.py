"""The flake8 front end: `flake8 --select BN` runs the same engine on the text flake8 already read."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bnlint import __version__
from bnlint.cache import CACHE_DIR, Cache, Keys, Stamp
from bnlint.diagnostic import INTERNAL_ERROR, Diagnostic
from bnlint.engine import check_source
from bnlint.keras_setting import KERAS_VERSIONS, KerasSetting
from bnlint.project import Project
from bnlint.rules import ALL_RULES
from bnlint.source import decode

# The plugin reports every rule (flake8's --select filters) and leaves noqa comments to flake8: its cache entries
# are its own, apart from `bnlint check`'s.
_FRONT = "flake8"
_CODES = tuple(rule.code for rule in ALL_RULES)

if TYPE_CHECKING:
    from flake8.options.manager import OptionManager


class BnlintChecker:
    name = "bnlint"
    version = __version__
    # flake8 makes one checker per file; the project lives as long as the process (or the worker, with -j), so a
    # module imported by many checked files is parsed once.
    project = Project()
    # The results of unchanged files, as `bnlint check` keeps them (None: --bnlint-no-cache).
    cache: Cache | None = None
    keys: Keys | None = None

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
        manager.add_option(
            "--bnlint-cache-dir",
            default=CACHE_DIR,
            parse_from_config=True,
            normalize_paths=True,
            help=f"bnlint: where the results of unchanged files are kept, as `bnlint check` keeps them (default: "
            f"{CACHE_DIR})",
        )
        manager.add_option(
            "--bnlint-no-cache",
            action="store_true",
            parse_from_config=True,
            help="bnlint: analyse every file again, neither reading nor writing the cache",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        root = options.bnlint_project_root
        keras = KerasSetting(default=options.bnlint_keras_version)
        cls.project = Project(roots=[Path(root)] if root else (), keras=keras)
        cls.cache = None if options.bnlint_no_cache else Cache(Path(options.bnlint_cache_dir))
        cls.keys = None if options.bnlint_no_cache else Keys(cls.project)

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        self._tree = tree if isinstance(tree, ast.Module) else None
        self._lines = lines
        self._filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        # flake8 loses its whole run when a plugin raises, so nothing may escape from here.
        try:
            diagnostics = self._diagnostics("".join(self._lines))
        except Exception as exc:  # flake8 loses its whole run when a plugin raises
            yield 1, 0, f"{INTERNAL_ERROR} internal error: {type(exc).__name__}: {exc} (please report it)", type(self)
            return
        finally:
            BnlintChecker.project.freeze()
        for diagnostic in diagnostics:
            # flake8 columns are 0-based; it adds 1 when printing.
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)

    def _diagnostics(self, text: str) -> list[Diagnostic]:
        """The file's diagnostics: from the cache while neither it nor a module they rest on changed, else from
        an analysis, then kept."""
        cache, keys = BnlintChecker.cache, BnlintChecker.keys
        if cache is None or keys is None or not Path(self._filename).is_file():  # standard input: nothing to stamp
            return self._analysed(text)
        stamp = keys.stamp(self._filename, _CODES, _FRONT)
        found = cache.get_stamped(stamp) if stamp is not None else None
        if found is not None:
            return found
        data = text.encode("utf-8", "surrogatepass")
        key = keys.key(self._filename, data, text, _CODES, self._as_read(stamp, text), _FRONT)
        found = cache.look_up(key)
        if found is None:
            found = self._analysed(text)
            cache.store(key, found)
        return found

    def _analysed(self, text: str) -> list[Diagnostic]:
        # flake8 parsed exactly this text into the tree: the screen reads it instead of parsing again.
        return check_source(text, self._filename, honour_noqa=False, project=BnlintChecker.project, tree=self._tree)

    def _as_read(self, stamp: Stamp | None, text: str) -> Stamp | None:
        """The stamp, where it is of the text flake8 read. flake8 read the file before the stamp was taken: an edit
        in between would stamp the new file with the old text's findings, so the file is read again and the stamp
        kept only when it still holds that text (else the entry is found by its text alone)."""
        if stamp is None:
            return None
        try:
            now = decode(Path(self._filename).read_bytes())
        except OSError:
            return None
        return stamp if now == text else None
