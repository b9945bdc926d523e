"""What an expression refers to, and what a flag evaluates to, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from bnlint.analysis.syntax import ClassInfo, FunctionInfo, Scope


@dataclass(frozen=True)
class Unknown:
    pass


UNKNOWN = Unknown()


@dataclass(frozen=True)
class External:
    """An object from an imported package, by canonical qualified name."""

    name: str


@dataclass(frozen=True)
class ModuleRef:
    """A module of the project, by file."""

    path: Path


@dataclass(frozen=True)
class AnyMember:
    """`getattr(module, name)` with a name known only at run time: any function of that module of the project."""

    module: ModuleRef


@dataclass(frozen=True)
class FunctionRef:
    function: FunctionInfo
    # Reached through an instance or `self`: the call fills the first parameter implicitly.
    bound: bool = False


@dataclass(frozen=True)
class ClassRef:
    cls: ClassInfo


@dataclass(frozen=True)
class Instance:
    """`self` inside a method, or an object made by calling a class of the module."""

    cls: ClassInfo


@dataclass(frozen=True)
class CallResult:
    """What calling an external API returned (a layer object, an optimizer, a variable scope, a tensor)."""

    api: str
    call: cst.Call
    scope: Scope
    order: int


@dataclass(frozen=True)
class Member:
    """An attribute of a value we know, such as `optimizer.minimize`."""

    owner: Value
    attr: str


@dataclass(frozen=True)
class Partial:
    """`functools.partial(target, ...)`: calls add their arguments after the preset ones."""

    target: Value
    call: cst.Call
    scope: Scope
    order: int


@dataclass(frozen=True)
class Template:
    """`tf.make_template(name, fn)`: every call shares the variables of the first."""

    target: Value


@dataclass(frozen=True)
class Parameter:
    """A parameter of a function of the module (other than `self`)."""

    function: FunctionInfo
    name: str


Value = (
    Unknown
    | External
    | ModuleRef
    | AnyMember
    | FunctionRef
    | ClassRef
    | Instance
    | CallResult
    | Member
    | Partial
    | Template
    | Parameter
)


def from_framework(value: Value) -> bool:
    """An API of an imported package, or something one returned (`sess.as_default`, `ema.apply`)."""
    while isinstance(value, Member):
        value = value.owner
    return isinstance(value, (External, CallResult))


# -- flags: the value of a mode / reuse argument ---------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: object
    # Where the literal is written: the argument itself, or the assignment of a constant used by name.
    node: cst.CSTNode
    constant: str | None = None


@dataclass(frozen=True)
class Dynamic:
    """A value only known at run time: a tensor, a command-line flag, an attribute."""


DYNAMIC = Dynamic()

Flag = Literal | Parameter | Dynamic | External
