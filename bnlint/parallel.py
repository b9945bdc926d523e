"""Checking files in worker processes, with the same results as checking them one after another.

Each worker analyses with a project of its own, so a module that files in two workers import is parsed by both.
To keep that rare, each worker checks a contiguous share of the sorted file list (neighbouring files import each
other), a run of files at a time, keeping its project from one run to the next; a worker done with its share takes
runs from the far end of the largest share left, so that the work stays even.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from bnlint.diagnostic import Diagnostic
from bnlint.engine import check_source
from bnlint.keras_setting import KerasSetting
from bnlint.notebook import Notebook, check_notebook
from bnlint.project import Project
from bnlint.rules import Rule

# Fewer files than this per worker are checked in this process: a worker costs its start and the parsing of the
# modules its files import, which the other workers may parse too.
MIN_FILES_PER_WORKER = 4
# A worker is sent a run of files at a time: many runs per worker even out the work at the end; runs of many
# files keep the messages few.
RUNS_PER_WORKER = 16
RUN_FILES = 16
# A fork starts a worker with bnlint already imported; elsewhere forking is unsafe (macOS) or impossible (Windows).
_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


@dataclass(frozen=True)
class Task:
    """One file to check: the name to report, its text (a notebook's code cells) and the rules it is checked for."""

    path: str
    source: str | Notebook
    rules: tuple[type[Rule], ...]


def usable_cpus() -> int:
    """The processors this process may run on (fewer than the machine's under a CPU affinity mask or a container's
    cpuset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def jobs(value: str) -> int:
    """`--jobs`: a number of processes, or `auto` for one per usable processor."""
    if value == "auto":
        return usable_cpus()
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes (1 or more) or auto, not {value!r}")
    return count


def check(task: Task, project: Project) -> list[Diagnostic]:
    if isinstance(task.source, Notebook):
        diagnostics = check_notebook(task.source, task.path, task.rules, project)
    else:
        diagnostics = check_source(task.source, task.path, task.rules, project=project)
    project.freeze()
    return diagnostics


def check_all(tasks: Sequence[Task], project: Project, jobs: int) -> list[list[Diagnostic]]:
    """Each task's diagnostics, in the order of the tasks; in up to `jobs` processes when there are enough files,
    in this one (with `project`) otherwise."""
    workers = min(jobs, len(tasks) // MIN_FILES_PER_WORKER)
    if workers >= 2:
        try:
            return _in_workers(tasks, project, workers)
        except (OSError, BrokenProcessPool):  # no processes here (a sandbox), or a worker was killed: go on alone
            pass
    return [check(task, project) for task in tasks]


def _in_workers(tasks: Sequence[Task], project: Project, workers: int) -> list[list[Diagnostic]]:
    size = min(RUN_FILES, math.ceil(len(tasks) / (workers * RUNS_PER_WORKER)))
    runs = [tasks[start : start + size] for start in range(0, len(tasks), size)]
    shares = _Shares.split(len(runs), workers)
    results: list[list[list[Diagnostic]]] = [[] for _ in runs]
    context = multiprocessing.get_context(_START_METHOD)
    # One single-process pool per worker: the runs of a share go to the worker (and the project) that has its
    # neighbours' imports parsed already.
    pools = [
        ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker, initargs=(project.roots, project.keras))
        for _ in range(workers)
    ]
    running: dict[Future[list[list[Diagnostic]]], tuple[int, int]] = {}

    def give(worker: int) -> None:
        run = shares.next(worker)
        if run is not None:
            running[pools[worker].submit(_check_run, runs[run])] = (worker, run)

    try:
        for worker in range(workers):
            give(worker)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                worker, run = running.pop(future)
                results[run] = future.result()
                give(worker)
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)
    return [diagnostics for run_results in results for diagnostics in run_results]


@dataclass
class _Shares:
    """The runs each worker has still to check, in order."""

    shares: list[deque[int]]

    @classmethod
    def split(cls, runs: int, workers: int) -> _Shares:
        bounds = [runs * worker // workers for worker in range(workers + 1)]
        return cls([deque(range(bounds[worker], bounds[worker + 1])) for worker in range(workers)])

    def next(self, worker: int) -> int | None:
        """The worker's next run of its own share; when that is done, the last run of the largest share left (the
        far end from where its owner works, whose modules the owner has not parsed yet)."""
        if self.shares[worker]:
            return self.shares[worker].popleft()
        largest = max(self.shares, key=len)
        return largest.pop() if largest else None


# The project of a worker process, kept from one run of files to the next. A process pool hands state to its
# workers only through their initializer, so it lives here; it is set in worker processes only.
_worker_project: Project | None = None


def _start_worker(roots: Sequence[Path], keras: KerasSetting) -> None:
    global _worker_project
    _worker_project = Project(roots=roots, keras=keras)


def _check_run(tasks: Sequence[Task]) -> list[list[Diagnostic]]:
    assert _worker_project is not None, "set by _start_worker"
    return [check(task, _worker_project) for task in tasks]
