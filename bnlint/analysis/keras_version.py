"""Which Keras a module runs: Keras 2 or Keras 3, whose batch-norm behaviour differs (docs/architecture.md).

`canonical` spells `tf.keras`, `tf_keras` and `keras.src` alike as `keras.…`, so the version is a fact of its own,
read from the names as the module imports them and from the program it belongs to (the environment is one per
program: a script's `os.environ[...]` reaches the modules it imports, and a helper module's Keras 2 code says what
the entry script runs). In order:

1. `keras-version = 2 | 3` of the configuration (`--bnlint-keras-version` for flake8) overrides everything.
2. A module that reaches Keras only through `tf_keras` runs Keras 2.
3. `tf.keras` is Keras 2 where the program sets `TF_USE_LEGACY_KERAS` to a value TensorFlow reads as true, or
   imports `tf_keras` (a project that installs tf_keras chose the legacy Keras; the variable is then usually set
   outside the code). Standalone `import keras` is not routed by that switch.
4. A name only Keras 3 has (`keras.ops`, `keras.config`, ...), or `KERAS_BACKEND` set: Keras 3.
5. A name only Keras 2 has (`keras.layers.merge`, `keras.engine`, `K.function`, `K.get_session`, ...), or
   TensorFlow 1 graph code (a session, a placeholder, `tf.contrib`), in which Keras 3 cannot run: Keras 2.
   Old standalone-Keras-2 scripts (2017-2019) also wrote `import keras`; such names are how they are told apart.
6. Otherwise Keras 3: `import keras` has installed Keras 3 since 2023, and `tf.keras` is Keras 3 from
   TensorFlow 2.16 on.

What is not seen: the environment outside the code (a shell's `export`, a `.env` file that python-dotenv loads,
a Dockerfile's `ENV`) and the installed versions; `keras-version` in the configuration says what they choose.
Where a variable is set is not compared with where TensorFlow is first imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

import libcst as cst

from bnlint.analysis import catalogue
from bnlint.analysis.calls import CallGraph
from bnlint.analysis.resolver import Resolver, literal_value
from bnlint.analysis.syntax import Binding, BindingKind, ModuleSyntax, Scope
from bnlint.analysis.values import External
from bnlint.analysis.walk import nodes_below

_ENVIRONMENT_VARIABLES = (catalogue.LEGACY_KERAS_VARIABLE, catalogue.KERAS_BACKEND_VARIABLE)
# Text that may make a module evidence of the program's Keras, whatever else it holds.
KERAS_SWITCHES = (*_ENVIRONMENT_VARIABLES, catalogue.TF_KERAS_PACKAGE)
_ALIAS_DEPTH = 8  # `K = keras.backend` chains followed before giving up


@dataclass(frozen=True)
class KerasVersion:
    major: int  # 2 or 3
    reason: str  # why bnlint assumes it, for a help text: "train.py sets TF_USE_LEGACY_KERAS"

    @property
    def assumption(self) -> str:
        """What a finding that rests on the version says of it, and how to correct it."""
        return f"(bnlint assumes Keras {self.major}: {self.reason}; keras-version in [tool.bnlint] overrides it.)"


@dataclass(frozen=True)
class KerasEvidence:
    """What one module's own code says about its Keras (each item: a short description, or None)."""

    fronts: frozenset[str]  # how it imports Keras: catalogue.TF_KERAS_PACKAGE, STANDALONE_KERAS, "tf.keras"
    legacy_switch: str | None  # "sets TF_USE_LEGACY_KERAS", "imports tf_keras"
    keras3: str | None  # "keras.ops exists only in Keras 3", "sets KERAS_BACKEND"
    keras2: str | None  # "keras.layers.merge exists only in Keras 2", "tf.placeholder is TensorFlow 1 graph code"


TF_KERAS_FRONT = "tf.keras"


