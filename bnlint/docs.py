"""Rule documentation as `bnlint rule` prints it and as the README shows it: one source, the rule classes."""

from __future__ import annotations

from bnlint.diagnostic import ERROR_CODES
from bnlint.rules import ALL_RULES, Rule


def rule_text(rule: type[Rule]) -> str:
    return f"{rule.code} ({rule.name}): {rule.summary}\n\n{rule.documentation()}"


def rule_list() -> str:
    width = max(len(rule.name) for rule in ALL_RULES)
    lines = [f"{rule.code}  {rule.name:<{width}}  {rule.summary}" for rule in ALL_RULES]
    lines += [f"{code}  {'(error)':<{width}}  {description}" for code, description in ERROR_CODES.items()]
    return "\n".join(lines) + "\n"


def anchor(rule: type[Rule]) -> str:
    return f"{rule.code.lower()}-{rule.name}"


def rules_markdown() -> str:
    """The README's rules section: a table, then each rule's documentation."""
    rows = [
        "| Code | Name | What it finds |",
        "|---|---|---|",
        *(f"| [{rule.code}](#{anchor(rule)}) | `{rule.name}` | {rule.summary} |" for rule in ALL_RULES),
        *(f"| {code} | (error) | {description} |" for code, description in ERROR_CODES.items()),
    ]
    sections = [f"### {rule.code} {rule.name}\n\n{_demote(rule.documentation())}" for rule in ALL_RULES]
    return "\n".join(rows) + "\n\n" + "\n".join(sections)


def _demote(documentation: str) -> str:
    """Rule sections become level-4 headings under the rule's own level-3 heading."""
    return "\n".join("##" + line if line.startswith("## ") else line for line in documentation.splitlines()) + "\n"
