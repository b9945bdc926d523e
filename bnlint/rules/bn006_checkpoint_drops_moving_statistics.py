from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Fix, Rule

if TYPE_CHECKING:
    from bnlint.analysis.checkpoints import SaverCall
    from bnlint.analysis.facts import ModuleFacts

_TRAINABLE_VARIABLES = "tensorflow.trainable_variables"
_GET_COLLECTION = "tensorflow.get_collection"


class CheckpointDropsMovingStatistics(Rule):
    """
    ## What it does
    Checks for `tf.train.Saver(var_list=tf.trainable_variables())` (also `tf.compat.v1`, positional, a name bound
    to the list, a comprehension, `filter` or dict over it, `+ [global_step]` or `+ [self.global_step]`, or
    `tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)`) in a module that builds batch norm, itself or through
    the functions it calls. A method called on an object the module is handed (an exporter's
    `self.model.create_model(...)`, the model chosen by name in the training script) may be any method of that
    name in the classes of the program: the module builds batch norm if one of them does.

    ## Why is this bad?
    A batch-norm layer's moving mean and variance are variables, but not trainable ones. A checkpoint of the
    trainable variables leaves them out, so a model restored from it for evaluation or serving normalizes with
    their initial values (mean 0, variance 1) however well it trained: the same symptom as moving statistics
    that never update.

    ## Accepted idioms
    - `tf.train.Saver()` (the default saves every saveable variable) and `tf.train.Saver(tf.global_variables())`.
    - A list that adds the moving statistics: `tf.trainable_variables() +
      tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES)`, or any part taken from `tf.global_variables()`.
    - `slim.get_variables_to_restore()`, `slim.get_model_variables()`.
    - A Saver that only restores (`.restore(...)`, never `.save(...)`) in a module that trains: it starts training
      from earlier weights, and the training that follows re-estimates the moving statistics it leaves out. The
      same Saver in an evaluation or export script is reported.
    - Modules without batch norm; batch norm whose variables go to collections of the code's choosing
      (slim's `variables_collections`, which can make the moving statistics trainable).

    ## Known problems
    A Saver built by a helper of another module, or over a list passed in as a parameter, is not checked.

    ## Fix safety
    `bnlint check --fix` replaces a `var_list` that is exactly `tf.trainable_variables()` (its scope argument kept)
    or `tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)` with `tf.global_variables()`, with the call's own
    prefix (`tf.compat.v1.global_variables()`). A list built from them gets no fix: `tf.global_variables() +
    [global_step]` names that variable twice, which the Saver refuses; save `tf.global_variables()` (or pass no
    `var_list`) instead.

    ## Applies to
    `tf.train.Saver` / `tf.compat.v1.train.Saver` in modules with `tf.layers`, tf-slim / `tf.contrib.layers` or
    Keras batch norm.
    """

    code = "BN006"
    name = "checkpoint-drops-moving-statistics"
    summary = "checkpoint that leaves out the batch-norm moving statistics"
    # The Saver too: the model may come in as an object of any class of the program (an exporter's
    # `self.model.create_model(...)`), which no import of the module leads to.
    needs = catalogue.BATCH_NORM_NAMES | {catalogue.SAVER}

    INVALID = (
        """
        import tensorflow as tf

        images = tf.placeholder(tf.float32, [None, 8])
        is_training = tf.placeholder(tf.bool, [])
        net = tf.layers.batch_normalization(tf.layers.dense(images, 16), training=is_training)
        saver = tf.train.Saver(var_list=tf.trainable_variables())  # expect: BN006 "only trainable variables"
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        images = tf.placeholder(tf.float32, [None, 8])
        is_training = tf.placeholder(tf.bool, [])
        net = tf.layers.batch_normalization(tf.layers.dense(images, 16), training=is_training)
        saver = tf.train.Saver(var_list=tf.global_variables())
        """,
        """
        import tensorflow as tf

        images = tf.placeholder(tf.float32, [None, 8])
        is_training = tf.placeholder(tf.bool, [])
        net = tf.layers.batch_normalization(tf.layers.dense(images, 16), training=is_training)
        moving = tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES)
        saver = tf.train.Saver(var_list=tf.trainable_variables() + moving)
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        from bnlint.analysis.batchnorm import BatchNormKind
        from bnlint.analysis.checkpoints import Variables

        savers = [
            saver
            for saver in facts.checkpoints.savers
            if saver.var_list is not None
            and saver.variables is Variables.TRAINABLE
            and not (facts.trains and facts.checkpoints.methods_called(saver) == {"restore"})
        ]
        if not savers or facts.first_batch_norm(BatchNormKind.CUSTOM_COLLECTIONS) is not None:
            return
        batch_norm = facts.first_batch_norm(BatchNormKind.BUILT) or facts.batch_norm_through_objects(
            BatchNormKind.BUILT
        )
        if batch_norm is None:
            return
        for saver in savers:
            yield cls.finding(
                saver.var_list.arg,
                saver.site,
                "Saver keeps only trainable variables, not batch norm's moving statistics (line {0})",
                related=((batch_norm, "batch norm with moving statistics"),),
                fix=_fix(facts, saver),
                help="A model restored from its checkpoints normalizes with mean 0 and variance 1 instead of the"
                " statistics it learned; save tf.global_variables().",
            )


def _fix(facts: ModuleFacts, saver: SaverCall) -> Fix | None:
    """`tf.global_variables()` in place of a var_list that is exactly `tf.trainable_variables()` (its scope argument
    kept) or `tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)`, with the call's own prefix. A list built from
    them gets none: adding the moving statistics to `+ [global_step]` would name that variable twice, which the
    Saver refuses."""
    import libcst as cst

    from bnlint.analysis.syntax import dotted_name
    from bnlint.analysis.values import External
    from bnlint.rules import edits

    argument = saver.var_list
    if argument is None or not isinstance(argument.value, cst.Call):
        return None
    call = argument.value
    if not isinstance(call.func, cst.Attribute):
        return None
    tf = dotted_name(call.func.value)
    if tf is None or facts.resolver.resolve(call.func.value, argument.scope, argument.order) != edits.TENSORFLOW:
        return None
    callee = facts.resolver.resolve(call.func, argument.scope, argument.order)
    if callee == External(_TRAINABLE_VARIABLES):  # global_variables takes the same `scope` argument
        return Fix(f"save {tf}.global_variables()", call, edits.call_instead("global_variables", keep_arguments=True))
    if callee == External(_GET_COLLECTION) and len(call.args) == 1 and call.args[0].star == "":
        # The rule found the list trainable, so the one key is TRAINABLE_VARIABLES.
        return Fix(f"save {tf}.global_variables()", call, edits.call_instead("global_variables", keep_arguments=False))
    return None