def decide(
    configured: int | None, module: KerasEvidence, program: Iterable[tuple[str, KerasEvidence]]
) -> KerasVersion:
    """The module's Keras, from the configuration, its own evidence and that of the other modules of its program
    (each with the module's file name, for the reason). `program` is read in order and only as far as a question
    needs: the first module that sets TF_USE_LEGACY_KERAS or imports tf_keras decides, and reading a module's
    evidence costs its analysis (in tf-models-official, 659 modules name tf_keras)."""
    if configured is not None:
        return KerasVersion(configured, f"keras-version = {configured} in the configuration")
    if module.fronts == {catalogue.TF_KERAS_PACKAGE}:
        return KerasVersion(2, "this module imports Keras from tf_keras")
    everything = _Kept(chain([("this module", module)], program))
    if catalogue.STANDALONE_KERAS not in module.fronts or TF_KERAS_FRONT in module.fronts:
        switch = _first(everything, lambda evidence: evidence.legacy_switch)
        if switch is not None:
            return KerasVersion(2, f"{switch}, so tf.keras is Keras 2")
    keras3 = _first(everything, lambda evidence: evidence.keras3)
    if keras3 is not None:
        return KerasVersion(3, keras3)
    keras2 = _first(everything, lambda evidence: evidence.keras2)
    if keras2 is not None:
        return KerasVersion(2, keras2)
    if module.fronts == {catalogue.STANDALONE_KERAS}:
        return KerasVersion(3, "`import keras` installs Keras 3 since keras 3.0")
    return KerasVersion(3, "tf.keras is Keras 3 from TensorFlow 2.16 on")


class _Kept:
    """The items of an iterator, each taken from it when a reader first reaches it and kept for the next readers."""

    def __init__(self, items: Iterator[tuple[str, KerasEvidence]]) -> None:
        self._items = items
        self._taken: list[tuple[str, KerasEvidence]] = []

    def __iter__(self) -> Iterator[tuple[str, KerasEvidence]]:
        yield from self._taken
        for item in self._items:
            self._taken.append(item)
            yield item


def _first(modules: Iterable[tuple[str, KerasEvidence]], read: Callable[[KerasEvidence], str | None]) -> str | None:
    """The first module's finding, with the module's name in front: "train.py sets TF_USE_LEGACY_KERAS=1"."""
    for name, evidence in modules:
        found = read(evidence)
        if found is not None:
            return f"{name} {found}"
    return None


def find_evidence(syntax: ModuleSyntax, resolver: Resolver, calls: CallGraph, text: str) -> KerasEvidence:
    """The module's own evidence. `text` is its source: the tree is walked for environment settings only where
    the text names one of the variables."""
    imported = [binding.imported for binding in _imports(syntax) if binding.imported is not None]
    spelled = [*imported, *_called_as_imported(calls, resolver)]
    canonical_names = [catalogue.canonical(name) for name in imported] + [call.name for call in calls.api_calls]
    settings = _environment(syntax, resolver, calls) if any(name in text for name in _ENVIRONMENT_VARIABLES) else {}
    legacy = settings.get(catalogue.LEGACY_KERAS_VARIABLE)
    fronts = frozenset(front for front in map(_front, spelled) if front is not None)
    return KerasEvidence(
        fronts=fronts,
        legacy_switch=(
            f"sets {catalogue.LEGACY_KERAS_VARIABLE}={legacy}"
            if legacy in catalogue.LEGACY_KERAS_VALUES
            else "imports tf_keras" if catalogue.TF_KERAS_PACKAGE in fronts else None
        ),
        keras3=(
            f"sets {catalogue.KERAS_BACKEND_VARIABLE}, which only Keras 3 reads"
            if catalogue.KERAS_BACKEND_VARIABLE in settings
            else _only_in(canonical_names, catalogue.KERAS3_ONLY_NAMES, catalogue.KERAS3_ONLY_MODULES, 3)
        ),
        keras2=_only_in(canonical_names, catalogue.KERAS2_ONLY_NAMES, catalogue.KERAS2_ONLY_MODULES, 2)
        or _tf1_graph(canonical_names, spelled),
    )


def _imports(syntax: ModuleSyntax) -> Iterator[Binding]:
    scopes: list[Scope] = [syntax.scope, *(f.scope for f in syntax.functions), *(c.scope for c in syntax.classes)]
    for scope in scopes:
        for bindings in scope.bindings.values():
            yield from (binding for binding in bindings if binding.kind is BindingKind.IMPORT)


def _called_as_imported(calls: CallGraph, resolver: Resolver) -> Iterator[str]:
    """The names of the external APIs the module calls, as imported (`tf.keras.layers.Dense` called through
    `import tensorflow as tf` is `tensorflow.keras.layers.Dense`, which the imports alone do not show)."""
    for call in calls.api_calls:
        yield from raw_names(resolver, call.site.node.func, call.site.scope, call.site.order, 0)


