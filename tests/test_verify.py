"""`bnlint verify` on runnable scripts: each static finding confirmed, each runtime-only mistake found, clean
scripts clean. Needs TensorFlow (the verify extra, installed by the README's test command)."""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tokenize
from collections import Counter
from importlib.util import find_spec
from pathlib import Path

import pytest

from support import EXAMPLES, FIXTURES, ROOT, execute, expected_findings, run

pytestmark = [
    pytest.mark.tensorflow,
    pytest.mark.skipif(find_spec("tensorflow") is None, reason='needs TensorFlow: pip install -e ".[verify]"'),
]
RUNNABLE = sorted((FIXTURES / "runnable").glob("*.py"))
SCRIPTS = [path for path in RUNNABLE if path.name != "export_meta_graph.py"]
_VERIFY = re.compile(r"#\s*verify:\s*(?P<code>BN1[0-9]{2})\s*$")


def _runtime_expectations(source: str) -> Counter[tuple[int, str]]:
    expected: Counter[tuple[int, str]] = Counter()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and (match := _VERIFY.search(token.string)):
            expected[(token.start[0], match["code"])] += 1
    return expected


def _verify(path: Path, *options: str):
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    result = run("bnlint", "verify", "--format", "json", *options, str(shown))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_verify_confirms_every_static_finding_and_finds_the_hidden_ones(path):
    source = path.read_text(encoding="utf-8")
    status, report = _verify(path)
    verdicts = Counter((item["line"], item["code"], item["verdict"]) for item in report["findings"])
    assert verdicts == Counter({(line, code, "confirmed"): n for (line, code), n in expected_findings(source).items()})
    runtime = Counter((item["line"], item["code"]) for item in report["runtime_findings"] if item["code"] != "BN104")
    assert runtime == _runtime_expectations(source)
    assert status == (1 if path.name.startswith(("bad_", "keras_bad_")) else 0)


def test_the_report_example_is_confirmed_with_numbers_and_lines():
    status, report = _verify(EXAMPLES / "train_buggy.py", "--steps", "50")
    assert status == 1
    confirmed = {item["code"]: item for item in report["findings"] if item["verdict"] == "confirmed"}
    assert sorted(confirmed) == ["BN002", "BN003", "BN004"]
    assert confirmed["BN002"]["measurement"]["code"] == "BN101"
    assert confirmed["BN002"]["measurement"]["evidence"]["run_by_step"] == 0
    assert confirmed["BN003"]["measurement"]["code"] == "BN103"
    assert confirmed["BN004"]["measurement"]["code"] == "BN102"
    (gap,) = [item for item in report["runtime_findings"] if item["code"] == "BN104"]
    assert gap["evidence"]["variance_ratio"] > 100  # the symptom: validation normalizes with the wrong statistics


def test_the_fixed_example_verifies_clean():
    status, report = _verify(EXAMPLES / "train_fixed.py", "--steps", "50")
    assert status == 0
    assert report["findings"] == [] and report["runtime_findings"] == []
    assert report["evaluation_runs"] == 1  # the evaluation at step 50 was measured, and is healthy


def test_a_saved_graph_is_checked_without_running_code(tmp_path):
    meta = tmp_path / "buggy.meta"
    environment = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    export = execute([sys.executable, str(FIXTURES / "runnable" / "export_meta_graph.py"), str(meta)], env=environment)
    assert meta.exists(), export.stdout + export.stderr
    status, report = _verify(meta)
    assert status == 1
    assert sorted(item["code"] for item in report["runtime_findings"]) == ["BN101", "BN103"]
    assert report["mode"] == "metagraph"


