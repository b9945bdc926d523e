"""The analysis walks trees with its own read-only traversal: it must call a visitor exactly as libcst does."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import libcst as cst
import pytest

from bnlint.analysis.walk import walk
from support import fixture_files

_LEAF_MODULES = ("libcst._nodes.op", "libcst._nodes.whitespace")


def _node_classes() -> list[type[cst.CSTNode]]:
    found = [getattr(cst, name) for name in dir(cst)]
    return [
        kind
        for kind in found
        if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and dataclasses.is_dataclass(kind)
    ]


def _recorder_class() -> type[cst.CSTVisitor]:
    """A visitor with every visit/leave method of every node class and field but punctuation and whitespace,
    each appending what was called on which node to `self.log`."""

    def logger(event: str) -> Callable[[cst.CSTVisitor, cst.CSTNode], None]:
        def method(self: cst.CSTVisitor, node: cst.CSTNode) -> None:
            self.log.append((event, id(node)))  # type: ignore[attr-defined]

        return method

    methods: dict[str, object] = {}
    for kind in _node_classes():
        if kind.__module__ in _LEAF_MODULES:
            continue
        name = kind.__name__
        methods[f"visit_{name}"] = logger(f"visit_{name}")
        methods[f"leave_{name}"] = logger(f"leave_{name}")
        for field in dataclasses.fields(kind):
            methods[f"visit_{name}_{field.name}"] = logger(f"visit_{name}_{field.name}")
            methods[f"leave_{name}_{field.name}"] = logger(f"leave_{name}_{field.name}")
    return type("Recorder", (cst.CSTVisitor,), methods)


RECORDER = _recorder_class()


def _calls(module: cst.Module, traverse: Callable[[cst.Module, cst.CSTVisitor], None]) -> list[tuple[str, int]]:
    recorder = RECORDER()
    recorder.log = []  # type: ignore[attr-defined]
    traverse(module, recorder)
    return recorder.log  # type: ignore[attr-defined]


def _libcst(module: cst.Module, visitor: cst.CSTVisitor) -> None:
    module.visit(visitor)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda path: str(path.relative_to(path.parents[1])))
def test_the_walk_calls_a_visitor_as_libcst_does(path: Path):
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = _calls(module, _libcst)
    assert expected
    assert _calls(module, walk) == expected


def test_every_kind_of_syntax_is_walked_in_libcst_order():
    source = """
@decorator(arg)
async def f(a, /, b: int = 1, *args, c, d=2, **kwargs) -> list[int]:
    global g
    x = [i async for i in aiter() if i]
    y = {k: v for k, v in items}
    z = lambda q=1, *r, **s: q if r else s
    async with a as (b, c), d:
        await b
    try:
        pass
    except* ValueError as e:
        raise e from None
    else:
        pass
    finally:
        del x[1:2, ::3]
    match y:
        case {"k": [1, *rest]} | Point(x=0) if rest:
            return f"{x!r:>{width}}"
        case _:
            yield from z
    while (w := next(it)) is not None:
        assert w, "message"
        continue
    for i, j in enumerate(x):
        break
    else:
        nonlocal_ = ~a @ b ** -c
    return (*x, *y), {**y}, {1, 2}, x[...], "str" "more", 1j, 1.5
class C(Base, metaclass=Meta):
    a: int = 1
    def m(self): return super().m()
type Alias[T: int, *Ts, **P] = list[T]
"""
    module = cst.parse_module(source)
    expected = _calls(module, _libcst)
    assert _calls(module, walk) == expected


def test_a_visit_method_returning_false_skips_the_children():
    class Outer(cst.CSTVisitor):
        def __init__(self) -> None:
            self.names: list[str] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Name(self, node: cst.Name) -> None:
            self.names.append(node.value)

    module = cst.parse_module("a = b\ndef f(c):\n    return d\ne(g)\n")
    outer = Outer()
    walk(module, outer)
    assert outer.names == ["a", "b", "e", "g"]


@pytest.mark.parametrize("source", ['f"{a}{b:>{w}}"\n', 'f"{b:>{w}}{a}"\n'], ids=["plain first", "spec first"])
def test_a_format_spec_is_walked_only_where_libcst_walks_it(source, monkeypatch):
    # Which f-string a process meets first decides how its class is learnt: start from nothing learnt.
    monkeypatch.setattr("bnlint.analysis.walk._PLANS", {})
    module = cst.parse_module(source)
    assert _calls(module, walk) == _calls(module, _libcst)
