"""Plain records of one module's syntax: scopes, bindings, functions, classes and call sites.

The collector fills these in a single pass over the libcst tree; nothing here resolves a name or knows about
TensorFlow. Every later stage reads these records instead of walking the tree again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import libcst as cst


class ScopeKind(enum.Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    LAMBDA = "lambda"
    COMPREHENSION = "comprehension"


class BindingKind(enum.Enum):
    IMPORT = "import"
    ASSIGN = "assign"
    PARAM = "param"
    FUNCTION = "function"
    CLASS = "class"
    # Loop targets, `except ... as e`, augmented assignment, deletion: a value we cannot follow.
    OPAQUE = "opaque"


@dataclass(eq=False)
class Scope:
    kind: ScopeKind
    parent: Scope | None
    function: FunctionInfo | None = None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    @property
    def nearest_function(self) -> FunctionInfo | None:
        """The function (or lambda) whose body this scope is or sits in; None at module or class level."""
        scope: Scope | None = self
        while scope is not None and scope.function is None:
            scope = scope.parent
        return scope.function if scope is not None else None

    @property
    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


@dataclass(eq=False)
class Binding:
    """One place where a name gets a value.

    `order` is the position of the binding in the traversal: a use at a larger order sees it.
    """

    name: str
    kind: BindingKind
    scope: Scope
    order: int
    node: cst.CSTNode
    # IMPORT: the dotted name imported (`tensorflow.compat.v1` for `import tensorflow.compat.v1 as tf`).
    imported: str | None = None
    # ASSIGN: the assigned expression; `unpacked` when the name is one element of a tuple target.
    value: cst.BaseExpression | None = None
    unpacked: bool = False
    # ASSIGN bound by `with ... as name`: the value is the context manager expression.
    from_with: bool = False
    function: FunctionInfo | None = None
    cls: ClassInfo | None = None


class ParamKind(enum.Enum):
    POSITIONAL = "positional"  # positional-or-keyword, or positional-only
    KEYWORD_ONLY = "keyword_only"
    VAR_POSITIONAL = "var_positional"
    VAR_KEYWORD = "var_keyword"


@dataclass(frozen=True)
class ParamInfo:
    name: str
    kind: ParamKind
    index: int | None  # position among positional parameters
    default: cst.BaseExpression | None
    node: cst.Param


@dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef | cst.Lambda
    name: str
    scope: Scope  # the body's scope
    params: tuple[ParamInfo, ...]
    cls: ClassInfo | None = None
    # Decorators other than @staticmethod / @classmethod; the resolver decides which ones it can see through.
    decorators: tuple[cst.BaseExpression, ...] = ()
    is_staticmethod: bool = False
    calls: list[CallSite] = field(default_factory=list)
    returns: list[cst.BaseExpression] = field(default_factory=list)  # the values of its return statements

    def param(self, name: str) -> ParamInfo | None:
        for param in self.params:
            if param.name == name:
                return param
        return None

    @property
    def bound_offset(self) -> int:
        """How many leading parameters a call through an instance or class fills implicitly."""
        return 1 if self.cls is not None and not self.is_staticmethod else 0


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    name: str
    scope: Scope
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    # `self.<name> = <value>` inside any method.
    attributes: dict[str, list[Binding]] = field(default_factory=dict)


class ConditionKind(enum.Enum):
    IF = "if"  # an `if` statement, an `elif`, or the statements after `if test: return`
    IF_EXP = "if_exp"  # `a if test else b`
    CALL_ARGUMENT = "call_argument"  # a lambda passed to a call; `tf.cond` makes it a branch
    LOOP = "loop"  # the body of a `for` loop (`test` is None, `index` the `with` blocks open outside it)


@dataclass(frozen=True)
class Condition:
    """The code is evaluated only when `test` has truth value `polarity` (for CALL_ARGUMENT: lambda `index`)."""

    kind: ConditionKind
    owner: cst.CSTNode  # the If / IfExp / Call that owns the branch
    test: cst.BaseExpression | None
    polarity: bool
    index: int = 0

    def excludes(self, other: Condition) -> bool:
        """True when both cannot hold in one execution: opposite branches of one Python `if`, or two `if`s that
        compare one name with different constants (`if self.mode == "generate":` and `if self.mode == "train":`)."""
        if self.kind is ConditionKind.CALL_ARGUMENT or other.kind is ConditionKind.CALL_ARGUMENT:
            return False
        if self.owner is other.owner:
            return self.polarity != other.polarity
        mine, theirs = _equality(self.test), _equality(other.test)
        return (
            self.polarity
            and other.polarity
            and mine is not None
            and theirs is not None
            and mine[0] == theirs[0]
            and mine[1] != theirs[1]
        )


def exclusive(first: CallSite, second: CallSite) -> bool:
    """Whether two calls never run in one execution (see Condition.excludes)."""
    return any(a.excludes(b) for a in first.context.conditions for b in second.context.conditions)


def _equality(test: cst.BaseExpression | None) -> tuple[str, object] | None:
    """`name.attr == "constant"` as (the dotted name, the constant); None for any other test."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return None
    name = dotted_name(test.left)
    if name is None or not isinstance(target.comparator, (cst.SimpleString, cst.Integer)):
        return None
    return name, target.comparator.evaluated_value


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


@dataclass(frozen=True)
class WithFrame:
    """One `with` item whose body encloses the code."""

    item: cst.WithItem
    scope: Scope
    order: int


@dataclass(frozen=True)
class Context:
    """Where a call sits: the enclosing `with` items and branch conditions within its function."""

    withs: tuple[WithFrame, ...] = ()
    conditions: tuple[Condition, ...] = ()


@dataclass(eq=False)
class CallSite:
    node: cst.Call
    scope: Scope
    order: int
    context: Context
    # The function whose body holds the call (a lambda counts); None at module or class level.
    function: FunctionInfo | None


@dataclass(frozen=True)
class ItemAssignment:
    """`name[key] = value` or `name.update(...)`, which changes a dict bound to `name`."""

    name: str
    scope: Scope
    key: str | None  # None: any key may change (`update`, a non-literal key)
    value: cst.BaseExpression | None
    node: cst.CSTNode
    conditional: bool
    order: int = 0


@dataclass(frozen=True)
class AttributeStore:
    """`<object>.<attr> = value` anywhere (`base_model.trainable = False`, `self.backbone.trainable = False`)."""

    target: cst.Attribute
    value: cst.BaseExpression | None
    scope: Scope
    order: int


@dataclass(eq=False)
class ModuleSyntax:
    module: cst.Module
    scope: Scope
    functions: list[FunctionInfo] = field(default_factory=list)
    classes: list[ClassInfo] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    item_assignments: list[ItemAssignment] = field(default_factory=list)
    attribute_stores: list[AttributeStore] = field(default_factory=list)
    # The values stored under a name used as a key (`{is_training: True}`, `feed[is_training] = False`): what a
    # feed dict gives a placeholder, by the placeholder's name.
    keyed_values: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    function_of_node: dict[cst.CSTNode, FunctionInfo] = field(default_factory=dict)
    class_of_node: dict[cst.CSTNode, ClassInfo] = field(default_factory=dict)
