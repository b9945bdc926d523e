"""The deep stack: room for deeply nested code, and a fallback where no such thread can be had."""

from __future__ import annotations

import threading

import pytest

from bnlint import recursion
from bnlint.recursion import on_a_deep_stack


def _depth(n: int) -> int:
    return 0 if n == 0 else 1 + _depth(n - 1)


def test_recursion_far_past_the_default_limit_fits():
    assert on_a_deep_stack(lambda: _depth(20_000)) == 20_000


def test_what_the_function_raises_is_raised_to_the_caller():
    with pytest.raises(KeyError, match="boom"):
        on_a_deep_stack(lambda: {}["boom"])


def test_without_sized_thread_stacks_the_function_runs_here(monkeypatch):
    def unsupported(size=0):
        raise ValueError("size not valid")

    monkeypatch.setattr(recursion.threading, "stack_size", unsupported)
    assert on_a_deep_stack(threading.current_thread) is threading.current_thread()


def test_without_a_thread_to_start_the_function_runs_here(monkeypatch):
    def refused(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(recursion.threading.Thread, "start", refused)
    assert on_a_deep_stack(threading.current_thread) is threading.current_thread()
