"""Which argument of a call fills which parameter, for API calls and for functions of the module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from bnlint.analysis.syntax import CallSite, FunctionInfo, ParamKind, Scope
from bnlint.analysis.values import Partial, Unknowable, Unknown


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


# The argument that fills a parameter; Unknown.UNKNOWABLE when `*args` / `**kwargs` may or may not supply it; None
# when the call passes none.
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
                return Unknown.UNKNOWABLE
            if position == index:
                return argument
            position += 1
    if any(argument.arg.star == "**" for argument in arguments):
        return Unknown.UNKNOWABLE
    return None


def slot_argument(
    function: FunctionInfo, arguments: Sequence[ArgumentRef], implicit: int, bound: dict[str, Found], slot: str
) -> Found:
    """The argument a call passes for a slot of `function`.

    A slot is a parameter name, `**name` for a keyword that lands in `**kwargs`, or `*i` for the i-th extra
    positional argument that lands in `*args`.
    """
    if slot.startswith("**"):
        name = slot[2:]
        for argument in arguments:
            if argument.arg.keyword is not None and argument.arg.keyword.value == name and name not in bound:
                return argument
        return Unknown.UNKNOWABLE if any(argument.arg.star == "**" for argument in arguments) else None
    if slot.startswith("*"):
        index = int(slot[1:]) + sum(1 for param in function.params if param.kind is ParamKind.POSITIONAL) - implicit
        position = 0
        for argument in arguments:
            if argument.arg.keyword is not None or argument.arg.star == "**":
                continue
            if argument.arg.star == "*":
                return Unknown.UNKNOWABLE
            if position == index:
                return argument
            position += 1
        return None
    return bound.get(slot)


def forwarded_slots(
    caller: FunctionInfo, call_arguments: Sequence[ArgumentRef], index: int | None, keyword: str | None
) -> tuple[str, ...]:
    """The slots of `caller` that a call forwards through `*args` / `**kwargs` to a parameter of the callee.

    `index` is the parameter's position among the call's positional arguments and `keyword` its name; the
    result holds `*i` and / or `**name` where the call passes the caller's own `*args` / `**kwargs` on.
    """
    var_positional = next((p.name for p in caller.params if p.kind is ParamKind.VAR_POSITIONAL), None)
    var_keyword = next((p.name for p in caller.params if p.kind is ParamKind.VAR_KEYWORD), None)
    slots: list[str] = []
    explicit = 0
    for argument in call_arguments:
        arg = argument.arg
        if arg.star == "*":
            if index is not None and index >= explicit and _is_name(arg.value, var_positional):
                slots.append(f"*{index - explicit}")
            break
        if arg.keyword is None and not arg.star:
            explicit += 1
    for argument in call_arguments:
        if argument.arg.star == "**" and keyword is not None and _is_name(argument.value, var_keyword):
            slots.append(f"**{keyword}")
    return tuple(slots)


def _is_name(node: cst.BaseExpression, name: str | None) -> bool:
    return name is not None and isinstance(node, cst.Name) and node.value == name


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
            result[param.name] = Unknown.UNKNOWABLE
        else:
            result[param.name] = None
    return result
