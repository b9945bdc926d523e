"""The project layer: imports resolve to files of the project, each module is parsed once, odd projects finish."""

from __future__ import annotations

import ast
import gc
import re
import shutil
import weakref
from collections import Counter

import libcst as cst
import pytest

from bnlint import project
from bnlint.engine import check_source
from bnlint.flake8_plugin import BnlintChecker
from bnlint.project import Project
from bnlint.source import mentions_framework
from support import ROOT, check_in_process, expected_findings, run

MODEL = """\
import tensorflow as tf


def classifier(images, is_training):
    net = tf.layers.conv2d(images, 16, 3)
    net = tf.layers.batch_normalization(net, training=is_training)
    return tf.layers.dense(tf.layers.flatten(net), 10)
"""
TRAIN = """\
from model import classifier

train_logits = classifier(train_images, is_training=True)
valid_logits = classifier(valid_images, is_training=False)
"""


@pytest.fixture
def towers(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path


def test_a_file_without_tensorflow_that_builds_a_project_model_twice_is_checked(towers):
    # train.py never mentions TensorFlow: the pre-filter follows its import of model.py, which does.
    result = run("bnlint", "check", str(towers))
    assert result.stdout.startswith(f"{towers / 'train.py'}:4:16: BN003 ")


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The texts libcst parses from here on, in order (the engine and the project both parse)."""
    texts: list[str] = []
    parse_module = cst.parse_module

    def counting(text, *args, **kwargs):
        texts.append(text)
        return parse_module(text, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", counting)  # both import libcst where they parse
    return texts


def test_each_module_is_parsed_once_in_a_run(towers, parsed):
    shared = Project()
    for name in ("train.py", "model.py", "train.py"):
        path = towers / name
        check_source(path.read_text(), str(path), project=shared)
    assert sorted(parsed) == sorted([MODEL, TRAIN])


def test_a_changed_module_is_analysed_again_with_its_importers_only(towers, parsed):
    """What the language server relies on: a new buffer for model.py re-parses model.py and train.py, which
    imports it, and nothing else; the findings of train.py follow the new model."""
    (towers / "data.py").write_text("import tensorflow as tf\n\ndef batches():\n    return tf.zeros([1])\n")
    (towers / "train.py").write_text("from data import batches\ntrain_images = batches()\n" + TRAIN)
    shared = Project()
    train = towers / "train.py"
    assert [d.code for d in check_source(train.read_text(), str(train), project=shared)] == ["BN003"]
    assert len(parsed) == 3
    reusing = MODEL.replace("def classifier(", "def _classifier(") + 'classifier = tf.make_template("c", _classifier)\n'
    forgotten = shared.provide(towers / "model.py", reusing)
    assert sorted(forgotten) == sorted([towers / "model.py", train])
    assert check_source(train.read_text(), str(train), project=shared) == []
    assert sorted(parsed[3:]) == sorted([reusing, train.read_text()])  # data.py stays parsed


def test_a_changed_text_invalidates_everything_derived_from_it(towers):
    """Its import lines, whether it mentions TensorFlow, the screen's verdict and the analyses resting on it: what
    the language server relies on when a buffer changes."""
    shared = Project()
    train, model = towers / "train.py", towers / "model.py"
    assert shared.imported_modules(train) == [model] and shared.relevant(train)
    cross_module = shared.facts_cache
    shared.provide(train, "import os\n")
    assert shared.imported_modules(train) == [] and not shared.relevant(train)
    assert shared.facts_cache is not cross_module
    shared.provide(train, TRAIN)
    assert shared.imported_modules(train) == [model] and shared.relevant(train)
    # train.py never mentions TensorFlow itself: it is relevant through model.py, until model.py stops doing so.
    shared.provide(model, "def classifier(images, is_training):\n    return images\n")
    assert not shared.relevant(train)


def test_the_analyses_kept_are_dropped_past_the_limit_and_made_again(towers, parsed):
    shared = Project(keep=0)
    train, model = towers / "train.py", towers / "model.py"
    findings = check_source(train.read_text(), str(train), project=shared)
    assert shared.parsed(model) is not None
    shared.provide(towers / "other.py", "x = 1\n")  # the next file: past the limit, the analyses go
    assert shared.parsed(model) is None and shared.parsed(train) is None
    assert check_source(train.read_text(), str(train), project=shared) == findings
    assert sorted(parsed) == sorted([MODEL, TRAIN] * 2)


KERAS_MODELS = """\
import tensorflow as tf


def build_classifier(width):
    return tf.keras.Sequential([
        tf.keras.layers.Dense(width),
        tf.keras.layers.BatchNormalization(),
        tf.keras.layers.Dense(10),
    ])
"""
TAPE_STEP = """\
import tensorflow as tf

from models import build_classifier

model = build_classifier(64)
optimizer = tf.keras.optimizers.Adam()


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        logits = model(images)  # expect: BN007
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""


def test_where_gradients_come_from_is_followed_to_the_tape_and_no_further(tmp_path, parsed):
    """Which tape an optimizer applies is found by following its gradients back to `tape.gradient`: not into the
    loss, the model and the arguments every other module passes its builder (that slice parsed most of a package
    such as tf-models-official for each file)."""
    (tmp_path / "models.py").write_text(KERAS_MODELS)
    for index in range(3):
        (tmp_path / f"experiment_{index}.py").write_text(
            f"from models import build_classifier\n\nclassifier = build_classifier({index})\n"
        )
    step = tmp_path / "train.py"
    step.write_text(TAPE_STEP)
    findings = check_source(TAPE_STEP, str(step), project=Project())
    assert Counter((d.line, d.code) for d in findings) == expected_findings(TAPE_STEP)
    assert sorted(parsed) == sorted([KERAS_MODELS, TAPE_STEP])


def test_the_analyses_dropped_past_the_limit_are_freed_before_the_next_file(towers):
    """Trees and facts are cycles, and the front ends freeze what the project keeps between files: left to the
    collector, a dropped program's analyses stay in memory under the next one's."""
    shared = Project(keep=0)
    train = towers / "train.py"
    check_source(train.read_text(), str(train), project=shared)
    dropped = weakref.ref(shared.parsed(train))
    shared.freeze()
    try:
        shared.provide(towers / "other.py", "x = 1\n")
        assert dropped() is None
    finally:
        gc.unfreeze()


def test_a_text_the_front_end_read_too_is_kept_once(towers):
    """`bnlint check` reads every file it checks, and the project the same files for their imports: the project
    keeps the front end's text instead of its own copy."""
    shared = Project()
    train = towers / "train.py"
    read_by_the_project = shared.text(train)
    read_by_the_front_end = TRAIN.encode().decode()
    assert read_by_the_front_end == read_by_the_project and read_by_the_front_end is not read_by_the_project
    assert shared.provide(train, read_by_the_front_end) == []  # nothing changed, nothing forgotten
    assert shared.text(train) is read_by_the_front_end


def test_a_configured_root_resolves_imports_from_elsewhere(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "lib" / "model.py").write_text(MODEL)
    script = tmp_path / "scripts" / "train.py"
    script.write_text("import tensorflow as tf\n" + TRAIN)
    assert run("bnlint", "check", str(script)).stdout == "All checks passed!\n"
    with_root = run("bnlint", "check", "--project-root", str(tmp_path / "lib"), str(script))
    findings, count = with_root.stdout.rsplit("\n", 2)[:2]
    assert " BN003 " in findings and count == "Found 1 finding in 1 file."
    flake8 = run("flake8", "--isolated", "--select", "BN", f"--bnlint-project-root={tmp_path / 'lib'}", str(script))
    assert flake8.stdout.replace(str(script), "") == (findings + "\n").replace(str(script), "")


def test_unrelated_scripts_in_the_folder_above_do_not_hide_the_importers_of_a_module(tmp_path, monkeypatch):
    # A clone in a temporary folder full of other scripts (TensorFlow's AutoGraph writes its own there): the
    # folder above is no part of the program, however many files it holds.
    shutil.copytree(ROOT / "tests/fixtures/projects/bad_bn004_bn_class_ignores_train", tmp_path / "dcgan")
    for index in range(4):
        (tmp_path / f"__autograph_generated_file{index}.py").write_text("import tensorflow as tf\n")
    monkeypatch.setattr(project, "PROGRAM_FILES", 6)
    status, output = check_in_process(str(tmp_path / "dcgan"))
    ops = tmp_path / "dcgan" / "ops.py"
    reported = re.findall(r"^(.+?):(\d+):\d+: (BN\d+) ", output, re.M)
    found = Counter((int(line), code) for path, line, code in reported if path == str(ops))
    assert (status, found) == (1, expected_findings(ops.read_text()))


def test_a_repository_that_is_a_package_is_its_own_program_in_a_crowded_folder(tmp_path, monkeypatch):
    # An `__init__.py` at the repository's top puts its import root in the folder that holds it: here one with
    # more files than a program may have. The exporter's Saver is reported only if train.py, which imports it
    # and hands it the model, is part of its program.
    repository = tmp_path / "youtube8m"
    shutil.copytree(ROOT / "tests/fixtures/projects/bad_bn006_exporter_model_object", repository)
    (repository / "__init__.py").write_text("")
    for index in range(4):
        (tmp_path / f"other_{index}.py").write_text("import os\n")
    monkeypatch.setattr(project, "PROGRAM_FILES", 6)
    status, output = check_in_process(str(repository / "export_model.py"))
    exporter = repository / "export_model.py"
    found = Counter((int(line), code) for line, code in re.findall(r"^.+?:(\d+):\d+: (BN\d+) ", output, re.M))
    assert (status, found) == (1, expected_findings(exporter.read_text()))


def test_an_import_cycle_and_an_unparseable_import_finish_quietly(tmp_path):
    (tmp_path / "a.py").write_text(
        "import tensorflow as tf\nfrom b import helper\n\ndef wrap(x, t=False):\n    return helper(x, t)\n"
    )
    (tmp_path / "b.py").write_text(
        "import tensorflow as tf\nfrom a import wrap\n\ndef helper(x, t):\n"
        "    return tf.layers.batch_normalization(x, training=t)\n\ny = wrap(1)\n"
    )
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "c.py").write_text("import tensorflow as tf\nfrom broken import f\nf(1)\nf(2)\n")
    result = run("bnlint", "check", str(tmp_path))
    assert "Traceback" not in result.stderr
    # broken.py, checked itself, is reported as Python would (BN900); imported by c.py, it is merely unknown.
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'b.py'}:7:5: BN004 wrap() leaves t at its default False: batch norm runs in inference mode",
        f"{tmp_path / 'broken.py'}:1:7: BN900 could not parse: invalid syntax",
        "Found 2 findings in 2 files.",
    ]


