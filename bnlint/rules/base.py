"""What a rule is: a code, a name, its documentation, executable examples and a check over module facts."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

# A rule's metadata and documentation are read without libcst and the analysis (`bnlint rule`, the screen, a run
# whose every file is cached): they are imported where a tree is built or visited.
if TYPE_CHECKING:
    import libcst as cst

    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.syntax import CallSite


@dataclass(frozen=True)
class Fix:
    """An edit that is always right, as a transformation of one node of the module the facts were built from."""

    title: str  # what it does, for people: "pass is_training as training="
    node: cst.CSTNode  # the node to replace, found by identity
    replace: Callable[[cst.CSTNode], cst.CSTNode]  # the node, with any fixes inside it applied -> its replacement


@dataclass(frozen=True)
class Finding:
    code: str
    node: cst.CSTNode  # its first line is where the finding is reported and where a noqa comment goes
    site: CallSite  # the call the finding is about, which places it in its function
    message: str
    related: tuple[tuple[cst.CSTNode, str], ...] = ()
    fix: Fix | None = None
    help: str | None = None  # the detail behind the message; it may name related lines as {0}, {1}, ...


class Rule:
    """Base of all rules. The subclass docstring is the rule's documentation (see `bnlint rule CODE`)."""

    code: ClassVar[str]
    name: ClassVar[str]  # names the pattern, reads as "allow <name>"
    summary: ClassVar[str]  # one line for tables
    # How CI formats grade it: every mistake a rule finds breaks validation, so "error" unless a rule says less.
    level: ClassVar[str] = "error"
    # The APIs its findings start from (canonical catalogue names): a module from which none of them can be
    # reached cannot hold one, and the screen (bnlint.analysis.screen) spares it the parse. Every rule says.
    needs: ClassVar[frozenset[str]]
    # Short programs; each expected finding is marked on its line with `# expect: CODE`, as in the fixtures,
    # optionally with a part of its message in double quotes (`# expect: BN002 "minimize()"`). The first of each
    # is the documentation's Example / Use instead.
    VALID: ClassVar[tuple[str, ...]]
    INVALID: ClassVar[tuple[str, ...]]

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def finding(
        cls,
        node: cst.CSTNode,
        site: CallSite,
        message: str,
        related: tuple[tuple[cst.CSTNode, str], ...] = (),
        fix: Fix | None = None,
        help: str | None = None,
    ) -> Finding:
        return Finding(cls.code, node, site, message, related, fix, help)

    @classmethod
    def documentation(cls) -> str:
        """The docstring's sections with the first INVALID and VALID examples after "Why is this bad?"."""
        sections = [section.strip() for section in re.split(r"(?m)^(?=## )", inspect.cleandoc(cls.__doc__ or ""))]
        sections = [section for section in sections if section]
        examples = [
            f"## Example\n\n```python\n{_example(cls.INVALID[0])}\n```",
            f"## Use instead\n\n```python\n{_example(cls.VALID[0])}\n```",
        ]
        return "\n\n".join([*sections[:2], *examples, *sections[2:], *_runtime_check(cls.code)]) + "\n"


def shown(call: cst.Call, limit: int = 40) -> str:
    """A call as a message names it: its source when short, else its callee with `(...)`."""
    import libcst as cst

    code = cst.Module([]).code_for_node(call)
    if len(code) <= limit and "\n" not in code:
        return code
    return cst.Module([]).code_for_node(call.func) + "(...)"


def _runtime_check(code: str) -> list[str]:
    """The section that says how `bnlint verify` judges the rule's findings (none where no run measures them)."""
    from bnlint.verify.checks import check_of

    check = check_of(code)
    if check is None:
        return []
    return [
        f"## Runtime check\n`bnlint verify` judges this finding with {check.code} (`{check.name}`): {check.measures}."
        " See [verify](../verify.md)."
    ]


def _example(source: str) -> str:
    """An example as the documentation shows it: the test marker becomes a plain comment naming the codes. The
    message fragments it pins are for the tests: next to the code they would read as garbled messages."""
    return re.sub(r"# expect: (.*)", _codes_only, inspect.cleandoc(source))


def _codes_only(marker: re.Match[str]) -> str:
    return "# " + re.sub(r'\s+"[^"\n]*"', "", marker[1])
