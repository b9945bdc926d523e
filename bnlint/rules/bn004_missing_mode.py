from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.analysis.catalogue import Family, Mode
from bnlint.rules.base import Finding, Fix, Rule

if TYPE_CHECKING:
    import libcst as cst

    from bnlint.analysis.batchnorm import BatchNormUse
    from bnlint.analysis.calls import UserCall
    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.flow import Reach
    from bnlint.analysis.syntax import CallSite, FunctionInfo, ParamInfo

# What a default mode does wrong, and what to pass instead: a finding's help.
_HELP = {
    Mode.INFERENCE: "In inference mode training normalizes with the moving statistics, which never learn;"
    " pass the model's training flag.",
    Mode.TRAINING: "In training mode validation and serving normalize with the statistics of each batch, never the"
    " moving averages; pass the model's training flag.",
}


class MissingBatchNormMode(Rule):
    """
    ## What it does
    Checks for batch norm left to an API default that freezes one mode: `tf.layers.batch_normalization(x)` or a
    `tf.layers.BatchNormalization` layer called without `training=` (inference forever), `slim.batch_norm(x)` or
    `normalizer_fn=slim.batch_norm` with no `is_training` from the call, its `normalizer_params` or a
    `slim.arg_scope` (training forever). Also checks calls of your own wrappers: when a parameter of a function
    reaches the batch-norm mode (through any number of wrappers, by position or keyword, through `*args` /
    `**kwargs` forwarding and `normalizer_params`, in methods, closures, lambdas, `functools.partial`, attributes
    set from a constructor parameter, and across the modules of the project) and has a literal default such as
    `train_flag=None`, a call that omits it is reported where the default is wrong: an inference default where the
    graph may train; a training default (`__call__(self, x, train=True)`) in an evaluation graph (a tower no train
    op's loss depends on, such as a GAN's sampler or a validation tower, or a script that only restores a model),
    or where the code at hand holds the model's training flag (a parameter, or an attribute such as
    `self.is_training`) and leaves it out.

    ## Why is this bad?
    `tf.layers` defaults to `training=False`: the layer normalizes with moving averages that are never updated, so
    batch norm degrades to a fixed affine transform and its statistics never learn. tf-slim and
    `tf.contrib.layers` default to `is_training=True`: validation and serving normalize with the statistics of
    their own batch, so results depend on the batch and the moving averages are never used. A wrapper such as
    `def conv(x, filters, train_flag=None, with_bn=False)` hides the same mistake one call away: the network that
    forgets to pass the flag gets the default.

    ## Accepted idioms
    - The flag passed explicitly, by keyword or position, to the layer or to every wrapper call.
    - `slim.arg_scope([slim.batch_norm], is_training=...)` around the layers, in the same function or around the
      call of the function that builds them.
    - tf-slim code that no module of the program calls (a library of networks): its callers may wrap it in an arg
      scope. The program is the Python files under the module's import root (and the scripts beside it); a call
      from any of them, outside an arg scope, makes the code run in the default mode.
    - Wrapper calls where the batch norm is switched off (`conv(x, 32)` with `with_bn=False` by default), or where
      the switch is not known from the source.
    - A wrapper's training default left out where the graph trains and no flag is at hand: a GAN's discriminator
      called as `self.d_bn1(h)`, whose graph only ever trains.
    - Keras `BatchNormalization` without `training=`: it takes the mode of the call that runs it (`fit()`,
      `evaluate()`, `predict()`, a model called with `training=`). Where no call gives one, Keras 2 falls back to
      its global learning phase and Keras 3 to inference mode.
    - A wrapper call that leaves its flag at a default which reaches a Keras batch-norm layer, written in a Keras
      model's or layer's `call`: BN008 (training-not-propagated) reports it, with the Keras 2 / Keras 3 difference.

    ## Known problems
    A wrapper whose batch norm sits behind a condition the call does not decide is not reported, and neither is a
    call that passes on `*args` / `**kwargs` of its own whose content no call shows. Objects reached only through
    `functools.partial` presets in a list a function returns, classes chosen by name at run time
    (`getattr(module, FLAGS.model)`), modules imported with `importlib`, and layers a project decorator wraps are
    not followed. Whether a graph trains is told from the train ops of the same module and the losses they are
    built from; a loss read from a collection (`tf.losses.get_total_loss()`) is not followed back.

    ## Fix safety
    `bnlint check --fix` passes the enclosing function's training-flag parameter to a
    `tf.layers.batch_normalization` or `tf.layers.BatchNormalization` call that has no `training=`: the parameter
    the function already passes to a batch-norm mode, else the one named `training`, `is_training`, `train`,
    `is_train`, `phase_train`, `train_mode`, `train_flag` or `training_flag` (exactly one; a literal default other
    than a bool or `None` rules it out). A default such as `is_training=False` does not: the callers that pass the
    flag are then right, and each call that leaves it to the default is reported where it is made. No fix for
    tf-slim (the mode may come from an arg scope), for a wrapper called without its flag, or in a function without
    such a parameter: which flag to pass there is a design decision.

    ## Applies to
    `tf.layers.batch_normalization`, `tf.layers.BatchNormalization`, `tf.contrib.layers.batch_norm`,
    `slim.batch_norm`, `tf_slim.batch_norm` and slim layers with `normalizer_fn=slim.batch_norm`, under any import
    spelling, and functions of the same module that forward a flag to them.
    """

    code = "BN004"
    name = "missing-batch-norm-mode"
    summary = "batch-norm mode left to a default that freezes one mode"
    needs = catalogue.BATCH_NORM_NAMES

    INVALID = (
        """
        import tensorflow as tf

        def bn(x, train_flag):
            return tf.layers.batch_normalization(x, training=train_flag)

        def conv(x, filters, train_flag=None, with_bn=False):
            x = tf.layers.conv2d(x, filters, 3, padding="same")
            if with_bn:
                x = bn(x, train_flag)
            return tf.nn.relu(x)

        def network(images, is_training):
            x = conv(images, 32, train_flag=is_training, with_bn=True)
            x = conv(x, 64, with_bn=True)  # expect: BN004 "conv() leaves train_flag at its default"
            return tf.layers.dense(tf.layers.flatten(x), 10)
        """,
        """
        import tensorflow as tf

        def model(images):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net)  # expect: BN004 "tf.layers.batch_normalization without training="
            return tf.layers.dense(tf.layers.flatten(net), 10)
        """,
        """
        import tensorflow as tf
        import tf_slim as slim

        images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        net = slim.conv2d(images, 32, [3, 3], normalizer_fn=slim.batch_norm)  # expect: BN004 "without is_training="
        logits = slim.fully_connected(slim.flatten(net), 10, activation_fn=None)
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        def bn(x, train_flag):
            return tf.layers.batch_normalization(x, training=train_flag)

        def conv(x, filters, train_flag=None, with_bn=False):
            x = tf.layers.conv2d(x, filters, 3, padding="same")
            if with_bn:
                x = bn(x, train_flag)
            return tf.nn.relu(x)

        def network(images, is_training):
            x = conv(images, 32, train_flag=is_training, with_bn=True)
            x = conv(x, 64, train_flag=is_training, with_bn=True)
            x = conv(x, 64)
            return tf.layers.dense(tf.layers.flatten(x), 10)
        """,
        """
        import tensorflow.contrib.slim as slim

        def network(images, is_training):
            with slim.arg_scope([slim.batch_norm], is_training=is_training):
                net = slim.conv2d(images, 32, [3, 3], normalizer_fn=slim.batch_norm)
            return slim.fully_connected(slim.flatten(net), 10, activation_fn=None)
        """,
        """
        import tensorflow as tf

        def block(x):
            return tf.keras.layers.BatchNormalization()(tf.keras.layers.Conv2D(32, 3)(x))
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        yield from _defaults_at_layers(cls, facts)
        yield from _defaults_through_wrappers(cls, facts)


def _defaults_at_layers(rule: type[Rule], facts: ModuleFacts) -> Iterator[Finding]:
    reported: set[cst.CSTNode] = set()
    for use in facts.batch_norm_uses:
        if use.mode is not None or use.anchor in reported:
            continue
        if use.api.family is Family.KERAS:
            continue
        if use.api.family is Family.SLIM and not (
            facts.runs_outside_arg_scope(use.site) or _ignores_own_flag(facts, use.site)
        ):
            continue
        reported.add(use.anchor)
        mode = use.api.default_mode
        yield rule.finding(
            use.anchor,
            use.site,
            f"{use.api.display} without {use.api.mode_param}= runs in {mode.value} mode",
            fix=_flag_fix(facts, use),
            help=_HELP[mode],
        )


def _ignores_own_flag(facts: ModuleFacts, site: CallSite) -> bool:
    """The function passes one of its parameters to the mode of its other batch norms, but not to this one."""
    function = facts.enclosing.get(site)
    return function is not None and bool(facts.mode_parameters(function))


def _flag_fix(facts: ModuleFacts, use: BatchNormUse) -> Fix | None:
    """`training=<flag>` for a tf.layers batch norm in a function that has a training-flag parameter.

    tf-slim gets no fix (its mode may come from an arg scope around a caller), and neither do the layers of
    functions without the parameter: the flag to pass is then a design decision."""
    import libcst as cst

    from bnlint.analysis.values import Parameter
    from bnlint.rules import edits

    function = facts.enclosing.get(use.site)
    if use.api.family is not Family.TF_LAYERS or use.anchor is not use.site.node or function is None:
        return None
    flag = training_flag(facts, function)
    if flag is None or facts.resolver.flag(cst.Name(flag), use.site.scope, use.site.order) != Parameter(function, flag):
        return None  # the name means something else where the layer is built (a lambda's parameter, a new value)
    return Fix(f"pass {flag} as {use.api.mode_param}=", use.site.node, edits.add_keyword(use.api.mode_param, flag))


def training_flag(facts: ModuleFacts, function: FunctionInfo) -> str | None:
    """The function's training-flag parameter: the one parameter it already passes to a batch-norm mode (through
    any wrappers), else the one parameter named like a flag (`is_training`, `training`, `train`, `phase_train`,
    ...). A default does not disqualify it (`is_training=False` is a flag whose callers may pass True), unless it is
    a literal that is no bool (`train_mode="train"` names a mode, not a flag)."""
    params = [param for param in function.params[function.bound_offset :] if _may_be_flag(param)]
    for names in (facts.mode_parameters(function), catalogue.TRAINING_FLAG_NAMES):
        found = [param.name for param in params if param.name in names]
        if found:
            return found[0] if len(found) == 1 else None
    return None


def _wrong_here(facts: ModuleFacts, site: CallSite, mode: Mode) -> bool:
    """Whether the program wants the other mode where a wrapper's default applies.

    An inference default is wrong wherever the graph may train. A training default is wrong in an evaluation
    graph, and wherever the code at hand holds the model's training flag and leaves it out (a parameter named or
    used as one, or such an attribute of the object): a GAN's discriminator, which only ever trains, is fine.
    """
    if mode is Mode.INFERENCE:
        return not facts.in_evaluation(site)
    if facts.in_evaluation(site):
        return True
    function = facts.enclosing.get(site)
    if function is None:
        return False
    if training_flag(facts, function) is not None:
        return True
    owner = facts.facts_for(function)
    if function.cls is None:
        return False
    return bool(owner.resolver.attribute_names(function.cls) & catalogue.TRAINING_FLAG_NAMES)


def _may_be_flag(param: ParamInfo) -> bool:
    from bnlint.analysis.resolver import literal_value
    from bnlint.analysis.syntax import ParamKind

    if param.kind not in (ParamKind.POSITIONAL, ParamKind.KEYWORD_ONLY):
        return False
    is_literal, value = literal_value(param.default) if param.default is not None else (False, None)
    return not is_literal or value is None or isinstance(value, bool)


def _defaults_through_wrappers(rule: type[Rule], facts: ModuleFacts) -> Iterator[Finding]:
    reported: set[cst.CSTNode] = set()
    for (function, slots), reaches in facts.mode_wrappers.items():
        for call in facts.calls.calls_of.get(function, ()):
            if call.site.node in reported or facts.flows.slot_argument(call, slots) is not None:
                continue
            finding = _omitted_flag(rule, facts, call, reaches)
            if finding is not None:
                reported.add(call.site.node)
                yield finding


def _omitted_flag(rule: type[Rule], facts: ModuleFacts, call: UserCall, reaches: list[Reach]) -> Finding | None:
    """A call that passes nothing for a wrapper's flag gets the default: a finding when that freezes the mode."""
    from bnlint.analysis.batchnorm import BatchNormUse
    from bnlint.analysis.values import Literal

    flags = facts.flows.parameter_flags(call)
    for reach in reaches:
        default = facts.flows.default_flag(reach.default)
        if not isinstance(default, Literal):
            continue
        if not all(facts.flows.guard_holds(guard, flags) is True for guard in reach.guards):
            continue
        use = reach.sink
        assert isinstance(use, BatchNormUse)
        if use.api.family is Family.KERAS and facts.keras.keras_call_of(call.site) is not None:
            continue  # a Keras layer's mode left out in a Keras `call` chain is BN008's
        mode = use.api.fixed_mode(default.value)
        if mode is None or not _wrong_here(facts, call.site, mode):
            continue
        name = reach.default[1]
        return rule.finding(
            call.site.node,
            call.site,
            f"{call.label}() leaves {name} at its default {default.value!r}: batch norm runs in {mode.value} mode",
            help=_HELP[mode],
        )
    return None
