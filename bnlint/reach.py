"""What each node of a directed graph reaches, computed once per strongly connected component.

The modules of a big package import each other in cycles: in the tensorflow package, 981 of its 1,847 modules are
one cycle. Followed module by module, what each imports directly or not (and what imports it) is a walk of most of
the package each, quadratic over the package. Here the nodes of one cycle share one answer, found from the answers
of the nodes the cycle leads to, and a set of nodes is an int with a bit per node, so a union is one `|`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Node = TypeVar("Node", bound=Hashable)


@dataclass
class Numbering(Generic[Node]):
    """One bit per node, in the order the nodes are met: a set of nodes is the int of their bits."""

    indices: dict[Node, int] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)

    def bit(self, node: Node) -> int:
        index = self.indices.get(node)
        if index is None:
            index = self.indices[node] = len(self.nodes)
            self.nodes.append(node)
        return 1 << index

    def members(self, bits: int) -> list[Node]:
        """The nodes of a set, in the order they were met."""
        return [self.nodes[index] for index, digit in enumerate(reversed(f"{bits:b}")) if digit == "1"]


class Reach(Generic[Node]):
    """For each node, the union of `own` over the nodes it reaches through `successors`, itself included. The nodes
    of one strongly connected component share one value (Tarjan's algorithm, on a stack of its own: an import chain
    may be thousands of modules long). `successors` must answer the same for a node each time it is asked."""

    def __init__(self, successors: Callable[[Node], Iterable[Node]], own: Callable[[Node], int]) -> None:
        self._successors = successors
        self._own = own
        self._values: dict[Node, int] = {}

    def of(self, node: Node) -> int:
        if node not in self._values:
            self._walk(node)
        return self._values[node]

    def _walk(self, start: Node) -> None:
        order: dict[Node, int] = {}  # when each node of this walk was met
        low: dict[Node, int] = {}  # the earliest node met that it leads back to, while that is not finished
        position: dict[Node, int] = {}  # where it sits on `unfinished`
        unfinished: list[Node] = []  # met, and not yet in a finished component
        walk: list[tuple[Node, Iterator[Node]]] = []

        def meet(node: Node) -> None:
            order[node] = low[node] = len(order)
            position[node] = len(unfinished)
            unfinished.append(node)
            walk.append((node, iter(self._successors(node))))

        meet(start)
        while walk:
            node, successors = walk[-1]
            for successor in successors:
                if successor in self._values:
                    continue  # in a component finished before: its value is final
                if successor not in order:
                    meet(successor)
                    break
                low[node] = min(low[node], order[successor])  # unfinished: part of a cycle through node
            else:
                walk.pop()
                if walk:
                    parent = walk[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == order[node]:  # node is the first met of its component: the rest is above it
                    self._finish(unfinished[position[node] :])
                    del unfinished[position[node] :]

    def _finish(self, component: list[Node]) -> None:
        members = set(component)
        value = 0
        for member in component:
            value |= self._own(member)
            for successor in self._successors(member):
                if successor not in members:  # in a finished component (Tarjan: nothing else is left)
                    value |= self._values[successor]
        for member in component:
            self._values[member] = value
