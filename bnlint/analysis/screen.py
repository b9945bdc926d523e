"""The screen: whether a module can hold a finding at all, decided from Python's own `ast` before libcst parses it.

Each rule declares the APIs it starts from (`Rule.needs`): a module from which none of them can be reached cannot
hold its findings. BN003's towers are functions that create variables, the other rules start from a batch-norm
layer, and BN006 also from a Saver; a rule about Keras models or `tf.GradientTape` would name those. The screen
looks for the union of the rules' declarations (`Apis`). The analysis can only reach an API through a name it
resolves: an import of TensorFlow, Keras or tf-slim, or a function, class or variable of a project module it
imports, which reaches one in turn. The screen follows the same imports over a summary of each module: its
top-level statements (units), the names each one refers to, and its import aliases. A module none of whose units
reaches a declared API is never parsed by libcst: in real TensorFlow projects that is most of them (helpers, data
pipelines, Keras models without batch norm), while `ast` parses about ten times faster than libcst.

Where the two could differ, the screen errs towards analysing: a dotted name that could still become a declared API
with more attributes (`tf`, `tf.layers`, `tf.compat`) counts as one; a unit refers to every name its code uses,
a function's locals included; imports anywhere in a module bind for all of it; a module Python cannot parse, and
a name a project module does not bind, count as reaching. Imports of other packages are what the analysis takes
them for: APIs, known by their names.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bnlint.analysis import catalogue


def _prefixes(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:count]) for count in range(1, len(parts))}


@dataclass(frozen=True)
class Apis:
    """The APIs the screen looks for: canonical names (bnlint.analysis.catalogue), from the rules' declarations."""

    names: frozenset[str]
    # Dotted names that more attributes may still turn into one of them: `tf.layers` kept in a variable, `tf`
    # handed to a function, `tf.compat` (which `canonical` leaves alone until `.v1` follows).
    prefixes: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str]) -> Apis:
        names = frozenset(names)
        aliased = {prefix for old in catalogue.ALIASED_PACKAGES for prefix in (*_prefixes(old), old)}
        return cls(names, frozenset(set().union(*map(_prefixes, names)) | aliased))

    def named(self, name: str) -> bool:
        """Whether an external dotted name is one of the APIs, lies inside one, or may lead to one. The analysis
        makes a name canonical attribute by attribute as it resolves it (`tf.compat.v1`, then `.layers`), which may
        differ from the whole name made canonical at once (`tf.compat.v1.compat.v1.layers`): either counts."""
        if name in self.prefixes:
            return True
        return any(map(self._is_api, {catalogue.canonical(name), _canonical_stepwise(name)}))

    def _is_api(self, canonical: str) -> bool:
        if canonical in self.names or canonical in self.prefixes:
            return True
        return any(prefix in self.names for prefix in _prefixes(canonical))


def _canonical_stepwise(name: str) -> str:
    first, *rest = name.split(".")
    canonical = catalogue.canonical(first)
    for part in rest:
        canonical = catalogue.canonical(f"{canonical}.{part}")
    return canonical


@dataclass(frozen=True)
class Unit:
    """One top-level statement: a def, a class, an assignment, an `if` block."""

    # Dotted names its code uses, each once: `tf.layers.dense`, `conv`, `nets.resnet.block`. A tuple: only ever
    # iterated, and kept for every unit of every screened module (a third of a small frozenset's memory).
    references: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """What the screen knows of one module. `units` is None when `ast` cannot parse it."""

    units: tuple[Unit, ...] | None
    binders: dict[str, tuple[int, ...]]  # each top-level name, with the units that bind it
    aliases: dict[str, tuple[str, ...]]  # each imported name, with the dotted names it may stand for, as imported
    stars: tuple[str, ...]  # the modules it imports `*` from, as imported (`..nets`)


UNPARSED = Summary(None, {}, {}, ())


def summarize(text: str, tree: ast.Module | None = None) -> Summary:
    """`tree`: Python's `ast` of exactly `text`, where the caller has it (flake8 hands its plugins one)."""
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return UNPARSED
    units: list[Unit] = []
    binders: dict[str, list[int]] = {}
    aliases: dict[str, list[str]] = {}
    stars: list[str] = []
    nested = [list(_nested(statement)) for statement in tree.body]
    walrus = ":=" in text  # once: asked per statement, it made a long module quadratic
    for statements in nested:
        for inner in statements:
            for name, target in _imports(inner):
                if name == "*":
                    stars.append(target)
                else:
                    aliases.setdefault(name, []).append(target)
    for index, (statement, statements) in enumerate(zip(tree.body, nested, strict=True)):
        alias = _chain_alias(statement)
        root, _, rest = alias[1].partition(".") if alias is not None else ("", "", "")
        if alias is not None and root in aliases:
            # `slim = tf.contrib.slim`, `layers = tf.keras.layers`: an alias of what the root name imports, so that
            # `layers.Dense` is read as the Keras layer it is rather than as any use of `tf`.
            aliases.setdefault(alias[0], []).extend([f"{target}.{rest}" for target in aliases[root]])
            units.append(Unit(()))
            continue
        units.append(Unit(_references(statement)))
        for name in _bound(statement, statements, walrus):
            binders.setdefault(name, []).append(index)
    return Summary(
        tuple(units),
        {name: tuple(indexes) for name, indexes in binders.items()},
        {name: tuple(targets) for name, targets in aliases.items()},
        tuple(stars),
    )