def raw_names(resolver: Resolver, node: cst.BaseExpression, scope: Scope, order: int, depth: int) -> list[str]:
    """The dotted names an expression may stand for as imported (`tensorflow.compat.v1.keras.backend.function`),
    through import aliases and assigned aliases (`K = tf.keras.backend`), before `canonical` merges spellings; one
    per binding where the bindings differ (`try: import tf_keras as keras` / `except: from tensorflow import
    keras`)."""
    if depth > _ALIAS_DEPTH:
        return []
    if isinstance(node, cst.Attribute):
        return [f"{owner}.{node.attr.value}" for owner in raw_names(resolver, node.value, scope, order, depth)]
    if not isinstance(node, cst.Name):
        return []
    found: list[str] = []
    for binding in resolver.lookup(node.value, scope, order):
        if binding.kind is BindingKind.IMPORT and binding.imported and not binding.imported.startswith("."):
            found.append(binding.imported)
        elif binding.kind is BindingKind.ASSIGN and binding.value is not None and not binding.unpacked:
            found += raw_names(resolver, binding.value, binding.scope, binding.order, depth + 1)
    return found


def _front(raw: str) -> str | None:
    if _under(raw, catalogue.TF_KERAS_PACKAGE):
        return catalogue.TF_KERAS_PACKAGE
    if any(_under(raw, spelling) for spelling in catalogue.TF_KERAS_SPELLINGS):
        return TF_KERAS_FRONT
    return catalogue.STANDALONE_KERAS if _under(raw, catalogue.STANDALONE_KERAS) else None


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _only_in(names: Sequence[str], exact: frozenset[str], modules: frozenset[str], major: int) -> str | None:
    for name in names:
        found = name if name in exact else next((module for module in modules if _under(name, module)), None)
        if found is not None:
            return f"uses {_display(found)}, which exists only in Keras {major}"
    return None


def _tf1_graph(canonical_names: Sequence[str], raw: Sequence[str]) -> str | None:
    for name in canonical_names:
        if name in catalogue.TF1_GRAPH_APIS:
            return f"builds a TensorFlow 1 graph ({_display(name)}), where only Keras 2 runs"
    for name in raw:
        if _under(name, catalogue.TF_CONTRIB):
            return f"uses {_display(name)}, of TensorFlow 1, which ran Keras 2"
    return None


def _display(name: str) -> str:
    return "tf." + name[len("tensorflow.") :] if name.startswith("tensorflow.") else name


def _environment(syntax: ModuleSyntax, resolver: Resolver, calls: CallGraph) -> dict[str, object]:
    """The environment variables the module sets to a literal, of those that choose Keras: `os.environ[name] =
    value`, `os.environ.setdefault(name, value)`, `os.putenv(name, value)`, `os.environ.update({name: value})` or
    `os.environ.update(name=value)`."""
    found: dict[str, object] = {}
    for node in nodes_below(syntax.module):
        if isinstance(node, cst.Assign) and _is_environment(resolver, syntax.scope, node.targets[0].target):
            target = node.targets[0].target
            assert isinstance(target, cst.Subscript)
            _record(found, _subscript_key(target), node.value)
    for call in calls.api_calls:
        args = call.site.node.args
        if call.name in catalogue.ENVIRONMENT_SETTERS and len(args) >= 2:
            _record(found, args[0].value, args[1].value)
        elif call.name == catalogue.ENVIRONMENT_UPDATE:
            for arg in args:
                if arg.keyword is not None:
                    found.update(_literal_pair(arg.keyword.value, arg.value))
                elif isinstance(arg.value, cst.Dict):
                    for element in arg.value.elements:
                        if isinstance(element, cst.DictElement):
                            _record(found, element.key, element.value)
    return found


def _is_environment(resolver: Resolver, scope: Scope, target: cst.BaseExpression) -> bool:
    if not isinstance(target, cst.Subscript):
        return False
    # `os` is imported at the top of the module in practice, so the module scope resolves it wherever it is used.
    return resolver.resolve(target.value, scope) == External(catalogue.ENVIRONMENT)


def _subscript_key(target: cst.Subscript) -> cst.BaseExpression | None:
    if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return None
    return target.slice[0].slice.value


def _record(found: dict[str, object], key: cst.BaseExpression | None, value: cst.BaseExpression) -> None:
    if key is None:
        return
    is_literal, name = literal_value(key)
    if is_literal and isinstance(name, str):
        found.update(_literal_pair(name, value))


def _literal_pair(name: str, value: cst.BaseExpression) -> dict[str, object]:
    if name not in _ENVIRONMENT_VARIABLES:
        return {}
    is_literal, literal = literal_value(value)
    return {name: literal if is_literal else None}
