"""Run TF1-style scripts as written on TensorFlow 2: graph mode, `tensorflow.compat.v1` standing in for
`tensorflow`, and `tensorflow.contrib` members mapped to tf-slim. Imported only in the verifier's child process.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
from typing import Any

# tf_slim's batch_norm lazily imports tf_keras.legacy_tf_layers.*, which tf_keras 2.16+ ships under src/.
_LEGACY_LAYERS = ("", ".base", ".core", ".convolutional", ".normalization", ".pooling")

# `tensorflow.contrib.<name>` members with a stand-in, and the modules that stand in, searched in order.
_CONTRIB = {
    "slim": ("tf_slim",),
    "layers": ("tf_slim.layers",),
    "framework": ("tf_slim.ops.arg_scope", "tf_slim.ops.variables", "tf_slim"),
    "training": ("tf_slim.training.training",),
}


# Names tf-slim 1.1 reads from TensorFlow's private modules that TensorFlow 2.21 moved elsewhere (`ops.Tensor` is
# `tensor.Tensor` now): module, name, and the public path of the same object under `tensorflow`.
_MOVED = (
    ("tensorflow.python.framework.ops", "Tensor", "Tensor"),
    ("tensorflow.python.framework.ops", "IndexedSlices", "IndexedSlices"),
    ("tensorflow.python.ops.array_ops", "stack", "stack"),
    ("tensorflow.python.ops.array_ops", "unstack", "unstack"),
    ("tensorflow.python.ops.control_flow_ops", "cond", "compat.v1.cond"),
    ("tensorflow.python.ops.control_flow_ops", "case", "compat.v1.case"),
    ("tensorflow.python.ops.control_flow_ops", "while_loop", "compat.v1.while_loop"),
    ("tensorflow.python.ops.control_flow_ops", "Assert", "debugging.Assert"),
    ("tensorflow.python.ops.variable_scope", "variable", "compat.v1.Variable"),
)


class UnsupportedApi(Exception):
    """The script uses a TensorFlow API that has no stand-in under TensorFlow 2."""


class _TensorFlow(types.ModuleType):
    """`tensorflow` as a TF1 script sees it: compat.v1 names first, TF2 for the rest and for private names."""

    def __init__(self, real: types.ModuleType, v1: types.ModuleType, contrib: types.ModuleType) -> None:
        super().__init__("tensorflow")
        self._real = real
        self._v1 = v1
        self.contrib = contrib
        for attr in ("__path__", "__spec__", "__file__", "__version__"):
            if hasattr(real, attr):
                setattr(self, attr, getattr(real, attr))

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            return getattr(self._real, name)  # Keras 3 reaches for TF2's private modules
        try:
            return getattr(self._v1, name)
        except AttributeError:
            return getattr(self._real, name)


class _Contrib(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("tensorflow.contrib")
        self.__path__: list[str] = []

    def __getattr__(self, name: str) -> object:
        targets = _CONTRIB.get(name)
        if targets is None:
            raise UnsupportedApi(f"tensorflow.contrib.{name} has no stand-in on TensorFlow 2")
        module = importlib.import_module(targets[0]) if len(targets) == 1 else _Merged(name, targets)
        setattr(self, name, module)
        return module


class _Merged(types.ModuleType):
    """A contrib module whose members tf-slim keeps in several modules (`contrib.framework`: `arg_scope` in one,
    `get_or_create_global_step` in another). A member none of them has is not verifiable, not the script's error."""

    def __init__(self, name: str, targets: tuple[str, ...]) -> None:
        super().__init__(f"tensorflow.contrib.{name}")
        self._targets = targets

    def __getattr__(self, attr: str) -> object:
        if attr.startswith("__"):
            raise AttributeError(attr)
        for target in self._targets:
            module = importlib.import_module(target)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise UnsupportedApi(f"{self.__name__}.{attr} has no stand-in on TensorFlow 2")


