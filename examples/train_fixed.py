"""The bnlint example training script with its batch-norm mistakes fixed.

Same data, network and training loop as train_buggy.py, with three fixes:

1. every conv(..., with_bn=True) call passes train_flag=is_training, so no
   batch norm is stuck in inference mode (train_flag=None) during training;
2. the validation tower is built under tf.variable_scope(..., reuse=True), so
   it evaluates the trained weights instead of a fresh, untrained copy;
3. optimizer.minimize() runs under
   tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)), so the
   moving mean/variance used at validation time are actually updated.

Training and validation loss now stay close.
Run: STEPS=200 python examples/train_fixed.py
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
    x = conv(x, 16, train_flag=is_training, with_bn=True)  # fix 1: flag passed
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

with tf.variable_scope("model"):
    loss = xent(train_y, network(train_x, is_training=True))
# fix 2: reuse=True makes the validation tower share the trained weights
with tf.variable_scope("model", reuse=True):
    val_loss = xent(valid_y, network(valid_x, is_training=False))

# fix 3: run the batch-norm moving-average updates with every training step
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)

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
