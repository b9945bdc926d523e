"""What modules import, directly or not, and what a file's findings rest on: computed once per import cycle
(bnlint.reach), and the same as following the import lines module by module."""

from __future__ import annotations

import random
from pathlib import Path

from bnlint.project import Project
from bnlint.reach import Numbering, Reach

Graph = dict[str, list[str]]


def reach_of(graph: Graph) -> tuple[Numbering[str], Reach[str]]:
    numbering: Numbering[str] = Numbering()
    return numbering, Reach(lambda node: graph.get(node, []), numbering.bit)


def test_each_node_reaches_itself_what_it_leads_to_and_its_whole_cycle():
    graph = {"a": ["b"], "b": ["c", "a"], "c": ["d"], "d": [], "e": ["a"], "f": ["f"]}
    numbering, reach = reach_of(graph)
    reached = {node: set(numbering.members(reach.of(node))) for node in "abcdef"}
    assert reached == {
        "a": {"a", "b", "c", "d"},
        "b": {"a", "b", "c", "d"},
        "c": {"c", "d"},
        "d": {"d"},
        "e": {"a", "b", "c", "d", "e"},
        "f": {"f"},
    }


def test_a_chain_longer_than_the_recursion_limit_is_followed():
    count = 20_000
    graph = {str(index): [str(index + 1)] for index in range(count - 1)}
    graph[str(count - 1)] = ["0"]  # and one cycle through all of it
    numbering, reach = reach_of(graph)
    assert len(numbering.members(reach.of("5"))) == count


def test_a_node_is_followed_once_however_many_nodes_are_asked_about():
    # One cycle of 300 modules that each import every other: followed from each, 90,000 steps each.
    graph = {str(index): [str(other) for other in range(300) if other != index] for index in range(300)}
    graph["script"] = ["0"]
    asked: list[str] = []

    def successors(node: str) -> list[str]:
        asked.append(node)
        return graph[node]

    numbering: Numbering[str] = Numbering()
    reach = Reach(successors, numbering.bit)
    assert all(len(numbering.members(reach.of(node))) == 300 for node in graph if node != "script")
    assert len(numbering.members(reach.of("script"))) == 301
    assert max(asked.count(node) for node in graph) <= 2  # met, then its component finished


def test_own_values_add_up_over_what_is_reached():
    graph = {"a": ["b"], "b": ["a", "c"], "c": []}
    reach = Reach(lambda node: graph[node], lambda node: {"a": 1, "b": 2, "c": 4}[node])
    assert (reach.of("c"), reach.of("a"), reach.of("b")) == (4, 7, 7)


def random_program(folder: Path, seed: int) -> Graph:
    """Modules m0..m14 that import each other at random (cycles included), and some import lib0..lib2 of a
    configured root outside the program, which import each other."""
    generator = random.Random(seed)
    names = [f"m{index}" for index in range(15)]
    graph: Graph = {name: sorted(generator.sample(names, generator.randint(0, 3))) for name in names}
    for name in generator.sample(names, 3):
        graph[name].append(f"lib{generator.randint(0, 2)}")
    graph.update({"lib0": ["lib1"], "lib1": ["lib2"], "lib2": ["lib0"] if seed % 2 else []})
    (folder / "program").mkdir()
    (folder / "lib").mkdir()
    for name, imported in graph.items():
        module = folder / ("lib" if name.startswith("lib") else "program") / f"{name}.py"
        module.write_text("".join(f"import {other}\n" for other in imported if other != name))
    return {name: [other for other in imported if other != name] for name, imported in graph.items()}


def path_of(folder: Path, name: str) -> Path:
    return folder / ("lib" if name.startswith("lib") else "program") / f"{name}.py"


def imported_in_order(graph: Graph, start: str) -> list[str]:
    """What a module imports, directly or not, in the order a walk of the import lines meets it."""
    found: dict[str, None] = {}
    pending = [start]
    while pending:
        for name in graph[pending.pop()]:
            if name not in found and name != start:
                found[name] = None
                pending.append(name)
    return list(found)


def dependencies_in_order(graph: Graph, start: str) -> list[str]:
    """Its imports, then each module of the program that imports it (directly or not) followed by that module's
    imports: the order in which the analysis reads the evidence of the other modules."""
    importers: dict[str, list[str]] = {}
    for name in sorted(graph):  # as the program's files are listed
        if name.startswith("m"):
            for imported in dict.fromkeys(graph[name]):
                importers.setdefault(imported, []).append(name)
    found = dict.fromkeys(imported_in_order(graph, start))
    pending, seen = [start], {start}
    while pending:
        for importer in importers.get(pending.pop(), []):
            if importer not in seen:
                seen.add(importer)
                pending.append(importer)
                found[importer] = None
                found.update(dict.fromkeys(imported_in_order(graph, importer)))
    found.pop(start, None)
    return list(found)


def test_dependencies_are_those_of_the_import_lines_module_by_module(tmp_path):
    for seed in range(40):
        folder = tmp_path / str(seed)
        folder.mkdir()
        graph = random_program(folder, seed)
        project = Project(roots=[folder / "lib"])
        for name in graph:
            path = path_of(folder, name)
            imported = [path_of(folder, other) for other in imported_in_order(graph, name)]
            assert project.imported_modules(path) == imported, (seed, name)
            if name.startswith("lib"):
                continue  # each module of lib/ is a program of its own
            dependencies = [path_of(folder, other) for other in dependencies_in_order(graph, name)]
            assert project.dependencies(path) == dependencies, (seed, name)
            assert set(project.rests_on(path)) == {path, *dependencies}, (seed, name)
        for name in graph:  # every text is known now
            importers = [path_of(folder, other) for other in graph if name in imported_in_order(graph, other)]
            assert set(project.importers(path_of(folder, name))) == set(importers), (seed, name)


def test_the_modules_of_one_import_cycle_rest_on_one_set(tmp_path):
    for name, imported in {"a": "b", "b": "c", "c": "a", "train": "a", "other": "c"}.items():
        (tmp_path / f"{name}.py").write_text(f"import {imported}\n")
    project = Project()
    a, b, c, train, other = (project.rests_on(tmp_path / f"{name}.py") for name in ("a", "b", "c", "train", "other"))
    assert a is b is c  # what is derived from it (the cache's digest of the texts) is derived once
    assert set(a) == {tmp_path / f"{name}.py" for name in ("a", "b", "c", "train", "other")}
    assert set(train) == {tmp_path / f"{name}.py" for name in ("a", "b", "c", "train")}
    assert set(other) == {tmp_path / f"{name}.py" for name in ("a", "b", "c", "other")}