class _ContribPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Deep imports of contrib's own layout (`tensorflow.contrib.layers.python.layers.utils`,
    `tensorflow.contrib.framework.python.ops.arg_scope`): the tf-slim module of the same name stands in."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> Any:
        if fullname.startswith("tensorflow.contrib."):
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        name, *rest = spec.name.split(".")[2:]
        if name not in _CONTRIB:
            raise UnsupportedApi(f"tensorflow.contrib.{name} has no stand-in on TensorFlow 2")
        rest = [part for part in rest if part != "python"]
        if not rest:  # `tensorflow.contrib.layers.python`: a folder on the way
            package = types.ModuleType(spec.name)
            package.__path__ = []
            return _set_on_parent(spec.name, package)
        # `slim.python.slim` is the package itself; otherwise tf-slim keeps the module under its own name, in
        # `layers` or in `ops` (`framework.python.ops.arg_scope` is `tf_slim.ops.arg_scope`).
        first = [_CONTRIB[name][0]] if rest == [name] else []
        last = rest[-1]
        dotted = ".".join(rest)
        candidates = [*first, f"tf_slim.{dotted}", f"tf_slim.{last}", f"tf_slim.layers.{last}", f"tf_slim.ops.{last}"]
        for candidate in candidates:
            try:
                return _set_on_parent(spec.name, importlib.import_module(candidate))
            except ImportError:
                continue
        raise UnsupportedApi(f"{spec.name} has no stand-in on TensorFlow 2")

    def exec_module(self, module: types.ModuleType) -> None:
        """The stand-in is imported already (create_module)."""


def _set_on_parent(name: str, module: types.ModuleType) -> types.ModuleType:
    """`import tensorflow.contrib.x.python.y as z` reads each name as an attribute of the one before: set the module
    on what its parent name stands for (a tf-slim module, or a folder on the way)."""
    parent_name, _, child = name.rpartition(".")
    parent: object = sys.modules["tensorflow"]
    for part in parent_name.split(".")[1:]:
        parent = getattr(parent, part)
    setattr(parent, child, module)
    return module


def install_tf1() -> types.ModuleType:
    """Put the TF1 view of TensorFlow in place for every later `import tensorflow`; return compat.v1."""
    import tensorflow as real
    import tensorflow.compat.v1 as v1

    v1.disable_v2_behavior()  # graph mode, v1 control flow: batch-norm ops and conds as TF1 built them
    for suffix in _LEGACY_LAYERS:
        try:
            module = importlib.import_module(f"tf_keras.src.legacy_tf_layers{suffix}")
        except ImportError:
            continue
        sys.modules[f"tf_keras.legacy_tf_layers{suffix}"] = module
    _restore_moved_names(real)
    contrib = _Contrib()
    sys.modules["tensorflow"] = _TensorFlow(real, v1, contrib)
    sys.modules["tensorflow.contrib"] = contrib
    for name in _CONTRIB:
        sys.modules[f"tensorflow.contrib.{name}"] = _LazyModule(f"tensorflow.contrib.{name}", contrib, name)
    sys.meta_path.insert(0, _ContribPaths())
    _install_tutorials()
    return v1


def _install_tutorials() -> None:
    """`from tensorflow.examples.tutorials.mnist import input_data`, read from local files (bnlint.verify.tutorials)."""
    from bnlint.verify import tutorials

    for name in ("tensorflow.examples", "tensorflow.examples.tutorials", "tensorflow.examples.tutorials.mnist"):
        package = types.ModuleType(name)
        package.__path__ = []
        sys.modules[name] = package
    sys.modules["tensorflow.examples.tutorials.mnist"].input_data = tutorials  # type: ignore[attr-defined]
    sys.modules["tensorflow.examples.tutorials.mnist.input_data"] = tutorials


def _restore_moved_names(real: types.ModuleType) -> None:
    """Put back, where they are missing, the names tf-slim still reads from TensorFlow's private modules."""
    for module_name, name, public in _MOVED:
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            value: object = real
            for part in public.split("."):
                value = getattr(value, part)
            setattr(module, name, value)


class _LazyModule(types.ModuleType):
    """`import tensorflow.contrib.slim as slim` before tf_slim is loaded: resolve on first attribute access."""

    def __init__(self, name: str, contrib: _Contrib, attr: str) -> None:
        super().__init__(name)
        self.__path__: list[str] = []
        self._contrib = contrib
        self._attr = attr

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(getattr(self._contrib, self._attr), name)
