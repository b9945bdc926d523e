from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Fix, Rule

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.training import TrainOp
    from bnlint.analysis.values import CallResult


class TrainOpWithoutUpdateOps(Rule):
    """
    ## What it does
    Checks for `optimizer.minimize(...)` and `optimizer.apply_gradients(...)` of a `tf.train` (or
    `tf.compat.v1.train`, `tf.contrib.opt`) optimizer built outside
    `tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS))`, in a module that builds `tf.layers`,
    `tf.contrib.layers` or tf-slim batch norm that puts its moving-average updates in that collection: itself,
    through functions and objects of any module of the project (another method of the same class, a function run
    by `tf.map_fn`, an arg scope such as `slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm)` around
    calls of layer helpers, names brought by `from utils import *`). Optimizers rebound through wrappers
    (`opt = hvd.DistributedOptimizer(opt)`, `tf.train.SyncReplicasOptimizer(opt, ...)`) still build the train op.

    ## Why is this bad?
    These batch-norm layers do not update their moving mean and variance as a side effect of the forward pass:
    they add the update ops to the `UPDATE_OPS` collection and leave running them to you. A train op that does
    not depend on them trains the weights while the moving statistics stay at their initial values (mean 0,
    variance 1), so every inference-mode graph, validation included, normalizes with the wrong statistics.

    ## Accepted idioms
    - The optimizer call inside `with tf.control_dependencies(update_ops):`, the collection read inline or held
      in a variable; also `compute_gradients` (or the loss) inside the block with `apply_gradients` outside it,
      since the gradient ops then carry the dependency.
    - `train_op = tf.group(train_op, *update_ops)`, `tf.group([train_op, update_ops])`,
      `sess.run([train_op, update_ops], ...)`, and `tf.group(train_op, ema_op)` built under the dependency.
    - The update ops made a dependency of the loss: `loss = tf.identity(loss)` under the dependency, or slim's
      `control_flow_ops.with_dependencies([tf.group(*update_ops)], loss)`.
    - `updates_collections=None` on the batch-norm layer (directly, in `normalizer_params` or through
      `slim.arg_scope`): the updates then run in place.
    - `slim.learning.create_train_op`, `tf.contrib.training.create_train_op` and `tf.contrib.layers.optimize_loss`,
      which run the collection themselves; Keras `compile`/`fit`; TF2 `GradientTape` with a Keras optimizer.
    - A helper that builds the train op for a caller who wraps the call in the dependency, or that opens the
      dependency block itself over an `update_ops` argument; a train op that a
      later op groups with the update ops (`update_ops.append(train_op)`, a `tf.no_op()` under both
      dependencies).
    - Modules whose batch norm is frozen in one mode by a constant or a default (BN001 / BN004 report those):
      in training mode no graph reads the moving statistics, in inference mode none are updated.

    ## Known problems
    Batch norm counts when this module builds it, itself or through a function it calls from any module of the
    project; a model built by a caller in another module is not seen. A helper in another module that returns a
    bare train op is reported at its call, in the module that builds batch norm. A module whose batch norm is
    only Keras layers is not checked: Keras keeps its updates on the layer (`model.updates`), not in the
    collection.

    ## Fix safety
    `bnlint check --fix` wraps the statement that builds the train op in
    `with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):`, spelled with the file's own name
    for TensorFlow's TF1 API (`tf`, or `tf.compat.v1` where the file writes `tf.compat.v1.train.AdamOptimizer`);
    comments above the statement stay above the `with`, a comment at its end stays on it. Only for a
    `minimize()` / `apply_gradients()` call of this file in a simple statement on its own line(s) of a block: not
    `if x: op = ...` on one line, `a = 1; op = ...`, a lambda, or a helper of another module that returns the op.
    The collection is then read where the train op is built, after the model that the loss comes from.

    ## Applies to
    `tf.train.*Optimizer` and `tf.contrib.opt.*Optimizer` (also wrapped by `SyncReplicasOptimizer`, Horovod's
    `DistributedOptimizer` or `CrossShardOptimizer`), with `tf.layers.batch_normalization`,
    `tf.contrib.layers.batch_norm` and `slim.batch_norm`.
    """

    code = "BN002"
    name = "train-op-without-update-ops"
    summary = "train op built outside the UPDATE_OPS control dependency"
    needs = catalogue.BATCH_NORM_NAMES

    INVALID = (
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=is_training)
            return tf.layers.dense(tf.layers.flatten(net), 10)

        images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        labels = tf.placeholder(tf.int64, [None])
        is_training = tf.placeholder(tf.bool, [])
        loss = tf.losses.sparse_softmax_cross_entropy(labels, model(images, is_training))
        train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)  # expect: BN002 "minimize()"
        """,
        """
        import tensorflow as tf

        def train(loss, is_training, images):
            net = tf.layers.batch_normalization(images, training=is_training)
            optimizer = tf.train.MomentumOptimizer(0.1, 0.9)
            grads = optimizer.compute_gradients(loss + tf.reduce_sum(net))
            return optimizer.apply_gradients(grads)  # expect: BN002 "apply_gradients()"
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=is_training)
            return tf.layers.dense(tf.layers.flatten(net), 10)

        images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        labels = tf.placeholder(tf.int64, [None])
        is_training = tf.placeholder(tf.bool, [])
        loss = tf.losses.sparse_softmax_cross_entropy(labels, model(images, is_training))
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
        """,
        """
        import tensorflow as tf

        def train(loss, is_training, images):
            net = tf.layers.batch_normalization(images, training=is_training)
            optimizer = tf.train.MomentumOptimizer(0.1, 0.9)
            train_op = optimizer.minimize(loss + tf.reduce_sum(net))
            update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
            return tf.group(train_op, *update_ops)
        """,
        """
        import tensorflow as tf
        import tf_slim as slim

        def train(images, labels, is_training):
            net = slim.conv2d(images, 32, [3, 3], normalizer_fn=slim.batch_norm,
                              normalizer_params={"is_training": is_training, "updates_collections": None})
            loss = tf.losses.sparse_softmax_cross_entropy(labels, slim.fully_connected(slim.flatten(net), 10))
            return tf.train.AdamOptimizer(1e-3).minimize(loss)
        """,
        """
        import tensorflow as tf
        import tf_slim as slim

        def train(images, labels, is_training):
            net = slim.conv2d(images, 32, [3, 3], normalizer_fn=slim.batch_norm,
                              normalizer_params={"is_training": is_training})
            loss = tf.losses.sparse_softmax_cross_entropy(labels, slim.fully_connected(slim.flatten(net), 10))
            return slim.learning.create_train_op(loss, tf.train.AdamOptimizer(1e-3))
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        from bnlint.analysis.batchnorm import BatchNormKind

        # Batch norm frozen in one mode is BN001 / BN004's business: in inference mode it makes no updates, and
        # in training mode no graph reads the moving statistics it would update.
        batch_norm = facts.first_batch_norm(BatchNormKind.SWITCHABLE)
        if batch_norm is None:
            return
        train_ops = facts.train_ops
        bare = [op for op in train_ops.train_ops if not train_ops.runs_update_ops(op)]
        fixes = _fixes(facts, bare)
        for op in bare:
            yield cls.finding(
                op.site.node,
                op.site,
                f"{op.label} builds a train op without the batch-norm update ops (batch norm from line {{0}})",
                related=((batch_norm, "batch norm that adds update ops"),),
                fix=fixes.get(op),
                help="The moving mean and variance never update, so evaluation normalizes with their initial values;"
                " build the train op under tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)).",
            )


