"""The screen (bnlint.analysis.screen): which modules libcst never parses because no rule can fire in them.

What it rules out must hold nothing the full analysis would report (tests/test_fuzz.py checks that on generated
and mutated programs); what it lets through is every way the analysis reaches an API a rule declares it needs
(a batch-norm or variable-creating layer, a Saver): aliases, star imports, attribute chains kept in variables, and
functions, classes and variables of other project modules. Each rule's own declaration lets its findings through.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from textwrap import dedent

import pytest

from bnlint.analysis import catalogue
from bnlint.analysis.screen import summarize
from bnlint.engine import check_source
from bnlint.project import Project
from bnlint.rules import ALL_RULES, screened_apis
from bnlint.rules.bn910_unused_noqa import UnusedNoqa
from bnlint.source import mentions_framework
from support import expectations, fixture_files


def _relevant(tmp_path: Path, files: dict[str, str], checked: str = "train.py") -> bool:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    return Project().relevant(tmp_path / checked)


@pytest.mark.parametrize(
    "text",
    [
        "import tensorflow as tf\nnet = tf.layers.batch_normalization(x, training=True)\n",
        "import tensorflow.compat.v1 as tf\nnet = tf.layers.dense(x, 10)\n",
        "import tensorflow.compat.v1 as tf\nnet = tf.compat.v1.layers.dense(x, 10)\n",
        "import tensorflow as tf\nlayer = tf.keras.layers.BatchNormalization()\n",
        "from tensorflow.keras.layers import BatchNormalization as BN\nlayer = BN()\n",
        "from tensorflow.compat.v1.layers import batch_normalization as bn\nnet = bn(x)\n",
        "import tf_slim as slim\nnet = slim.conv2d(x, 64, [3, 3])\n",
        "import tensorflow as tf\nslim = tf.contrib.slim\nnet = slim.batch_norm(x)\n",
        "import tensorflow as tf\ntf = tf.compat.v1\nw = tf.get_variable('w', [3])\n",
        "from tensorflow.contrib.layers import *\nnet = batch_norm(x)\n",
        "import tensorflow as tf\nlayers = tf.layers\nnet = layers.dense(x, 10)\n",
        "import tensorflow as tf\nnet = getattr(tf.layers, 'dense')(x, 10)\n",
        "import tensorflow as tf\ndef build(module=tf):\n    return module.layers.dense(x, 10)\n",
        "def build(x):\n    import tensorflow as tf\n    return tf.layers.batch_normalization(x)\n",
        "import tensorflow as tf\ntry:\n    bn = tf.layers.batch_normalization\nexcept AttributeError:\n    bn = 0\n",
        "from tensorflow.python.layers import normalization\nlayer = normalization.BatchNormalization()\n",
        "import tensorflow as tf\ntf.layers\\\n    .batch_normalization(x)\n",
    ],
)
def test_every_spelling_of_a_screened_layer_is_let_through(tmp_path, text):
    assert _relevant(tmp_path, {"train.py": text})


@pytest.mark.parametrize(
    "text",
    [
        "import tensorflow as tf\nloss = tf.reduce_mean(tf.square(x))\n",
        "import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(10), tf.keras.layers.ReLU()])\n",
        "import tensorflow as tf\nlayers = tf.keras.layers\nmodel = tf.keras.Sequential([layers.Dense(10)])\n",
        "import tensorflow as tf\n\ndef parse(record):\n    '''tf.layers.batch_normalization is not used here.'''\n"
        "    return tf.io.parse_single_example(record, {})\n",
        "import tensorflow as tf\nnorm = tf.nn.batch_normalization(x, mean, variance, None, None, 1e-3)\n",
    ],
)
def test_tensorflow_code_without_a_screened_layer_is_ruled_out(tmp_path, text):
    assert not _relevant(tmp_path, {"train.py": text})


def test_a_module_python_cannot_parse_is_let_through_for_its_bn900(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("import tensorflow as tf\nprint 'python 2'\n")
    assert Project().relevant(path)
    assert [diagnostic.code for diagnostic in check_source(path.read_text(), str(path))] == ["BN900"]


MODEL = """
    import tensorflow as tf

    def build(x, is_training):
        return tf.layers.batch_normalization(x, training=is_training)

    def load_data(path):
        return tf.data.TFRecordDataset(path)
