"""Which codes a file is checked for, decided as ruff decides it from `select` / `extend-select` / `ignore` layers
(the configuration file's, then the command line's): within a layer the longer matching prefix wins, as in flake8,
and a layer that sets `select` starts over."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# Selected unless a layer says otherwise: every rule about the checked code. Opt-in codes (BN910, unused noqa)
# lie outside it, and the error codes BN900 / BN901 are reported whatever is selected.
DEFAULT_SELECT = ("BN0",)


class SelectionError(ValueError):
    pass


def parse_codes(text: str, known: Collection[str]) -> tuple[str, ...]:
    """Codes or prefixes from a comma- or space-separated command-line value."""
    return validate_codes((item for item in re.split(r"[,\s]+", text) if item.strip()), known)


def validate_codes(items: Iterable[str], known: Collection[str]) -> tuple[str, ...]:
    """The items as codes, each a known code or the prefix of one: a code that matches nothing (a typo, another
    tool's code) would otherwise select or ignore nothing without a word."""
    codes = tuple(item.strip().upper() for item in items)
    for code in codes:
        if not code or not any(name.startswith(code) for name in known):
            raise SelectionError(f"unknown code or prefix {code!r} (known codes: {', '.join(sorted(known))})")
    return codes


@dataclass(frozen=True)
class Layer:
    select: tuple[str, ...] | None = None  # None: keep what earlier layers selected
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    layers: tuple[Layer, ...] = ()

    def then(self, layer: Layer) -> Selection:
        return Selection((*self.layers, layer))

    def selects(self, code: str) -> bool:
        selected = _longest(code, DEFAULT_SELECT) >= 0
        for layer in self.layers:
            chosen = _longest(code, (*(layer.select or ()), *layer.extend_select))
            ignored = _longest(code, layer.ignore)
            if layer.select is not None or chosen >= 0 or ignored >= 0:
                selected = chosen > ignored  # a tie goes to ignore, as in flake8
        return selected


def _longest(code: str, prefixes: tuple[str, ...]) -> int:
    return max((len(prefix) for prefix in prefixes if code.startswith(prefix)), default=-1)
