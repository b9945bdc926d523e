"""BN008: a training mode that cannot reach a Keras batch-norm layer (docs/keras.md, scenarios S1, S2, S4, S5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Rule

if TYPE_CHECKING:
    from bnlint.analysis.calls import UserCall
    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.keras_version import KerasVersion
    from bnlint.analysis.syntax import CallSite, ClassInfo, FunctionInfo, ParamInfo

_FALSE_HELP = (
    "The literal False reaches batch norm as an explicit argument, which beats the mode Keras gives the model: in"
    " fit() and in a training step the layer normalizes with its moving statistics, which never learn, and gamma and"
    " beta are trained on inference-mode outputs (Keras 2 and Keras 3). Under Keras 3 the explicit value also"
    " becomes the mode of the later layers of the same forward pass. Pass the mode on: training=training."
)
_NONE_HELP = (
    "Keras 2 takes an explicit training=None as not given and falls back to the mode of the model's call; Keras 3"
    " counts it as given: the layer runs in inference mode in fit() and in training steps, its moving statistics"
    " never learn, and so do those of the later layers of the same forward pass. Pass the mode on:"
    " training=training."
)
_TRUE_HELP = (
    "The literal True reaches batch norm as an explicit argument, which beats the mode Keras gives the model: in"
    " evaluate(), predict() and a model called with training=False the layer normalizes with the statistics of each"
    " batch (and, under Keras 2, overwrites its moving statistics). Pass the mode on: training=training."
)
_FIT_HELP = (
    "Keras 3's fit() passes training=True only to a call() that has a training parameter (it reads the parameter"
    " names; **kwargs does not count): without one, fit() gives no mode, batch norm runs in inference mode in"
    " training and its moving statistics never learn. Keras 2 set the mode for such models. Add the parameter and"
    " pass it on: def call(self, x, training=None): ... self.bn(x, training=training)."
)
_FREEZE_HELP = (
    "Keras 3 runs every layer of a functional model in the mode fit(), evaluate() and predict() give, over a literal"
    " written in the graph (keras-team/keras#20285): in fit() this batch norm normalizes with the batch and its"
    " moving statistics and gamma and beta keep training. Keras 2 honoured the literal. To freeze it, set"
    " layer.trainable = False before compile() (Keras then runs its batch norm in inference mode)."
)
_MODES = {True: "training", False: "inference"}
# A parameter default that is no mode (a non-literal, a string, a number).
_NOT_A_MODE = object()


class TrainingNotPropagated(Rule):
    """
    ## What it does
    Checks for a training mode that cannot reach a batch-norm layer of a Keras model:

    - In a Keras model's or layer's `call`, a call of a project function or method (`conv_bn(x, conv, bn)`,
      `self.stage(x)`) that leaves a parameter at a literal default (`training=False`, `training=True`, or under
      Keras 3 `training=None`) while the function passes that parameter on to the `training` of a batch-norm
      layer or of a Keras object holding one, directly or through other functions of the project.
    - Under Keras 3, a subclassed `Model` whose `call(self, x)` has no `training` parameter, holds batch norm and is
      trained with Keras' own `fit()` (no `train_step` override), reported at its `def call`.
    - Under Keras 3, a literal `training=False` meant to freeze a batch-norm layer (or a model holding one) in the
      graph of a functional `Model(inputs, outputs)` that the module trains with `fit()`, where the layer is not
      made untrainable (`layer.trainable = False`).

    ## Why is this bad?
    An explicit `training` argument beats the mode Keras gives the model, so a literal default the caller does not
    override freezes the layer: `training=False` runs batch norm in inference mode during `fit()` and training
    steps (its moving statistics never learn, gamma and beta are trained on the wrong normalization), in Keras 2
    and Keras 3 alike; `training=True` normalizes evaluation and prediction with the batch. Keras 2 takes an
    explicit `training=None` as not given and falls back to the model's mode; Keras 3 counts it as given, so the
    layer runs in inference mode, and so do the later layers of the same forward pass. Keras 3's `fit()` passes
    `training=True` only to a `call` that declares the parameter: `call(self, x)` then trains with batch norm in
    inference mode, where Keras 2 set the mode for it. And Keras 3 runs every layer of a functional model in the
    mode `fit()`, `evaluate()` and `predict()` give, over a literal written in the graph (keras-team/keras#20285):
    `training=False` no longer freezes anything in `fit()`. Measured under TensorFlow 2.21 (docs/keras.md, S1, S2, S4,
    S5).

    ## Accepted idioms
    - The mode passed on: `conv_bn(x, conv, bn, training=training)`, or by position `conv_bn(x, conv, bn,
      training)`; `**kwargs` passed on.
    - `call(self, x, training=None)` that passes `training` on to its layers.
    - A Keras layer of your own with `call(self, x, training=False)` called without `training` inside another
      layer's `call`: Keras gives it the mode of the outer call (measured, Keras 2 and 3).
    - A helper whose flag reaches no batch norm (dropout only, a layer without batch norm).
    - A frozen backbone called with `training=False` after `base.trainable = False` (the Keras transfer-learning
      guide's idiom); under Keras 2 a functional `training=False` freezes the layer (BN001 reports it where that
      hard-wires a layer that should train).
    - Under Keras 2 (`tf_keras`, `TF_USE_LEGACY_KERAS=1`): a `training=None` default left out, and `call(self, x)`
      trained by `fit()`.
    - `call(self, x)` of a model only called directly, `model(x, training=True)`: Keras 3 passes the mode on through
      the call context; only `fit()` leaves it out. A model with its own `train_step` is BN007's.

    ## Known problems
    Only calls written in a `call` method are checked: a helper leaving another helper's flag at its default is
    not followed further. A helper called in a gradient step is BN007's (it reports the batch norm call inside the
    helper where the flag is `False`); a helper that only reaches batch norm through an object bnlint cannot
    resolve (a loaded model) is not reported. A functional model that freezes a layer with
    `bn(x, training=False)` and is then trained by `fit()` under Keras 3 (the literal is overridden, the layer
    trains) is not checked here: BN001 reports literal modes on batch-norm layers. Which Keras runs is read from
    the code (bnlint.analysis.keras_version); `keras-version = 2 | 3` in `[tool.bnlint]` overrides it.

    ## Fix safety
    No fix: which flag to pass (the `call`'s own `training`, or a fixed mode on purpose) is for the author.

    ## Applies to
    Keras 2 and Keras 3: `tf.keras`, `keras`, `tf_keras` models and layers (`BatchNormalization`, `Sequential`,
    functional `Model`, subclasses of `Model` and `Layer`, `keras.applications` backbones), and the functions of
    the project that pass a mode on to them.
    """

    code = "BN008"
    name = "training-not-propagated"
    summary = "the training mode cannot reach a batch-norm layer"
    needs = catalogue.BATCH_NORM_NAMES | catalogue.KERAS_APPLICATIONS_WITH_BATCH_NORM

    INVALID = (
        """
        import tensorflow as tf

        def conv_bn(x, conv, bn, training=False):
            return tf.nn.relu(bn(conv(x), training=training))

        class Net(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.conv = tf.keras.layers.Conv2D(32, 3)
                self.bn = tf.keras.layers.BatchNormalization()
                self.head = tf.keras.layers.Dense(10)

            def call(self, x, training=None):
                x = conv_bn(x, self.conv, self.bn)  # expect: BN008 "conv_bn() leaves training at its default False"
                return self.head(tf.reduce_mean(x, axis=[1, 2]))
        """,
        """
        import keras

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(64)
                self.bn = keras.layers.BatchNormalization()
                self.head = keras.layers.Dense(10)

            def call(self, x):  # expect: BN008 "Net.call() takes no training"
                return self.head(keras.ops.relu(self.bn(self.dense(x))))

        model = Net()
        model.compile(optimizer="adam", loss="mse")
        model.fit(x_train, y_train, epochs=5)
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        def conv_bn(x, conv, bn, training=False):
            return tf.nn.relu(bn(conv(x), training=training))

        class Net(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.conv = tf.keras.layers.Conv2D(32, 3)
                self.bn = tf.keras.layers.BatchNormalization()
                self.head = tf.keras.layers.Dense(10)

            def call(self, x, training=None):
                x = conv_bn(x, self.conv, self.bn, training=training)
                return self.head(tf.reduce_mean(x, axis=[1, 2]))
        """,
        """
        import keras

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(64)
                self.bn = keras.layers.BatchNormalization()
                self.head = keras.layers.Dense(10)

            def call(self, x, training=None):
                return self.head(keras.ops.relu(self.bn(self.dense(x), training=training)))

        model = Net()
        model.compile(optimizer="adam", loss="mse")
        model.fit(x_train, y_train, epochs=5)
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        for call in facts.calls.user_calls:
            if call.cls is None and facts.keras.keras_call_of(call.site) is not None:
                finding = _default_left(cls, facts, call)
                if finding is not None:
                    yield finding
        # Keras 3 only. Each asks which Keras runs last, once it has a finding: the answer can take the evidence
        # of the whole program, and most modules never need it.
        for model in facts.syntax.classes:
            finding = _call_without_training(cls, facts, model)
            if finding is not None:
                yield finding
        yield from _functional_freezes(cls, facts)


def _functional_freezes(rule: type[Rule], facts: ModuleFacts) -> Iterator[Finding]:
    """Keras 3: a literal training=False in the graph of a functional model that fit() trains (S2)."""
    from bnlint.analysis.arguments import ArgumentRef
    from bnlint.analysis.values import Literal

    for site in facts.syntax.calls:
        target = facts.keras.model_call(site)
        if target is None or facts.keras.frozen(target) or not facts.keras.in_fitted_graph(site):
            continue
        found = facts.keras.training_argument(site, target)
        if not isinstance(found, ArgumentRef):
            continue
        flag = facts.resolver.flag(found.value, found.scope, found.order)
        if not (isinstance(flag, Literal) and flag.value is False):
            continue
        holds = target.batch_norm_layer or facts.keras.runs_batch_norm(target) is True
        if holds and facts.keras_version.major == 3:
            message = "training=False does not freeze this batch norm: Keras 3's fit() overrides it"
            yield rule.finding(found.arg, site, message, help=f"{_FREEZE_HELP} {facts.keras_version.assumption}")


def _default_left(rule: type[Rule], facts: ModuleFacts, call: UserCall) -> Finding | None:
    """A call in a Keras `call` that leaves a mode parameter of a project function at a literal default that
    freezes batch norm."""
    for param in call.function.params:
        if call.bound.get(param.name) is not None:
            continue  # passed, or maybe passed by `*args` / `**kwargs`
        default = _literal_default(param)
        if default is _NOT_A_MODE or (default is None and facts.keras_version.major == 2):
            continue
        if default is True and call.site.function is not None and call.site.function.param("training") is None:
            continue  # a `call` without a mode of its own: training mode may be meant
        if not facts.keras.mode_reaches_batch_norm(call.function, param.name):
            continue
        message = _default_message(call, param.name, default)
        return rule.finding(call.site.node, call.site, message, help=_default_help(default, facts.keras_version))
    return None


def _literal_default(param: ParamInfo) -> object:
    """A parameter's default when it is True, False or None; otherwise _NOT_A_MODE."""
    from bnlint.analysis.resolver import literal_value
    from bnlint.analysis.syntax import ParamKind

    if param.default is None or param.kind not in (ParamKind.POSITIONAL, ParamKind.KEYWORD_ONLY):
        return _NOT_A_MODE
    is_literal, value = literal_value(param.default)
    return value if is_literal and (value is None or isinstance(value, bool)) else _NOT_A_MODE


def _default_message(call: UserCall, name: str, default: object) -> str:
    leaves = f"{call.label}() leaves {name} at its default {default!r}"
    if default is None:
        return f"{leaves}: Keras 3 runs batch norm in inference mode"
    return f"{leaves}: its batch norm runs in {_MODES[bool(default)]} mode"


def _default_help(default: object, version: KerasVersion) -> str:
    if default is None:
        return f"{_NONE_HELP} {version.assumption}"
    return _FALSE_HELP if default is False else _TRUE_HELP


def _call_without_training(rule: type[Rule], facts: ModuleFacts, model: ClassInfo) -> Finding | None:
    """Under Keras 3: a Keras model class whose own `call` takes no `training`, holding batch norm, run by `fit()`."""
    method = model.methods.get(catalogue.KERAS_CALL)
    if method is None or method.param("training") is not None or not facts.keras.is_keras_class(model):
        return None
    site = _anchor(facts, method)
    if site is None or facts.in_test_code(site) or facts.keras.class_holds(model) is not True:
        return None
    if not facts.keras.fit_runs(method):
        return None
    version = facts.keras_version
    if version.major != 3:
        return None
    message = f"{model.name}.call() takes no training: Keras 3's fit() runs its batch norm in inference mode"
    return rule.finding(method.node.name, site, message, help=f"{_FIT_HELP} {version.assumption}")


def _anchor(facts: ModuleFacts, method: FunctionInfo) -> CallSite | None:
    """The call of the method a finding is tied to (its lines are the finding's call lines): the first that runs a
    Keras object holding batch norm, where the mode goes missing, else its first call."""
    sites = list(facts.sites_of.get(method, ()))
    for site in sites:
        target = facts.keras.model_call(site)
        if target is not None and facts.keras.runs_batch_norm(target) is True:
            return site
    return sites[0] if sites else None
