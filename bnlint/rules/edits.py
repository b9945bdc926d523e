"""What the rules' fixes are made of: where a call's statement is, the file's own name for TensorFlow, and the edits
(wrap a statement in a `with`, add a keyword argument, call another function of the same module).

Each edit is a function of the node as the fixer hands it over, with the fixes inside it already applied, so a
fix is computed from the original tree but never copies a part of it that another fix may have changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import libcst as cst

from bnlint.analysis.facts import ModuleFacts
from bnlint.analysis.syntax import BindingKind, CallSite, dotted_name
from bnlint.analysis.values import External

Edit = Callable[[cst.CSTNode], cst.CSTNode]

TENSORFLOW = External("tensorflow")
# Statements a `with` may enclose without changing what they do: the call runs when the statement runs.
_WRAPPABLE = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Return)
# Code that runs later than the statement holding it, or in a scope of its own.
_DEFERRED = (cst.Lambda, cst.GeneratorExp, cst.FunctionDef, cst.ClassDef)
_NO_SPACE = cst.SimpleWhitespace("")


# -- where a call is ---------------------------------------------------------------------------------------------


def ancestries(module: cst.Module, targets: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, tuple[cst.CSTNode, ...]]:
    """For each target node, the nodes from the module down to it; one walk of the module for all of them."""
    visitor = _Ancestry(set(targets))
    if visitor.targets:
        module.visit(visitor)
    return visitor.found


class _Ancestry(cst.CSTVisitor):
    def __init__(self, targets: set[cst.CSTNode]) -> None:
        super().__init__()
        self.targets = targets
        self.found: dict[cst.CSTNode, tuple[cst.CSTNode, ...]] = {}
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._stack.append(node)
        if node in self.targets:
            self.found[node] = tuple(self._stack)
        return len(self.found) < len(self.targets)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


def own_statement(ancestry: Sequence[cst.CSTNode]) -> cst.SimpleStatementLine | None:
    """The statement that runs the last node of `ancestry`, when a `with` can enclose exactly that statement: one
    simple statement on its own line(s) in a block. None for `if x: op = ...` on one line, `a = 1; op = ...`, a call
    in a compound statement's header, or one deferred in a lambda or generator."""
    for node in reversed(ancestry[:-1]):
        if isinstance(node, (*_DEFERRED, cst.BaseCompoundStatement, cst.SimpleStatementSuite)):
            return None
        if isinstance(node, cst.SimpleStatementLine):
            wrappable = len(node.body) == 1 and isinstance(node.body[0], _WRAPPABLE) and not _suspends(node)
            return node if wrappable else None
    return None


def _suspends(node: cst.CSTNode) -> bool:
    """Whether the code holds a `yield` or `await`: a `with` around it would stay open while others run."""
    return isinstance(node, (cst.Yield, cst.Await)) or any(_suspends(child) for child in node.children)


# -- how the file names TensorFlow -------------------------------------------------------------------------------


def tensorflow_prefix(facts: ModuleFacts, site: CallSite, spelled: cst.BaseExpression | None = None) -> str | None:
    """The dotted name that reaches TensorFlow's TF1 API at `site`, as the file writes it.

    First the longest prefix of `spelled`, an API the file names near the site (`tf.compat.v1` from
    `tf.compat.v1.train.AdamOptimizer`), then the module's imports of TensorFlow (`import tensorflow.compat.v1 as
    tf` first): the first that the resolver finds bound to TensorFlow where the site is.
    """
    for candidate in [*_prefixes(spelled), *_imported(facts)]:
        name = dotted_name(candidate)
        if (
            name is not None
            and "compat.v2" not in name
            and facts.resolver.resolve(candidate, site.scope, site.order) == TENSORFLOW
        ):
            return name
    return None


