"""Deeply nested code: libcst's parser and code generator, and the analysis's own walks, recurse once per level of
nesting, so a few hundred nested calls or a thousand-term sum pass Python's default limit of 1000 frames (and, in
libcst's native parser, can overflow the main thread's stack: a crash, not an exception)."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from itertools import accumulate
from typing import TypeVar

T = TypeVar("T")

# Frames allowed on the deep stack, and the stack that holds them: 10 KB per frame is more than any CPython version
# uses, so the limit is reached (a RecursionError) before the stack overflows (a crash of the whole process).
DEEP_RECURSION = 50_000
DEEP_STACK = 512 * 2**20
# Python's tokenizer refuses code nested in this many brackets (its MAXLEVEL).
PYTHON_NESTING = 200
_BRACKETS = re.compile(r"[()\[\]{}]")
_DEPTH_CHANGE = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def on_a_deep_stack(function: Callable[[], T]) -> T:
    """function() on a thread whose stack holds DEEP_RECURSION frames; what it raises is raised here. The stack is
    reserved address space: the memory used is only what the recursion touches. Where no such thread can be had (a
    platform that cannot size thread stacks, a process out of threads), function() runs here, with the limit as it
    is: only deeply nested code then fails."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, function()))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append((False, exc))

    limit = sys.getrecursionlimit()
    try:
        size = threading.stack_size(DEEP_STACK)
    except (ValueError, RuntimeError):
        return function()
    try:
        sys.setrecursionlimit(max(limit, DEEP_RECURSION))
        thread = threading.Thread(target=run, name="bnlint-deep-stack", daemon=True)
        thread.start()
        thread.join()
    except (RuntimeError, MemoryError):  # no thread could be started
        pass
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if not outcome:
        return function()
    succeeded, value = outcome[0]
    if not succeeded:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


def bracket_depth(text: str) -> int:
    """The deepest bracket nesting of the text, brackets in strings and comments counted too: a bound on the true
    depth, at the speed of `re`. Python refuses code nested PYTHON_NESTING deep; libcst accepts any depth, in time
    growing with its cube (1,000 nested calls take 12 s) and, past about 2,000, by overflowing even the deep stack,
    so code that deep is left to Python's own parser to judge."""
    return max(accumulate(map(_DEPTH_CHANGE.__getitem__, _BRACKETS.findall(text))), default=0)
