"""The memoised, cycle-guarded evaluation every analysis of a binding uses (bnlint.analysis.fixpoint.Memo)."""

from __future__ import annotations

import pytest

from bnlint.analysis.fixpoint import Memo


def test_each_key_is_computed_once():
    calls: list[str] = []
    memo: Memo[str, int] = Memo(0)

    def length(key: str) -> int:
        calls.append(key)
        return len(key)

    assert [memo.once("abc", length), memo.once("abc", length), memo.once("de", length)] == [3, 3, 2]
    assert calls == ["abc", "de"]


def test_a_cycle_gets_the_value_that_adds_nothing():
    # `a = b + 1`, `b = a + 1`: evaluating `a` asks for `b`, which asks for `a` again.
    memo: Memo[str, int] = Memo(-100)
    depends = {"a": "b", "b": "a"}

    def value(key: str) -> int:
        return memo.once(depends[key], value) + 1

    assert memo.once("a", value) == -98
    assert memo.once("b", value) == -99  # kept from the evaluation of `a`, built on the cycle's value


def test_a_failed_computation_is_neither_kept_nor_left_in_progress():
    memo: Memo[str, int] = Memo(0)

    def fails(key: str) -> int:
        raise RecursionError(key)

    with pytest.raises(RecursionError):
        memo.once("x", fails)
    assert memo.once("x", len) == 1
