from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING

from bnlint.diagnostic import Diagnostic
from bnlint.noqa import Directive, Suppressions
from bnlint.rules.base import Finding, Rule

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts


class UnusedNoqa(Rule):
    """
    ## What it does
    Checks for `# noqa: BNxxx` comments that silence nothing: no finding with that code (or under that prefix)
    is reported on the comment's line. Opt-in: select it with `--extend-select BN910` or
    `extend-select = ["BN910"]` in `[tool.bnlint]`.

    ## Why is this bad?
    A `# noqa` added when bnlint was adopted (`bnlint check --add-noqa`) outlives the mistake it silenced. Left in
    place, it silences the next mistake of that kind made on the same line, without anyone seeing it.

    ## Accepted idioms
    - Codes of other tools in the same comment (`# noqa: E501, BN001`): only `BN` codes are checked.
    - A bare `# noqa`, which may be there for another tool.
    - Codes of rules the run does not check (deselected, or ignored for the file): their findings were not looked
      for, so their comments are left alone.

    ## Known problems
    Reported by the `bnlint` command only. flake8 applies `# noqa` itself and never tells a plugin what it
    silenced; under flake8, use flake8-noqa or ruff's RUF100, which check every tool's codes.

    ## Fix safety
    No automatic fix; delete the code from the comment (or the whole comment).

    ## Applies to
    Every checked file that bnlint analyses.
    """

    code = "BN910"
    name = "unused-noqa"
    summary = "`# noqa: BNxxx` comment that silences nothing"
    # Nothing in the code: it reads the file's noqa comments, and the engine runs it on every file with one that
    # names a bnlint code, whether the screen rules the file out or not.
    needs = frozenset[str]()
    level = "warning"

    INVALID = (
        """
        import tensorflow as tf

        def classifier(x, is_training):
            return tf.layers.batch_normalization(x, training=is_training)  # noqa: BN001  # expect: BN910 "no BN001"
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        def frozen_features(x):
            return tf.layers.batch_normalization(x, training=False)  # noqa: BN001 (frozen on purpose)
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        return iter(())  # it reads the comments against the other rules' findings: see `unused`

    @classmethod
    def unused(
        cls, path: str, suppressions: Suppressions, found: Sequence[Diagnostic], unchecked: Collection[str]
    ) -> list[Diagnostic]:
        """A diagnostic for each directive with `BN` codes that match none of `found` (the findings before noqa
        was applied), leaving out codes that name rules the run did not check."""
        diagnostics = []
        for directive in suppressions.directives():
            unused = [code for code in _bnlint_codes(directive) if _unused(code, directive, found, unchecked)]
            if unused:
                listed = ", ".join(unused)
                diagnostics.append(
                    Diagnostic(
                        path=path,
                        line=directive.line,
                        column=directive.start + 1,
                        end_line=directive.line,
                        end_column=directive.end + 1,
                        code=cls.code,
                        message=f"unused noqa: no {listed} finding on this line",
                        help=f"Remove {listed} from the comment: a stale noqa would hide the next such finding here.",
                    )
                )
        return diagnostics


def _bnlint_codes(directive: Directive) -> list[str]:
    return [code for code in directive.codes or () if code.startswith("BN")]


def _unused(code: str, directive: Directive, found: Sequence[Diagnostic], unchecked: Collection[str]) -> bool:
    if any(d.line in directive.lines and d.code.startswith(code) for d in found):
        return False
    return not any(other.startswith(code) for other in unchecked)
