"""Jupyter notebooks: the code cells in order as one program, and each diagnostic placed back in its cell.

A notebook runs its code cells one after another in one namespace, so a model defined in one cell and built twice in
another is one program. IPython syntax at the start of a statement (`%matplotlib inline`, `!pip install ...`,
`files = !ls`, `model.fit?`) becomes `pass` with the line's indentation, and a cell run by a cell magic that is not
Python (`%%bash`, `%%writefile model.py`) becomes blank lines: every line keeps its number, so each line of the
program is one line of one cell, and a block holding a magic stays a block.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import accumulate

from bnlint.diagnostic import INTERNAL_ERROR, UNREADABLE, Diagnostic, Related, error
from bnlint.engine import check_source
from bnlint.noqa import Added, noqa_edits
from bnlint.project import Project
from bnlint.rules import ALL_RULES, Rule

SUFFIX = ".ipynb"
# Cell magics that run their body as Python in the notebook's namespace (`%%time` around a training loop): the
# body is checked, the magic's own line is not. `%%python` runs in another process, so it is skipped like `%%bash`.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# IPython's escapes at the start of a statement: magic, shell, help, and autocall (`/f x`, `,f a b`, `;f a b`).
# None of them can start a Python statement, so a line starting with one is never Python.
_ESCAPES = ("%", "!", "?", "/", ",", ";")
# `files = !ls`, `t = %timeit -o f()`, `a, b = !cmd`: names assigned the output of a shell command or a magic.
_ASSIGNED = re.compile(r"[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[!%]")
# `model.fit?`, `tf.layers??`, `%timeit?`: help on an object.
_HELP = re.compile(r"%{0,2}[A-Za-z_*][\w*]*(?:\.[A-Za-z_*][\w*]*)*\?{1,2}")
# Messages name related lines ("(line 69)"), numbered in the program until they are placed in their cells.
_LINE_REFERENCE = re.compile(r"\bline (\d+)\b")
# A cell's lines with their endings, split where the parser splits them (not at form feeds or U+2028).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

Place = tuple[int, int]  # (cell, line in the cell), both 1-based


class _Invalid(ValueError):
    """The JSON is not an nbformat 4 notebook."""


@dataclass(frozen=True)
class Notebook:
    """The code cells as one program, and where each line of it is in the notebook."""

    text: str  # the program: one line per line of a code cell, IPython syntax replaced; empty without code
    places: tuple[Place, ...] = ()  # the cell and line in the cell of each line of `text`
    cells: dict[int, tuple[str, ...]] = field(default_factory=dict)  # each code cell's lines as written
    starts: dict[int, int] = field(default_factory=dict)  # the line of `text` where each code cell starts
    # The .ipynb file's own text (its JSON), for the line of the file that holds a cell's line (`file_line`).
    document: str = field(default="", repr=False, compare=False)

    def place(self, line: int) -> Place:
        """Where a line of `text` is; a line past the end (a parser's end of file) counts on from the last one."""
        if line <= len(self.places):
            return self.places[max(line, 1) - 1]
        cell, last = self.places[-1]
        return cell, last + line - len(self.places)

    def line(self, cell: int, line: int) -> int | None:
        """The line of `text` for a line of a code cell."""
        if cell not in self.starts or not 0 < line <= len(self.cells[cell]):
            return None
        return self.starts[cell] + line - 1

    def source_line(self, cell: int, line: int) -> str | None:
        """A line of a code cell as written (magics included)."""
        lines = self.cells.get(cell, ())
        return lines[line - 1] if 0 < line <= len(lines) else None

    def file_line(self, cell: int, line: int) -> int | None:
        """The line of the .ipynb file that holds a line of a code cell, for formats that annotate the file itself
        (GitHub, GitLab, SARIF, JUnit); None when it cannot be told."""
        lines = self._file_lines.get(cell, ())
        return lines[line - 1] if 0 < line <= len(lines) else None

    @cached_property
    def _file_lines(self) -> dict[int, tuple[int, ...]]:
        # Worked out only when asked: a notebook with large outputs takes a while to scan in Python.
        return file_lines(self.document) if self.document else {}


def is_notebook(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


def read_notebook(data: bytes, path: str) -> Notebook | Diagnostic:
    """The notebook's program, or the BN900 diagnostic saying why it cannot be read."""
    try:
        # Decoded as json.loads decodes bytes; the text is kept for `Notebook.file_line`.
        text = data.decode(json.detect_encoding(data), "surrogatepass")
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"could not read notebook: invalid JSON: {exc.msg}"
        return error(path, UNREADABLE, message, exc.lineno, exc.colno)
    except (ValueError, RecursionError) as exc:  # not UTF-8; nested too deeply
        return error(path, UNREADABLE, f"could not read notebook: {exc}")
    try:
        return replace(build(code_cells(document)), document=text)
    except _Invalid as exc:
        return error(path, UNREADABLE, f"could not read notebook: {exc}")


class _Located(str):
    """A JSON string value and the offset of its opening quote in the document."""

    offset: int


class _LocatingDecoder(json.JSONDecoder):
    """A JSON decoder whose string values know where they are. Only the pure-Python scanner consults
    `parse_string` (the C one does not), so it is used instead."""

    def __init__(self) -> None:
        super().__init__()
        self.parse_string = self._string
        self.scan_once = json.scanner.py_make_scanner(self)

    @staticmethod
    def _string(text: str, end: int, strict: bool = True) -> tuple[str, int]:
        value, after = json.decoder.scanstring(text, end, strict)
        located = _Located(value)
        located.offset = end - 1
        return located, after


def file_lines(document: str) -> dict[int, tuple[int, ...]]:
    """For each code cell (numbered as `code_cells` numbers them), the line of the notebook's JSON text that holds
    each of its lines. A JSON string cannot span lines, so a line is where the string it starts in is: a source
    stored as a list of lines gives each line its own; one stored as a single string gives them all its line."""
    try:
        parsed = _LocatingDecoder().decode(document)
        cells = code_cells(parsed)
    except (ValueError, RecursionError):  # _Invalid is a ValueError
        return {}
    newlines = [match.start() for match in re.finditer("\n", document)]
    found = {}
    for number, _ in cells:
        source = parsed["cells"][number - 1].get("source", "")
        parts = source if isinstance(source, list) else [source]
        if parts and all(isinstance(part, _Located) for part in parts):
            found[number] = tuple(bisect_right(newlines, offset) + 1 for offset in _line_offsets(parts))
    return found


def _line_offsets(parts: Sequence[_Located]) -> list[int]:
    """The offset in the JSON text of the string holding the start of each of the cell's lines (as `_split` splits
    them)."""
    joined = "".join(parts)
    ends = list(accumulate(len(part) for part in parts))
    starts = [0, *(match.end() for match in _LINE_BREAK.finditer(joined))][: len(_split(joined))]
    return [parts[bisect_right(ends, start)].offset for start in starts]


def code_cells(document: object) -> list[tuple[int, str]]:
    """(cell number, source) of each code cell; cells are numbered among all cells, as a reader counts them."""
    if not isinstance(document, dict):
        raise _Invalid("the JSON is not an object")
    version = document.get("nbformat")
    if version != 4:
        raise _Invalid(f"nbformat {version!r} is not supported (only 4)" if version else "no nbformat version")
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise _Invalid("no list of cells")
    if not _is_python(document.get("metadata")):
        return []
    found = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise _Invalid(f"cell {number} is not an object")
        if cell.get("cell_type") == "code":
            found.append((number, _source(cell.get("source", ""), number)))
    return found


def _source(source: object, number: int) -> str:
    """nbformat stores a source as one string or as a list of strings (its lines) to join."""
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if not isinstance(source, str):
        raise _Invalid(f"the source of cell {number} is not text")
    return source


def _is_python(metadata: object) -> bool:
    """Jupyter records the kernel's language: an R or Julia notebook has no Python to check."""
    if not isinstance(metadata, dict):
        return True
    names = (_field(metadata, "language_info", "name"), _field(metadata, "kernelspec", "language"))
    return all(not isinstance(name, str) or name.lower().startswith("python") for name in names)


def _field(metadata: dict[str, object], section: str, key: str) -> object:
    value = metadata.get(section)
    return value.get(key) if isinstance(value, dict) else None


def build(cells: Sequence[tuple[int, str]]) -> Notebook:
    """One program from the code cells in order, each cell's text ending with a newline."""
    program: list[str] = []
    places: list[Place] = []
    written: dict[int, tuple[str, ...]] = {}
    starts: dict[int, int] = {}
    for number, source in cells:
        lines = _split(source)
        written[number] = tuple(lines)
        starts[number] = len(program) + 1
        program += python_lines(lines)
        places += [(number, index) for index in range(1, len(lines) + 1)]
    return Notebook("".join(line + "\n" for line in program), tuple(places), written, starts)


def _split(source: str) -> list[str]:
    """A cell's lines without their endings; the newline a cell may end with adds no line."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    return text.removesuffix("\n").split("\n") if text else []


def python_lines(lines: Sequence[str]) -> list[str]:
    """A cell's lines as Python, line for line: IPython syntax becomes `pass`, a non-Python cell blank lines."""
    first = next((line.lstrip() for line in lines if line.strip()), "")
    if first.startswith("%%") and _magic_name(first) not in PYTHON_CELL_MAGICS:
        return ["" for _ in lines]
    scanner = _Scanner()
    python = []
    continued_magic = False  # a magic or shell command goes on after a trailing backslash, as in IPython
    for line in lines:
        if continued_magic:
            python.append("")
            continued_magic = line.endswith("\\")
        elif scanner.at_statement_start() and _is_ipython(line):
            python.append(line[: len(line) - len(line.lstrip())] + "pass")
            continued_magic = line.endswith("\\")
        else:
            scanner.feed(line)
            python.append(line)
    return python


def _magic_name(line: str) -> str:
    words = line.lstrip("%").split()
    return words[0] if words else ""


def _is_ipython(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(_ESCAPES) or bool(_ASSIGNED.match(stripped) or _HELP.fullmatch(stripped))


@dataclass
class _Scanner:
    """Just enough of Python's tokenizer to tell where a statement starts: a line inside brackets, a multi-line
    string or a backslash continuation is not one (`% b` there is a modulo, `!x` text in a docstring)."""

    depth: int = 0  # open brackets
    quote: str | None = None  # the quote of the string the line ends in
    continued: bool = False  # the last line ended with a backslash

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        self.continued = False
        index = 0
        while index < len(line):
            index = self._string(line, index) if self.quote is not None else self._code(line, index)
        if self.quote is not None and len(self.quote) == 1 and not self.continued:
            self.quote = None  # an unterminated string ends with its line: the parser reports it

    def _string(self, line: str, index: int) -> int:
        assert self.quote is not None
        if line[index] == "\\":
            self.continued = index == len(line) - 1
            return index + 2
        if line.startswith(self.quote, index):
            index += len(self.quote)
            self.quote = None
            return index
        return index + 1

    def _code(self, line: str, index: int) -> int:
        char = line[index]
        if char == "#":
            return len(line)
        if char in "'\"":
            self.quote = char * 3 if line.startswith(char * 3, index) else char
            return index + len(self.quote)
        if char in "([{":
            self.depth += 1
        elif char in ")]}":
            self.depth = max(0, self.depth - 1)
        elif char == "\\":
            self.continued = index == len(line) - 1
        return index + 1


def check_notebook(
    notebook: Notebook, path: str, rules: Sequence[type[Rule]] = ALL_RULES, project: Project | None = None
) -> list[Diagnostic]:
    """The diagnostics of the notebook's program, each placed in its cell."""
    if not notebook.text:
        return []
    return sorted(
        in_cells(notebook, diagnostic) for diagnostic in check_source(notebook.text, path, rules, project=project)
    )


def in_cells(notebook: Notebook, diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic with its lines, its related locations' lines and the lines its message names in cells."""
    if diagnostic.code == INTERNAL_ERROR:
        return diagnostic  # about the whole notebook, not a place in it
    cell, line = notebook.place(diagnostic.line)
    end_cell, end_line = notebook.place(diagnostic.end_line)
    end_column = diagnostic.end_column
    if end_cell != cell:
        # A span cannot end in another cell (IPython compiles each cell alone): end it with its first line.
        end_line, end_column = line, max(diagnostic.column, len(notebook.source_line(cell, line) or "") + 1)
    related = tuple(_related(notebook, item) for item in diagnostic.related)
    return replace(
        diagnostic,
        cell=cell,
        line=line,
        end_line=end_line,
        end_column=end_column,
        related=related,
        message=_message(notebook, diagnostic, cell),
        call_lines=_call_lines(notebook, diagnostic.call_lines),
    )


def _related(notebook: Notebook, related: Related) -> Related:
    cell, line = notebook.place(related.line)
    return replace(related, cell=cell, line=line)


def _message(notebook: Notebook, diagnostic: Diagnostic, cell: int) -> str:
    """The message with each line it names ("(line 69)": a related location's, or any in a syntax error) numbered in
    its cell, and the cell named when it is not the diagnostic's own ("(cell 2, line 4)")."""
    named = {item.line for item in diagnostic.related}

    def placed(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in named and diagnostic.code != UNREADABLE:
            return match.group(0)
        where, line = notebook.place(number)
        return f"line {line}" if where == cell else f"cell {where}, line {line}"

    return _LINE_REFERENCE.sub(placed, diagnostic.message)


def _call_lines(notebook: Notebook, lines: tuple[int, int] | None) -> tuple[int, int] | None:
    if lines is None:
        return None
    (cell, first), (end_cell, last) = notebook.place(lines[0]), notebook.place(lines[1])
    return (first, last) if end_cell == cell else (first, first)


def add_noqa(diagnostics: Iterable[Diagnostic]) -> Added:
    """`--add-noqa` for notebooks: the comment goes on the cell's line as for a Python file, and the notebook is
    written back as Jupyter writes it (one-space indent, non-ASCII as is), each source keeping its shape."""
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        if diagnostic.cell is not None:
            by_path[diagnostic.path].append(diagnostic)
    comments = sum(_add_to_notebook(path, found) for path, found in by_path.items())
    return Added(comments, len(by_path))


def _add_to_notebook(path: str, diagnostics: Sequence[Diagnostic]) -> int:
    with open(path, "rb") as file:
        document = json.loads(file.read())
    notebook = build(code_cells(document))
    # Placed in the program, the findings get their comments as in a Python file; each edit goes back to its cell.
    in_program = [
        replace(diagnostic, line=line)
        for diagnostic in diagnostics
        if diagnostic.cell is not None and (line := notebook.line(diagnostic.cell, diagnostic.line)) is not None
    ]
    edits = noqa_edits(notebook.text.split("\n")[:-1], in_program)
    for number, text in edits.items():
        cell, line = notebook.place(number)
        source = document["cells"][cell - 1]
        source["source"] = _with_line(source["source"], line, text)
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return len(edits)


def _with_line(source: str | list[str], number: int, text: str) -> str | list[str]:
    """The source with one line replaced (its ending kept), in the shape it had: a string or a list of lines."""
    lines = _LINES.findall("".join(source))
    ending = lines[number - 1][len(lines[number - 1].rstrip("\r\n")) :]
    lines[number - 1] = text + ending
    return lines if isinstance(source, list) else "".join(lines)
