"""A project: the Python files that import each other, found as Python would find them and analysed once each.

A module's import root is its folder, or the first parent folder that is not a package (has no `__init__.py`):
the folder Python puts on `sys.path` when the script runs. `from model import classifier` in `train.py` resolves
to `model.py` next to it; `from .nets import resnet` and `import nets.resnet as r` resolve inside the package.
Both front ends use the same rule, so `bnlint check DIR` and `flake8` agree on every file.
"""

from __future__ import annotations

import ast
import fnmatch
import gc
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.analysis.fixpoint import FixpointCache
from bnlint.analysis.modules import ModuleId, module_id
from bnlint.analysis.screen import UNPARSED, Screen, ScreenLinks, Summary, summarize
from bnlint.discovery import DEFAULT_EXCLUDE
from bnlint.keras_setting import KerasSetting
from bnlint.reach import Numbering, Reach
from bnlint.rules import screened_apis
from bnlint.source import decode, mentions_framework

# libcst and the analysis are imported where a module is parsed: a run whose files are all screened out or cached,
# and `bnlint rule`, never load them (start-up is most of a pre-commit hook's time).
if TYPE_CHECKING:
    import libcst as cst

    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.syntax import Scope

# `import a.b`, `from a.b import c`, `from . import c`, `from .a import c`, `from a import (\n b,\n c)`: enough to
# follow imports before parsing.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[\w \t,*]+)|import[ \t]+([\w., \t]+))",
    re.MULTILINE,
)
# `sys.path.append('../')`, `sys.path.insert(0, "lib")`: a folder a script adds to the import path, written as a
# literal relative to the folder it is run from.
_SYS_PATH = re.compile(r"""sys\.path\.(?:append|insert)\(\s*(?:\d+\s*,\s*)?r?['"]([^'"\n]+)['"]\s*\)""")
# How many Python files of an import root bnlint lists to find the modules that import a module (its callers);
# a root holding more is a tree of unrelated code, not one program.
PROGRAM_FILES = 5_000
# Folders of installed distributions: each top-level package there is its own project.
_INSTALLED = frozenset({"site-packages", "dist-packages"})
# How much analysed source (characters) a project keeps for the imports of the files still to come. A parsed and
# analysed module takes some 50 to 70 times its text in memory; past this, the analyses are dropped and redone when a
# later file needs them, which bounds the memory of a run over a big tree. The facts of a program's training code
# (which tape an optimizer applies, which steps run a function) read the modules importing a file's, so one file
# of a big package can need most of it analysed: tf-models-official's files need 7.5 MB of its 10 MB. Below that,
# each drop is followed by the same parses again (8 MB cost its corpus 1.4 times the time, and more memory).
KEPT_SOURCE = 16_000_000


@dataclass
class _OfEachText:
    """What is derived from one module's text alone, by path: a changed text takes its own entries with it."""

    mentioning: dict[Path, bool] = field(default_factory=dict)  # whether the text mentions the framework
    summaries: dict[Path, Summary] = field(default_factory=dict)  # for the screen (bnlint.analysis.screen)

    def forget(self, path: Path) -> None:
        for cache in fields(self):
            getattr(self, cache.name).pop(path, None)


@dataclass
class _AcrossTexts:
    """What is derived from the file system and from the import lines of every text: a changed text may add or
    remove an import, or make a module appear, so any change drops all of it."""

    screen: Screen  # what it ruled out rests on the texts it read
    numbering: Numbering[Path]  # the modules met, for sets of them as bits
    imported: Reach[Path]  # the bits of each module and the modules it imports, directly or not
    found: dict[tuple[Path, str], Path | None] = field(default_factory=dict)  # the file of a module under a root
    import_folders: dict[Path, tuple[Path, ...]] = field(default_factory=dict)  # by importer, in order
    folders: dict[Path, Path] = field(default_factory=dict)  # one object for each folder met
    ids: dict[Path, ModuleId] = field(default_factory=dict)
    added_roots: dict[Path, tuple[Path, ...]] = field(default_factory=dict)  # folders each module adds to sys.path
    imports: dict[Path, list[Path]] = field(default_factory=dict)  # each module's directly imported project modules
    program_importers: dict[Path, dict[Path, list[Path]]] = field(default_factory=dict)  # per program root
    program_roots: dict[tuple[Path, Path], Path] = field(default_factory=dict)  # per import root and top package
    program_files: dict[Path, tuple[Path, ...] | None] = field(default_factory=dict)  # None: too many to be one
    shadows: dict[tuple[Path, str], bool] = field(default_factory=dict)  # per importer and framework import
    # Asked for each module of a program by each module of it (the Keras version, the program's methods): once each.
    closures: dict[Path, tuple[Path, ...]] = field(default_factory=dict)  # imported_modules
    dependencies: dict[Path, tuple[Path, ...]] = field(default_factory=dict)
    # Per program root: the bits of each module and its dependencies (rests_on).
    resting: dict[Path, Reach[Path]] = field(default_factory=dict)
    rests_on: dict[int, tuple[Path, ...]] = field(default_factory=dict)  # by its bits: one tuple for equal sets
    relevance: dict[Path, bool] = field(default_factory=dict)  # the screen's answer, for readable modules


