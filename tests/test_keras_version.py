"""Which Keras a module runs (bnlint.analysis.keras_version), read from its code and its program's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bnlint.analysis.facts import ModuleFacts
from bnlint.keras_setting import KerasSetting
from bnlint.project import Project

ENVIRON = 'import os\nos.environ["TF_USE_LEGACY_KERAS"] = "{}"\n'


@pytest.mark.parametrize(
    ("source", "major", "reason"),
    [
        ("import tensorflow as tf\nmodel = tf.keras.Sequential()\n", 3, "tf.keras is Keras 3 from TensorFlow 2.16"),
        ("import keras\nmodel = keras.Sequential()\n", 3, "`import keras` installs Keras 3"),
        ("import tf_keras as keras\nmodel = keras.Sequential()\n", 2, "imports Keras from tf_keras"),
        (ENVIRON.format("1") + "import tensorflow as tf\nm = tf.keras.Sequential()\n", 2, "TF_USE_LEGACY_KERAS=1"),
        (ENVIRON.format("True") + "from tensorflow import keras\nm = keras.Sequential()\n", 2, "LEGACY_KERAS=True"),
        # TensorFlow reads only "true", "True" and "1"; the switch does not route standalone keras.
        (ENVIRON.format("0") + "import tensorflow as tf\nm = tf.keras.Sequential()\n", 3, "TensorFlow 2.16"),
        (ENVIRON.format("1") + "import keras\nm = keras.Sequential()\n", 3, "`import keras` installs Keras 3"),
        ('import os\nos.environ.setdefault("TF_USE_LEGACY_KERAS", "1")\nimport tensorflow as tf\n', 2, "LEGACY"),
        ('import os\nos.environ.update(KERAS_BACKEND="jax")\nimport keras\n', 3, "sets KERAS_BACKEND"),
        ("import keras\nfrom keras.layers.merge import concatenate\n", 2, "keras.layers.merge, which exists only"),
        ("from keras import backend as K\nf = K.function([], [])\n", 2, "keras.backend.function"),
        ("import tensorflow as tf\nx = tf.placeholder(tf.float32)\nm = tf.keras.Sequential()\n", 2, "tf.placeholder"),
        ("import tensorflow as tf\nslim = tf.contrib.slim\nnet = slim.conv2d(x, 3, 3)\n", 2, "tf.contrib.slim"),
        # A Keras 3 name outweighs a Keras 2 one: the code is moving to Keras 3, where the Keras 2 name fails.
        ("import keras\nfrom keras import ops\nfrom keras import backend as K\nK.function([], [])\n", 3, "keras.ops"),
        # The learning-phase API is no proof of Keras 2: it is what BN009 judges.
        ("from keras import backend as K\nK.set_learning_phase(1)\n", 3, "`import keras` installs Keras 3"),
    ],
)
def test_the_version_read_from_the_code(tmp_path, source, major, reason):
    version = _facts(tmp_path, {"train.py": source}).keras_version
    assert version.major == major
    assert reason in version.reason


def test_the_entry_scripts_environment_reaches_the_modules_it_imports(tmp_path):
    files = {
        "train.py": ENVIRON.format("1") + "import utils\nutils.setup()\n",
        "utils.py": "import tensorflow as tf\n\ndef setup():\n    tf.keras.backend.clear_session()\n",
    }
    version = _facts(tmp_path, files, "utils.py").keras_version
    assert (version.major, version.reason) == (2, "train.py sets TF_USE_LEGACY_KERAS=1, so tf.keras is Keras 2")


def test_the_configuration_overrides_the_code(tmp_path):
    files = {"train.py": "import tf_keras as keras\nmodel = keras.Sequential()\n"}
    configured = KerasSetting(by_file={(tmp_path / "train.py").absolute(): 3})
    version = _facts(tmp_path, files, setting=configured).keras_version
    assert (version.major, version.reason) == (3, "keras-version = 3 in the configuration")
    assert _facts(tmp_path, files, setting=KerasSetting(default=3)).keras_version.major == 3
    other = KerasSetting(by_file={(tmp_path / "other.py").absolute(): 3})
    assert _facts(tmp_path, files, setting=other).keras_version.major == 2


def _facts(tmp_path: Path, files: dict[str, str], name: str = "train.py", setting=KerasSetting()) -> ModuleFacts:
    for file, text in files.items():
        (tmp_path / file).write_text(text)
    facts = Project(keras=setting).facts(tmp_path / name)
    assert facts is not None
    return facts


def test_the_program_is_read_only_as_far_as_the_decision_needs(tmp_path):
    # The first module of the program that imports tf_keras decides for a tf.keras module: the modules after it are
    # not analysed for the version (in tf-models-official, 659 modules name tf_keras).
    files = {
        "train.py": "import tensorflow as tf\nimport a\nimport b\nimport c\nmodel = tf.keras.Sequential()\n",
        "a.py": "import tf_keras\nlayer = tf_keras.layers.Dense(1)\n",
        "b.py": "import tf_keras\nlayer = tf_keras.layers.Dense(2)\n",
        "c.py": "import tensorflow as tf\nlayer = tf.keras.layers.BatchNormalization()\n",
    }
    facts = _facts(tmp_path, files)
    order = [path.name for path in facts.project.dependencies(facts.module.path)]
    version = facts.keras_version
    first = next(name for name in order if name in ("a.py", "b.py"))
    assert (version.major, version.reason) == (2, f"{first} imports tf_keras, so tf.keras is Keras 2")
    later = order[order.index(first) + 1 :]
    assert later and all(facts.project.parsed(tmp_path / name) is None for name in later)


def test_each_question_reads_the_whole_program_where_no_module_answers_the_one_before(tmp_path):
    # No switch anywhere, no Keras 3 name: the Keras 2 name of the last module read decides.
    files = {
        "train.py": "import keras\nimport a\nimport b\nmodel = keras.Sequential()\n",
        "a.py": "import keras\nlayer = keras.layers.BatchNormalization()\n",
        "b.py": "import keras\nfrom keras.layers.merge import concatenate\nlayer = keras.layers.BatchNormalization()\n",
    }
    version = _facts(tmp_path, files).keras_version
    assert (version.major, version.reason) == (2, "b.py uses keras.layers.merge, which exists only in Keras 2")