def _references(statement: ast.stmt) -> tuple[str, ...]:
    """The names and the dotted chains on names (`tf.layers.dense`) the statement's code uses; its imports bind
    names, they use none. Hot: one pass over every node of every screened module. It follows the syntax's own
    fields, not every attribute: a tree flake8 hands over may carry links its other plugins added (to a parent)."""
    references: dict[str, None] = {}  # in the order met, each once
    pending: list[object] = [statement]
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.Attribute:
            chain = _dotted(node)  # type: ignore[arg-type]
            if chain is not None:
                # Kept for every screened module of a run: the same chains (`tf.nn.relu`, `self.conv`) everywhere.
                references[sys.intern(chain)] = None
                continue
        elif kind is ast.Name:
            references[node.id] = None  # type: ignore[attr-defined]
            continue
        elif kind is ast.Import or kind is ast.ImportFrom or not isinstance(node, ast.AST):
            continue  # strings, None and numbers in the fields below
        for name in kind._fields:
            value = getattr(node, name, None)  # an optional field may be missing from a hand-made node
            if type(value) is list:
                pending.extend(value)
            else:
                pending.append(value)
    return tuple(references)


def _nested(statement: ast.stmt) -> Iterator[ast.stmt]:
    """The statement and every statement inside it, functions and classes included; not expressions."""
    pending: list[ast.stmt] = [statement]
    while pending:
        node = pending.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, ()):
                if isinstance(child, ast.stmt):
                    pending.append(child)
                else:  # an `except` handler or a `case`: statements of its own
                    pending.extend(child.body)


