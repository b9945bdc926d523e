"""The result cache of `bnlint check`, as ruff keeps one: each checked file's diagnostics, found again without
parsing anything when neither the file, nor a project module it imports, nor how it is checked has changed.

Layout: `<cache dir>/<bnlint version>/<entry>`, one small JSON file per checked file and rule selection, named by a
hash of the file's path and selected codes; it holds the digest of what its result rests on, the stamp that
validates it from file statuses alone (Keys) and the diagnostics.
Checking a changed file again replaces its entry, so entries do not pile up as files are edited.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bnlint import __version__
from bnlint.diagnostic import INTERNAL_ERROR, Diagnostic, Related

if TYPE_CHECKING:
    from bnlint.project import Project

CACHE_DIR = ".bnlint_cache"
# https://bford.info/cachedir/: backup tools skip a folder holding this file.
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by bnlint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


# A file's status as the stamps compare it: (size, modification time in nanoseconds).
Status = tuple[int, int]


@dataclass(frozen=True)
class Stamp:
    """What an entry is checked against first, from the status of files alone, as ruff checks its cache: the checked
    file's, and every Python file's of its program (their import lines decide which modules the result rests on)."""

    entry: str  # the entry's file name: which file, checked for which codes
    value: str  # the hash of the run's fingerprint, the file's status, its program's and the configured Keras


@dataclass(frozen=True)
class Key:
    entry: str  # the entry's file name: which file, checked for which codes
    digest: str  # what the result rests on: bnlint, the file's bytes, the modules it imports, the project roots,
    # the configured Keras version
    # None: only the digest validates the entry (a program too big to stamp, a module it rests on unreadable).
    stamp: Stamp | None = None
    # The modules the result rests on outside the stamped program (a configured project root's), with their status.
    outside: tuple[tuple[str, Status], ...] = ()


def _hash(*parts: str | bytes) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        # Each part's length goes in first, so that ("ab", "c") and ("a", "bc") differ.
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Program:
    files: frozenset[Path]
    stamp: str  # of every file's path and status: any edit, new or deleted file changes it


class Keys:
    """The cache keys of one run's files. Findings cross modules (a builder defined in model.py and called twice in
    train.py is reported in train.py; a slim network in nets.py is reported unless train.py opens an arg scope
    around it), so a key covers the text of every module the file's findings rest on (Project.rests_on),
    found from the import lines by the project that then analyses the files: nothing is parsed.

    A stamp is found first, from file statuses alone: while it is as stored, the file and its program are unchanged
    and nothing is read. Only when it differs (a file edited, touched, added or deleted) are the texts read and the
    key compared, so a touched file is a hit again after one reading."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._run = _hash(*_run_fingerprint(project.roots))
        self._modules: dict[Path, str] = {}
        self._digests: dict[tuple[Path, ...], str] = {}
        self._outsides: dict[tuple[tuple[Path, ...], _Program], list[Path]] = {}
        self._programs: dict[Path, _Program | None] = {}

    def stamp(self, path: str, codes: Sequence[str], front: str = "check") -> Stamp | None:
        """The stamp of the file reported as `path`, checked for `codes` by `front` (`check`, or `flake8`, whose
        results keep the lines a noqa comment silences: flake8 applies them); None when it has none (it cannot be
        read, or its program is too big to stamp). Taken before the file is read, so an edit made meanwhile shows
        in the next run's stamp."""
        file = Path(path)
        status = _status(file)
        program = self._program(file)
        if status is None or program is None:
            return None
        entry = _entry(file, path, codes, front)
        return Stamp(entry, _hash(self._run, entry, _shown(status), program.stamp, self._keras(file)))

    def key(
        self, path: str, data: bytes, text: str, codes: Sequence[str], stamp: Stamp | None = None, front: str = "check"
    ) -> Key:
        """The key of the file reported as `path`, read as `data`, whose program is `text` (a notebook's is its code
        cells), checked for `codes` by `front`; `stamp` is the one taken before it was read."""
        file = Path(path)
        self._project.provide(file, text)  # the text the analysis will use; its imports are read from it
        modules = self._project.rests_on(file)
        entry = _entry(file, path, codes, front)
        digest = _hash(self._run, entry, data, self._texts_digest(modules), self._keras(file))
        program = self._program(file) if stamp is not None else None
        if program is None:
            return Key(entry, digest)
        outside = [(module, _status(module)) for module in self._outside(modules, program)]
        if any(status is None for _, status in outside):
            return Key(entry, digest)  # a module it rests on is unreadable: only its text can tell when it is back
        return Key(entry, digest, stamp, tuple((str(module), status) for module, status in outside if status))

    def _keras(self, file: Path) -> str:
        return f"keras-version={self._project.keras.for_module(file)}"  # configured, so no text shows it

    def _texts_digest(self, modules: tuple[Path, ...]) -> str:
        """The hash of the modules' paths and texts. The modules of an import cycle rest on one set: in a big
        package, hundreds of files share it, and it is hashed once."""
        if modules not in self._digests:
            self._digests[modules] = _hash(*sorted(self._module(module) for module in modules))
        return self._digests[modules]

    def _outside(self, modules: tuple[Path, ...], program: _Program) -> list[Path]:
        """The modules not in the program: asked once for the files that rest on the same modules."""
        if (modules, program) not in self._outsides:
            self._outsides[(modules, program)] = sorted(set(modules) - program.files)
        return self._outsides[(modules, program)]

    def _module(self, path: Path) -> str:
        """The module's path and the hash of its text, NUL-separated (no path holds a NUL)."""
        if path not in self._modules:
            text = self._project.text(path)
            self._modules[path] = f"{path}\0{_hash(text) if text is not None else 'unreadable'}"
        return self._modules[path]

    def _program(self, file: Path) -> _Program | None:
        root, files = self._project.program(file)
        if root not in self._programs:
            statuses = [(path, _status(path)) for path in files or ()]
            self._programs[root] = (
                _Program(frozenset(files), _hash(*(f"{path}\0{_shown(status)}" for path, status in statuses)))
                if files is not None and all(status is not None for _, status in statuses)
                else None
            )
        return self._programs[root]


