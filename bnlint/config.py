"""`[tool.bnlint]` in pyproject.toml, found as ruff finds its configuration: the closest pyproject.toml above the
checked file that has the table; its paths and patterns are relative to the folder that holds it."""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from bnlint.diagnostic import ERROR_CODES
from bnlint.discovery import DEFAULT_EXCLUDE
from bnlint.keras_setting import KERAS_VERSIONS
from bnlint.rules import RULES_BY_CODE
from bnlint.selection import Layer, Selection, SelectionError, validate_codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
# What `select`, `ignore` and the like may name (or a prefix of): every rule's code and the error codes.
KNOWN_CODES = (*RULES_BY_CODE, *ERROR_CODES)
_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "project-root",
    "keras-version",
)


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Options:
    """What one source of settings says: a configuration file, or the command line (None: not said)."""

    layer: Layer = field(default_factory=Layer)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    project_roots: tuple[Path, ...] = ()
    keras_version: int | None = None


@dataclass(frozen=True)
class Settings:
    """Everything that decides how the files under one configuration are checked."""

    base: Path  # the folder of the configuration file (the current folder without one): patterns start there
    selection: Selection = field(default_factory=Selection)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    project_roots: tuple[Path, ...] = ()
    keras_version: int | None = None  # the Keras the checked code runs (2 or 3); None: decided from the code

    def selection_for(self, path: str) -> Selection:
        ignored = [codes for pattern, codes in self.per_file_ignores if self._matches(path, pattern)]
        if not ignored:
            return self.selection
        return self.selection.then(Layer(ignore=tuple(code for codes in ignored for code in codes)))

    def excludes(self, path: str) -> bool:
        """Whether the path, or a folder it is in below `base`, matches an exclude pattern (a file named on the
        command line inside an excluded folder is excluded too, under `--force-exclude`)."""
        absolute = Path(os.path.abspath(path))
        return self._excluded(absolute) or self._folder_excluded(absolute.parent)

    def _folder_excluded(self, folder: Path) -> bool:
        # Discovery asks about every file of a folder: each folder's answer is worked out once.
        known = self._excluded_folders
        if folder not in known:
            below_base = self._base in folder.parents
            known[folder] = below_base and (self._excluded(folder) or self._folder_excluded(folder.parent))
        return known[folder]

    def _excluded(self, absolute: Path) -> bool:
        name, whole = absolute.name, absolute.as_posix()
        return any(
            fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(whole, rooted)
            for pattern, rooted in self._exclude_patterns
        )

    def _matches(self, path: str, pattern: str) -> bool:
        """A pattern matches the file or folder name, or the whole path with the pattern taken from `base`."""
        absolute = Path(os.path.abspath(path))
        return fnmatch.fnmatchcase(absolute.name, pattern) or fnmatch.fnmatchcase(
            absolute.as_posix(), (self._base / pattern).as_posix()
        )

    @cached_property
    def _base(self) -> Path:
        return self.base.absolute()

    @cached_property
    def _exclude_patterns(self) -> tuple[tuple[str, str], ...]:
        return tuple((pattern, (self._base / pattern).as_posix()) for pattern in self.exclude)

    @cached_property
    def _excluded_folders(self) -> dict[Path, bool]:
        return {}


@dataclass
class Configurations:
    """The settings of each checked path: one configuration file for all (`--config`), none (`--isolated`), or
    the closest pyproject.toml with a `[tool.bnlint]` table. Command-line options apply on top of each."""

    command_line: Options = field(default_factory=Options)
    config: Path | None = None
    isolated: bool = False
    _by_file: dict[Path, Settings] = field(default_factory=dict)
    _by_folder: dict[Path, Path | None] = field(default_factory=dict)

    def settings_for(self, path: str) -> Settings:
        """Settings for a file or folder (`-`, standard input, takes those of the current folder)."""
        if self.isolated:
            return self._settings(None)
        if self.config is not None:
            return self._settings(self.config)
        start = Path(os.path.abspath(path if path != "-" else "."))
        return self._settings(self._closest(start if start.is_dir() else start.parent))

    def _settings(self, config: Path | None) -> Settings:
        key = config if config is not None else Path()
        if key not in self._by_file:
            self._by_file[key] = _combine(config, self.command_line)
        return self._by_file[key]

    def _closest(self, folder: Path) -> Path | None:
        if folder not in self._by_folder:
            candidate = folder / PYPROJECT
            if candidate.is_file() and _bnlint_table(_read(candidate)) is not None:
                self._by_folder[folder] = candidate
            else:
                self._by_folder[folder] = None if folder.parent == folder else self._closest(folder.parent)
        return self._by_folder[folder]


