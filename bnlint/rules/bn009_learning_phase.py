"""BN009: the mode chosen by Keras' global learning phase, which TensorFlow 2 deprecates and Keras 3 removed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Rule

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts
    from bnlint.analysis.keras_version import KerasVersion
    from bnlint.analysis.learning_phase import ModeRead, PhaseCall

_INSTEAD = (
    "Pass training=True or training=False to the model call instead, or leave the mode to fit(), evaluate() and"
    " predict(), which choose it themselves."
)
_GLOBAL = (
    "The learning phase is one switch for the whole process: every later model call not given training= runs"
    " batch norm in that mode (in TF1-era Keras, fit() and predict() too). With 1, inference normalizes with the"
    " batch and overwrites the moving statistics; with 0, training leaves them at their initial values. TensorFlow"
    " 2 deprecates it and Keras 3 removed it: there this line raises AttributeError."
)
_READ = (
    "K.learning_phase() is the global switch, not the mode of the call at hand: under TensorFlow 2 it is 0 unless"
    " set_learning_phase() set it, so batch norm runs in inference mode in training too; Keras 3 removed it, and"
    " there this line raises AttributeError. Pass on the training argument of your own call() or step instead."
)
_GONE = (
    "Keras 3 has no learning phase: keras.backend.set_learning_phase, learning_phase_scope and learning_phase are"
    " gone, from tf.keras too, so this line raises AttributeError."
)
_MODES = {True: "training", False: "inference"}


class LearningPhase(Rule):
    """
    ## What it does
    Finds the mode of a Keras model chosen through the global learning phase: `set_learning_phase(...)`, `with
    learning_phase_scope(...)`, and `K.learning_phase()` passed as `training=` or compared to choose a branch,
    under any import spelling (`from keras import backend as K`, `tf.keras.backend`,
    `tf.compat.v1.keras.backend`, `tf_keras.backend`). Under Keras 3 it reports every use of these functions.

    ## Why is this bad?
    The learning phase is one switch for the whole process. `K.set_learning_phase(1)` at the top of a training
    script puts every later model call that is not given `training=` in training mode: inference then normalizes
    each batch with its own statistics and overwrites the moving statistics with evaluation data.
    `K.set_learning_phase(0)` before training leaves batch norm in inference mode (in TF1-era Keras, `fit()`
    included), so the moving statistics never move. TensorFlow 2 deprecates the learning phase, and Keras 3
    removed it: `keras.backend.set_learning_phase`, `learning_phase_scope` and `learning_phase` do not exist there,
    `tf.keras` included (TensorFlow 2.16 and later), so the code stops with an AttributeError.

    ## Accepted idioms
    - Passing the mode to the call: `model(x, training=True)`, `model(x, training=False)`, or the `training`
      argument of your own `call()` or train step.
    - `learning_phase` attributes and functions of your own objects (`self.learning_phase = 1`).
    - Under Keras 2, the learning phase fed per run, the documented TF1 idiom for Keras inside a session:
      `sess.run(..., feed_dict={K.learning_phase(): 0})`, or an input of `K.function([..., K.learning_phase()],
      ...)`; the mode is given with each run there, not switched for the process.
    - Under Keras 2, `set_learning_phase(0)` (or `learning_phase_scope(0)`) in a script that trains nothing and
      writes a graph for serving (`convert_variables_to_constants`, `simple_save`, `SavedModelBuilder`,
      `write_graph`): the TF1 recipe for exporting a Keras model with its inference branch only.

    ## Known problems
    Which Keras runs is read from the code (bnlint.analysis.keras_version): `import keras` and `tf.keras` are
    taken for Keras 3 unless the program imports `tf_keras`, sets `TF_USE_LEGACY_KERAS` in its code, or uses
    names only Keras 2 has (`keras.layers.merge`, `keras.engine`, `K.function`, a TF1 session). The learning-phase
    functions themselves are no such proof: they are what this rule judges. An environment set outside the code
    (a shell, a `.env` file, a Dockerfile) is not seen: set `keras-version = 2` in `[tool.bnlint]` (flake8:
    `--bnlint-keras-version 2`) where the program runs tf_keras. A learning phase read through a variable and
    then compared, or passed positionally, is not followed.

    ## Fix safety
    No fix: whether a call should run in training or inference mode is decided by the code around it.

    ## Applies to
    Keras 2 and Keras 3: `keras.backend.set_learning_phase`, `keras.backend.learning_phase_scope` and
    `keras.backend.learning_phase`, as `keras`, `tf.keras`, `tf.compat.v1.keras`, `tf_keras` or
    `tensorflow.python.keras` spell them.
    """

    code = "BN009"
    name = "learning-phase"
    summary = "the mode chosen by the global learning phase, removed in Keras 3"
    needs = catalogue.LEARNING_PHASE_APIS

    INVALID = (
        """
        import tensorflow as tf
        from tensorflow.keras import backend as K

        K.set_learning_phase(1)  # expect: BN009 "set_learning_phase(1) does not exist in Keras 3"

        model = tf.keras.applications.ResNet50(weights=None, classes=10)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        """,
        """
        import os

        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tensorflow as tf

        def evaluate(model, images):
            with tf.keras.backend.learning_phase_scope(0):  # expect: BN009 "inference mode"
                return model(images)
        """,
        """
        import keras
        from keras import backend as K
        from keras.layers import BatchNormalization, Dense, Input

        inputs = Input((64,))
        x = BatchNormalization()(inputs, training=K.learning_phase())  # expect: BN009 "does not exist in Keras 3"
        model = keras.Model(inputs, Dense(10)(x))
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        model = tf.keras.applications.ResNet50(weights=None, classes=10)
        optimizer = tf.keras.optimizers.Adam()

        @tf.function
        def train_step(images, labels):
            with tf.GradientTape() as tape:
                logits = model(images, training=True)
                loss = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        """,
        """
        import tensorflow as tf
        from keras import backend as K

        sess = tf.Session()
        K.set_session(sess)
        model = tf.keras.models.load_model("model.h5")
        probabilities = sess.run(model.output, feed_dict={model.input: batch, K.learning_phase(): 0})
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        from bnlint.analysis.learning_phase import PhaseApi

        phase = facts.learning_phase
        if not phase.calls:
            return
        version = facts.keras_version
        if version.major == 3:
            yield from (cls._gone(call, version) for call in phase.calls)
            return
        exporting = _exports_inference_graph(facts)
        for call in phase.calls:
            if call.api is not PhaseApi.READ and not (exporting and call.literal and not call.value):
                yield cls._switch(call, version)
        yield from (cls._mode_read(read, version) for read in phase.mode_reads)

    @classmethod
    def _gone(cls, call: PhaseCall, version: KerasVersion) -> Finding:
        return cls.finding(
            call.site.node,
            call.site,
            f"{_shown(call)} does not exist in Keras 3: this call raises AttributeError",
            help=f"{_GONE} {_INSTEAD} {version.assumption}",
        )

    @classmethod
    def _switch(cls, call: PhaseCall, version: KerasVersion) -> Finding:
        from bnlint.analysis.learning_phase import PhaseApi

        where = "every model call in the block" if call.api is PhaseApi.SCOPE else "every later model call"
        mode = _MODES[bool(call.value)] if call.literal else None
        what = f"puts {where} in {mode} mode" if mode else f"sets the mode of {where}"
        return cls.finding(
            call.site.node,
            call.site,
            f"{_shown(call)} {what} (removed in Keras 3)",
            help=f"{_GLOBAL} {_INSTEAD} {version.assumption}",
        )

    @classmethod
    def _mode_read(cls, read: ModeRead, version: KerasVersion) -> Finding:
        from bnlint.analysis.learning_phase import ReadUse

        how = "training= is given" if read.use is ReadUse.MODE_ARGUMENT else "the branch is chosen by"
        return cls.finding(
            read.node,
            read.site,
            f"{how} the global K.learning_phase(), not this call's mode (removed in Keras 3)",
            help=f"{_READ} {version.assumption}",
        )


def _shown(call: PhaseCall) -> str:
    """The call as the message names it: `set_learning_phase(1)`, `learning_phase()`."""
    return f"{call.api.value}({call.value!r})" if call.literal else f"{call.api.value}()"


def _exports_inference_graph(facts: ModuleFacts) -> bool:
    """The module writes a graph for serving and trains nothing (the TF1 export recipe)."""
    import libcst as cst

    names = {call.name for call in facts.calls.api_calls}
    if not names & catalogue.GRAPH_EXPORTERS:
        return False
    return not any(
        isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value in catalogue.TRAINING_METHODS
        for site in facts.syntax.calls
    )