def _entry(file: Path, path: str, codes: Sequence[str], front: str) -> str:
    return _hash(str(file.absolute()), path, front, *codes)


def _status(path: Path) -> Status | None:
    try:
        status = path.stat()
    except (OSError, ValueError):
        return None
    return status.st_size, status.st_mtime_ns


def _shown(status: Status | None) -> str:
    return "missing" if status is None else f"{status[0]}:{status[1]}"


def _run_fingerprint(roots: Iterable[Path]) -> Iterable[str]:
    """What every result of a run rests on besides its files: bnlint's own code (its version, and the files of an
    installation that is being edited), the Python and libcst that parse (syntax error messages come from them)
    and the folders imports resolve from."""
    yield __version__
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        status = source.stat()
        yield f"{source.relative_to(package)}:{status.st_size}:{status.st_mtime_ns}"
    yield sys.version
    from importlib.metadata import PackageNotFoundError, version  # about a tenth of a second: only a run needs it

    try:
        yield version("libcst")
    except PackageNotFoundError:  # pragma: no cover - libcst is a dependency
        yield "libcst"
    yield from (str(root) for root in roots)


@dataclass
class Cache:
    """The entries under one cache folder. Whatever goes wrong with it costs the cache, never the run: an entry that
    cannot be read or understood is a miss, and a folder that cannot be written is left alone for the rest of the
    run."""

    root: Path
    writable: bool = True
    _folder: Path = field(init=False)

    def __post_init__(self) -> None:
        self._folder = self.root / __version__

    def get(self, key: Key) -> list[Diagnostic] | None:
        """The diagnostics of an entry whose key is this one."""
        document = self._document(key.entry)
        return _diagnostics(document) if document is not None and document.get("key") == key.digest else None

    def look_up(self, key: Key) -> list[Diagnostic] | None:
        """The diagnostics of an entry whose key is this one. The stamp taken before the file was read did not find
        them, so the file was touched, not changed: the entry takes the new stamp."""
        found = self.get(key)
        if found is not None and key.stamp is not None:
            self.put(key, found)
        return found

    def store(self, key: Key, diagnostics: Sequence[Diagnostic]) -> None:
        """A fresh analysis' result; an internal error is bnlint's failure, not the file's result: the next run
        tries again."""
        if all(item.code != INTERNAL_ERROR for item in diagnostics):
            self.put(key, diagnostics)

    def get_stamped(self, stamp: Stamp) -> list[Diagnostic] | None:
        """The diagnostics of an entry whose stamp is this one, while the modules it rests on outside the stamped
        program keep their status: found without reading any file but the entry."""
        document = self._document(stamp.entry)
        if document is None or document.get("stamp") != stamp.value or not _unchanged(document.get("outside")):
            return None
        return _diagnostics(document)

    def _document(self, entry: str) -> dict[str, Any] | None:
        try:
            with open(self._folder / entry, "rb") as file:
                document = json.loads(file.read())
        except (OSError, ValueError, RecursionError):  # missing, or corrupt
            return None
        return document if isinstance(document, dict) else None

    def put(self, key: Key, diagnostics: Sequence[Diagnostic]) -> None:
        if not self.writable:
            return
        entry = self._folder / key.entry
        temporary = entry.with_name(f".{key.entry}.{os.getpid()}.tmp")
        document = {
            "key": key.digest,
            "stamp": key.stamp.value if key.stamp is not None else None,
            "outside": [[path, *status] for path, status in key.outside],
            "diagnostics": [_encoded(item) for item in diagnostics],
        }
        try:
            self._prepare()
            temporary.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
            # A reader sees the old entry or the new one, never half of one, whatever other runs do meanwhile.
            os.replace(temporary, entry)
        except OSError:
            self.writable = False
            with suppress(OSError):
                temporary.unlink(missing_ok=True)

    def _prepare(self) -> None:
        if self._folder.is_dir():
            return
        try:
            self.root.mkdir(parents=True)
        except FileExistsError:
            pass
        else:  # a folder bnlint made: git and backups leave it alone
            (self.root / ".gitignore").write_text("*\n", encoding="utf-8")
            (self.root / "CACHEDIR.TAG").write_text(_CACHEDIR_TAG, encoding="utf-8")
        self._folder.mkdir(exist_ok=True)