@dataclass
class _Analyses:
    """Parsed and analysed modules: dropped whole to bound memory (KEPT_SOURCE), and module by module when a text
    they rest on changes."""

    facts: dict[Path, ModuleFacts | None] = field(default_factory=dict)
    owners: dict[Scope, ModuleFacts] = field(default_factory=dict)
    # Facts that cross modules (wrappers, builders, batch norm): any of them may rest on a forgotten module.
    cross_module: FixpointCache = field(default_factory=FixpointCache)
    kept: int = 0  # characters of the modules analysed since the analyses were last dropped

    def forget(self, modules: Iterable[Path]) -> None:
        for module in modules:
            facts = self.facts.pop(module, None)
            if facts is not None:
                self.owners.pop(facts.syntax.scope, None)
        self.cross_module = FixpointCache()


class Project:
    """Module analyses by path, parsed once; the front end may supply texts that are not on disk yet.

    Every cache is in one of three groups by what it is derived from (_OfEachText, _AcrossTexts, _Analyses), and
    a changed text invalidates all three in one place, `_text_changed`.
    """

    def __init__(
        self,
        roots: Sequence[Path] = (),
        read: Callable[[Path], bytes] = Path.read_bytes,
        keep: int = KEPT_SOURCE,
        keras: KerasSetting = KerasSetting(),
    ) -> None:
        # Folders to import from besides each module's own root (a configured project root, like PYTHONPATH).
        self.roots = tuple(root.absolute() for root in roots)
        self.keras = keras  # the configured Keras version, which overrides what the code says
        self._read = read
        self._keep = keep
        self._texts: dict[Path, str] = {}
        self._of_each_text = _OfEachText()
        self._across_texts = self._new_across_texts()
        self._analyses = _Analyses()

    @property
    def facts_cache(self) -> FixpointCache:
        """Facts that cross modules: wrappers, builders, batch norm."""
        return self._analyses.cross_module

    def provide(self, path: Path, text: str | None, tree: ast.Module | None = None) -> list[Path]:
        """Use this text for `path` instead of reading the file (standard input, an editor's buffer); None reads the
        file again. When the text changes, the module's analysis and those of the modules that import it, directly
        or not, are forgotten (the rest stay parsed); returns the modules forgotten. `tree`: Python's `ast` of the
        text, where the front end has it (flake8's), for the screen to read instead of parsing the text again."""
        path = path.absolute()
        forgotten = self._provide(path, text)
        if tree is not None and text is not None:
            self._summarize_from(path, text, tree)
        return forgotten

    def _summarize_from(self, path: Path, text: str, tree: ast.Module) -> None:
        # The screen reads the summary of a text that mentions a framework (relevant); kept, not the tree.
        summaries = self._of_each_text.summaries
        if path not in summaries and self._mentions_framework(path):
            summaries[path] = summarize(text, tree)

    def _provide(self, path: Path, text: str | None) -> list[Path]:
        if self._analyses.kept > self._keep:
            self._drop_analyses()
        if path not in self._texts:
            # Nothing was derived from a text never seen, but what was derived from its absence (it could not be
            # read): about it alone, and its import lines (none), which the modules importing it took in.
            if text is not None:
                self._texts[path] = text
            self._of_each_text.forget(path)
            if path in self._across_texts.imports:
                self._across_texts = self._new_across_texts()
            return []
        if self._texts[path] == text:
            self._texts[path] = text  # one object for one text, where the front end keeps its own
            return []
        forgotten = [path, *self.importers(path)]  # found from the old text's imports
        if text is None:
            del self._texts[path]
        else:
            self._texts[path] = text
        self._text_changed(path, forgotten)
        return forgotten

    def _text_changed(self, path: Path, forgotten: list[Path]) -> None:
        """Invalidate everything derived from the text of `path`: its own entries, everything derived across texts,
        and the analyses of `forgotten` (it and the modules that import it) with every cross-module fact."""
        self._of_each_text.forget(path)
        self._across_texts = self._new_across_texts()
        self._analyses.forget(forgotten)
        _release_frozen()

    def _drop_analyses(self) -> None:
        self._analyses = _Analyses()
        _release_frozen()
        # Trees and facts are cycles: without a collection now, the next files' analyses pile on top of them.
        gc.collect()

    def freeze(self) -> None:
        """Called by a front end between the files of a run: what the project keeps for the files to come (trees,
        facts) is left out of every later garbage collection, each of which would otherwise rescan all of it
        (between files, flake8's other checkers allocate enough to start full collections: it doubled the plugin's
        cost; over a run of the command it cost a tenth of the time, and as much again at exit). Refcounting still
        frees what is let go; what the project drops or forgets is unfrozen, cycles included."""
        gc.freeze()

    def importers(self, path: Path) -> list[Path]:
        """The known modules that import `path`, directly or through others (from their import lines)."""
        path = path.absolute()
        bit, imported = self._across_texts.numbering.bit(path), self._across_texts.imported
        return [module for module in list(self._texts) if module != path and imported.of(module) & bit]

    def text(self, path: Path) -> str | None:
        path = path.absolute()
        if path not in self._texts:
            try:
                self._texts[path] = decode(self._read(path))
            except OSError:
                return None
        return self._texts[path]

    # -- analyses --------------------------------------------------------------------------------------------

    def facts(self, path: Path, module: cst.Module | None = None) -> ModuleFacts | None:
        """The module's facts; None when it cannot be read or parsed. `module` is its tree when already parsed."""
        from bnlint.analysis.collector import collect
        from bnlint.analysis.facts import ModuleFacts

        path = path.absolute()
        analyses = self._analyses
        if analyses.facts.get(path) is None and (path not in analyses.facts or module is not None):
            if module is None:
                module = self._parse(path)
            facts = ModuleFacts(collect(module), self.module_id(path), self) if module is not None else None
            if facts is not None:
                analyses.owners[facts.syntax.scope] = facts
                analyses.kept += len(self._texts.get(path, ""))
            analyses.facts[path] = facts
        return analyses.facts[path]

    def parsed(self, path: Path) -> ModuleFacts | None:
        """The facts of a module already analysed (as an import of another), without parsing anything."""
        return self._analyses.facts.get(path.absolute())

    def owner(self, scope: Scope) -> ModuleFacts | None:
        """The module a scope belongs to."""
        return self._analyses.owners.get(scope.module)

    def _parse(self, path: Path) -> cst.Module | None:
        import libcst as cst

        text = self.text(path)
        if text is None or "\0" in text:
            return None
        try:
            return cst.parse_module(text)
        except (cst.ParserSyntaxError, RecursionError):
            return None

    # -- imports ---------------------------------------------------------------------------------------------

    def absolute_name(self, importer: ModuleId, imported: str) -> str:
        """`..nets.resnet` imported by `trainer.task` is `nets.resnet` within `trainer`'s parent package."""
        level = len(imported) - len(imported.lstrip("."))
        if level == 0:
            return imported
        base = importer.package.split(".") if importer.package else []
        base = base[: len(base) - (level - 1)] if level > 1 else base
        rest = imported[level:]
        return ".".join([*base, rest] if rest else base)

    def locate(self, importer: ModuleId, name: str) -> Path | None:
        """The file of module `name` as `importer` imports it: from its own root, then the configured roots.

        Under site-packages only the importer's own distribution counts: numpy is not part of tensorpack.
        """
        if importer.root.name in _INSTALLED and name.split(".")[0] != importer.name.split(".")[0]:
            return None
        # The module's own folder comes next: a script run directly (`python train.py` inside a package folder)
        # imports its siblings by bare name, as Python 2 code did everywhere; then the package folders above it, a
        # program run as `python -m keras.train` from `efficientdet/` imports from there.
        for root in self._import_folders(importer):
            path = self.find_module(root, name)
            if path is not None:
                return path
        return self._through_namespace_package(importer, name)

    def _import_folders(self, importer: ModuleId) -> tuple[Path, ...]:
        """The folders a module imports from, in order, each once: one object per folder of the project, as they key
        what `find_module` found (a copy per import asked was a twentieth of the memory on the tensorflow package)."""
        across = self._across_texts
        if importer.path not in across.import_folders:
            depth = len(importer.path.parent.relative_to(importer.root).parts)
            between = importer.path.parent.parents[: max(depth - 1, 0)]  # the folders above, below the root
            found = (importer.root, importer.path.parent, *between, *self._sys_path_roots(importer.path), *self.roots)
            folders = across.folders
            across.import_folders[importer.path] = tuple(folders.setdefault(f, f) for f in dict.fromkeys(found))
        return across.import_folders[importer.path]

    def _through_namespace_package(self, importer: ModuleId, name: str) -> Path | None:
        """`import labelreg.layers` in `labelreg/networks.py` where `labelreg/` has no `__init__.py`: the script
        that runs it (`training.py` beside `labelreg/`) put the folder above on `sys.path`."""
        first = name.split(".")[0]
        for folder in (importer.root, *importer.root.parents[:2]):
            if folder.name == first and not (folder / "__init__.py").is_file():
                return self.find_module(folder.parent, name)
        return None

    def _sys_path_roots(self, path: Path) -> tuple[Path, ...]:
        added_roots = self._across_texts.added_roots
        if path not in added_roots:
            # Relative to the folder the script is run from: its own, or the repository's above it.
            text = self.text(path) or ""
            folders = (path.parent, *path.parent.parents[:2])
            added_roots[path] = tuple(
                dict.fromkeys(
                    root
                    for added in _SYS_PATH.findall(text)
                    for folder in folders
                    if _is_folder(root := Path(os.path.normpath(folder / added)))
                )
            )
        return added_roots[path]

    def find_module(self, root: Path, name: str) -> Path | None:
        """The file of module `name` under `root`: `a/b.py` or `a/b/__init__.py`."""
        key = (root, name)
        found = self._across_texts.found
        if key not in found:
            base = root.joinpath(*name.split(".")) if name else root
            candidates = (base.with_name(base.name + ".py"), base / "__init__.py")
            found[key] = next((path for path in candidates if _is_file(path)), None)
        return found[key]

    def relevant(self, path: Path) -> bool:
        """Whether a rule can fire in a file, decided without libcst: first from the texts (the file mentions
        TensorFlow, Keras or slim, or imports a project module that does, directly or through others), then by the
        screen (bnlint.analysis.screen) from Python's `ast`. Files that cannot matter are never parsed by libcst."""
        path = path.absolute()
        if self.text(path) is None:
            return False
        relevance = self._across_texts.relevance
        if path not in relevance:
            relevance[path] = (
                self._mentions_framework(path) or any(map(self._mentions_framework, self._imported_set(path)))
            ) and self._across_texts.screen.reaches(path)
        return relevance[path]

    def screen_parsed(self, path: Path) -> bool:
        """Whether the screen already found the file to be valid Python (it reads only files that mention a
        framework; nothing is parsed to answer this)."""
        summary = self._of_each_text.summaries.get(path.absolute())
        return summary is not None and summary is not UNPARSED

    def _new_across_texts(self) -> _AcrossTexts:
        links = ScreenLinks(self._summary, self.find_import, self.submodule, self.is_framework)
        numbering: Numbering[Path] = Numbering()
        return _AcrossTexts(Screen(links, screened_apis()), numbering, Reach(self._direct_imports, numbering.bit))

    def _summary(self, path: Path) -> Summary:
        summaries = self._of_each_text.summaries
        if path not in summaries:
            text = self.text(path)
            summaries[path] = UNPARSED if text is None else summarize(text)
        return summaries[path]

    def module_id(self, path: Path) -> ModuleId:
        """Where a module sits in its project (found from the `__init__.py` files above it, once)."""
        path = path.absolute()
        ids = self._across_texts.ids
        if path not in ids:
            ids[path] = module_id(path)
        return ids[path]

    def find_import(self, importer: Path, imported: str) -> tuple[Path, list[str]] | None:
        """The project module a dotted name imported by `importer` (`..nets.resnet.block`) starts with, and the
        attributes that follow it; None when no project module does."""
        importer_id = self.module_id(importer)
        name = self.absolute_name(importer_id, imported)
        parts = name.split(".") if name else []
        for count in range(len(parts), 0, -1):
            path = self.locate(importer_id, ".".join(parts[:count]))
            if path is not None:
                return path, parts[count:]
        return None

    def is_framework(self, importer: Path, imported: str) -> bool:
        """Whether an import names a framework bnlint knows by its APIs (catalogue.FRAMEWORK_PACKAGES), as Python
        finds it for `importer`: a regular package of the project with the framework's name comes first on
        `sys.path` when it sits at the importer's root (`efficientdet/keras/` for `from keras import anchors`), and
        is the project's own unless it is a copy of the framework's sources."""
        if not catalogue.is_framework(imported):
            return False
        top, _, rest = imported.partition(".")
        key = (importer.absolute(), imported)
        shadows = self._across_texts.shadows
        if key not in shadows:
            shadows[key] = self._shadows(importer, top, rest.partition(".")[0])
        return not shadows[key]

    def _shadows(self, importer: Path, top: str, member: str) -> bool:
        """Whether the project's own package `top` is what an import of `top.member` finds: it has that submodule
        (a bare `import keras` tells nothing, so it stays the framework), and is not a copy of the framework."""
        core = catalogue.FRAMEWORK_CORE_FOLDERS.get(top)
        found = self.locate(self.module_id(importer), top) if core is not None and member else None
        if found is None or found.name != "__init__.py" or (found.parent / core).is_dir():
            return False
        return self.submodule(found, member) is not None

    def submodule(self, package: Path, name: str) -> Path | None:
        """`pkg/sub.py` (or `pkg/sub/__init__.py`) for a package's `__init__.py` and `sub`; None for a module."""
        target = self.module_id(package)
        return self.find_module(target.root, f"{target.name}.{name}") if target.is_package else None

    def _mentions_framework(self, path: Path) -> bool:
        # Asked again for every file that imports the module: each text is scanned once.
        mentioning = self._of_each_text.mentioning
        if path not in mentioning:
            text = self.text(path)
            mentioning[path] = text is not None and mentions_framework(text)
        return mentioning[path]

    def importers_in_program(self, path: Path) -> list[Path]:
        """The modules of the program `path` belongs to that import it directly: the Python files under its import
        root (for an installed package, under the package's own folder) whose import lines name it. They hold the
        calls of its functions: whether a network is built in an arg scope, or not at all, is decided there."""
        path = path.absolute()
        return self._importers_index(self._program_root(path)).get(path, [])

    def program(self, path: Path) -> tuple[Path, tuple[Path, ...] | None]:
        """The root of the program `path` belongs to and its Python files, whose import lines say which modules import
        it (None: the root holds too many to be one program)."""
        root = self._program_root(path.absolute())
        return root, self._program_files(root)

    def _program_root(self, path: Path) -> Path:
        importer = self.module_id(path)
        top = importer.root / importer.name.split(".")[0]
        if importer.root.name in _INSTALLED:
            return top
        program_roots = self._across_texts.program_roots
        if (importer.root, top) not in program_roots:
            beside = importer.root.parent != importer.root and self._imported_from_beside(importer.root)
            program = importer.root.parent if beside else importer.root
            # A repository that is a package itself (an `__init__.py` at its top) is imported from the folder that
            # holds it, among whatever else is there (~/src, /tmp): when that is too big to be one program, the
            # program is the package.
            if self._program_files(program) is None and top.is_dir():
                program = top
            program_roots[(importer.root, top)] = program
        return program_roots[(importer.root, top)]

    def _program_files(self, root: Path) -> tuple[Path, ...] | None:
        files = self._across_texts.program_files
        if root not in files:
            files[root] = _python_files(root)
        return files[root]

    def _imported_from_beside(self, root: Path) -> bool:
        """Whether a script in the folder above imports from `root` (`training.py` beside `labelreg/`): then both
        are one program. Unrelated files up there (a temporary folder's) must not make every module of a big
        folder the program, which would be too large to index."""
        return any(
            imported.is_relative_to(root)
            for script in sorted(root.parent.glob("*.py"))
            for imported in self._direct_imports(script.absolute())
        )

    def _importers_index(self, root: Path) -> dict[Path, list[Path]]:
        """For the program under `root`, the modules that import each module directly, from one pass over it."""
        program_importers = self._across_texts.program_importers
        if root not in program_importers:
            index: dict[Path, list[Path]] = {}
            for module in self._program_files(root) or ():
                for imported in dict.fromkeys(self._direct_imports(module)):
                    index.setdefault(imported, []).append(module)
            program_importers[root] = index
        return program_importers[root]

    def dependencies(self, path: Path) -> list[Path]:
        """Every module whose text a file's findings may rest on: the modules it imports, directly or not, and
        the modules of its program that import it, directly or not (a caller's arg scope decides a library's
        batch-norm mode; its calls decide which graph is evaluated), and the modules those import (the classes
        of the objects they hand it)."""
        start = path.absolute()
        dependencies = self._across_texts.dependencies
        if start not in dependencies:
            dependencies[start] = self._dependencies(start)
        return list(dependencies[start])

    def _dependencies(self, start: Path) -> tuple[Path, ...]:
        found: dict[Path, None] = dict.fromkeys(self.imported_modules(start))
        imported = self._across_texts.imported
        covered = imported.of(start)  # the bits of `found` and `start`
        index = self._importers_index(self._program_root(start))
        pending = [start]
        seen = {start}
        while pending:
            for importer in index.get(pending.pop(), ()):
                if importer not in seen:
                    seen.add(importer)
                    pending.append(importer)
                    found[importer] = None
                    # In an import cycle, the importers after the first add nothing: their imports are not walked.
                    if imported.of(importer) & ~covered:
                        found.update(dict.fromkeys(self.imported_modules(importer)))
                        covered |= imported.of(importer)
        found.pop(start, None)
        return tuple(found)

    def rests_on(self, path: Path) -> tuple[Path, ...]:
        """The file and its dependencies, in no meaningful order, found without walking the modules of the program
        for each file: what a module of an import cycle rests on, the others do too, and they get the same tuple (one
        object, a tenth of a frozenset's memory: hundreds of them on a big package), so that what is derived from it
        (the cache key's digest of the texts) can be derived once."""
        start = path.absolute()
        across = self._across_texts
        root = self._program_root(start)
        if root not in across.resting:
            index = self._importers_index(root)
            # Over the importers: each module's own value is it and what it imports, so it adds up to dependencies.
            across.resting[root] = Reach(lambda module: index.get(module, ()), across.imported.of)
        bits = across.resting[root].of(start)
        if bits not in across.rests_on:
            across.rests_on[bits] = tuple(across.numbering.members(bits))
        return across.rests_on[bits]

    def imported_modules(self, path: Path) -> list[Path]:
        """The project modules a file imports, directly or through the ones it imports, from their import lines."""
        start = path.absolute()
        closures = self._across_texts.closures
        if start not in closures:
            closures[start] = self._imported_modules(start)
        return list(closures[start])

    def _imported_set(self, path: Path) -> list[Path]:
        """The modules of imported_modules, found without walking them in order."""
        start = path.absolute()
        numbering = self._across_texts.numbering
        return numbering.members(self._across_texts.imported.of(start) & ~numbering.bit(start))

    def _imported_modules(self, start: Path) -> tuple[Path, ...]:
        found: dict[Path, None] = {}  # in the order met, each once
        pending = [start]
        while pending:
            for imported in self._direct_imports(pending.pop()):
                if imported not in found and imported != start:
                    found[imported] = None
                    pending.append(imported)
        return tuple(found)

    def _direct_imports(self, path: Path) -> list[Path]:
        imports = self._across_texts.imports
        if path not in imports:
            imports[path] = list(self._imported_files(self.module_id(path), self.text(path) or ""))
        return imports[path]

    def _imported_files(self, importer: ModuleId, text: str) -> Iterable[Path]:
        for relative, module, names, plain in _IMPORT.findall(text):
            candidates = [part.strip() for part in plain.split(",")] if plain else []
            if not plain:
                base = self.absolute_name(importer, relative + module)
                # In parentheses, names may be spread over lines with comments between them.
                listed = re.sub(r"#[^\n]*", "", names)
                candidates = [base, *(f"{base}.{name}" for name in re.split(r"[\s,()]+", listed) if name)]
            for candidate in candidates:
                name = candidate.split(" as ")[0].strip().strip(".")
                path = self.locate(importer, name) if name else None
                if path is not None and path != importer.path:
                    yield path


def _python_files(root: Path) -> tuple[Path, ...] | None:
    """The `*.py` files under a folder, sorted, as `bnlint check` walks it (links, virtual environments and the
    default exclusions skipped); None when there are more than PROGRAM_FILES."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not any(fnmatch.fnmatch(name, pattern) for pattern in DEFAULT_EXCLUDE)
            and not os.path.islink(os.path.join(directory, name))
            and not os.path.exists(os.path.join(directory, name, "pyvenv.cfg"))
        )
        found += (Path(directory, name) for name in sorted(files) if name.endswith(".py"))
        if len(found) > PROGRAM_FILES:
            return None
    return tuple(found)


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL in it
        return False


def _release_frozen() -> None:
    """What a project lets go of must be collectable again, cycles included (Project.freeze)."""
    gc.unfreeze()
