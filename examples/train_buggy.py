"""Batch-norm training script with three classic mistakes (bnlint example).

A small TF1-style convnet classifies 8x8 images built from four random
templates.  The pixel values are in the hundreds, far from mean 0 and
variance 1, so batch normalization has real work to do.  Training loss goes
down nicely, but the validation loss ends up hundreds of times larger -- the
pattern from the report "training loss about 1.0, validation loss 44 on the
same network, and the gap vanishes without the batch-norm layers".

Each of the three mistakes carries a trailing "expect" comment naming the
bnlint rule that should report it; no other line should be reported.
See train_fixed.py for the corrected version.

Run: STEPS=200 python examples/train_buggy.py
"""
import os

import numpy as np
import tensorflow as tf

STEPS = int(os.environ.get("STEPS", "200"))
BATCH, CLASSES, SIZE = 32, 4, 8

np.random.seed(0)
tf.set_random_seed(0)
TEMPLATES = np.random.randn(CLASSES, SIZE, SIZE, 1)


def make_data(n):
    y = np.random.randint(CLASSES, size=n)
    noise = np.random.randn(n, SIZE, SIZE, 1)
    # raw values in the hundreds: far from mean 0 / variance 1
    x = 100 * (3 * TEMPLATES[y] + noise) + 500
    return x.astype(np.float32), y.astype(np.int64)


def bn(x, train_flag):
    # momentum 0.9: the moving averages settle within a few hundred steps
    return tf.layers.batch_normalization(x, momentum=0.9, training=train_flag)


def conv(x, filters, train_flag=None, with_bn=False):
    x = tf.layers.conv2d(x, filters, 3, padding="same")
    if with_bn:
        x = bn(x, train_flag)
    return tf.nn.relu(x)


def network(x, is_training):
    x = conv(x, 16, train_flag=is_training, with_bn=True)
    # Mistake 1: the flag is not passed, so train_flag keeps its default None
    # and this batch norm always runs in inference mode, even in training.
    x = conv(x, 16, with_bn=True)  # expect: BN004 "conv() leaves train_flag"
    x = conv(x, 32, train_flag=is_training, with_bn=True)
    x = tf.reduce_mean(x, axis=[1, 2])
    return tf.layers.dense(x, CLASSES)


def xent(labels, logits):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))


train_x = tf.placeholder(tf.float32, [None, SIZE, SIZE, 1])
train_y = tf.placeholder(tf.int64, [None])
valid_x = tf.placeholder(tf.float32, [None, SIZE, SIZE, 1])
valid_y = tf.placeholder(tf.int64, [None])

loss = xent(train_y, network(train_x, is_training=True))
# Mistake 2: the second call has no reuse=True, so tf.layers silently creates a
# new set of weights; validation runs on fresh, untrained variables.
val_loss = xent(valid_y, network(valid_x, is_training=False))  # expect: BN003 "network() builds a second tower"

# Mistake 3: minimize() is not wrapped in
# tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)), so the
# batch-norm moving mean/variance are never updated (they stay at 0 and 1).
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)  # expect: BN002 "minimize()"

data_x, data_y = make_data(1024)
val_x, val_y = make_data(256)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(1, STEPS + 1):
        idx = np.random.randint(len(data_x), size=BATCH)
        sess.run(train_op, {train_x: data_x[idx], train_y: data_y[idx]})
        if step % 50 == 0 or step == STEPS:
            tl = sess.run(loss, {train_x: data_x, train_y: data_y})
            vl = sess.run(val_loss, {valid_x: val_x, valid_y: val_y})
            print("step %4d  train loss %8.4f  valid loss %8.4f"
                  % (step, tl, vl))
    print("final train loss %.4f, final valid loss %.4f" % (tl, vl))
