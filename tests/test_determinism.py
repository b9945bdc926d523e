"""Same answer every time: byte for byte across runs (whatever the hash seed, which orders Python's sets), across
the order the files are given in, and between checking a folder and checking its files one at a time where no
finding crosses modules. Across -j1 and -jN: tests/test_parallel.py."""

from __future__ import annotations

import os

import pytest

from support import FIXTURES, ROOT, check_in_process, run

TREE = ("tests/fixtures", "examples")
# Folders of single-file fixtures: no module imports another, so each file's findings are its own.
SINGLE_FILE_FOLDERS = sorted(path for path in FIXTURES.glob("bn*") if path.is_dir())


def test_runs_with_different_hash_seeds_print_the_same_bytes():
    # JSON carries every field of every diagnostic (related locations included); the other formats render them.
    first, second = (
        run(
            "bnlint",
            "check",
            "--no-cache",
            "-j1",
            "--format",
            "json",
            *TREE,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed in ("1", "2")
    )
    assert first.stdout == second.stdout and first.stdout.count('"code"') > 50
    assert first.returncode == second.returncode == 1 and first.stderr == second.stderr == ""


def _check(*paths: str) -> str:
    """The finding lines; the count line that ends them counts each run's own and is left out."""
    *lines, count = check_in_process(*paths)[1].splitlines(keepends=True)
    assert count.startswith("Found ") if lines else count == "All checks passed!\n"
    return "".join(lines)


def test_the_order_of_the_files_given_does_not_matter():
    # The projects' modules import each other: the order decides which is analysed first, as a file or an import.
    files = sorted(str(path.relative_to(ROOT)) for path in (FIXTURES / "projects").rglob("*.py"))
    files += sorted(str(path.relative_to(ROOT)) for path in (FIXTURES / "bn003").glob("*.py"))
    shuffled = files[1::2] + files[::2][::-1]
    assert shuffled != files
    assert _check(*shuffled) == _check(*files) != ""


@pytest.mark.parametrize("folder", SINGLE_FILE_FOLDERS, ids=lambda folder: folder.name)
def test_a_folder_reports_what_its_files_report_one_at_a_time(folder, monkeypatch):
    monkeypatch.chdir(ROOT)
    files = sorted(str(path.relative_to(ROOT)) for path in folder.glob("*.py"))
    assert _check(str(folder.relative_to(ROOT))) == "".join(_check(file) for file in files)
