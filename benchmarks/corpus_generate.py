"""Generated TF1-style training scripts of growing size, for the scaling measurement.

The towers script repeats one block with names unique to the block: a model function building `tf.layers`
convolutions, dense layers and batch normalization under a variable scope, and a training function with its loss,
summaries and a train op under `tf.control_dependencies(UPDATE_OPS)`. Every tenth block forgets `training=` on one
batch norm, so the scripts have findings too and the reporting path is part of what is measured.

The shapes of issue 19 (`SHAPES`), as generated and notebook-exported scripts write them: one name rebound through a
project function at the top level (`x = block(x, is_training)` repeated), a chain of distinct names (`v1 = block(v0,
t)`, `v2 = block(v1, t)`, ...), the rebinding inside one long function, and a long chain of wrappers each passing
its flag to the one before. Every hundredth block of the first three passes `False` in the graph the train op learns
from (a BN001 each) and the train op runs without the update ops (a BN002); the wrapper chain is called without its
flag (a BN004) and trained the same way (a BN002).
"""

from __future__ import annotations

from collections.abc import Callable
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


BLOCK_FUNCTION = """import tensorflow as tf


def block(x, is_training):
    return tf.layers.batch_normalization(tf.layers.conv2d(x, 8, 3, padding="same"), training=is_training)


"""
PLACEHOLDERS = """{flag} = tf.placeholder(tf.bool, shape=(), name="is_training")
{images} = tf.placeholder(tf.float32, [None, 32, 32, 3])
"""
TRAIN = """loss = tf.reduce_mean(tf.square({output}))
train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
"""
# The lines of the block function, the placeholders and the train op, around a shape's repeated lines.
_FIXED_LINES = 11


def _flag(n: int, name: str) -> str:
    """Block n's mode: every hundredth block passes False where the train op learns (BN001)."""
    return "False" if n % 100 == 99 else name


def rebinding(lines: int) -> str:
    """`x = block(x, is_training)` at the top level, once a line."""
    blocks = max(lines - _FIXED_LINES, 1)
    body = "".join(f"x = block(x, {_flag(n, 'is_training')})\n" for n in range(blocks))
    return BLOCK_FUNCTION + PLACEHOLDERS.format(flag="is_training", images="x") + body + TRAIN.format(output="x")


def chain(lines: int) -> str:
    """`v1 = block(v0, t)`, `v2 = block(v1, t)`, ... at the top level, once a line."""
    blocks = max(lines - _FIXED_LINES, 1)
    body = "".join(f"v{n + 1} = block(v{n}, {_flag(n, 't')})\n" for n in range(blocks))
    return BLOCK_FUNCTION + PLACEHOLDERS.format(flag="t", images="v0") + body + TRAIN.format(output=f"v{blocks}")


def long_function(lines: int) -> str:
    """The rebinding inside one function that also builds the train op, as a `main()` of a generated script."""
    blocks = max(lines - _FIXED_LINES - 2, 1)  # and `def main():`, `return`
    body = PLACEHOLDERS.format(flag="is_training", images="x")
    body += "".join(f"x = block(x, {_flag(n, 'is_training')})\n" for n in range(blocks))
    body += TRAIN.format(output="x") + "return train_op\n"
    return BLOCK_FUNCTION + "def main():\n" + "".join(f"    {line}\n" for line in body.splitlines())


def wrappers(lines: int) -> str:
    """`w0` passes its flag to batch norm, each `wN` passes its own to `wN-1` (4 lines each); the script calls the
    last without its flag (BN004) and trains on it."""
    count = max((lines - 8) // 4, 1)  # 8: the first wrapper and the script
    text = "import tensorflow as tf\n\n\ndef w0(x, train_flag=None):\n"
    text += "    return tf.layers.batch_normalization(x, training=train_flag)\n"
    text += "".join(f"\n\ndef w{n}(x, train_flag=None):\n    return w{n - 1}(x, train_flag)\n" for n in range(1, count))
    text += "\n\n" + PLACEHOLDERS.format(flag="is_training", images="images")
    return text + f"logits = w{count - 1}(images)\n" + TRAIN.format(output="logits")


# The group of the towers scripts' rows, beside the shapes'.
TOWERS = "towers"
# Each shape of issue 19, by the name its scripts and rows carry.
SHAPES: dict[str, Callable[[int], str]] = {
    "rebinding": rebinding,
    "chain": chain,
    "long_function": long_function,
    "wrappers": wrappers,
}


def write_scripts(folder: Path, sizes: tuple[int, ...]) -> dict[int, Path]:
    """The start-up script (key 0) and one towers script per size, written afresh: generating them takes
    milliseconds."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {0: folder / "start_up.py"}
    paths[0].write_text(START_UP)
    for lines in sizes:
        paths[lines] = folder / f"train_{lines // 1000}k_lines.py"
        paths[lines].write_text(script(lines))
    return paths


def write_shapes(folder: Path, sizes: tuple[int, ...]) -> dict[str, dict[int, Path]]:
    """One script per shape of issue 19 and size, written afresh."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, dict[int, Path]] = {}
    for shape, generate in SHAPES.items():
        for lines in sizes:
            path = folder / f"{shape}_{lines // 1000}k_lines.py"
            path.write_text(generate(lines))
            paths.setdefault(shape, {})[lines] = path
    return paths