def _failure(tmp_path: Path, source: str, *options: str, env: dict[str, str] | None = None):
    script = tmp_path / "train.py"
    script.write_text(source)
    result = run("bnlint", "verify", *options, str(script), env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr.split("the script's last output:")[0]
    return result.stderr


def test_a_script_that_fails_before_training_gives_its_error(tmp_path):
    message = _failure(
        tmp_path, "import tensorflow as tf\nx = tf.placeholder(tf.float32, [None, 2])\nraise KeyError('data')\n"
    )
    assert "failed before its first training step: KeyError (line 3)" in message


def test_an_api_without_a_stand_in_is_not_verifiable(tmp_path):
    message = _failure(tmp_path, "import tensorflow as tf\nmodel = tf.contrib.learn.DNNClassifier([10], 2)\n")
    assert "not verifiable: tensorflow.contrib.learn has no stand-in" in message


def test_a_hanging_script_is_ended(tmp_path):
    message = _failure(
        tmp_path, "import time\nimport tensorflow as tf\nwhile True:\n    time.sleep(1)\n", "--timeout", "20"
    )
    assert "took longer than 20 s" in message


def test_a_script_that_trains_nothing_says_so(tmp_path):
    message = _failure(tmp_path, "import tensorflow as tf\nprint(tf.placeholder(tf.float32, [2]))\n")
    assert "ran no training step" in message


def test_tensorflow_missing_names_the_install_command(tmp_path):
    broken = tmp_path / "broken"
    (broken / "tensorflow").mkdir(parents=True)
    (broken / "tensorflow" / "__init__.py").write_text("raise ImportError('no TensorFlow here')\n")
    environment = dict(os.environ, PYTHONPATH=str(broken))
    message = _failure(tmp_path, "import tensorflow as tf\n", env=environment)
    assert f'{sys.executable} -m pip install -e "{ROOT}[verify]"' in message  # this checkout's own extra


def test_asking_for_a_gpu_where_there_is_none(tmp_path):
    environment = dict(os.environ, CUDA_VISIBLE_DEVICES="-1")
    message = _failure(tmp_path, (EXAMPLES / "train_fixed.py").read_text(), "--device", "gpu", env=environment)
    assert "no GPU is visible" in message


def test_the_example_is_the_users_code_in_folders_named_bnlint_and_site_packages(tmp_path):
    # `git clone` puts bnlint in a folder named bnlint: the user's frames there are still the user's.
    project = tmp_path / "bnlint" / "site-packages" / "project"
    project.mkdir(parents=True)
    script = project / "train_buggy.py"
    script.write_text((EXAMPLES / "train_buggy.py").read_text(encoding="utf-8"), encoding="utf-8")
    status, report = _verify(script, "--steps", "50")
    assert status == 1
    assert sorted(item["code"] for item in report["findings"] if item["verdict"] == "confirmed") == [
        "BN002",
        "BN003",
        "BN004",
    ]


_SLIM_VARIANTS = """
import numpy as np
import tensorflow as tf
import tensorflow.contrib.slim as slim

images = tf.placeholder(tf.float32, [None, 8, 8, 3])
is_training = tf.placeholder(tf.bool, [])
net = slim.conv2d(images, 4, [3, 3], activation_fn=None)
net = tf.contrib.layers.batch_norm(net, is_training=is_training, updates_collections=None)
net = tf.contrib.layers.batch_norm(net, is_training=is_training, updates_collections=None, fused=False)
net = slim.batch_norm(net, is_training=is_training, fused=True)
net = slim.batch_norm(net, is_training=is_training, fused=False)
flat = slim.flatten(net)
flat = tf.contrib.layers.batch_norm(flat, is_training=is_training, updates_collections=None)
flat = slim.batch_norm(flat, is_training=is_training)
loss = tf.reduce_mean(tf.square(slim.fully_connected(flat, 1, activation_fn=None)))
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(30):
        sess.run(train_op, {images: np.random.rand(4, 8, 8, 3), is_training: True})
"""


def test_every_slim_batch_norm_variant_runs_under_the_stand_in(tmp_path):
    # contrib and slim spellings, updates_collections=None or the collection, fused or not, 4-D and 2-D input.
    script = tmp_path / "train.py"
    script.write_text(_SLIM_VARIANTS)
    status, report = _verify(script)
    assert status == 0, report
    assert report["training_steps"] == 20 and report["internal_errors"] == []


def test_a_keras_functional_literal_is_measured(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "inputs = tf.keras.Input(shape=(8,))\n"
        "x = tf.keras.layers.BatchNormalization()(tf.keras.layers.Dense(16)(inputs), training=True)\n"
        "model = tf.keras.Model(inputs, tf.keras.layers.Dense(1)(x))\n"
        "optimizer = tf.keras.optimizers.Adam(1e-3)\n"
        "for step in range(30):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_mean(tf.square(model(np.random.rand(16, 8).astype('float32'), training=True)))\n"
        "    variables = model.trainable_variables\n"
        "    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))\n"
    )
    status, report = _verify(script)
    (finding,) = report["findings"]
    assert (finding["line"], finding["code"], finding["verdict"]) == (4, "BN001", "confirmed")
    assert finding["measurement"]["evidence"]["mode_difference"] > 0
    assert status == 1


def test_a_stand_in_that_fails_is_bnlints_error_not_the_scripts(tmp_path):
    # The script removes a name tf-slim reads from TensorFlow, as a TensorFlow release did (2.21 moved ops.Tensor).
    source = _SLIM_VARIANTS.replace(
        "import numpy as np\n", "import numpy as np\nfrom tensorflow.python.framework import ops\ndel ops.Tensor\n", 1
    )
    message = _failure(tmp_path, source)
    assert "BN901 internal error of bnlint, not of the script" in message
    assert "the tf_slim stand-in failed on this TensorFlow" in message and "AttributeError" in message
    assert "failed before its first training step" not in message


def test_a_run_that_trains_but_reaches_no_finding_is_a_failure_of_verify(tmp_path):
    message = _failure(
        tmp_path,
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "def unused_block(x):\n"
        "    return tf.layers.batch_normalization(x)\n"
        "x = tf.placeholder(tf.float32, [None, 4])\n"
        "loss = tf.reduce_mean(tf.square(tf.layers.dense(x, 1)))\n"
        "train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)\n"
        "with tf.Session() as sess:\n"
        "    sess.run(tf.global_variables_initializer())\n"
        "    for step in range(30):\n"
        "        sess.run(train_op, {x: np.random.rand(8, 4)})\n",
    )
    assert "20 training step(s) ran, but none of the 1 finding(s) was reached" in message


def test_a_discriminator_step_that_runs_the_update_ops_settles_the_generator_step(tmp_path):
    source = (FIXTURES / "runnable" / "bad_gan_steps_without_update_ops.py").read_text(encoding="utf-8")
    step = "d_opt = tf.train.AdamOptimizer(2e-4).minimize(d_loss, var_list=d_vars)"
    (line,) = [line for line in source.splitlines() if line.startswith(step)]
    guarded = f"with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n    {step}"
    fixed = source.replace(line, guarded)
    script = tmp_path / "gan.py"
    script.write_text(fixed, encoding="utf-8")
    status, report = _verify(script)
    (finding,) = report["findings"]  # the generator step's, still without the dependency
    assert (finding["code"], finding["verdict"]) == ("BN002", "refuted")
    assert "another training op of the script updates them" in finding["measurement"]["message"]
    assert status == 0


_SLOW = """
import time
import numpy as np
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 4])
is_training = tf.placeholder(tf.bool, [])
h = tf.layers.batch_normalization(tf.layers.dense(x, 8), training=is_training)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1)))
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(100):
        sess.run(train_op, {x: np.random.rand(8, 4), is_training: True})
        time.sleep(2)
"""


def test_a_timeout_keeps_what_was_measured(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(_SLOW)
    status, report = _verify(script, "--timeout", "30")
    assert status == 1
    (finding,) = report["findings"]
    assert (finding["code"], finding["verdict"]) == ("BN002", "confirmed")
    assert report["note"].startswith("the run timed out after 30 s, after ")


def test_moving_statistics_nothing_reads_are_a_note_not_a_finding(tmp_path):
    # pix2pix normalizes with batch statistics everywhere on purpose and never reads the moving ones.
    script = tmp_path / "pix2pix.py"
    script.write_text(
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "x = tf.placeholder(tf.float32, [None, 8, 8, 3])\n"
        "net = tf.layers.batch_normalization(tf.layers.conv2d(x, 8, 3, padding='same'), training=True)\n"
        "loss = tf.reduce_mean(tf.abs(tf.layers.conv2d(tf.nn.relu(net), 3, 3, padding='same') - x))\n"
        "train_op = tf.train.AdamOptimizer(2e-4).minimize(loss)\n"
        "with tf.Session() as sess:\n"
        "    sess.run(tf.global_variables_initializer())\n"
        "    for step in range(40):\n"
        "        sess.run(train_op, {x: np.random.rand(4, 8, 8, 3)})\n"
    )
    status, report = _verify(script)
    assert report["runtime_findings"] == []
    (note,) = report["notes"]
    assert note["code"] == "BN101" and "nothing in the run reads them" in note["message"]
    (literal,) = report["findings"]  # BN001: training=True, the script's design here
    assert (literal["code"], literal["verdict"]) == ("BN001", "refuted")
    assert "nothing reads the moving ones" in literal["reason"]
    assert status == 0


def test_mnist_tutorials_read_their_local_files(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from verify_real.data import mnist_idx
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    mnist_idx(tmp_path / "MNIST_data")
    script = tmp_path / "mnist.py"
    script.write_text(
        "import tensorflow as tf\n"
        "from tensorflow.examples.tutorials.mnist import input_data\n"
        "mnist = input_data.read_data_sets('MNIST_data/', one_hot=True)\n"
        "x = tf.placeholder(tf.float32, [None, 784])\n"
        "y = tf.placeholder(tf.float32, [None, 10])\n"
        "training = tf.placeholder(tf.bool)\n"
        "h = tf.layers.batch_normalization(tf.layers.dense(x, 32), training=training)\n"
        "logits = tf.layers.dense(tf.nn.relu(h), 10)\n"
        "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))\n"
        "train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)\n"
        "with tf.Session() as sess:\n"
        "    sess.run(tf.global_variables_initializer())\n"
        "    for step in range(40):\n"
        "        xs, ys = mnist.train.next_batch(64)\n"
        "        sess.run(train_op, {x: xs, y: ys, training: True})\n"
    )
    status, report = _verify(script, "--workdir", str(tmp_path))
    (finding,) = report["findings"]
    assert (finding["line"], finding["code"], finding["verdict"]) == (10, "BN002", "confirmed")
    assert status == 1


def test_graph_mode_is_decided_from_the_modules_a_script_imports(tmp_path):
    # main.py names no TF1 API itself: the Session and placeholders it runs come from utils.py.
    (tmp_path / "utils.py").write_text(
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "def build():\n"
        "    x = tf.placeholder(tf.float32, [None, 4])\n"
        "    is_training = tf.placeholder(tf.bool, [])\n"
        "    h = tf.layers.batch_normalization(tf.layers.dense(x, 8), training=is_training)\n"
        "    loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1)))\n"
        "    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n"
        "        return x, is_training, tf.train.AdamOptimizer(1e-3).minimize(loss)\n"
        "def session():\n"
        "    sess = tf.Session()\n"
        "    sess.run(tf.global_variables_initializer())\n"
        "    return sess\n"
    )
    script = tmp_path / "main.py"
    script.write_text(
        "from utils import *\n"
        "x, is_training, train_op = build()\n"
        "sess = session()\n"
        "for step in range(30):\n"
        "    sess.run(train_op, {x: np.random.rand(8, 4), is_training: True})\n"
    )
    status, report = _verify(script)
    assert report["mode"] == "graph" and report["training_steps"] == 20
    assert status == 0


def test_a_tf2_step_that_runs_batch_norm_in_inference_mode_is_found(tmp_path):
    source = (
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "model = tf.keras.Sequential([tf.keras.layers.Dense(16, input_shape=(8,)),"
        " tf.keras.layers.BatchNormalization(), tf.keras.layers.Dense(1)])\n"
        "optimizer = tf.keras.optimizers.Adam(1e-2)\n"
        "@tf.function\n"
        "def train_step(x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_mean(tf.square(model(x) - y))\n"
        "    variables = model.trainable_variables\n"
        "    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))\n"
        "for step in range(40):\n"
        "    train_step(np.random.rand(32, 8).astype('float32') * 5, np.random.rand(32, 1).astype('float32'))\n"
    )
    script = tmp_path / "step.py"
    script.write_text(source)
    status, report = _verify(script)
    # BN007 says it from the source; the run measures it (BN102), so no runtime-only finding is left.
    (finding,) = report["findings"]
    assert (finding["line"], finding["code"], finding["verdict"]) == (8, "BN007", "confirmed")
    assert finding["measurement"]["code"] == "BN102"
    assert "inference mode in the training step" in finding["measurement"]["message"]
    assert report["runtime_findings"] == [] and status == 1
    script.write_text(source.replace("model(x) - y", "model(x, training=True) - y"))
    status, report = _verify(script)
    assert report["runtime_findings"] == [] and status == 0


def test_contribs_own_module_paths_reach_the_stand_in(tmp_path):
    source = _SLIM_VARIANTS.replace(
        "import tensorflow.contrib.slim as slim\n",
        "import tensorflow.contrib.slim as slim\n"
        "from tensorflow.contrib.layers.python.layers import utils\n"
        "from tensorflow.contrib.framework.python.ops import arg_scope\n"
        "import tensorflow.contrib.slim.python.slim.learning as learning\n"
        "assert utils.smart_cond and arg_scope.arg_scope and learning.create_train_op\n",
    )
    script = tmp_path / "train.py"
    script.write_text(source)
    status, report = _verify(script)
    assert status == 0 and report["training_steps"] == 20


def test_a_contrib_module_without_a_stand_in_is_not_verifiable_at_any_depth(tmp_path):
    message = _failure(
        tmp_path,
        "import tensorflow as tf\n"
        "x = tf.placeholder(tf.float32)\n"
        "from tensorflow.contrib.learn.python.learn import datasets\n",
    )
    assert "not verifiable: tensorflow.contrib.learn has no stand-in" in message


def test_tensorflows_own_refusal_of_a_second_tower_confirms_bn003(tmp_path):
    script = tmp_path / "towers.py"
    script.write_text(
        "import tensorflow as tf\n"
        "def network(x, is_training):\n"
        "    with tf.variable_scope('net'):\n"
        "        h = tf.layers.batch_normalization(tf.layers.dense(x, 8, name='fc1'), training=is_training)\n"
        "        return tf.layers.dense(h, 1, name='out')\n"
        "x = tf.placeholder(tf.float32, [None, 4])\n"
        "train_out = network(x, True)\n"
        "valid_out = network(x, False)\n"
    )
    status, report = _verify(script)
    (finding,) = report["findings"]
    assert (finding["line"], finding["code"], finding["verdict"]) == (8, "BN003", "confirmed")
    assert "already exists, disallowed" in finding["measurement"]["message"]
    assert status == 1


def test_contrib_framework_members_come_from_every_tf_slim_module_that_has_them(tmp_path):
    source = _SLIM_VARIANTS.replace(
        "    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)\n",
        "    global_step = tf.contrib.framework.get_or_create_global_step()\n"
        "    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss, global_step=global_step)\n",
    )
    script = tmp_path / "train.py"
    script.write_text(source)
    status, report = _verify(script)
    assert status == 0 and report["training_steps"] == 20


_KERAS_STEP = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "model = tf.keras.Sequential([tf.keras.layers.Dense(16, input_shape=(8,)), tf.keras.layers.Dense(1)])\n"
    "bn = tf.keras.layers.BatchNormalization()\n"
    "optimizer = tf.keras.optimizers.Adam(1e-2)\n"
    "def batch():\n"
    "    return np.random.rand(32, 8).astype('float32') * 5\n"
    "for step in range(40):\n"
    "    with tf.GradientTape() as tape:\n"
    "        loss = tf.reduce_mean(tf.square(model(bn(batch(), training=True))))\n"
    "    variables = model.trainable_variables + bn.trainable_variables\n"
    "    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))\n"
    "    if step % 5 == 0:\n"
    "        print(float(tf.reduce_mean(model(bn(batch(), training=False)))))\n"
)


def test_a_literal_mode_at_an_eager_call_is_judged_by_where_the_call_runs(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text(_KERAS_STEP)
    status, report = _verify(script)
    verdicts = sorted((item["line"], item["code"], item["verdict"]) for item in report["findings"])
    assert verdicts == [(10, "BN001", "refuted"), (14, "BN001", "refuted")]  # each call's mode is the one it needs
    assert status == 0
    script.write_text(_KERAS_STEP.replace("model(bn(batch(), training=False))", "model(bn(batch(), training=True))"))
    status, report = _verify(script)
    verdicts = sorted((item["line"], item["code"], item["verdict"]) for item in report["findings"])
    assert verdicts == [(10, "BN001", "refuted"), (14, "BN001", "confirmed")]  # the evaluation in training mode
    assert status == 1


def test_an_evaluation_under_learning_phase_one_confirms_bn009_under_the_keras_it_needs(tmp_path):
    # tf.keras without TF_USE_LEGACY_KERAS is Keras 3, where set_learning_phase is gone (BN009 says so): the run
    # fails there before training, so verify measures the script under Keras 2, and says so.
    script = tmp_path / "phase.py"
    script.write_text(
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "tf.keras.backend.set_learning_phase(1)\n"
        "model = tf.keras.Sequential([tf.keras.layers.Dense(16, input_shape=(8,)),"
        " tf.keras.layers.BatchNormalization(), tf.keras.layers.Dense(1)])\n"
        "optimizer = tf.keras.optimizers.Adam(1e-2)\n"
        "@tf.function\n"
        "def valid_step(x):\n"
        "    return tf.reduce_mean(model(x))\n"
        "for step in range(40):\n"
        "    x = np.random.rand(32, 8).astype('float32')\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_mean(tf.square(model(x)))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "    if step % 5 == 0:\n"
        "        print(float(valid_step(x)))\n"
    )
    status, report = _verify(script)
    # BN007's claim at the tape (inference mode) is Keras 3's; under Keras 2's phase 1 nothing measures it.
    finding, *_ = [finding for finding in report["findings"] if finding["code"] == "BN009"]
    assert (finding["line"], finding["verdict"]) == (3, "confirmed")
    assert "learning phase is 1" in finding["measurement"]["message"]
    assert report["runtime_findings"] == [] and status == 1
    assert report["keras"] == 2 and "under Keras 3 the script fails" in report["note"]


def test_dataset_functions_keep_autograph_while_steps_run_eagerly(tmp_path):
    script = tmp_path / "data.py"
    script.write_text(
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "@tf.function\n"
        "def jitter(x):\n"
        "    if tf.random.uniform(()) > 0.5:\n"
        "        x = tf.image.flip_left_right(x)\n"
        "    return x\n"
        "data = tf.data.Dataset.from_tensor_slices(np.random.rand(64, 8, 8, 3).astype('float32'))\n"
        "data = data.map(jitter).batch(8).repeat()\n"
        "model = tf.keras.Sequential([tf.keras.layers.Conv2D(4, 3), tf.keras.layers.BatchNormalization(),"
        " tf.keras.layers.GlobalAveragePooling2D(), tf.keras.layers.Dense(1)])\n"
        "optimizer = tf.keras.optimizers.Adam()\n"
        "for x in data.take(40):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_mean(tf.square(model(x, training=True)))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
    )
    status, report = _verify(script)
    assert status == 0 and report["training_steps"] == 20


def test_tf2_checkpoints_do_not_make_a_script_tf1(tmp_path):
    script = tmp_path / "step.py"
    script.write_text(
        _KERAS_STEP.replace(
            "optimizer = tf.keras.optimizers.Adam(1e-2)\n",
            "optimizer = tf.keras.optimizers.Adam(1e-2)\n"
            "checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)\n",
        )
    )
    status, report = _verify(script)
    assert report["mode"] == "eager" and report["training_steps"] == 20


def test_the_run_uses_the_keras_the_configuration_names(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.bnlint]\nkeras-version = 2\n")
    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "model = tf.keras.Sequential([tf.keras.layers.Dense(4), tf.keras.layers.BatchNormalization()])\n"
        "optimizer = tf.keras.optimizers.Adam()\n"
        "for step in range(30):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_mean(model(np.random.rand(8, 3).astype('float32'), training=True))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "print(type(model).__module__)\n"
    )
    status, report = _verify(script)
    assert (status, report["keras"], report["note"]) == (0, 2, "")
    (tmp_path / "pyproject.toml").write_text("[tool.bnlint]\nkeras-version = 3\n")
    status, report = _verify(script)
    assert (status, report["keras"]) == (0, 3)