def _diagnostics(document: dict[str, Any]) -> list[Diagnostic] | None:
    try:
        return [_diagnostic(item) for item in document["diagnostics"]]
    except (TypeError, KeyError, ValueError):  # not bnlint's
        return None


def _unchanged(outside: object) -> bool:
    """Whether each `[path, size, mtime_ns]` of an entry's list still describes its file."""
    if not isinstance(outside, list):
        return False
    try:
        return all(_status(Path(path)) == (size, mtime) for path, size, mtime in outside)
    except (TypeError, ValueError):  # not bnlint's
        return False


def _encoded(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line,
        "end_column": diagnostic.end_column,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "related": [[item.line, item.column, item.message, item.cell] for item in diagnostic.related],
        "call_lines": diagnostic.call_lines,
        "cell": diagnostic.cell,
        "fix": diagnostic.fix,
        "help": diagnostic.help,
    }


def _diagnostic(item: dict[str, Any]) -> Diagnostic:
    """The diagnostic an entry holds; TypeError when it is not one (the entry is then a miss)."""
    call_lines = _optional(item["call_lines"], list)
    if call_lines is not None and len(call_lines) != 2:
        raise TypeError("call_lines is a pair")
    return Diagnostic(
        path=_of(item["path"], str),
        line=_of(item["line"], int),
        column=_of(item["column"], int),
        end_line=_of(item["end_line"], int),
        end_column=_of(item["end_column"], int),
        code=_of(item["code"], str),
        message=_of(item["message"], str),
        related=tuple(_related(*related) for related in item["related"]),
        call_lines=(_of(call_lines[0], int), _of(call_lines[1], int)) if call_lines is not None else None,
        cell=_optional(item["cell"], int),
        fix=_optional(item["fix"], str),
        help=_optional(item["help"], str),
    )


def _related(line: object, column: object, message: object, cell: object) -> Related:
    return Related(_of(line, int), _of(column, int), _of(message, str), _optional(cell, int))


def _of(value: object, kind: type[Any]) -> Any:
    # Diagnostics are sorted and rendered: a value of the wrong type would fail there, long after the entry was read.
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _optional(value: object, kind: type[Any]) -> Any:
    return None if value is None else _of(value, kind)
