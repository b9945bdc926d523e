"""`bnlint check --jobs N`: files checked in worker processes give the output of one process, byte for byte."""

from __future__ import annotations

import os
import shutil

import pytest

from bnlint import cli, parallel
from bnlint.diagnostic import Diagnostic
from bnlint.parallel import Task, _Shares, check_all
from bnlint.project import Project
from bnlint.rules import ALL_RULES, RULES_BY_CODE
from support import FIXTURES, run

TREE = ("tests/fixtures", "examples")


@pytest.mark.parametrize("output", ["text", "json"])
def test_two_processes_report_what_one_reports(output):
    one = run("bnlint", "check", "--no-cache", "-j1", "--format", output, *TREE)
    two = run("bnlint", "check", "--no-cache", "-j2", "--format", output, *TREE)
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stdout
    assert one.stderr == two.stderr == ""


def test_errors_survive_parallel_runs(tmp_path):
    shutil.copytree(FIXTURES / "bn003", tmp_path / "bn003")
    (tmp_path / "bn003" / "broken.py").write_text("import tensorflow as tf\ndef f(:\n")
    missing = str(tmp_path / "missing.py")
    one = run("bnlint", "check", "--no-cache", "-j1", "bn003", missing, cwd=tmp_path)
    two = run("bnlint", "check", "--no-cache", "-j2", "bn003", missing, cwd=tmp_path)
    assert one.returncode == two.returncode == 2
    assert one.stdout == two.stdout
    assert "broken.py:2:7: BN900 could not parse" in two.stdout and "missing.py:1:1: BN900 could not read" in two.stdout


def test_an_internal_error_in_a_worker_is_reported(tmp_path, monkeypatch, capsys):
    def boom(cls, facts):
        raise RuntimeError("boom")

    monkeypatch.setattr(RULES_BY_CODE["BN003"], "check", classmethod(boom))
    assert cli.main(["check", "--no-cache", "-j2", str(FIXTURES / "bn003")]) == 2
    output = capsys.readouterr().out
    assert "BN901 internal error in BN003: RuntimeError: boom" in output and " BN003 " not in output


def test_the_files_are_checked_in_other_processes(monkeypatch):
    def where(task: Task, project: Project) -> list[Diagnostic]:
        return [Diagnostic(task.path, 1, 1, 1, 1, "BN001", str(os.getpid()))]

    monkeypatch.setattr(parallel, "check", where)  # the forked workers inherit it
    tasks = [Task(f"{number}.py", "", tuple(ALL_RULES)) for number in range(40)]
    results = check_all(tasks, Project(), jobs=2)
    assert [found[0].path for found in results] == [task.path for task in tasks]
    processes = {found[0].message for found in results}
    assert str(os.getpid()) not in processes and len(processes) == 2


def test_few_files_are_checked_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel, "_in_workers", None)  # calling it would fail
    tasks = [Task(f"{number}.py", "import tensorflow as tf\n", tuple(ALL_RULES)) for number in range(7)]
    assert check_all(tasks, Project(), jobs=2) == [[]] * 7


def test_each_worker_checks_its_share_then_helps_with_the_largest():
    shares = _Shares.split(7, 2)
    assert [shares.next(0), shares.next(0), shares.next(1)] == [0, 1, 3]
    assert [shares.next(0), shares.next(0)] == [2, 6]  # worker 0 is done with its share: it takes the far end of 1's
    assert [shares.next(1), shares.next(1), shares.next(1), shares.next(0)] == [4, 5, None, None]


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_jobs_takes_a_number_or_auto(value):
    result = run("bnlint", "check", "--jobs", value, "examples")
    assert result.returncode == 2 and "--jobs" in result.stderr
    assert run("bnlint", "check", "--no-cache", "-j", "auto", "examples").returncode == 1


def test_auto_is_the_processors_this_process_may_use():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert parallel.jobs("auto") == parallel.usable_cpus() == expected
