"""Which frames of a traceback are the user's: files under the project's folder that no library folder holds.

A project may sit anywhere, in a folder named `bnlint` (where `git clone` puts bnlint itself) or `site-packages`
included, so library code is told apart by where this interpreter really keeps it, never by a folder's name.
"""

from __future__ import annotations

import site
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bnlint.verify.observations import Frame


def library_folders() -> tuple[Path, ...]:
    """This interpreter's library folders (standard library, site-packages, its prefixes) and bnlint's package."""
    folders = {Path(__file__).resolve().parent.parent}  # bnlint's own package: stand-ins and measurements
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_path(key)
        if path:
            folders.add(Path(path))
    folders.update(Path(folder) for folder in site.getsitepackages())
    folders.update(Path(prefix) for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix})
    folders.add(Path(site.getusersitepackages()))
    return tuple(sorted(folder.resolve() for folder in folders))


class UserCode:
    def __init__(self, root: Path, libraries: Iterable[Path] | None = None) -> None:
        self._root = root.resolve()
        # A library folder that holds the project itself (a project under the interpreter's prefix) rules out
        # nothing: the project's own files are the user's.
        self._libraries = tuple(
            folder
            for folder in (library_folders() if libraries is None else libraries)
            if not self._root.is_relative_to(folder)
        )
        self._owned: dict[str, bool] = {}  # by file name: a graph's ops share a few files

    def frames(self, stack: Iterable[Any]) -> tuple[Frame, ...]:
        return tuple((str(frame.filename), int(frame.lineno)) for frame in stack if self.owns(str(frame.filename)))

    def owns(self, filename: str) -> bool:
        if filename not in self._owned:
            self._owned[filename] = self._decide(filename)
        return self._owned[filename]

    def _decide(self, filename: str) -> bool:
        if filename.startswith("<"):
            return False  # `<string>`, `<frozen runpy>`: no file of the project
        path = Path(filename).resolve()
        return path.is_relative_to(self._root) and not any(path.is_relative_to(folder) for folder in self._libraries)