def _combine(config: Path | None, command_line: Options) -> Settings:
    base = config.parent.absolute() if config is not None else Path.cwd()
    file = load(config) if config is not None else Options()
    exclude = command_line.exclude if command_line.exclude is not None else file.exclude
    return Settings(
        base=base,
        selection=Selection((file.layer, command_line.layer)),
        per_file_ignores=file.per_file_ignores + command_line.per_file_ignores,
        exclude=(
            *(exclude if exclude is not None else DEFAULT_EXCLUDE),
            *file.extend_exclude,
            *command_line.extend_exclude,
        ),
        project_roots=file.project_roots + command_line.project_roots,
        keras_version=file.keras_version,
    )


def load(path: Path) -> Options:
    """The options of a configuration file: `[tool.bnlint]` of a pyproject.toml, the whole of any other TOML file."""
    document = _read(path)
    if path.name == PYPROJECT:
        table = _bnlint_table(document)
        if table is None:
            raise ConfigError(f"{path}: no [tool.bnlint] table")
        where = f"{path}: [tool.bnlint]"
    else:
        table, where = document, str(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    return _options(table, where, path.parent.absolute())


def _bnlint_table(document: Mapping[str, Any]) -> Any:
    tool = document.get("tool")
    return tool.get("bnlint") if isinstance(tool, dict) else None


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"{path}: could not read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _options(table: Mapping[str, Any], where: str, base: Path) -> Options:
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(_KEYS)})")
    select = _codes(table, "select", where) if "select" in table else None
    return Options(
        layer=Layer(select, _codes(table, "extend-select", where), _codes(table, "ignore", where)),
        per_file_ignores=_per_file_ignores(table, where),
        exclude=tuple(_strings(table, "exclude", where)) if "exclude" in table else None,
        extend_exclude=tuple(_strings(table, "extend-exclude", where)),
        project_roots=tuple(_roots(table, where, base)),
        keras_version=_keras_version(table, where),
    )


def _strings(table: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings, not {value!r}")
    return value


def _codes(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    try:
        return validate_codes(_strings(table, key, where), KNOWN_CODES)
    except SelectionError as exc:
        raise ConfigError(f"{where}: {key!r}: {exc}") from None


def _per_file_ignores(table: Mapping[str, Any], where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    value = table.get("per-file-ignores", {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: per-file-ignores must be a table of pattern = [codes], not {value!r}")
    return tuple((pattern, _codes(value, pattern, f"{where}: per-file-ignores")) for pattern in value)


def _roots(table: Mapping[str, Any], where: str, base: Path) -> list[Path]:
    value = table.get("project-root", [])
    names = [value] if isinstance(value, str) else _strings(table, "project-root", where)
    roots = [base / name for name in names]
    for root in roots:
        if not root.is_dir():
            raise ConfigError(f"{where}: project-root {str(root)!r} is not a folder")
    return roots


def _keras_version(table: Mapping[str, Any], where: str) -> int | None:
    value = table.get("keras-version")
    if value is None:
        return None
    if type(value) is not int or value not in KERAS_VERSIONS:  # not 3.0, "3" or true (a bool is an int)
        raise ConfigError(f"{where}: 'keras-version' must be 2 or 3, not {value!r}")
    return int(value)
