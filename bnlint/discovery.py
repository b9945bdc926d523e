"""Which files `bnlint check PATH...` reads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

# Python files, and Jupyter notebooks (their code cells are checked as one program).
SUFFIXES = (".py", ".ipynb")

# Never descended into unless the configuration's `exclude` replaces this list: version control, caches, virtual
# environments, build output and Jupyter's autosaved copies of notebooks. Patterns, as in `exclude`.
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".bnlint_cache",
    ".ipynb_checkpoints",
    "node_modules",
    "site-packages",
    "build",
    "dist",
)


def python_files(paths: list[str], excluded: Callable[[str], bool], force_exclude: bool = False) -> Iterator[str]:
    """Files named on the command line as given (unless excluded and `force_exclude`, as pre-commit wants);
    directories walked for `*.py` and `*.ipynb`, sorted, without following links, skipping virtual environments and
    what `excluded` says."""
    for path in paths:
        if force_exclude and path != "-" and excluded(path):
            continue
        if os.path.isdir(path):
            yield from _walk(path, excluded)
        else:
            yield path


def _walk(root: str, excluded: Callable[[str], bool]) -> Iterator[str]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name for name in subdirectories if not _skipped(os.path.join(directory, name), excluded)
        )
        for name in sorted(files):
            path = os.path.join(directory, name)
            if name.endswith(SUFFIXES) and os.path.isfile(path) and not os.path.islink(path) and not excluded(path):
                yield path


def _skipped(path: str, excluded: Callable[[str], bool]) -> bool:
    return os.path.islink(path) or os.path.exists(os.path.join(path, "pyvenv.cfg")) or excluded(path)
