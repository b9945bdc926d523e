"""What an expression refers to, and what a flag evaluates to, as plain values."""

from __future__ import annotations

import enum
import typing
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from bnlint.analysis.syntax import ClassInfo, FunctionInfo, Scope


class Unknown(enum.Enum):
    """What the source does not tell, and why: the analysis's one vocabulary for "not known". `None` means absent (no
    argument passed, no such attribute), never unknown. The lattices that combine what they find (Taint of
    bnlint.analysis.training, Variables of bnlint.analysis.checkpoints, FrameKind of bnlint.analysis.contexts) keep
    their own UNKNOWN member, which takes part in the combining."""

    UNRESOLVED = "unresolved"
    """The analysis could not follow an expression to what it is: a name whose bindings disagree or form a cycle, an
    attribute of an object it does not know, a relative import outside the project, a loss that reads a collection
    of losses. Made by the Resolver and the project's links (ModuleFacts) as a Value, by the arg scopes of
    bnlint.analysis.contexts for an operation list not written out, and by bnlint.analysis.evaluation for a
    training slice it cannot follow."""

    DYNAMIC = "dynamic"
    """A flag the source does not decide: a mode or reuse argument, or a guard's test, computed at run time (a
    tensor, a command-line flag, an attribute code anywhere may set) or bound to values that disagree. Made as a
    Flag by Resolver.flag, Flows and Towers; a guard Flows cannot decide and a reuse flag Towers cannot read are
    DYNAMIC too."""

    UNKNOWABLE = "unknowable"
    """Whether a call supplies an argument at all: its `*args` / `**kwargs`, or an arg scope bnlint cannot see
    into, may or may not. Made by bnlint.analysis.arguments (find_argument, slot_argument, bind_arguments), the arg
    scopes of bnlint.analysis.contexts and the batch-norm settings of bnlint.analysis.batchnorm."""


# The members as types, for the unions below and for the results that may be one of them.
Unresolved = typing.Literal[Unknown.UNRESOLVED]
Dynamic = typing.Literal[Unknown.DYNAMIC]
Unknowable = typing.Literal[Unknown.UNKNOWABLE]


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
    Unresolved
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


Flag = Literal | Parameter | Dynamic | External
