"""`--select` / `--ignore` by code prefix, decided as flake8 decides: the longer matching prefix wins."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE_PREFIX = re.compile(r"^BN[0-9]{0,3}$")


class SelectionError(ValueError):
    pass


def parse_codes(text: str) -> tuple[str, ...]:
    codes = tuple(item.strip().upper() for item in re.split(r"[,\s]+", text) if item.strip())
    for code in codes:
        if not _CODE_PREFIX.match(code):
            raise SelectionError(f"{code!r} is not a bnlint code or code prefix (BN, BN0, BN001, ...)")
    return codes


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ("BN",)
    ignore: tuple[str, ...] = ()

    def selects(self, code: str) -> bool:
        selected = max((len(prefix) for prefix in self.select if code.startswith(prefix)), default=-1)
        ignored = max((len(prefix) for prefix in self.ignore if code.startswith(prefix)), default=-1)
        return selected > ignored