"""


@pytest.mark.parametrize(
    "train",
    [
        "from model import build\nbuild(x, True)\n",
        "import model\nmodel.build(x, True)\n",
        "import model as m\nbuild = m.build\nnet = build(x, True)\n",
        "import model\nrun(model)\n",  # the module handed over whole: any of its functions may run
        "from nets import build\nbuild(x, True)\n",  # re-exported by a package's __init__.py
        "from nets.blocks import build\nbuild(x, True)\n",
        "import nets.blocks\nnets.blocks.build(x, True)\n",
        "from nets import blocks\nblocks.build(x, True)\n",
        "from model import *\nbuild(x, True)\n",
        "from model import build\n\nclass Net:\n    def __call__(self, x):\n        return build(x, False)\n",
        "import model\n\nclass Resnet(model.Base):\n    pass\n",
    ],
)
def test_names_of_project_modules_that_reach_a_layer_are_followed(tmp_path, train):
    files = {
        "model.py": MODEL + "\n    class Base:\n        def call(self, x):\n            return build(x, True)\n",
        "nets/__init__.py": "from .blocks import build\n",
        "nets/blocks.py": MODEL,
        "train.py": train,
    }
    assert _relevant(tmp_path, files)


@pytest.mark.parametrize(
    "train",
    [
        "from model import load_data\nimport tensorflow as tf\ndataset = load_data('x')\n",
        "import model\nimport tensorflow as tf\ndataset = model.load_data('x')\n",
        "from utils import NUM_CLASSES\nimport tensorflow as tf\nlogits = tf.zeros([NUM_CLASSES])\n",
    ],
)
def test_names_of_project_modules_that_reach_no_layer_are_not_followed(tmp_path, train):
    files = {"model.py": MODEL, "utils.py": "import tensorflow as tf\nNUM_CLASSES = 10\n", "train.py": train}
    assert not _relevant(tmp_path, files)


def test_a_module_level_variable_links_the_functions_that_use_it(tmp_path):
    files = {
        "norms.py": "import tensorflow as tf\nNORM = tf.layers.batch_normalization\ndef norm(x):\n    return NORM(x)\n",
        "train.py": "from norms import norm\nnet = norm(x)\n",
    }
    assert _relevant(tmp_path, files)


def test_the_screen_forgets_what_an_edited_module_said(tmp_path):
    (tmp_path / "model.py").write_text(dedent(MODEL))
    train = tmp_path / "train.py"
    train.write_text("from model import load_data\ndataset = load_data('x')\n")
    project = Project()
    assert not project.relevant(train)
    project.provide(tmp_path / "model.py", dedent(MODEL).replace("tf.data.TFRecordDataset(path)", "build(path, 1)"))
    assert project.relevant(train)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tensorflow.layers.dense", True),
        ("tensorflow.compat.v1.layers.batch_normalization", True),
        ("tensorflow.keras.layers.BatchNormalization", True),
        ("tf_slim.conv2d", True),
        ("tensorflow.contrib.layers.batch_norm.__wrapped__", True),
        # Found by the fuzz test: `import tensorflow.compat.v1 as tf` and then `tf.compat.v1.layers...`.
        ("tensorflow.compat.v1.compat.v1.layers.batch_normalization", True),
        ("tensorflow", True),  # `tf` handed over whole
        ("tensorflow.compat", True),
        ("tensorflow.keras.layers", True),
        ("tensorflow.keras.layers.Dense", False),
        ("tensorflow.nn.relu", False),
        ("tensorflow.train.AdamOptimizer", False),
        ("numpy.zeros", False),
    ],
)
def test_names_api(name, expected):
    assert screened_apis().named(name) is expected


CODE_RULES = [rule for rule in ALL_RULES if rule is not UnusedNoqa]  # BN910 reads comments: see the test below


def _needing_only(monkeypatch, rule, needs):
    """Every rule but `rule` declares that it needs nothing, and `rule` declares `needs`."""
    for other in ALL_RULES:
        monkeypatch.setattr(other, "needs", needs if other is rule else frozenset())


@pytest.mark.parametrize("rule", CODE_RULES, ids=lambda rule: rule.code)
def test_a_rules_own_declaration_lets_its_examples_and_fixtures_through(tmp_path, monkeypatch, rule):
    _needing_only(monkeypatch, rule, rule.needs)
    for index, example in enumerate(rule.INVALID):
        path = tmp_path / f"invalid_{index}.py"
        path.write_text(inspect.cleandoc(example) + "\n")
        assert Project().relevant(path), f"{rule.code} INVALID[{index}]"
    fixtures = [path for path in fixture_files() if rule.code in {e.code for e in expectations(path.read_text())}]
    assert fixtures
    project = Project()
    assert [path for path in fixtures if not project.relevant(path)] == []


@pytest.mark.parametrize("rule", CODE_RULES, ids=lambda rule: rule.code)
def test_the_screen_reads_the_declarations(tmp_path, monkeypatch, rule):
    """Declaring nothing, a rule's mistakes are screened out: its examples go unreported."""
    _needing_only(monkeypatch, rule, frozenset())
    for index, example in enumerate(rule.INVALID):
        text = inspect.cleandoc(example) + "\n"
        path = tmp_path / f"invalid_{index}.py"
        path.write_text(text)
        assert not Project().relevant(path), f"{rule.code} INVALID[{index}]"
        assert check_source(text, str(path), rules=[rule]) == []


