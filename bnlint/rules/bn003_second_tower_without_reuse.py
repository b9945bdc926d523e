from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bnlint.analysis import catalogue
from bnlint.rules.base import Finding, Rule

if TYPE_CHECKING:
    from bnlint.analysis.facts import ModuleFacts


class SecondTowerWithoutReuse(Rule):
    """
    ## What it does
    Checks for a function that creates variables (tf.layers or slim / `tf.contrib.layers` layers,
    `tf.get_variable`, or a call of another such function, method or class) called a second time in the same
    graph, once for training and once for evaluation, where the second call does not reuse the variables of the
    first. A second call counts as a second tower when it switches the training flag (or another boolean
    argument), or, for a function, when it runs the same settings on an input of its own (another placeholder,
    another dataset) and builds batch norm. A single call in a `for` loop over data splits (`infer(images[i])`,
    the per-GPU towers of data-parallel training) builds a tower on every pass: it is reported when nothing makes
    the later passes reuse the first one's variables (a `reuse=(i > 0)` flag, or `reuse_variables()` in a scope
    opened outside the loop; one opened inside the loop forgets it at the end of each pass). The finding is on
    the second call. Reuse passed through `**kwargs` is decided at each call: a builder that forwards its
    `**kwargs` to `tf.layers.conv2d(*args, **kwargs)` reuses where a call passes `reuse=`, not elsewhere.

    ## Why is this bad?
    Without reuse, the second call creates a second set of weights and batch-norm statistics. The optimizer
    trains the first tower; the second one, usually the validation or inference tower, keeps its random initial
    weights forever. Training loss goes down while validation loss stays enormous, and removing batch norm does
    not help because the problem is the whole tower.

    ## Accepted idioms
    - `tf.variable_scope(..., reuse=True)` or `reuse=tf.AUTO_REUSE` around the second call or inside the function;
      a `reuse` parameter threaded into `tf.variable_scope` (or a layer's `reuse=`) and passed at the second call.
    - `scope.reuse_variables()` or `tf.get_variable_scope().reuse_variables()` between the calls.
    - `tf.make_template`; calls in different `tf.Graph().as_default()` blocks or after `tf.reset_default_graph()`;
      calls in opposite branches of an `if`, or under two `if`s comparing one name with different constants
      (`if self.mode == "generate":` / `if self.mode == "train":`); calls in different functions.
    - Layers stacked on each other (`x = block(x)`, also through lists: `hg[i] = block(sum_[i - 1])`), the same
      helper called with different settings (`conv(x, 64)`, `conv(x, 128)`, `name="q"` / `name="k"`), or applied
      to slices of one tensor (parallel heads): those are different layers, not towers.
    - Deliberately separate networks: calls on the same arguments (a target network, an EMA copy), or under
      different variable-scope names, that do not switch the training flag; two objects of one class that do not
      switch it either (layers, models), and calls through two different objects (`self.g_bn0(h)`,
      `self.g_bn1(h)`); variable helpers without batch norm called twice without a switch.
    - Builders that make the train op of what they build on every call (a model class whose constructor calls
      `minimize` under no condition): each call is a model that trains, such as the plain and the batch-normalized
      network a tutorial compares. A train op built only `if is_training:` leaves the other calls untrained.
    - A loop whose variable scope is named anew on each pass (`tf.variable_scope('tower_%d' % i)`).
    - Functions that build in a graph of their own (`with tf.Graph().as_default():` inside the function).
    - Functions whose only variables are `tf.Variable` (`weight_variable(shape)` helpers): one fresh variable per
      call is their purpose, and variable scopes cannot share them.
    - Functions that create no variables, or only call Keras layer objects created elsewhere; Keras models.

    ## Known problems
    Towers built in two different functions of one graph, or through Keras layers created inside the function,
    are not reported; neither are models whose weights are `tf.Variable`s. Builders from other modules of the
    project count. Without a
    training-flag switch, a second call on another input is reported (a GAN discriminator applied to real and
    fake images without reuse is that bug); two deliberately independent networks on two inputs need different
    variable scopes, or a `# noqa: BN003`.

    ## Fix safety
    No automatic fix: where the towers should share variables is a design decision.

    ## Applies to
    Functions, methods and classes of the same module that build `tf.layers`, `tf.contrib.layers`, tf-slim or
    `tf.get_variable` variables, called under any spelling of the TensorFlow imports.
    """

    code = "BN003"
    name = "second-tower-without-reuse"
    summary = "graph-building function called again without reusing its variables"
    needs = catalogue.VARIABLE_CREATORS  # a tower is a function that creates variables

    INVALID = (
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=is_training)
            return tf.layers.dense(tf.layers.flatten(net), 10)

        train_images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        valid_images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        train_logits = model(train_images, is_training=True)
        valid_logits = model(valid_images, is_training=False)  # expect: BN003 "model() builds a second tower"
        """,
        """
        import tensorflow as tf

        class Model:
            def __init__(self, images, is_training):
                with tf.variable_scope("model"):
                    self.logits = tf.layers.dense(tf.layers.flatten(images), 10)

        train_model = Model(tf.zeros([8, 4]), is_training=True)
        valid_model = Model(tf.zeros([8, 4]), is_training=False)  # expect: BN003 "Model() builds a second tower"
        """,
    )
    VALID = (
        """
        import tensorflow as tf

        def model(images, is_training):
            net = tf.layers.conv2d(images, 32, 3)
            net = tf.layers.batch_normalization(net, training=is_training)
            return tf.layers.dense(tf.layers.flatten(net), 10)

        train_images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        valid_images = tf.placeholder(tf.float32, [None, 32, 32, 3])
        with tf.variable_scope("model"):
            train_logits = model(train_images, is_training=True)
        with tf.variable_scope("model", reuse=True):
            valid_logits = model(valid_images, is_training=False)
        """,
        """
        import tensorflow as tf

        def model(images, is_training):
            with tf.variable_scope("model", reuse=tf.AUTO_REUSE):
                return tf.layers.dense(tf.layers.flatten(images), 10)

        train_logits = model(tf.zeros([8, 4]), is_training=True)
        valid_logits = model(tf.zeros([8, 4]), is_training=False)
        """,
        """
        import tensorflow as tf

        def conv(x, filters):
            return tf.layers.conv2d(x, filters, 3, padding="same")

        def network(images):
            x = conv(images, 32)
            x = conv(x, 32)
            return conv(x, 64)
        """,
    )

    @classmethod
    def check(cls, facts: ModuleFacts) -> Iterator[Finding]:
        for pair in facts.tower_pairs:
            label = pair.second.label
            if pair.in_loop:
                message = f"{label}() builds a tower on every pass of the loop without reusing the first's variables"
                help = (
                    "Every later tower creates and runs its own untrained weights instead of the first tower's;"
                    " reuse them after the first pass (reuse=(i > 0), or tf.AUTO_REUSE)."
                )
                related = ()
            else:
                message = f"{label}() builds a second tower without reusing the variables of the first (line {{0}})"
                help = (
                    "This tower creates fresh variables and runs untrained weights; build it under"
                    " tf.variable_scope(..., reuse=True), or reuse=tf.AUTO_REUSE."
                )
                related = ((pair.first.site.node, f"first {pair.first.label}() tower"),)
            yield cls.finding(pair.second.site.node, pair.second.site, message, related=related, help=help)
