from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Fix, Rule, shown

if TYPE_CHECKING:
    import libcst as cst

    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.keras import GradientStep, ModelCall
    from bnlint.analysis.syntax import CallSite
    from bnlint.analysis.values import Parameter

_HELP = (
    "Without training=True its batch norm normalizes with the moving statistics, in Keras 2 and Keras 3 alike: the"
    " step trains gamma and beta on inference-mode outputs and the moving mean and variance never leave their"
    " initial values, so evaluation is off too. Pass training=True (or the step's own training flag)."
)
_STATELESS_HELP = (
    " With stateless_call, also keep the non-trainable variables it returns: they hold the updated statistics."
)


class TrainStepWithoutTraining(Rule):
    """
    ## What it does
    Checks for a Keras model or layer that contains batch norm called in a gradient step without `training=True`.
    A gradient step is the body of `with tf.GradientTape() as tape:` whose gradients an optimizer applies
    (`optimizer.apply_gradients`, `optimizer.minimize(loss, var_list, tape=tape)`, Keras 3's `optimizer.apply`,
    also where the gradients travel through names, returns and other functions first), an overridden
    `train_step` of a Keras model, the loss function `optimizer.minimize()` differentiates, the function JAX
    differentiates in Keras 3 stateless training (`jax.value_and_grad(compute_loss)` around
    `model.stateless_call(...)`), and the functions of the project such a step calls. The model is followed as an
    object: a `BatchNormalization` layer, a `Sequential` (its list or its `.add` calls), a functional `Model` whose
    graph applies batch norm, a `keras.Model` / `Layer` subclass that stores one on `self` (directly, in lists,
    through helper functions or classes of other modules), a `keras.applications` backbone with batch norm, reached
    through names, `self` attributes, function returns, module globals, parameters and other modules. Reported: a
    call without `training`, with `training=False` / `None`, or with a training parameter that is not `True` there
    (a default `training=False` the step does not override).

    ## Why is this bad?
    A Keras layer called without `training` does not know it is being trained: outside `fit()` nothing sets the
    mode, so batch norm runs in inference mode. It normalizes with its moving mean and variance, which only a
    training-mode call updates: they stay at their initial values (0 and 1) for the whole run, gamma and beta are
    trained on the wrong normalization, and the evaluation that uses the moving statistics is far off while the
    training loss looks fine. This holds in Keras 2 (`tf_keras`, TensorFlow before 2.16) and Keras 3 alike, under
    `tf.function` and eagerly; measured under TensorFlow 2.21 with both.

    ## Accepted idioms
    - `model(x, training=True)`, or a training flag the step passes on (`def train_step(x, training=True)`,
      `model(x, training=training)` where the callers pass `True` or a value bnlint cannot read).
    - `model.fit()` and `train_on_batch()`: Keras sets the mode itself.
    - A validation or test step calling `model(x)` or `model(x, training=False)`, a `test_step` override, and a
      tape whose gradients nobody applies (a validation step that opens one, a saliency map, an adversarial
      example: `tape.gradient` with respect to the inputs).
    - A model without batch norm (Dense, Dropout, LayerNormalization only): dropout left off in a step is no
      batch-norm mistake.
    - A model whose variables the step does not differentiate: a frozen backbone, a teacher, a target network, a
      GAN's generator in the discriminator's step (or inside `tf.stop_gradient`): the step's
      `tape.gradient(loss, other.trainable_variables)` names what it trains.
    - A frozen backbone on purpose: `base.trainable = False` on that object makes Keras run its batch norm in
      inference mode whatever the call says, as the transfer-learning guide does with `base(x, training=False)`.
    - Unit tests (`TestCase` classes, pytest test functions), which may run a model in either mode on purpose.

    ## Known problems
    A model loaded from a file (`load_model`), from TensorFlow Hub or another library is not known to hold batch
    norm and is not reported. A step that differentiates a container (`outer.trainable_variables`) while calling
    a part of it that is neither `outer` nor an attribute of it (`base(x)` where `outer = Sequential([base, head])`)
    is taken not to train that part. Functions JAX differentiates are taken to be training steps. Meta-learning
    code (MAML) that runs batch norm with momentum 0 in inference mode on purpose is reported: add `# noqa: BN007`.

    ## Fix safety
    `bnlint check --fix` adds `training=True` to a call written inside a `with tf.GradientTape()` block whose
    gradients are applied and that passes no `training` (nor `*args` / `**kwargs`): that is the mode the step
    means. No fix for `training=False`, a training parameter, or a call in a helper function (which other code may
    call in evaluation).

    ## Applies to
    Keras 2 and Keras 3: `tf.keras`, `keras`, `tf_keras` models and layers (`BatchNormalization`, `Sequential`,
    functional `Model`, subclasses of `Model` and `Layer`, `keras.applications` backbones), `model.stateless_call`.
    """

    code = "BN007"
    name = "train-step-without-training"
    summary = "model with batch norm called in a gradient step without training=True"
    needs = catalogue.BATCH_NORM_NAMES | catalogue.KERAS_APPLICATIONS_WITH_BATCH_NORM

    INVALID = (
        """
        import tensorflow as tf

        model = tf.keras.Sequential([
            tf.keras.layers.Dense(64),
            tf.keras.layers.BatchNormalization(),
            tf.keras.layers.Dense(10),
        ])
        optimizer = tf.keras.optimizers.Adam()
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function
        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x))  # expect: BN007 "model(x) is called in a GradientTape step"
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        """,
        """
        import tensorflow as tf

        class Net(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.conv = tf.keras.layers.Conv2D(32, 3)
                self.bn = tf.keras.layers.BatchNormalization()
                self.head = tf.keras.layers.Dense(10)

            def call(self, x, training=None):
                x = self.bn(self.conv(x), training=training)
                return self.head(tf.reduce_mean(x, axis=[1, 2]))

            def train_step(self, data):
                x, y = data
                with tf.GradientTape() as tape:
                    loss = self.compute_loss(y=y, y_pred=self(x))  # expect: BN007 "self(x) is called in"
                grads = tape.gradient(loss, self.trainable_variables)
                self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
                return {"loss": loss}
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        model = tf.keras.Sequential([
            tf.keras.layers.Dense(64),
            tf.keras.layers.BatchNormalization(),
            tf.keras.layers.Dense(10),
        ])
        optimizer = tf.keras.optimizers.Adam()
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function
        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        @tf.function
        def test_step(x, y):
            return loss_fn(y, model(x))
        """,
        """
        import tensorflow as tf

        model = tf.keras.Sequential([tf.keras.layers.Dense(64), tf.keras.layers.Dropout(0.5), tf.keras.layers.Dense(1)])
        optimizer = tf.keras.optimizers.SGD()

        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x) - y))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        for site in facts.syntax.calls:
            target = facts.keras.model_call(site)
            if target is None or facts.in_test_code(site):
                continue
            step = facts.gradient_steps.step_of(site)
            if step is None:
                continue
            finding = _finding(cls, facts, site, target, step)
            if finding is not None:
                yield finding


def _finding(
    rule: type[Rule], facts: ModuleFacts, site: CallSite, target: ModelCall, step: GradientStep
) -> Finding | None:
    from bnlint.analysis.arguments import ArgumentRef
    from bnlint.analysis.keras import StepKind
    from bnlint.rules import edits

    found = facts.keras.training_argument(site, target)
    if found is not None and not isinstance(found, ArgumentRef):
        return None  # `**kwargs` may pass it
    flag = facts.resolver.flag(found.value, found.scope, found.order) if found is not None else None
    problem = _problem(facts, site, target, step, flag)
    if problem is None:
        return None
    if facts.keras.frozen(target) or not facts.gradient_steps.trains(step, site, target.receiver):
        return None
    if facts.keras.runs_batch_norm(target) is not True:
        return None
    fix = None
    if found is None and step.lexical and step.kind is StepKind.TAPE and not _passes_star(site.node):
        fix = Fix("pass training=True", site.node, edits.add_keyword("training", "True"))
    help = _HELP + (_STATELESS_HELP if target.stateless else "")
    message = f"{shown(site.node)} is called in {step.kind.value} {problem}"
    return rule.finding(site.node, site, message, fix=fix, help=help)


def _problem(
    facts: ModuleFacts, site: CallSite, target: ModelCall, step: GradientStep, flag: object
) -> str | None:
    """What is wrong with the call's `training`, or None when it is True (or a value bnlint cannot read)."""
    from bnlint.analysis.values import Literal, Parameter

    if flag is None:
        # `def call(self, x, training=True)`: Keras uses the default where neither the call nor an outer one gives it
        return None if facts.keras.default_mode(target) is True else "without training=True"
    if isinstance(flag, Literal):
        if flag.value is True:
            return None
        if target.batch_norm_layer:
            return None  # a literal at a batch-norm layer is BN001's
        return f"with training={flag.value!r}"
    if isinstance(flag, Parameter):
        passed = _parameter_values(facts, flag, step)
        if passed is not None and passed is not True:
            return f"where {flag.name} is {passed!r}"
    return None


def _parameter_values(facts: ModuleFacts, flag: Parameter, step: GradientStep) -> object:
    """The literal a training parameter has in the step, when every call that runs the step passes the same one
    (its default where they omit it); None when it is not known."""
    from bnlint.analysis.values import Literal

    calls = facts.keras.calls_of(flag.function)
    if not step.lexical:  # a helper: only the calls made in a gradient step count
        calls = [call for call in calls if _in_step(facts, call.site)]
    owner = facts.facts_for(flag.function)
    values = [owner.flows.argument_flag(flag.function, flag.name, call.bound.get(flag.name)) for call in calls]
    if not calls:
        values = [owner.flows.argument_flag(flag.function, flag.name, None)]
    literals = {value.value for value in values if isinstance(value, Literal)}
    if len(literals) != 1 or len(values) != sum(isinstance(value, Literal) for value in values):
        return None
    return next(iter(literals))


def _in_step(facts: ModuleFacts, site: CallSite) -> bool:
    owner = facts.project.owner(site.scope) if facts.project is not None else None
    return (owner or facts).gradient_steps.step_of(site) is not None


def _passes_star(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)
