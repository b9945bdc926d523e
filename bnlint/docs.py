"""Rule documentation as `bnlint rule` prints it, as the README shows it and as output formats link to it: one
source, the rule classes (and the error codes)."""

from __future__ import annotations

from dataclasses import dataclass

from bnlint.diagnostic import ERROR_CODES
from bnlint.rules import ALL_RULES, RULES_BY_CODE, Rule

HOMEPAGE = "https://github.com/bnlint/bnlint"


@dataclass(frozen=True)
class CodeInfo:
    """What an output format says about a code: SARIF rule metadata, titles, links."""

    code: str
    name: str
    summary: str
    level: str  # "error" or "warning", as SARIF names levels
    documentation: str  # markdown
    help_uri: str


def describe(code: str) -> CodeInfo:
    rule = RULES_BY_CODE.get(code)
    if rule is not None:
        return CodeInfo(code, rule.name, rule.summary, rule.level, rule.documentation(), f"{HOMEPAGE}#{anchor(rule)}")
    error = ERROR_CODES[code]
    return CodeInfo(code, error.name, error.description, "error", error.description, f"{HOMEPAGE}#what-bnlint-finds")


def rule_text(rule: type[Rule]) -> str:
    return f"{rule.code} ({rule.name}): {rule.summary}\n\n{rule.documentation()}"


def rule_list() -> str:
    width = max(len(rule.name) for rule in ALL_RULES)
    lines = [f"{rule.code}  {rule.name:<{width}}  {rule.summary}" for rule in ALL_RULES]
    lines += [f"{code}  {error.name:<{width}}  {error.description}" for code, error in ERROR_CODES.items()]
    return "\n".join(lines) + "\n"


def anchor(rule: type[Rule]) -> str:
    return f"{rule.code.lower()}-{rule.name}"


def rules_markdown() -> str:
    """The README's rules section: a table, then each rule's documentation."""
    rows = [
        "| Code | Name | What it finds |",
        "|---|---|---|",
        *(f"| [{rule.code}](#{anchor(rule)}) | `{rule.name}` | {rule.summary} |" for rule in ALL_RULES),
        *(f"| {code} | `{error.name}` | {error.description} |" for code, error in ERROR_CODES.items()),
    ]
    sections = [f"### {rule.code} {rule.name}\n\n{_demote(rule.documentation())}" for rule in ALL_RULES]
    return "\n".join(rows) + "\n\n" + "\n".join(sections)


def _demote(documentation: str) -> str:
    """Rule sections become level-4 headings under the rule's own level-3 heading."""
    return "\n".join("##" + line if line.startswith("## ") else line for line in documentation.splitlines()) + "\n"
