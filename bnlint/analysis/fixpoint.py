"""Values computed once each by key, where computing one may ask for others, and through a cycle for itself: `Memo`
for evaluations within a module (a binding's value, flag or taint), `PrefixAny` for questions about the bindings a
use of a name sees (a prefix of one list, asked again by each later use), `FixpointCache` for facts that depend on
each other across modules that import each other."""

from __future__ import annotations

from collections.abc import Callable, Generator, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

_ROUNDS = 16


class Memo(Generic[K, T]):
    """Values by key, computed on first use; a computation that asks, through a cycle (`x = x.y`, `a = b` and
    `b = a`), for a key still being computed gets `on_cycle` (the value that adds nothing) instead of recursing.

    One pass, unlike FixpointCache: a value built on `on_cycle` is kept all the same, the cycle standing for what
    the evaluation cannot follow.
    """

    def __init__(self, on_cycle: T) -> None:
        self._on_cycle = on_cycle
        self._values: dict[K, T] = {}
        self._in_progress: set[K] = set()

    def once(self, key: K, compute: Callable[[K], T]) -> T:
        if key in self._values:
            return self._values[key]
        if key in self._in_progress:
            return self._on_cycle
        self._in_progress.add(key)
        try:
            value = compute(key)
        finally:
            self._in_progress.discard(key)
        self._values[key] = value
        return value

    def run(self, root: Generator[K, T, T], compute: Callable[[K], Generator[K, T, T]]) -> T:
        """What `root` returns, where it and the computations of the keys it asks for are generators that yield
        each key they need and are sent its value, computed on a stack of generators rather than of calls: a chain
        of N keys each needing the next (`v1 = f(v0)`, `v2 = f(v1)`, ... over 20,000 lines) would otherwise recurse
        N deep. The keys are asked and computed in the order `once` would, with the same cycles."""
        stack: list[tuple[K | None, Generator[K, T, T]]] = [(None, root)]
        answer: T | None = None
        try:
            while True:
                key, computation = stack[-1]
                try:
                    asked = computation.send(answer)  # type: ignore[arg-type]
                except StopIteration as stop:
                    stack.pop()
                    if key is not None:
                        self._in_progress.discard(key)
                        self._values[key] = stop.value
                    if not stack:
                        return stop.value
                    answer = stop.value
                    continue
                if asked in self._values:
                    answer = self._values[asked]
                elif asked in self._in_progress:
                    answer = self._on_cycle
                else:
                    self._in_progress.add(asked)
                    stack.append((asked, compute(asked)))
                    answer = None  # starts the new generator
        finally:
            self._in_progress.difference_update(key for key, _ in stack if key is not None)


@dataclass
class _Prefix:
    asked: int = 0  # how many of the first items have their answer
    first: int | None = None  # the first of them that holds
    pending: int | None = None  # the item whose answer is being computed


class PrefixAny(Generic[T]):
    """Whether any of the first `count` items of a list holds, for lists asked about prefix after prefix: the uses
    of a name rebound N times in one scope (`x = block(x)`) each see the bindings before them. The items are asked
    once each, from the first up, as a loop over each prefix would ask them, so that the question about item k,
    which asks about the k before it, finds them answered: N questions in all instead of N²/2. The answers come
    from a Memo (`holds` calls its `once`; with `any`, its `run` sends them): a question from inside an item's own
    computation that reaches that item (a cycle) goes item by item, meeting it in progress as the Memo answers."""

    def __init__(self) -> None:
        self._lists: dict[Hashable, _Prefix] = {}

    def __call__(self, key: Hashable, items: Sequence[T], count: int, holds: Callable[[T], bool]) -> bool:
        search = self.any(key, items, count)
        try:
            item = next(search)
            while True:
                item = search.send(holds(item))
        except StopIteration as stop:
            return stop.value

    def any(self, key: Hashable, items: Sequence[T], count: int) -> Generator[T, bool, bool]:
        """The same question as a generator: it yields each item to ask about and is sent the answer."""
        known = self._lists.setdefault(key, _Prefix())
        if known.pending is not None and count > known.pending:
            for item in items[:count]:
                if (yield item):
                    return True
            return False
        while known.first is None and known.asked < count:
            known.pending = known.asked
            if (yield items[known.asked]):
                known.first = known.asked
            known.asked += 1
            known.pending = None
        return known.first is not None and known.first < count


class FixpointCache:
    """Values by key, computed on first use.

    A computation may ask for other keys, and through modules that import each other, for one that is still being
    computed: it then gets that key's current partial value (first `default`). The key being computed repeats its
    computation until its value stops changing; a value built on another key's partial value is not kept, so it
    is computed again, from final values, the next time it is asked for.
    """

    def __init__(self) -> None:
        self._final: dict[Hashable, object] = {}
        self._partial: dict[Hashable, object] = {}
        # For each computation in progress (innermost last): its key and the in-progress keys it read.
        self._frames: list[tuple[Hashable, set[Hashable]]] = []

    def once(self, key: Hashable, compute: Callable[[], T], default: T) -> T:
        if key in self._final:
            return self._final[key]  # type: ignore[return-value]
        if key in self._partial:
            self._frames[-1][1].add(key)
            return self._partial[key]  # type: ignore[return-value]
        value: T = default
        self._frames.append((key, set()))
        try:
            for _ in range(_ROUNDS):
                self._partial[key] = value
                computed = compute()
                if computed == value:
                    break
                value = computed
        finally:
            del self._partial[key]
            _, read = self._frames.pop()
        pending = read - {key}
        if pending and self._frames:
            self._frames[-1][1].update(pending)  # whoever asked depends on the same unfinished values
        elif not pending:
            self._final[key] = value
        return value
