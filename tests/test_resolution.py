"""Names are resolved by what they refer to, never by how they are spelled."""

from __future__ import annotations

import pytest

from bnlint.engine import check_source

CALL = "batch_normalization(x, training=True)"

SPELLINGS = {
    "import tensorflow as tf": f"tf.layers.{CALL}",
    "import tensorflow.compat.v1 as tf": f"tf.layers.{CALL}",
    "import tensorflow as tensorflow_lib": f"tensorflow_lib.layers.{CALL}",
    "import tensorflow": f"tensorflow.compat.v1.layers.{CALL}",
    "from tensorflow.layers import batch_normalization as bn": "bn(x, training=True)",
    "from tensorflow.compat.v1 import layers": f"layers.{CALL}",
    "import tensorflow as tf\nbn = tf.layers.batch_normalization": "bn(x, training=True)",
    "import tensorflow as tf\ntf = tf.compat.v1": f"tf.layers.{CALL}",
    "try:\n    import tensorflow.compat.v1 as tf\nexcept ImportError:\n    import tensorflow as tf": (
        f"tf.layers.{CALL}"
    ),
    "from tensorflow.compat.v1.layers import *": CALL,
    "import tensorflow as tf\nslim = tf.contrib.slim": "slim.batch_norm(x, is_training=True)",
    "import tensorflow.contrib.slim as slim": "slim.batch_norm(x, is_training=True)",
    "from tensorflow.contrib import slim": "slim.batch_norm(x, is_training=True)",
    "import tf_slim as slim": "slim.batch_norm(x, is_training=True)",
    "from tensorflow.contrib import layers": "layers.batch_norm(x, is_training=True)",
    "from tensorflow import keras": "keras.layers.BatchNormalization()(x, training=True)",
    "import keras": "keras.layers.BatchNormalization()(x, training=True)",
    "from tensorflow.keras.layers import BatchNormalization": "BatchNormalization()(x, training=True)",
    "import tensorflow.compat.v1 as tf\nbn_layer = tf.keras.layers.BatchNormalization()": "bn_layer(x, training=True)",
}


@pytest.mark.parametrize("imports", SPELLINGS)
def test_every_spelling_of_the_api_is_recognised(imports):
    source = f"{imports}\n\ndef layer(x):\n    return {SPELLINGS[imports]}\n"
    line = source.count("\n")
    assert [(d.line, d.code) for d in check_source(source, "t.py")] == [(line, "BN001")]


NOT_TENSORFLOW = {
    "a local function called batch_normalization": (
        "import tensorflow as tf\n\n"
        "def batch_normalization(x, training):\n    return x\n\n"
        "def layer(x):\n    return batch_normalization(x, training=True)\n"
    ),
    "a parameter called tf": (
        "import tensorflow as tf\n\ndef layer(tf, x):\n    return tf.layers.batch_normalization(x, training=True)\n"
    ),
    "a local variable called tf": (
        "import tensorflow as tf\n\n"
        "def layer(x):\n    tf = NumpyBackend()\n    return tf.layers.batch_normalization(x, training=True)\n"
    ),
    "an attribute of another object": (
        "import tensorflow as tf\n\n"
        "def layer(model, x):\n    return model.layers.batch_normalization(x, training=True)\n"
    ),
    "a module that only mentions tensorflow in a comment": (
        "# not tensorflow\nimport mylib as tf\n\n"
        "def layer(x):\n    return tf.layers.batch_normalization(x, training=True)\n"
    ),
}


@pytest.mark.parametrize("name", NOT_TENSORFLOW)
def test_names_that_are_not_tensorflow_are_not_reported(name):
    assert check_source(NOT_TENSORFLOW[name], "t.py") == []