def test_installed_packages_do_not_import_each_other(tmp_path):
    # Under site-packages every top-level package is its own project: tensorpack never resolves into numpy.
    site = tmp_path / "lib" / "site-packages"
    (site / "numpyish").mkdir(parents=True)
    (site / "numpyish" / "__init__.py").write_text(MODEL)
    (site / "userpkg").mkdir()
    (site / "userpkg" / "__init__.py").write_text("")
    (site / "userpkg" / "train.py").write_text("import tensorflow as tf\n" + TRAIN.replace("model", "numpyish"))
    assert run("bnlint", "check", str(site / "userpkg")).stdout == "All checks passed!\n"


@pytest.mark.parametrize("name", sorted(path.name for path in (ROOT / "tests" / "fixtures" / "projects").iterdir()))
def test_a_project_that_drops_its_analyses_after_every_file_reports_the_same(name):
    # A run over a big tree drops what it analysed once that passes a budget, and analyses it again on demand.
    folder = ROOT / "tests" / "fixtures" / "projects" / name
    files = sorted(folder.rglob("*.py"))

    def findings(kept: Project) -> list:
        return [d for path in files for d in check_source(path.read_text(encoding="utf-8"), str(path), project=kept)]

    everything = findings(Project())
    assert findings(Project(keep=0)) == everything
    assert everything or name.startswith("ok_")


