"""Output formats: each module renders one `Report`; the command picks one by name."""

from __future__ import annotations

from collections.abc import Callable

from bnlint.reporters import github, gitlab, json_format, junit, sarif, text
from bnlint.reporters.report import Report

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
    "gitlab": gitlab.render,
    "junit": junit.render,
}

__all__ = ["RENDERERS", "Renderer", "Report"]
