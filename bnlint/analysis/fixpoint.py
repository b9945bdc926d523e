"""Facts that depend on each other across modules, computed once each, correctly when modules import each other."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_ROUNDS = 16


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
