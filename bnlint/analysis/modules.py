"""Where a module sits among the files of its project: its dotted name and the folder it is imported from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModuleId:
    path: Path  # absolute
    name: str  # dotted name from the import root: `nets.resnet`
    root: Path  # the folder Python imports it from
    is_package: bool  # an `__init__.py`

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


def module_id(path: Path) -> ModuleId:
    path = path.absolute()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ModuleId(path, ".".join(parts), folder, is_package)
