"""Rule documentation as `bnlint rule` prints it, as docs/rules/ and the README's table show it and as output formats
link to it: one source, the rule classes (and the error codes). `python -m bnlint.docs` in a checkout regenerates
the pages; the suite checks they are current."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bnlint.diagnostic import ERROR_CODES
from bnlint.rules import ALL_RULES, RULES_BY_CODE, Rule
from bnlint.verify.checks import checks_markdown

HOMEPAGE = "https://github.com/bnlint/bnlint"
RULE_PAGES = "docs/rules"  # one page per code, generated (python -m bnlint.docs)


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
    uri = f"{HOMEPAGE}/blob/main/{RULE_PAGES}/{code}.md"
    if rule is not None:
        return CodeInfo(code, rule.name, rule.summary, rule.level, rule.documentation(), uri)
    error = ERROR_CODES[code]
    return CodeInfo(code, error.name, error.description, "error", error.documentation, uri)


def rule_text(rule: type[Rule]) -> str:
    return f"{rule.code} ({rule.name}): {rule.summary}\n\n{rule.documentation()}"


def rule_list() -> str:
    width = max(len(rule.name) for rule in ALL_RULES)
    lines = [f"{rule.code}  {rule.name:<{width}}  {rule.summary}" for rule in ALL_RULES]
    lines += [f"{code}  {error.name:<{width}}  {error.description}" for code, error in ERROR_CODES.items()]
    return "\n".join(lines) + "\n"


def rules_markdown(folder: str = RULE_PAGES) -> str:
    """The table of every code, each linking to its page in `folder` (relative to where the table is shown)."""
    prefix = f"{folder}/" if folder else ""
    rows = [
        "| Code | Name | What it finds |",
        "|---|---|---|",
        *(f"| [{rule.code}]({prefix}{rule.code}.md) | `{rule.name}` | {rule.summary} |" for rule in ALL_RULES),
        *(
            f"| [{code}]({prefix}{code}.md) | `{error.name}` | {error.description} |"
            for code, error in ERROR_CODES.items()
        ),
    ]
    return "\n".join(rows) + "\n"


def rule_page(code: str) -> str:
    """A code's page in docs/rules/: the rule's own documentation under its code and name."""
    info = describe(code)
    return f"# {code} {info.name}\n\n{_sentence(info.summary)}\n\n{info.documentation}"


def generated_pages() -> dict[str, str]:
    """Every page generated from the code, by path from the repository's root: the rule pages and their index."""
    pages = {f"{RULE_PAGES}/{code}.md": rule_page(code) for code in [*RULES_BY_CODE, *ERROR_CODES]}
    index = "# Rules\n\nEvery code bnlint reports, with its page. BN910 is opt-in (`--extend-select BN910`).\n\n"
    pages[f"{RULE_PAGES}/README.md"] = index + rules_markdown(folder="")
    return pages


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def generated_blocks() -> dict[tuple[str, str], str]:
    """The generated parts of hand-written pages, by (path from the repository's root, marker name): each sits
    between `<!-- NAME:start -->` and `<!-- NAME:end -->` lines."""
    return {("README.md", "rules"): rules_markdown(), ("docs/verify.md", "runtime-checks"): checks_markdown()}


def block(text: str, name: str) -> str:
    """What a page holds between the markers of block `name`."""
    return text.split(f"<!-- {name}:start -->\n", 1)[1].split(f"<!-- {name}:end -->", 1)[0]


def write_pages(root: Path) -> None:
    """Regenerate the generated pages and blocks under `root` (a checkout of bnlint)."""
    for relative, text in generated_pages().items():
        (root / relative).write_text(text, encoding="utf-8")
    for (relative, name), text in generated_blocks().items():
        page = (root / relative).read_text(encoding="utf-8")
        page = page.replace(block(page, name), text, 1)
        (root / relative).write_text(page, encoding="utf-8")


if __name__ == "__main__":
    write_pages(Path.cwd())