def test_imports_in_parentheses_over_several_lines_are_followed_before_parsing(tmp_path):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "__init__.py").write_text("")
    (tmp_path / "nets" / "model.py").write_text("import tensorflow as tf\n")
    (tmp_path / "nets" / "heads.py").write_text("import tensorflow as tf\n")
    script = tmp_path / "train.py"
    script.write_text("from nets import (\n    model,  # the network\n    heads as h,\n)\n")
    found = Project().imported_modules(script)
    assert {path.relative_to(tmp_path).as_posix() for path in found} >= {"nets/model.py", "nets/heads.py"}


def test_a_word_that_contains_slim_is_no_mention_of_slim():
    assert not mentions_framework('"""If you want slimmer logs, pass your own DLL."""\n')
    assert mentions_framework("import tf_slim as slim\n")
    assert mentions_framework("net = slim.conv2d(net, 64, [3, 3])\n")


def test_what_the_flake8_plugin_freezes_is_released_when_the_project_lets_go(towers):
    """The plugin freezes the project's trees between files so that collections skip them; what the project drops
    must be collectable again, or a long flake8 run (or the server) would hold every tree it ever made."""
    source = (towers / "train.py").read_text()
    try:
        BnlintChecker.project = Project(keep=0)  # drops its analyses at the next file
        findings = list(BnlintChecker(ast.parse(source), source.splitlines(True), str(towers / "train.py")).run())
        assert [finding[2][:5] for finding in findings] == ["BN003"]
        assert gc.get_freeze_count() > 0
        BnlintChecker.project.provide(towers / "model.py", None)
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        BnlintChecker.project = Project()


