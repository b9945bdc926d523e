from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.analysis.catalogue import Mode
from bnlint.rules.base import Finding, Rule

if TYPE_CHECKING:
    import libcst as cst

    from bnlint.analysis.batchnorm import BatchNormUse, ModeArgument
    from bnlint.analysis.calls import UserCall
    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.flow import Reach
    from bnlint.analysis.syntax import CallSite
    from bnlint.analysis.values import Literal


# What goes wrong where batch norm is frozen in each mode.
_FROZEN = {
    Mode.TRAINING: "validation and serving normalize with the statistics of each batch, never the moving averages",
    Mode.INFERENCE: "training normalizes with the moving averages, which never learn",
}


class ConstantBatchNormMode(Rule):
    """
    ## What it does
    Checks for batch-norm layers whose mode is a Python constant: `training=True`, `is_training=False`, a
    module-level name bound only to a literal (`IS_TRAINING = True`, also imported from another module of the
    project), a class constant (`Config.IS_TRAINING`), or `tf.constant(True)`, written at the batch-norm call, in
    a `functools.partial` of it, in `slim.arg_scope([slim.batch_norm], is_training=...)` around it, or in its
    `normalizer_params`.

    ## Why is this bad?
    Batch norm behaves differently in training (normalize with the batch's statistics, update the moving
    averages) and in inference (normalize with the moving averages). A constant freezes one behaviour for every
    graph built from the code: with `True`, validation and serving normalize with the statistics of whatever batch
    they get and the moving averages are never used; with `False`, training never uses batch statistics and the
    moving averages never learn. Training loss looks fine while validation loss is far off.

    ## Accepted idioms
    - A bool placeholder, `tf.placeholder_with_default(False, shape=())`, a function parameter, an Estimator flag
      such as `mode == tf.estimator.ModeKeys.TRAIN`, a command-line flag or an attribute (`FLAGS.is_training`,
      `self.is_training`).
    - A literal passed to a function of your own (`model(images, is_training=True)` in a training script and
      `False` in an evaluation script): the literal selects the graph that script builds. It is reported where it
      selects the wrong one: `True` in an evaluation graph (a tower no train op's loss depends on, a script that
      only restores a model, code whose train op is built only under a condition such as `if not
      self.forward_only`), `False` in the graph a train op learns from, or either one while the script's mode
      placeholder (`is_training = tf.placeholder(tf.bool)`, fed True and False) is passed to nothing.
    - Opposite literals in the two branches of a condition on the mode (`if is_training: ... training=True
      else: ... training=False`, the same with `tf.cond` or a conditional expression), or two layers built with
      opposite literals (the second sharing the first's variables) whose results a `tf.cond` on the mode picks
      between (`tf.cond(is_training, lambda: bn_train, lambda: bn_infer)`).
    - `True` at a batch norm of the graph a train op learns from, in a script whose mode placeholder
      (`phase_train = tf.placeholder(tf.bool)`) is fed only `True`: that script never runs its graph in inference
      mode. Fed `False` anywhere (a validation run of the same graph), the literal is reported.
    - A Keras *model* called with `training=True` in a train step and `training=False` in an eval step, and Keras
      `BatchNormalization` called without `training=`: it takes the mode of the call that runs it (`fit()`,
      `evaluate()`, `predict()`, a model called with `training=`). Where no call gives one, Keras 2 falls back to
      its global learning phase and Keras 3 to inference mode.
    - Under Keras 3, a literal at a layer of a functional model the module trains with `fit()`: Keras 3 gives every
      layer of the graph the mode of `fit()`, `evaluate()` and `predict()` (keras-team/keras#20285); a
      `training=False` meant to freeze there is BN008's finding.

    ## Known problems
    A literal that reaches batch norm through a `**kwargs` dict, or one stored on an instance (`self.training =
    True`, which other code may change), is not reported. Keras `BatchNormalization` called with `training=False`
    on purpose (to freeze a fine-tuned backbone) is reported; add `# noqa: BN001` on that line.

    ## Fix safety
    No automatic fix: which tensor should drive the mode is a decision about your graph.

    ## Applies to
    `tf.layers.batch_normalization` and `tf.layers.BatchNormalization` (`training=`), `tf.contrib.layers.batch_norm`,
    `slim.batch_norm` and `tf_slim.batch_norm` (`is_training=`), Keras `BatchNormalization` layer objects from
    `tf.keras.layers`, `keras.layers` and `tf.compat.v1.keras.layers` called with `training=`; every spelling of
    their imports, `tf.compat.v1` included.
    """

    code = "BN001"
    name = "constant-batch-norm-mode"
    summary = "batch-norm mode fixed by a constant"
    needs = catalogue.BATCH_NORM_NAMES

    INVALID = (
        """
        import tensorflow as tf

        def model(images):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=True)  # expect: BN001 "training=True"
            return tf.layers.dense(tf.layers.flatten(net), 10)
        """,
        """
        import tensorflow.contrib.slim as slim

        def model(images):
            with slim.arg_scope([slim.batch_norm], is_training=False):  # expect: BN001 "by slim.arg_scope"
                net = slim.conv2d(images, 32, [3, 3], normalizer_fn=slim.batch_norm)
            return slim.fully_connected(slim.flatten(net), 10, activation_fn=None)
        """,
        """
        import tensorflow as tf

        IS_TRAINING = True

        def model(images):
            net = tf.layers.conv2d(images, 32, 3)
            return tf.layers.batch_normalization(net, training=IS_TRAINING)  # expect: BN001 "IS_TRAINING (always True)"
        """,
        """
        import tensorflow as tf

        class Block(tf.keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.conv = tf.keras.layers.Conv2D(32, 3)
                self.bn = tf.keras.layers.BatchNormalization()

            def call(self, x, training=None):
                return self.bn(self.conv(x), training=True)  # expect: BN001 "training=True"
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=is_training)
            return tf.layers.dense(tf.layers.flatten(net), 10)

        is_training = tf.placeholder(tf.bool, shape=(), name="is_training")
        """,
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            return tf.layers.batch_normalization(net, training=is_training)

        logits = model(tf.placeholder(tf.float32, [None, 32, 32, 3]), is_training=False)
        """,
        """
        import tensorflow as tf

        def bn(x, is_training):
            if is_training:
                return tf.layers.batch_normalization(x, training=True, name="bn")
            return tf.layers.batch_normalization(x, training=False, name="bn", reuse=True)
        """,
        """
        import tensorflow as tf

        model = tf.keras.Sequential([tf.keras.layers.Dense(10), tf.keras.layers.BatchNormalization()])

        def train_step(x):
            return model(x, training=True)

        def eval_step(x):
            return model(x, training=False)
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        from bnlint.analysis.batchnorm import ModeArgument
        from bnlint.analysis.values import Literal

        reported: set[cst.CSTNode] = set()
        literal_uses = [use for use in facts.batch_norm_uses if _literal(use) is not None]
        for use in literal_uses:
            mode = use.mode
            assert isinstance(mode, ModeArgument) and isinstance(mode.flag, Literal)
            if mode.node in reported or use.api.fixed_mode(mode.flag.value) is None:
                continue
            if any(_chosen_by_branch(facts, use, other) for other in literal_uses):
                continue
            if _training_by_design(facts, use, mode.flag) or _overridden_by_fit(facts, use):
                continue
            reported.add(mode.node)
            fixed = use.api.fixed_mode(mode.flag.value)
            assert fixed is not None
            help = (
                f"Every graph built from this code runs this batch norm in {fixed.value} mode: {_FROZEN[fixed]};"
                " pass a bool tensor (a placeholder) or the model's training flag."
            )
            yield cls.finding(mode.node, use.site, _message(mode, mode.flag), help=help)
        yield from _literals_against_the_graph(cls, facts)


def _overridden_by_fit(facts: ModuleFacts, use: BatchNormUse) -> bool:
    """Keras 3 gives every layer of a functional model that fit() trains the mode of fit(), evaluate() and predict()
    over the literal (keras-team/keras#20285); a `False` meant to freeze is BN008's finding there."""
    return facts.keras.in_fitted_graph(use.site) and facts.keras_version.major == 3


def _training_by_design(facts: ModuleFacts, use: BatchNormUse, flag: Literal) -> bool:
    """`True` in the graph a train op learns from, in a script whose mode placeholder is fed only `True`: the
    script never runs that graph in inference mode."""
    return flag.value is True and facts.in_training(use.site) and facts.switch_fed_only_training


def _literals_against_the_graph(rule: type[Rule], facts: ModuleFacts) -> Iterator[Finding]:
    """A literal passed to a function of your own selects the graph a script builds: `True` in an evaluation graph
    (a tower no train op learns from, a script that only restores a model) and `False` in the graph the train op
    learns from select the wrong one."""
    from bnlint.analysis.arguments import ArgumentRef
    from bnlint.analysis.values import Literal

    reported: set[cst.CSTNode] = set()
    passed: set[str] | None = None  # the names passed as arguments anywhere in the module, found once
    for (function, slots), reaches in facts.mode_wrappers.items():
        for call in facts.calls.calls_of.get(function, ()):
            argument = facts.flows.slot_argument(call, slots)
            if not isinstance(argument, ArgumentRef) or argument.value in reported:
                continue
            flag = facts.resolver.flag(argument.value, argument.scope, argument.order)
            if not isinstance(flag, Literal):
                continue
            mode = _selected_mode(facts, call, reaches, flag)
            if passed is None:
                passed = _passed_names(facts)
            switch = _unused_switch(facts, call.site, passed)
            keyword = argument.arg.keyword.value if argument.arg.keyword is not None else reaches[0].default[1]
            passed_flag = f"{call.label}() is passed {keyword}={flag.value!r}"
            if mode is not None and switch is not None:
                message = f"{passed_flag} while the mode placeholder {switch} is passed to nothing"
                remedy = f"pass {switch} instead, so that feeding it switches the mode"
            elif mode is Mode.TRAINING and facts.in_evaluation(call.site):
                message = f"{passed_flag} in an evaluation graph (no train op learns from it)"
                remedy = "pass False or the model's training flag"
            elif mode is Mode.INFERENCE and facts.in_training(call.site):
                message = f"{passed_flag} in the graph the train op learns from"
                remedy = "pass True or the model's training flag"
            else:
                continue
            reported.add(argument.value)
            help = f"The literal puts the batch norm it reaches in {mode.value} mode: {_FROZEN[mode]}; {remedy}."
            yield rule.finding(argument.value, call.site, message, help=help)


def _unused_switch(facts: ModuleFacts, site: CallSite, passed: set[str]) -> str | None:
    """A bool placeholder named as the training flag, made where the call is and passed to no call: the code
    meant to switch the mode at run time (feeding it True and False), but the literal decides instead."""
    from bnlint.analysis.values import CallResult

    for name in sorted(catalogue.TRAINING_FLAG_NAMES - passed):
        bindings = facts.resolver.lookup(name, site.scope, site.order)
        if len(bindings) != 1 or bindings[0].value is None:
            continue
        value = facts.resolver.resolve(bindings[0].value, bindings[0].scope, bindings[0].order)
        if isinstance(value, CallResult) and value.api in catalogue.BOOL_PLACEHOLDERS:
            return name
    return None


def _passed_names(facts: ModuleFacts) -> set[str]:
    import libcst as cst

    return {arg.value.value for site in facts.syntax.calls for arg in site.node.args if type(arg.value) is cst.Name}


def _selected_mode(facts: ModuleFacts, call: UserCall, reaches: list[Reach], flag: Literal) -> Mode | None:
    """The mode a literal puts the batch norm of a wrapper in, where the call decides that the norm is built."""
    from bnlint.analysis.batchnorm import BatchNormUse

    flags = facts.flows.parameter_flags(call)
    for reach in reaches:
        if all(facts.flows.guard_holds(guard, flags) is True for guard in reach.guards):
            use = reach.sink
            assert isinstance(use, BatchNormUse)
            mode = use.api.fixed_mode(flag.value)
            if mode is not None:
                return mode
    return None


def _literal(use: BatchNormUse) -> Literal | None:
    from bnlint.analysis.batchnorm import ModeArgument
    from bnlint.analysis.values import Literal

    mode = use.mode
    if isinstance(mode, ModeArgument) and isinstance(mode.flag, Literal):
        return mode.flag
    return None


def _chosen_by_branch(facts: ModuleFacts, use: BatchNormUse, other: BatchNormUse) -> bool:
    """Opposite constants in opposite branches are the mode flag passed the long way round."""
    first, second = _literal(use), _literal(other)
    if first is None or second is None or bool(first.value) == bool(second.value):
        return False
    return facts.in_complementary_branches(use.site, other.site) or facts.results_chosen_by_condition(
        use.site, other.site
    )


def _message(mode: ModeArgument, flag: Literal) -> str:
    from bnlint.analysis.batchnorm import Origin

    written = (
        f"{mode.keyword}={flag.constant} (always {flag.value!r})" if flag.constant else f"{mode.keyword}={flag.value!r}"
    )
    where = {
        Origin.ARG_SCOPE: " by slim.arg_scope",
        Origin.NORMALIZER_PARAMS: " in normalizer_params",
        Origin.PARTIAL: " by functools.partial",
    }.get(mode.origin, "")
    return f"batch norm mode is fixed to {written}{where}"