def _prefixes(spelled: cst.BaseExpression | None) -> list[cst.BaseExpression]:
    """`tf.compat.v1`, `tf.compat`, `tf` for `tf.compat.v1.train`: the longest first."""
    found = []
    node = spelled
    while isinstance(node, cst.Attribute):
        node = node.value
        found.append(node)
    return found


def _imported(facts: ModuleFacts) -> list[cst.Name]:
    imports = [
        binding
        for bindings in facts.syntax.scope.bindings.values()
        for binding in bindings
        if binding.kind is BindingKind.IMPORT and binding.imported is not None
    ]
    # Under TensorFlow 2 only the compat.v1 module has the TF1 graph API, so a file that imports it means it.
    imports.sort(key=lambda binding: (binding.imported != "tensorflow.compat.v1", binding.order))
    return [cst.Name(binding.name) for binding in imports]


# -- edits -------------------------------------------------------------------------------------------------------


def wrap_in_with(context: str) -> Edit:
    """Enclose a statement in `with <context>:`; its leading comments go above the `with`, its trailing comment
    stays on it."""
    manager = cst.parse_expression(context)

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(node, cst.SimpleStatementLine):
            raise TypeError(f"cannot wrap a {type(node).__name__} in a with statement")
        return cst.With(
            items=[cst.WithItem(manager)],
            body=cst.IndentedBlock(body=[node.with_changes(leading_lines=())]),
            leading_lines=node.leading_lines,
        )

    return edit


def add_keyword(keyword: str, value: str) -> Edit:
    """Pass `keyword=value` after a call's last argument, in the layout the call already has: on the same line,
    or on a line of its own when its arguments are one per line, with a trailing comma when it has one."""

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(node, cst.Call):
            raise TypeError(f"cannot add an argument to a {type(node).__name__}")
        return with_keyword(node, keyword, cst.parse_expression(value))

    return edit


def with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    equal = cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE)
    argument = cst.Arg(value=value, keyword=cst.Name(keyword), equal=equal)
    if not call.args:
        return call.with_changes(args=[argument])
    *rest, last = call.args
    # The whitespace before `)`, which the new last argument takes over.
    closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else last.whitespace_after_arg
    between = _layout(call, rest)
    if isinstance(between, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace):
        # One argument per line: the new one gets a line of its own, and a comment ending the old last line stays.
        between = between.with_changes(first_line=closing.first_line)
        closing = closing.with_changes(first_line=cst.TrailingWhitespace())
    if isinstance(last.comma, cst.Comma):  # a trailing comma: the new argument gets one too
        last = last.with_changes(comma=last.comma.with_changes(whitespace_after=between))
        argument = argument.with_changes(comma=cst.Comma(whitespace_after=closing))
    else:
        last = last.with_changes(comma=cst.Comma(whitespace_after=between), whitespace_after_arg=_NO_SPACE)
        argument = argument.with_changes(whitespace_after_arg=closing)
    return call.with_changes(args=[*rest, last, argument])


def _layout(call: cst.Call, rest: Sequence[cst.Arg]) -> cst.BaseParenthesizableWhitespace:
    """The whitespace between two arguments of this call, without comments or blank lines: as after the comma
    between its last two arguments, or, for one argument, a new line when that argument has a line of its own."""
    if rest and isinstance(rest[-1].comma, cst.Comma):
        layout = rest[-1].comma.whitespace_after
    else:
        layout = call.whitespace_before_args
    if isinstance(layout, cst.ParenthesizedWhitespace):
        return layout.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    return cst.SimpleWhitespace(" ")


def call_instead(function: str, keep_arguments: bool) -> Edit:
    """Call `function` of the same module instead (`tf.trainable_variables()` -> `tf.global_variables()`),
    with the call's arguments or with none."""

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            raise TypeError("cannot rename a call that is not an attribute call")
        call = node.with_changes(func=node.func.with_changes(attr=cst.Name(function)))
        return call if keep_arguments else call.with_changes(args=(), whitespace_before_args=_NO_SPACE)

    return edit
