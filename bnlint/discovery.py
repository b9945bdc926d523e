"""Which files `bnlint check PATH...` reads."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Never descended into: version control, caches, virtual environments and build output.
EXCLUDED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".eggs",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".bnlint_cache",
        "node_modules",
        "site-packages",
        "build",
        "dist",
    }
)


def python_files(paths: list[str]) -> Iterator[str]:
    """Files named on the command line as given; directories walked for `*.py`, sorted, without following links."""
    for path in paths:
        if os.path.isdir(path):
            yield from _walk(path)
        else:
            yield path


def _walk(root: str) -> Iterator[str]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name for name in subdirectories if not _excluded(os.path.join(directory, name), name)
        )
        for name in sorted(files):
            path = os.path.join(directory, name)
            if name.endswith(".py") and os.path.isfile(path) and not os.path.islink(path):
                yield path


def _excluded(path: str, name: str) -> bool:
    return (
        name in EXCLUDED_DIRECTORIES
        or name.endswith(".egg-info")
        or os.path.islink(path)
        or os.path.exists(os.path.join(path, "pyvenv.cfg"))
    )