def _bound(statement: ast.stmt, statements: list[ast.stmt], walrus: bool) -> set[str]:
    """The top-level names the statement binds: its def or class; the targets of a top-level assignment, loop,
    `with`, `except` or `:=` (`walrus`: the module has one), and the defs and classes of a top-level `if` or `try`
    (their own local names too, which only adds links); `global` names of any function in it. Names a top-level
    `match` captures are not counted."""
    bound = {name for nested in statements if isinstance(nested, ast.Global) for name in nested.names}
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return bound | {statement.name}
    for nested in statements:
        if isinstance(nested, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(nested.name)
        targets: list[ast.AST] = []
        if isinstance(nested, ast.Assign):
            targets = list(nested.targets)
        elif isinstance(nested, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            targets = [nested.target]
        elif isinstance(nested, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in nested.items if item.optional_vars is not None]
        for target in targets:
            bound.update(node.id for node in ast.walk(target) if isinstance(node, ast.Name))
        if isinstance(nested, ast.Try):
            bound.update(handler.name for handler in nested.handlers if handler.name)
    for node in ast.walk(statement) if walrus else ():
        if isinstance(node, ast.NamedExpr):
            bound.add(node.target.id)
    return bound


def _imports(statement: ast.stmt) -> Iterator[tuple[str, str]]:
    """(name bound, dotted name as imported) for an import statement; ("*", module) for a star import."""
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.asname is not None:
                yield alias.asname, alias.name
            else:
                root = alias.name.split(".")[0]
                yield root, root
    elif isinstance(statement, ast.ImportFrom):
        base = "." * statement.level + (statement.module or "")
        separator = "." if statement.module else ""
        for alias in statement.names:
            yield (alias.asname or alias.name, base if alias.name == "*" else f"{base}{separator}{alias.name}")


def _chain_alias(statement: ast.stmt) -> tuple[str, str] | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        chain = _dotted(statement.value)
        if chain is not None and "." in chain:
            return statement.targets[0].id, chain
    return None


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


# A unit of a module: (module file, index of the unit); or a top-level name of a module: (module file, name), which
# links to the units that bind it. Through the name, N units that use a name bound by M units make N + M links, not
# N × M: a script that rebinds `x = block(x)` at the top level 20,000 times would otherwise hold 400 million.
Node = tuple[Path, int | str]


@dataclass(frozen=True)
class ScreenLinks:
    """What the screen needs from the project: summaries, and where imports lead."""

    summary: Callable[[Path], Summary]
    # The project module a dotted name imported by a file starts with, and the attributes after it (Project).
    find_import: Callable[[Path, str], tuple[Path, list[str]] | None]
    submodule: Callable[[Path, str], Path | None]  # `pkg/sub.py` for a package's `__init__.py` and `sub`
    # Whether a file's import names a framework, not a package of the project with the framework's name (Project).
    is_framework: Callable[[Path, str], bool]


class Screen:
    """Which modules reach one of the APIs. Over a run, each unit's links are resolved once, and what a search
    learns (units that reach an API, units that cannot) serves the searches of the files after it."""

    def __init__(self, links: ScreenLinks, apis: Apis) -> None:
        self._links = links
        self._apis = apis
        self._steps: dict[Node, tuple[Node | bool, ...]] = {}  # each unit's links, resolved
        self._live: set[Node] = set()  # units known to reach an API
        self._dead: set[Node] = set()  # units known to reach none
        self._named: dict[str, bool] = {}  # whether `apis` names each external name met

    def reaches(self, path: Path) -> bool:
        """Whether any unit of the module reaches one of the APIs."""
        summary = self._links.summary(path)
        if summary.units is None:
            return True  # the analysis reports why it cannot parse the module
        return self._search(self._whole(path, summary))

    def _search(self, start: Iterable[Node]) -> bool:
        parents: dict[Node, Node | None] = {}  # each unit met, with the one that led to it
        pending: list[Node] = []
        for node in start:
            if node in self._live:
                return True
            if node not in self._dead and node not in parents:
                parents[node] = None
                pending.append(node)
        while pending:
            node = pending.pop()
            for step in self._links_of(node):
                if step is True or step in self._live:
                    self._mark_live(node, parents)
                    return True
                if isinstance(step, tuple) and step not in parents and step not in self._dead:
                    parents[step] = node
                    pending.append(step)
        # Every unit met links only to units met: none of them reaches an API.
        self._dead.update(parents)
        return False

    def _mark_live(self, node: Node | None, parents: dict[Node, Node | None]) -> None:
        while node is not None:
            self._live.add(node)
            node = parents[node]

    def _links_of(self, node: Node) -> tuple[Node | bool, ...]:
        if node not in self._steps:
            path, key = node
            summary = self._links.summary(path)
            assert summary.units is not None
            if isinstance(key, str):
                self._steps[node] = tuple((path, index) for index in summary.binders[key])
            else:
                references = summary.units[key].references
                self._steps[node] = tuple(step for name in references for step in self._reference(path, summary, name))
        return self._steps[node]

    def _reference(self, path: Path, summary: Summary, reference: str) -> Iterator[Node | bool]:
        root, _, rest = reference.partition(".")
        if root in summary.binders:
            yield path, root
        for target in summary.aliases.get(root, ()):
            yield from self._dotted(path, f"{target}.{rest}" if rest else target)
        if root not in summary.binders and root not in summary.aliases:
            # A name bound nowhere in the module is a local, a builtin, or comes from a star import.
            for star in summary.stars:
                yield from self._dotted(path, f"{star}.{reference}", starred=True)

    def _dotted(self, importer: Path, imported: str, starred: bool = False) -> Iterator[Node | bool]:
        """What a dotted name imported by `importer` leads to: a project module's units, or an API. As in the
        analysis, TensorFlow, Keras and slim are never project modules, even in their own sources, unless the
        project has a package of that name of its own. `starred`: the name is only a guess at what a star import
        brings, so a module without it adds nothing."""
        if self._links.is_framework(importer, imported):
            yield self._names_api(imported)
            return
        found = self._links.find_import(importer, imported)
        if found is None:  # another package: an API or not, by its name; a relative import that leads nowhere: not
            yield not imported.startswith(".") and self._names_api(imported)
        elif found[1]:
            yield from self._member(found[0], found[1][0], starred)
        else:
            yield from self._all(found[0])

    def _names_api(self, name: str) -> bool:
        if name not in self._named:
            self._named[name] = self._apis.named(name)
        return self._named[name]

    def _member(self, path: Path, name: str, starred: bool) -> Iterator[Node | bool]:
        summary = self._links.summary(path)
        if summary.units is None:
            yield True
            return
        if name in summary.binders or name in summary.aliases:
            yield from self._reference(path, summary, name)
            return
        submodule = self._links.submodule(path, name)
        if submodule is not None:
            yield from self._all(submodule)
        elif summary.stars:
            for star in summary.stars:
                yield from self._dotted(path, f"{star}.{name}", starred=True)
        elif not starred:
            yield from self._whole(path, summary)  # made some way the screen does not follow (`globals()`)

    def _all(self, path: Path) -> Iterator[Node | bool]:
        summary = self._links.summary(path)
        if summary.units is None:
            yield True
        else:
            yield from self._whole(path, summary)

    @staticmethod
    def _whole(path: Path, summary: Summary) -> list[Node]:
        assert summary.units is not None
        return [(path, index) for index in range(len(summary.units))]