def _package(folder, name, *modules):
    (folder / name).mkdir(parents=True)
    for module in ("__init__", *modules):
        (folder / name / f"{module}.py").write_text("import tensorflow as tf\n")


def test_a_package_of_the_project_named_keras_is_what_the_scripts_beside_it_import(tmp_path):
    # efficientdet/keras/ run as `python -m keras.train` from efficientdet/: Python finds the project's package first.
    _package(tmp_path, "keras", "anchors", "train_lib")
    importer = tmp_path / "keras" / "train_lib.py"
    shared = Project()
    assert not shared.is_framework(importer, "keras.anchors")
    assert shared.is_framework(importer, "keras.layers")  # the project's package has no such module
    assert shared.is_framework(importer, "keras")  # a bare `import keras` tells nothing: the framework
    assert shared.is_framework(importer, "tensorflow.keras")


def test_a_copy_of_the_framework_in_the_project_stays_the_framework(tmp_path):
    # TensorFlow's or Keras' own sources linted: their core folder marks them.
    _package(tmp_path, "keras", "anchors")
    _package(tmp_path / "keras", "layers")
    assert Project().is_framework(tmp_path / "keras" / "anchors.py", "keras.anchors")


def test_a_namespace_folder_named_keras_does_not_hide_the_framework(tmp_path):
    # Without `__init__.py` the folder is a namespace portion: an installed regular package wins.
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "anchors.py").write_text("import tensorflow as tf\n")
    (tmp_path / "train.py").write_text("from keras import anchors\n")
    assert Project().is_framework(tmp_path / "train.py", "keras.anchors")


def test_a_module_at_its_root_does_not_import_from_the_folders_above(tmp_path):
    # `python train.py` in project/ puts project/ on sys.path, not the folders above it.
    (tmp_path / "helpers.py").write_text("import tensorflow as tf\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "train.py").write_text("import helpers\n")
    shared = Project()
    assert shared.locate(shared.module_id(tmp_path / "project" / "train.py"), "helpers") is None


def test_a_module_of_a_package_imports_from_the_package_folders_above_it(tmp_path):
    # `python -m keras.train` run from efficientdet/: `import utils` is efficientdet/utils.py.
    _package(tmp_path / "efficientdet", "keras", "train")
    (tmp_path / "efficientdet" / "__init__.py").write_text("")
    (tmp_path / "efficientdet" / "utils.py").write_text("import tensorflow as tf\n")
    shared = Project()
    found = shared.locate(shared.module_id(tmp_path / "efficientdet" / "keras" / "train.py"), "utils")
    assert found == tmp_path / "efficientdet" / "utils.py"
