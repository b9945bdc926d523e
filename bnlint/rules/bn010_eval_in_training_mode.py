from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Rule, shown

if TYPE_CHECKING:
    import libcst as cst

    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.keras import ModelCall
    from bnlint.analysis.syntax import CallSite

_HELP = (
    "training=True normalizes each batch with its own statistics, so a prediction depends on the rest of its batch,"
    " and it rewrites the moving mean and variance with evaluation data (Keras 2 and Keras 3, for a model called"
    " directly). Pass training=False; where batch statistics are meant (pix2pix sampling), say so in a comment."
)
# A comment on the call's statement that states the choice (the pix2pix tutorial's "training=True is intentional").
_STATED = re.compile(r"intentional|on purpose|deliberate|batch statistics|batch stats", re.IGNORECASE)


class EvalInTrainingMode(Rule):
    """
    ## What it does
    Checks for an evaluation pass that calls a Keras model holding batch norm with a literal `training=True` (or
    with no `training` where the model's own `call` defaults to `training=True`): a
    function that is no gradient step and evaluates by its name (`evaluate`, `eval_step`, `val_step`, `validate`,
    `test_step`, `predict_fn`, `run_inference`, ...) or a `test_step` / `predict_step` override of a Keras model.
    The model is followed as an object, as BN007 follows it (`Sequential`, functional `Model`, subclasses, a
    `keras.applications` backbone, through names, attributes, returns and other modules).

    ## Why is this bad?
    In training mode batch norm normalizes with the statistics of the batch at hand: a validation score depends on
    how the data was batched, a prediction on the other inputs of its batch, and a single example is normalized
    against itself. It also updates the moving mean and variance with evaluation data, so evaluating changes the
    model the next training step and the saved checkpoint start from. This holds for a model called directly
    (`model(x, training=True)`) in Keras 2 and Keras 3.

    ## Accepted idioms
    - `model(x, training=False)`, `model(x)`, `model.evaluate()`, `model.predict()`.
    - A gradient step (BN007's subject), and code that is not named as an evaluation (a GAN's
      `generate_and_save_images` sampling in batch-statistics mode).
    - A call whose statement says the choice is deliberate in a comment (`# training=True is intentional here`,
      as the pix2pix tutorial writes), and models without batch norm (Monte-Carlo dropout,
      `model(x, training=True)` to sample dropout masks).
    - Unit tests (`TestCase` classes, pytest test functions).

    ## Known problems
    An evaluation is recognised by its function's name: a validation loop written inline in the training loop, or in
    a function named otherwise, is not checked, and neither is a helper such an evaluation calls. Test-time
    adaptation (normalizing each test batch with its own statistics on purpose) is out of scope: state it in a
    comment or add `# noqa: BN010`. A literal `training=True` at a `BatchNormalization` layer itself is BN001's
    finding, not this rule's.

    ## Fix safety
    No automatic fix: whether batch statistics are meant (GAN sampling, test-time adaptation) is a decision about
    the model.

    ## Applies to
    Keras 2 and Keras 3: `tf.keras`, `keras`, `tf_keras` models (`Sequential`, functional `Model`, subclasses of
    `Model` and `Layer`, `keras.applications` backbones) called with `training=True`, and `model.stateless_call(...,
    training=True)`.
    """

    code = "BN010"
    name = "eval-in-training-mode"
    summary = "evaluation pass calls a batch-norm model with training=True"
    needs = catalogue.BATCH_NORM_NAMES | catalogue.KERAS_APPLICATIONS_WITH_BATCH_NORM

    INVALID = (
        """
        import tensorflow as tf

        model = tf.keras.Sequential([
            tf.keras.layers.Dense(64),
            tf.keras.layers.BatchNormalization(),
            tf.keras.layers.Dense(10),
        ])
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function
        def val_step(x, y):
            logits = model(x, training=True)  # expect: BN010 "model(x, training=True) is called in val_step()"
            return loss_fn(y, logits)
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
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function
        def val_step(x, y):
            logits = model(x, training=False)
            return loss_fn(y, logits)
        """,
        """
        import tensorflow as tf

        layers = tf.keras.layers
        mc_model = tf.keras.Sequential([layers.Dense(64), layers.Dropout(0.3), layers.Dense(1)])

        def predict_with_uncertainty(x, samples=20):
            predictions = tf.stack([mc_model(x, training=True) for _ in range(samples)])
            return tf.reduce_mean(predictions, axis=0), tf.math.reduce_std(predictions, axis=0)
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        candidates = []
        for site in facts.syntax.calls:
            target = facts.keras.model_call(site)
            # A literal at a batch-norm layer itself is BN001's: this rule is about models that hold one.
            how = None if target is None or target.batch_norm_layer else _training_true(facts, site, target)
            if how is None:
                continue
            function = facts.gradient_steps.evaluation_pass(site)
            if function is None or facts.in_test_code(site):
                continue
            if facts.keras.runs_batch_norm(target) is True:
                candidates.append((site, function.name, how))
        stated = _stated(facts, [site for site, _, _ in candidates])
        for site, name, how in candidates:
            if site.node not in stated:
                message = f"{shown(site.node)} is called in {name}(), an evaluation pass{how.message}"
                yield cls.finding(site.node, site, message, help=how.help + _HELP)


@dataclass(frozen=True)
class _TrainingMode:
    """How a call runs a model in training mode: what the message adds, what the help starts with."""

    message: str
    help: str


_LITERAL = _TrainingMode("", "")
_CALL_DEFAULT = _TrainingMode(
    " without training=False",
    "The model's own call() defaults to training=True, and Keras uses that default where neither this call nor an"
    " outer one gives a mode. ",
)


def _training_true(facts: ModuleFacts, site: CallSite, target: ModelCall) -> _TrainingMode | None:
    """How the call runs in training mode: a literal `training=True`, or no `training` where the model's own `call`
    defaults to True (`def call(self, x, training=True)`) and no Keras call around it hands one down."""
    from bnlint.analysis.arguments import ArgumentRef
    from bnlint.analysis.values import Literal

    found = facts.keras.training_argument(site, target)
    if found is None and facts.keras.keras_call_of(site) is None and facts.keras.default_mode(target) is True:
        return _CALL_DEFAULT
    if not isinstance(found, ArgumentRef):
        return None
    flag = facts.resolver.flag(found.value, found.scope, found.order)
    return _LITERAL if isinstance(flag, Literal) and flag.value is True else None


def _stated(facts: ModuleFacts, sites: list[CallSite]) -> set[cst.CSTNode]:
    """The calls whose statement carries a comment that states the choice (on its lines or the lines above it)."""
    import libcst as cst

    from bnlint.rules import edits

    if not sites:
        return set()
    stated: set[cst.CSTNode] = set()
    for node, ancestry in edits.ancestries(facts.syntax.module, [site.node for site in sites]).items():
        statement = next((item for item in reversed(ancestry) if isinstance(item, cst.SimpleStatementLine)), None)
        if statement is None:
            continue
        if any(_STATED.search(comment.value) for comment in _comments(statement)):
            stated.add(node)
    return stated


def _comments(node: cst.CSTNode) -> Iterator[cst.Comment]:
    import libcst as cst

    if isinstance(node, cst.Comment):
        yield node
    for child in node.children:
        yield from _comments(child)