def _fixes(facts: ModuleFacts, ops: list[TrainOp]) -> dict[TrainOp, Fix]:
    """Each optimizer call's statement, wrapped in the dependency on the update ops, where one `with` can hold it.

    A helper of another module that returns a train op gets no fix: what it builds is not in this file."""
    from bnlint.rules import edits

    optimizers = {op: optimizer for op in ops if (optimizer := _optimizer(facts, op)) is not None}
    ancestries = edits.ancestries(facts.syntax.module, (op.site.node for op in optimizers))
    fixes = {}
    for op, optimizer in optimizers.items():
        statement = edits.own_statement(ancestries.get(op.site.node, ()))
        tf = edits.tensorflow_prefix(facts, op.site, optimizer.call.func)
        if statement is not None and tf is not None:
            dependency = f"{tf}.control_dependencies({tf}.get_collection({tf}.GraphKeys.UPDATE_OPS))"
            title = f"build the train op under a dependency on {tf}.GraphKeys.UPDATE_OPS"
            fixes[op] = Fix(title, statement, edits.wrap_in_with(dependency))
    return fixes


def _optimizer(facts: ModuleFacts, op: TrainOp) -> CallResult | None:
    """The optimizer whose `minimize()` / `apply_gradients()` builds the op, as the call that made it."""
    from bnlint.analysis.values import CallResult, Member

    callee = facts.calls.callee.get(op.site)
    if isinstance(callee, Member) and callee.attr in catalogue.OPTIMIZER_TRAIN_METHODS:
        return callee.owner if isinstance(callee.owner, CallResult) else None
    return None
