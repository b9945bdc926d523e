"""The flake8 plugin's own path through the engine: it hands the engine the tree flake8 parsed, and the project
answers the questions every file of a program asks about the others (their imports, their relevance) once, until
a text changes."""

from __future__ import annotations

import ast
from pathlib import Path

from bnlint.cache import Cache, Keys
from bnlint.engine import check_source
from bnlint.flake8_plugin import BnlintChecker
from bnlint.project import Project
from support import run

MODEL = """\
import tensorflow as tf


def classifier(images, is_training):
    net = tf.layers.conv2d(images, 16, 3)
    net = tf.layers.batch_normalization(net, training=is_training)
    return tf.layers.dense(tf.layers.flatten(net), 10)
"""
TOWERS = """\
from model import classifier

train_logits = classifier(train_images, is_training=True)
valid_logits = classifier(valid_images, is_training=False)
"""


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


def _plugin(path: Path, text: str, tree: ast.AST) -> list[str]:
    checker = BnlintChecker(tree, text.splitlines(True), str(path))
    return [f"{line}:{column} {message}" for line, column, message, _ in checker.run()]


def test_the_plugin_reports_from_flake8s_tree_what_the_engine_reports_from_the_text(tmp_path):
    _write(tmp_path, {"model.py": MODEL, "train.py": TOWERS})
    train = tmp_path / "train.py"
    expected = [f"{d.line}:{d.column - 1} {d.code} {d.message}" for d in check_source(TOWERS, str(train))]
    try:
        BnlintChecker.project = Project()
        assert _plugin(train, TOWERS, ast.parse(TOWERS)) == expected
        assert [finding.split()[1] for finding in expected] == ["BN003"]
    finally:
        BnlintChecker.project = Project()


def test_a_tree_is_read_as_python_accepting_the_text(tmp_path):
    """A file no rule can fire in is read by Python only to report what it refuses (BN900); flake8 hands a tree
    only for text Python accepted, and reports its refusals itself (E999)."""
    path = tmp_path / "setup.py"
    assert check_source("print(\n", str(path))[0].code == "BN900"
    assert check_source("print(1)\n", str(path), tree=ast.parse("print(1)\n")) == []


def test_what_a_module_imports_follows_an_edit_of_a_module_it_imports(tmp_path):
    _write(tmp_path, {"train.py": "import data\n\nprint(data.net)\n", "data.py": "import numpy\n", "model.py": MODEL})
    project = Project()
    train, data, model = (tmp_path / name for name in ("train.py", "data.py", "model.py"))
    assert project.imported_modules(train) == [data]
    assert not project.relevant(train)
    project.provide(data, "from model import classifier\nnet = classifier(x, True)\n")
    assert project.imported_modules(train) == [data, model]
    assert project.dependencies(train) == [data, model]
    assert project.relevant(train)


def test_a_module_that_could_not_be_read_counts_once_its_text_is_given(tmp_path):
    _write(tmp_path, {"train.py": "import data\n\nprint(data.net)\n", "data.py": "", "model.py": MODEL})
    train, data, model = (tmp_path / name for name in ("train.py", "data.py", "model.py"))

    def read(path: Path) -> bytes:
        if path.name == "data.py":
            raise PermissionError(path)
        return path.read_bytes()

    project = Project(read=read)
    assert project.imported_modules(train) == [data]
    assert not project.relevant(train)
    project.provide(data, "from model import classifier\nnet = classifier(x, True)\n")
    assert project.imported_modules(train) == [data, model]
    assert project.relevant(train)


SHARED_TOWERS = TOWERS.replace("from model import classifier", "import tensorflow as tf\nfrom model import classifier")
SHARED_MODEL = MODEL.replace(
    "    net = tf.layers.conv2d(images, 16, 3)\n",
    "    with tf.variable_scope('net', reuse=tf.AUTO_REUSE):\n        net = tf.layers.conv2d(images, 16, 3)\n",
).replace("    net = tf.layers.batch_normalization", "        net = tf.layers.batch_normalization")


def _flake8(folder: Path, *options: str) -> list[str]:
    result = run("flake8", "--isolated", "--select", "BN", *options, "train.py", cwd=folder)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return [line.split()[1] for line in result.stdout.splitlines()]


def test_flake8_keeps_the_results_of_unchanged_files_until_a_module_they_rest_on_changes(tmp_path):
    _write(tmp_path, {"model.py": MODEL, "train.py": TOWERS})
    assert _flake8(tmp_path, "--bnlint-cache-dir", "cache") == ["BN003"]
    assert any((tmp_path / "cache").rglob("*")) and _flake8(tmp_path, "--bnlint-cache-dir", "cache") == ["BN003"]
    # The builder now shares its variables: train.py is unchanged, its finding is gone.
    _write(tmp_path, {"model.py": SHARED_MODEL})
    assert _flake8(tmp_path, "--bnlint-cache-dir", "cache") == []


def test_flake8_results_keep_what_noqa_silences_apart_from_the_commands(tmp_path):
    # bnlint check stores its results with noqa applied; flake8 applies noqa itself, so its entries are its own.
    _write(tmp_path, {"model.py": MODEL, "train.py": TOWERS.replace("is_training=False)", "is_training=False)  # noqa")})
    assert run("bnlint", "check", "--cache-dir", "cache", "train.py", cwd=tmp_path).returncode == 0
    assert _flake8(tmp_path, "--bnlint-cache-dir", "cache", "--disable-noqa") == ["BN003"]
    assert _flake8(tmp_path, "--bnlint-cache-dir", "cache") == []


def test_flake8_without_the_cache_writes_none(tmp_path):
    _write(tmp_path, {"model.py": MODEL, "train.py": TOWERS})
    assert _flake8(tmp_path, "--bnlint-no-cache") == ["BN003"]
    assert not (tmp_path / ".bnlint_cache").exists()


def test_a_file_edited_after_flake8_read_it_is_not_stamped_with_the_old_texts_findings(tmp_path):
    _write(tmp_path, {"model.py": SHARED_MODEL, "train.py": SHARED_TOWERS})
    train = tmp_path / "train.py"
    old = TOWERS.replace("from model import classifier", "import tensorflow as tf\nfrom model import classifier")
    old = old.replace("is_training=False)", "is_training=False)\nother = tf.layers.batch_normalization(x, training=True)")
    try:
        BnlintChecker.project = Project()
        BnlintChecker.cache = Cache(tmp_path / "cache")
        BnlintChecker.keys = Keys(BnlintChecker.project)
        # flake8 read `old`; the file was saved as SHARED_TOWERS before the plugin ran.
        assert [finding.split()[1] for finding in _plugin(train, old, ast.parse(old))] == ["BN001"]
        BnlintChecker.project = Project()
        BnlintChecker.keys = Keys(BnlintChecker.project)
        assert _plugin(train, SHARED_TOWERS, ast.parse(SHARED_TOWERS)) == []
    finally:
        BnlintChecker.project, BnlintChecker.cache, BnlintChecker.keys = Project(), None, None
