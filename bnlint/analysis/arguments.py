"""Which argument of a call fills which parameter, for API calls and for functions of the module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from bnlint.analysis.syntax import CallSite, FunctionInfo, ParamKind, Scope
from bnlint.analysis.values import Partial


@dataclass(frozen=True)
class ArgumentRef:
    """An argument with the scope it is evaluated in (a partial's preset arguments live elsewhere)."""

    arg: cst.Arg
    scope: Scope
    order: int
    preset: bool = False  # written in a functools.partial(...) call

    @property
    def value(self) -> cst.BaseExpression:
        return self.arg.value


class Unknowable:
    """A `*args` or `**kwargs` in the call may or may not supply the parameter."""

    def __repr__(self) -> str:
        return "UNKNOWABLE"


UNKNOWABLE = Unknowable()

Found = ArgumentRef | Unknowable | None


def call_arguments(site: CallSite, preset: Partial | None = None) -> tuple[ArgumentRef, ...]:
    own = tuple(ArgumentRef(arg, site.scope, site.order) for arg in site.node.args)
    if preset is None:
        return own
    presets = tuple(ArgumentRef(arg, preset.scope, preset.order, preset=True) for arg in preset.call.args[1:])
    return presets + own


def find_argument(arguments: Sequence[ArgumentRef], keyword: str, index: int | None) -> Found:
    """The argument for a parameter given by keyword or at a position (0-based), or None when it is absent."""
    for argument in arguments:
        if argument.arg.keyword is not None and argument.arg.keyword.value == keyword:
            return argument
    if index is not None:
        position = 0
        for argument in arguments:
            if argument.arg.keyword is not None or argument.arg.star == "**":
                continue
            if argument.arg.star == "*":
                return UNKNOWABLE
            if position == index:
                return argument
            position += 1
    if any(argument.arg.star == "**" for argument in arguments):
        return UNKNOWABLE
    return None


def bind_arguments(function: FunctionInfo, arguments: Sequence[ArgumentRef], implicit: int) -> dict[str, Found]:
    """Map each parameter of `function` to its argument; `implicit` leading parameters are filled by the call."""
    positional = [param for param in function.params if param.kind is ParamKind.POSITIONAL][implicit:]
    bound: dict[str, Found] = {}
    star_positional = star_keyword = False
    position = 0
    for argument in arguments:
        arg = argument.arg
        if arg.star == "*":
            star_positional = True
        elif arg.star == "**":
            star_keyword = True
        elif arg.keyword is not None:
            bound[arg.keyword.value] = argument
        elif not star_positional:
            if position < len(positional):
                bound[positional[position].name] = argument
            position += 1
    result: dict[str, Found] = {}
    for param in function.params:
        if param.kind in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD):
            continue
        if param.index is not None and param.index < implicit:
            continue
        if param.name in bound:
            result[param.name] = bound[param.name]
        elif star_keyword or (star_positional and param.kind is ParamKind.POSITIONAL):
            result[param.name] = UNKNOWABLE
        else:
            result[param.name] = None
    return result
