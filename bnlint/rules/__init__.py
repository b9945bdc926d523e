"""The rules, one module each. Adding a rule means adding its module here and its fixtures (CONTRIBUTING.md)."""

from __future__ import annotations

import importlib
import pkgutil
import re

from bnlint.analysis.screen import Apis
from bnlint.rules.base import Finding, Rule
from bnlint.selection import Selection

# A rule is registered by being here: one `Rule` subclass in a module named after its code (`bn005_*.py`). Its
# module imports libcst and the analysis (bnlint.analysis, but for the catalogue) inside the functions that use them
# and under TYPE_CHECKING for hints: `bnlint rule` and a run whose files are all screened out or cached read every
# rule's metadata and never load them (tests/test_startup.py).
_RULE_MODULE = re.compile(r"bn\d{3}_\w+")


def _discover() -> tuple[type[Rule], ...]:
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if _RULE_MODULE.fullmatch(info.name)
    ]
    rules = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__
    ]
    return tuple(sorted(rules, key=lambda rule: rule.code))


ALL_RULES: tuple[type[Rule], ...] = _discover()
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}


def selected_rules(selection: Selection) -> list[type[Rule]]:
    return [rule for rule in ALL_RULES if selection.selects(rule.code)]


def screened_apis() -> Apis:
    """What the screen looks for: the APIs every rule needs. Every rule's, not a run's selection: one project's
    screen serves all its runs (an editor's, flake8's) and the analysis of other modules' classes, whatever rules
    they select."""
    return Apis.of(name for rule in ALL_RULES for name in rule.needs)


__all__ = ["ALL_RULES", "RULES_BY_CODE", "Finding", "Rule", "screened_apis", "selected_rules"]
