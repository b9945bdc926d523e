"""Values computed once each by key, where computing one may ask for others, and through a cycle for itself: `Memo`
for evaluations within a module (a binding's value, flag or taint), `FixpointCache` for facts that depend on each
other across modules that import each other."""

from __future__ import annotations

from collections.abc import Callable, Hashable
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