def test_a_rule_about_other_apis_gets_their_modules_through(tmp_path, monkeypatch):
    """A rule about `tf.GradientTape` is not screened out by the batch-norm rules' declarations."""
    text = "import tensorflow as tf\nwith tf.GradientTape() as tape:\n    loss = tf.reduce_sum(x)\n"
    assert not _relevant(tmp_path, {"train.py": text})
    monkeypatch.setattr(CODE_RULES[0], "needs", CODE_RULES[0].needs | {"tensorflow.GradientTape"})
    assert _relevant(tmp_path, {"train.py": text})


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_declarations_name_apis_the_text_prefilter_lets_through(rule):
    """A module that uses a declared API, in any spelling of its package, mentions the framework (bnlint.source)."""
    assert isinstance(rule.needs, frozenset) and (rule is UnusedNoqa) == (not rule.needs)
    for name in rule.needs:
        assert catalogue.canonical(name) == name, f"{rule.code} declares {name}, which is not a canonical name"
        spellings = {old for old in catalogue.ALIASED_PACKAGES if name.startswith(catalogue.canonical(old) + ".")}
        assert all(map(mentions_framework, {name, *spellings})), (rule.code, name)


def test_a_stale_bnlint_noqa_is_still_reported_where_the_screen_rules_the_file_out():
    text = "import tensorflow as tf\nloss = tf.reduce_mean(x)  # noqa: BN001\n"
    assert [diagnostic.code for diagnostic in check_source(text, "train.py")] == ["BN910"]
    other_tools = "import tensorflow as tf\nloss = tf.reduce_mean(x)  # noqa: E501\n"
    assert check_source(other_tools, "train.py") == []


def _with_parent_links(tree: ast.Module) -> ast.Module:
    """What some flake8 plugins do to the tree flake8 hands every plugin: a link from each node to its parent."""
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node  # type: ignore[attr-defined]
    return tree


def test_a_summary_from_the_tree_flake8_hands_over_is_the_summary_of_the_text():
    text = dedent(MODEL) + "layers = tf.layers\nNORM = layers.batch_normalization\nif (n := 3):\n    pass\n"
    from_text = summarize(text)
    assert summarize(text, ast.parse(text)) == from_text
    # Links other plugins added lead back up the tree: followed, they would make every unit use every name.
    assert summarize(text, _with_parent_links(ast.parse(text))) == from_text
    assert from_text.units is not None and from_text.units[-1].references == ("n",)
