"""Generated TF1-style training scripts of growing size, for the scaling measurement.

Each script repeats one block with names unique to the block: a model function building `tf.layers` convolutions,
dense layers and batch normalization under a variable scope, and a training function with its loss, summaries and
a train op under `tf.control_dependencies(UPDATE_OPS)`. Every tenth block forgets `training=` on one batch norm, so
the scripts have findings too and the reporting path is part of what is measured.
"""

from __future__ import annotations

from pathlib import Path

HEADER = '''"""Generated training script: {blocks} towers, one train op each."""

import tensorflow as tf

FLAGS = tf.app.flags.FLAGS
tf.app.flags.DEFINE_float("learning_rate", 0.01, "initial learning rate")
'''

BLOCK = '''

def tower_{n}(images, is_training, num_classes=10):
    """Tower {n}: two convolutions and a dense head, each normalized."""
    with tf.variable_scope("tower_{n}"):
        net = tf.layers.conv2d(images, {filters}, 3, padding="same", name="conv_a_{n}")
        net = tf.layers.batch_normalization(net, training=is_training, name="bn_a_{n}")
        net = tf.nn.relu(net)
        net = tf.layers.conv2d(net, {filters}, 3, strides=2, padding="same", name="conv_b_{n}")
        net = tf.layers.batch_normalization(net, {mode}name="bn_b_{n}")
        net = tf.layers.max_pooling2d(tf.nn.relu(net), 2, 2)
        net = tf.layers.dense(tf.layers.flatten(net), 128, name="fc_{n}")
        net = tf.layers.batch_normalization(net, training=is_training, name="bn_fc_{n}")
        return tf.layers.dense(tf.nn.relu(net), num_classes, name="logits_{n}")


def train_step_{n}(images, labels, is_training):
    logits = tower_{n}(images, is_training)
    loss_{n} = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    correct_{n} = tf.equal(tf.argmax(logits, axis=1), labels)
    accuracy_{n} = tf.reduce_mean(tf.cast(correct_{n}, tf.float32))
    tf.summary.scalar("loss_{n}", loss_{n})
    tf.summary.scalar("accuracy_{n}", accuracy_{n})
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.exponential_decay(FLAGS.learning_rate, global_step, {decay}, 0.9)
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope="tower_{n}")
    with tf.control_dependencies(update_ops):
        optimizer = tf.train.MomentumOptimizer(learning_rate, momentum=0.9)
        train_op = optimizer.minimize(loss_{n}, global_step=global_step)
    return train_op, loss_{n}, accuracy_{n}
'''

# The smallest script that passes bnlint's text pre-filter: its time is the fixed cost of a run (interpreter,
# imports, discovery), subtracted before dividing by the lines.
START_UP = "import tensorflow as tf\n"


def script(lines: int) -> str:
    """A script of at least `lines` lines: the header, then whole blocks."""
    blocks: list[str] = []
    count = HEADER.count("\n")
    while count < lines:
        blocks.append(_block(len(blocks)))
        count += blocks[-1].count("\n")
    return HEADER.format(blocks=len(blocks)) + "".join(blocks)


def _block(n: int) -> str:
    # Every tenth block omits the mode: tf.layers then normalizes with moving averages it never updates (BN004).
    mode = "" if n % 10 == 9 else "training=is_training, "
    return BLOCK.format(n=n, filters=32 * (1 + n % 4), mode=mode, decay=1000 * (1 + n % 5))


def write_scripts(folder: Path, sizes: tuple[int, ...]) -> dict[int, Path]:
    """The start-up script (key 0) and one script per size, written afresh: generating them takes milliseconds."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {0: folder / "start_up.py"}
    paths[0].write_text(START_UP)
    for lines in sizes:
        paths[lines] = folder / f"train_{lines // 1000}k_lines.py"
        paths[lines].write_text(script(lines))
    return paths
