"""`PrefixAny` and `Memo.run` (bnlint.analysis.fixpoint): the questions about a name rebound thousands of times, and
chains thousands of bindings long, answered as the plain recursive loops answer them, without their cost."""

from __future__ import annotations

import random
from collections.abc import Callable, Generator

import pytest

from bnlint.analysis.fixpoint import Memo, PrefixAny

# A graph of keys: each key holds itself when it is in HOLDS, and otherwise when any key it needs holds. Key 2 needs
# 4, which needs 2 (a cycle); 7 needs 5 and 9; 9 needs 7 (another).
NEEDS = {0: [], 1: [0], 2: [4], 3: [1, 2], 4: [2, 6], 5: [], 6: [], 7: [5, 9], 8: [7, 3], 9: [7, 8]}
HOLDS = {6}


def _recursive(memo: Memo[int, bool]) -> Callable[[int], bool]:
    def holds(key: int) -> bool:
        return memo.once(key, lambda k: k in HOLDS or any(holds(other) for other in NEEDS[k]))

    return holds


def _generator(key: int) -> Generator[int, bool, bool]:
    if key in HOLDS:
        return True
    for other in NEEDS[key]:
        if (yield other):
            return True
    return False


def _ask(key: int) -> Generator[int, bool, bool]:
    """A root that is no key itself (as a loss expression is not a binding) and asks for one."""
    return (yield key)


@pytest.mark.parametrize("seed", range(5))
def test_run_answers_as_once_does_cycles_included(seed):
    order = list(NEEDS)
    random.Random(seed).shuffle(order)
    recursive, stacked = Memo(False), Memo(False)
    expected = [_recursive(recursive)(key) for key in order]
    assert [stacked.run(_ask(key), _generator) for key in order] == expected
    assert expected != [True] * len(order) and True in expected


def test_run_follows_a_chain_deeper_than_any_stack():
    """Key k needs k - 1 and only key 0 holds: 200,000 keys, each asked once."""
    asked: list[int] = []

    def compute(key: int) -> Generator[int, bool, bool]:
        asked.append(key)
        return key == 0 or (yield key - 1)

    assert Memo(False).run(compute(200_000), compute) is True
    assert sorted(asked) == list(range(200_001))


def test_run_leaves_no_key_in_progress_when_a_computation_raises():
    memo: Memo[int, bool] = Memo(False)

    def compute(key: int) -> Generator[int, bool, bool]:
        if key == 0:
            raise ValueError("broken")
        return (yield key - 1)

    with pytest.raises(ValueError):
        memo.run(compute(3), compute)
    # Asked again, key 2 is computed (and fails) again rather than taken for a cycle.
    with pytest.raises(ValueError):
        memo.once(2, lambda key: memo.run(compute(key), compute))


@pytest.mark.parametrize("seed", range(5))
def test_prefix_any_answers_each_prefix_and_asks_each_item_once(seed):
    rng = random.Random(seed)
    items = [rng.random() < 0.05 for _ in range(400)]
    asked: list[int] = []

    def holds(index: int) -> bool:
        asked.append(index)
        return items[index]

    prefixes: PrefixAny[int] = PrefixAny()
    counts = [rng.randrange(len(items) + 1) for _ in range(300)]
    answers = [prefixes("list", range(len(items)), count, holds) for count in counts]
    assert answers == [any(items[:count]) for count in counts]
    assert len(asked) == len(set(asked)) and False in answers and True in answers


def _binding_values(prefixed: bool) -> list[bool]:
    """Items 0..9 of one list, as bindings of a name: item k holds when k == 6, or when any item its own question
    sees holds. Item 3 asks about all ten (a use from an enclosing scope: a cycle through itself), the others
    about the items before them. Asked the plain way or through PrefixAny, with the same Memo semantics."""
    memo: Memo[int, bool] = Memo(False)
    prefixes: PrefixAny[int] = PrefixAny()
    items = list(range(10))

    def prefix_holds(count: int) -> bool:
        if prefixed:
            return prefixes("x", items, count, holds)
        return any(holds(item) for item in items[:count])

    def holds(item: int) -> bool:
        return memo.once(item, lambda k: k == 6 or prefix_holds(10 if k == 3 else k))

    return [prefix_holds(count) for count in range(11)] + [holds(item) for item in items]


def test_prefix_any_meets_a_cycle_as_the_plain_loop_does():
    assert _binding_values(prefixed=True) == _binding_values(prefixed=False)
