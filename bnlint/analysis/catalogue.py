"""What bnlint knows about TensorFlow, tf-slim and Keras, as plain data.

Names are canonical qualified names (see `canonical`): `tensorflow.compat.v1.layers.batch_normalization` and
`tensorflow.layers.batch_normalization` are one API, and so are `tf_slim`, `tensorflow.contrib.slim` and
`tensorflow.contrib.layers` (spelled `slim.` here).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# Applied in order, each at most once; a later rule may rewrite what an earlier one produced.
_CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.compat.v1", "tensorflow"),
    ("tensorflow.compat.v2", "tensorflow"),
    ("tensorflow._api.v2.compat.v1", "tensorflow"),
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("tf_keras", "keras"),
    ("keras.src", "keras"),
    ("tensorflow.contrib.slim", "slim"),
    ("tf_slim", "slim"),
    ("tensorflow.contrib.layers", "slim"),
    ("tensorflow.contrib.framework", "slim"),
    ("slim.python.slim", "slim"),
    ("slim.python.layers.layers", "slim"),
    ("slim.layers.layers", "slim"),
    ("slim.layers", "slim"),
    ("slim.ops.arg_scope", "slim"),
    ("slim.ops", "slim"),
    ("tensorflow.contrib.rnn", "tensorflow.nn.rnn_cell"),
    ("tensorflow.python.layers.normalization", "tensorflow.layers"),
    ("tensorflow.python.layers.layers", "tensorflow.layers"),
    ("tensorflow.python.layers.core", "tensorflow.layers"),
    ("tensorflow.python.layers.convolutional", "tensorflow.layers"),
    ("tensorflow.python.ops.variable_scope", "tensorflow"),
    ("tensorflow.python.ops.variables", "tensorflow"),
    ("tensorflow.python.ops.control_flow_ops", "tensorflow"),
    ("tensorflow.python.framework.ops", "tensorflow"),
    ("tensorflow.python.training", "tensorflow.train"),
)
# The spellings `canonical` rewrites.
ALIASED_PACKAGES = frozenset(old for old, _ in _CANONICAL_PREFIXES)


def canonical(name: str) -> str:
    for old, new in _CANONICAL_PREFIXES:
        if name == old or name.startswith(old + "."):
            name = new + name[len(old) :]
    return name


class Family(enum.Enum):
    TF_LAYERS = "tf.layers"
    SLIM = "slim"
    KERAS = "keras"


class Mode(enum.Enum):
    """What an API does with a batch-norm layer when nobody passes the mode."""

    INFERENCE = "inference"
    TRAINING = "training"
    LEARNING_PHASE = "learning phase"  # Keras: follows the learning phase, so nothing is frozen


@dataclass(frozen=True)
class BatchNormApi:
    display: str
    names: frozenset[str]
    family: Family
    # True: the mode is an argument of the layer object's call, not of the constructor.
    is_layer_class: bool
    mode_param: str
    mode_index: int  # position of the mode among the call's arguments, the inputs being 0
    default_mode: Mode

    def fixed_mode(self, value: object) -> Mode | None:
        """The mode a literal flag freezes the layer in; None when it freezes nothing (Keras' `training=None`)."""
        if value is None:
            return None if self.default_mode is Mode.LEARNING_PHASE else self.default_mode
        return Mode.TRAINING if value else Mode.INFERENCE


TF_LAYERS_BATCH_NORM = BatchNormApi(
    display="tf.layers.batch_normalization",
    names=frozenset({"tensorflow.layers.batch_normalization"}),
    family=Family.TF_LAYERS,
    is_layer_class=False,
    mode_param="training",
    mode_index=14,
    default_mode=Mode.INFERENCE,
)
TF_LAYERS_BATCH_NORM_CLASS = BatchNormApi(
    display="tf.layers.BatchNormalization",
    names=frozenset({"tensorflow.layers.BatchNormalization"}),
    family=Family.TF_LAYERS,
    is_layer_class=True,
    mode_param="training",
    mode_index=1,
    default_mode=Mode.INFERENCE,
)
SLIM_BATCH_NORM = BatchNormApi(
    display="slim.batch_norm",
    names=frozenset({"slim.batch_norm"}),
    family=Family.SLIM,
    is_layer_class=False,
    mode_param="is_training",
    mode_index=9,
    default_mode=Mode.TRAINING,
)
# slim.batch_norm's other arguments the rules read: (keyword, position).
SLIM_UPDATES_COLLECTIONS = ("updates_collections", 8)
SLIM_VARIABLES_COLLECTIONS = ("variables_collections", 11)
KERAS_BATCH_NORM = BatchNormApi(
    display="keras BatchNormalization",
    names=frozenset(
        {
            "keras.layers.BatchNormalization",
            "keras.layers.BatchNormalizationV1",
            "keras.layers.BatchNormalizationV2",
            "keras.layers.SyncBatchNormalization",
            "keras.layers.experimental.SyncBatchNormalization",
            "keras.layers.normalization.batch_normalization.BatchNormalization",
            "keras.layers.normalization.batch_normalization_v1.BatchNormalization",
        }
    ),
    family=Family.KERAS,
    is_layer_class=True,
    mode_param="training",
    mode_index=1,
    default_mode=Mode.LEARNING_PHASE,
)
BATCH_NORM_APIS: tuple[BatchNormApi, ...] = (
    TF_LAYERS_BATCH_NORM,
    TF_LAYERS_BATCH_NORM_CLASS,
    SLIM_BATCH_NORM,
    KERAS_BATCH_NORM,
)
_BATCH_NORM_BY_NAME = {name: api for api in BATCH_NORM_APIS for name in api.names}
BATCH_NORM_NAMES = frozenset(_BATCH_NORM_BY_NAME)


def batch_norm_api(name: str) -> BatchNormApi | None:
    return _BATCH_NORM_BY_NAME.get(name)


# slim / contrib layers that take `normalizer_fn=` and `normalizer_params=`.
SLIM_NORMALIZED_LAYERS = frozenset(
    f"slim.{name}"
    for name in (
        "conv1d",
        "conv2d",
        "conv3d",
        "convolution",
        "convolution1d",
        "convolution2d",
        "convolution3d",
        "conv2d_transpose",
        "convolution2d_transpose",
        "conv3d_transpose",
        "convolution3d_transpose",
        "conv2d_in_plane",
        "convolution2d_in_plane",
        "separable_conv2d",
        "separable_convolution2d",
        "fully_connected",
    )
)
ARG_SCOPE = "slim.arg_scope"
# slim.repeat(inputs, repetitions, layer, ...) and slim.stack(inputs, layer, arguments): the layer argument's index.
SLIM_LAYER_COMBINATORS = {"slim.repeat": 2, "slim.stack": 1}

# Calls that create trainable variables in the current variable scope, so a second call needs reuse.
# `tf.Variable` is not one: variable scopes cannot share it, and a helper that returns a fresh `tf.Variable` per
# call (`weight_variable(shape)`) is how such code makes each weight.
VARIABLE_CREATORS = frozenset(
    {
        *(
            f"tensorflow.layers.{name}"
            for name in (
                "dense",
                "conv1d",
                "conv2d",
                "conv3d",
                "conv2d_transpose",
                "conv3d_transpose",
                "separable_conv1d",
                "separable_conv2d",
                "batch_normalization",
                "Dense",
                "Conv1D",
                "Conv2D",
                "Conv3D",
                "Conv2DTranspose",
                "Conv3DTranspose",
                "SeparableConv1D",
                "SeparableConv2D",
                "BatchNormalization",
            )
        ),
        *SLIM_NORMALIZED_LAYERS,
        *(
            f"slim.{name}"
            for name in (
                "batch_norm",
                "layer_norm",
                "group_norm",
                "instance_norm",
                "bias_add",
                "embed_sequence",
                "model_variable",
                "variable",
                "legacy_fully_connected",
                "legacy_linear",
                "legacy_relu",
            )
        ),
        "tensorflow.get_variable",
        *(
            f"tensorflow.nn.rnn_cell.{name}"
            for name in ("BasicLSTMCell", "LSTMCell", "GRUCell", "BasicRNNCell", "LayerNormBasicLSTMCell")
        ),
    }
)

VARIABLE_SCOPE = "tensorflow.variable_scope"
VARIABLE_SCOPE_REUSE_INDEX = 8
AUTO_REUSE = "tensorflow.AUTO_REUSE"
MAKE_TEMPLATE = "tensorflow.make_template"
GRAPH = "tensorflow.Graph"
GET_DEFAULT_GRAPH = "tensorflow.get_default_graph"
RESET_DEFAULT_GRAPH = "tensorflow.reset_default_graph"
TF_CONSTANT = "tensorflow.constant"
PARTIAL = "functools.partial"
# Decorators that return the function they are given, or one that runs it with the same arguments.
TRANSPARENT_DECORATORS = frozenset({"tensorflow.function", "slim.add_arg_scope"})
# Calls whose lambda arguments are both built into the graph, one chosen at run time by the first argument.
CONDITIONALS = {
    "tensorflow.cond": (("true_fn", "fn1"), ("false_fn", "fn2")),
    "slim.smart_cond": (("true_fn", "fn1"), ("false_fn", "fn2")),
    "tensorflow.python.framework.smart_cond.smart_cond": (("true_fn",), ("false_fn",)),
    "tensorflow.python.layers.utils.smart_cond": (("true_fn",), ("false_fn",)),
}

SAVER = "tensorflow.train.Saver"
# Variable lists without the batch-norm moving statistics, and lists that include them.
TRAINABLE_VARIABLE_LISTS = frozenset({"tensorflow.trainable_variables", "slim.get_trainable_variables"})
COMPLETE_VARIABLE_LISTS = frozenset(
    {
        "tensorflow.global_variables",
        "tensorflow.all_variables",
        "tensorflow.moving_average_variables",
        "tensorflow.model_variables",
        "slim.get_variables",
        "slim.get_model_variables",
        "slim.get_variables_to_restore",
    }
)
COMPLETE_COLLECTIONS = frozenset(
    {"GLOBAL_VARIABLES", "VARIABLES", "MOVING_AVERAGE_VARIABLES", "MODEL_VARIABLES", "SAVEABLE_OBJECTS"}
)

UPDATE_OPS_KEY = "tensorflow.GraphKeys.UPDATE_OPS"
UPDATE_OPS_STRING = "update_ops"
GET_COLLECTION_METHODS = frozenset({"get_collection", "get_collection_ref"})
GROUPING_CALLS = frozenset({"tensorflow.group", "tensorflow.tuple", "tensorflow.with_dependencies"})
# Functions that read a graph collection, such as the losses that `tf.losses.*` calls add (by last name).
COLLECTION_READERS = frozenset(
    {"get_collection", "get_collection_ref", "get_total_loss", "get_losses", "get_regularization_loss",
     "get_regularization_losses"}
)
REGULARIZATION_LOSSES_KEY = "tensorflow.GraphKeys.REGULARIZATION_LOSSES"
# Parameter names that say "the training flag" when no batch norm of the function uses the parameter yet.
TRAINING_FLAG_NAMES = frozenset(
    {"training", "is_training", "train", "is_train", "phase_train", "train_mode", "train_flag", "training_flag"}
)
# What a script makes its training switch with (fed True in training steps, False in evaluation).
BOOL_PLACEHOLDERS = frozenset({"tensorflow.placeholder", "tensorflow.placeholder_with_default"})
# Runners that call the script's `main` function when given no argument.
APP_RUNNERS = frozenset({"tensorflow.app.run", "tensorflow.python.platform.app.run", "absl.app.run"})
# Calls that load a trained model into the graph a script builds (besides any `.restore(...)` method).
MODEL_LOADERS = frozenset(
    {
        "tensorflow.train.import_meta_graph",
        "tensorflow.train.init_from_checkpoint",
        "tensorflow.saved_model.loader.load",
        "tensorflow.saved_model.load",
        "tensorflow.saved_model.simple_save",
        "tensorflow.saved_model.builder.SavedModelBuilder",
        "tensorflow.graph_util.convert_variables_to_constants",
        "tensorflow.python.framework.graph_util.convert_variables_to_constants",
    }
)
# `with_dependencies(deps, output)`: the output runs its first argument's ops first (the loss made a barrier).
WITH_DEPENDENCIES = frozenset(
    {
        "tensorflow.with_dependencies",
        "tensorflow.python.ops.control_flow_ops.with_dependencies",
        "tensorflow.contrib.framework.with_dependencies",
    }
)
OPTIMIZER_TRAIN_METHODS = frozenset({"minimize", "apply_gradients"})
# Wrappers that return a TF1 optimizer when given one as their first argument.
OPTIMIZER_WRAPPERS = frozenset(
    {
        "horovod.tensorflow.DistributedOptimizer",
        "tensorflow.train.experimental.enable_mixed_precision_graph_rewrite",
        "tensorflow.contrib.estimator.clip_gradients_by_norm",
        "tensorflow.tpu.CrossShardOptimizer",
        "tensorflow.contrib.tpu.CrossShardOptimizer",
    }
)


def is_tf1_optimizer_class(name: str) -> bool:
    """tf.train.*Optimizer and tf.contrib.opt.*Optimizer: the optimizers that leave UPDATE_OPS to the user."""
    return name.endswith("Optimizer") and (
        name.startswith("tensorflow.train.") or name.startswith("tensorflow.contrib.opt.")
    )


def is_known(name: str) -> bool:
    """Whether a name could matter to a rule; used to resolve names that only a star import can supply."""
    return (
        name in _BATCH_NORM_BY_NAME
        or name in VARIABLE_CREATORS
        or name in SLIM_NORMALIZED_LAYERS
        or name == ARG_SCOPE
        or name in LEARNING_PHASE_APIS
        or is_tf1_optimizer_class(name)
    )


# Packages bnlint knows by their APIs; an import of one is never a module of the checked project, even where a
# copy of it sits in the same folder (as when linting TensorFlow's own sources), unless the project has a package of
# that name of its own (see FRAMEWORK_CORE_FOLDERS and Project.shadows_framework).
FRAMEWORK_PACKAGES = frozenset({"tensorflow", "keras", "tf_keras", "tf_slim", "horovod", "functools"})


# The folder a copy of each framework's own sources holds (TensorFlow's `python/`, Keras' `layers/`): a package of the
# framework's name without it is the project's own (`efficientdet/keras/`, imported as `from keras import anchors`).
FRAMEWORK_CORE_FOLDERS = {
    "tensorflow": "python",
    "keras": "layers",
    "tf_keras": "layers",
    "tf_slim": "layers",
    "horovod": "tensorflow",
}


def is_framework(imported: str) -> bool:
    return imported.lstrip(".").split(".")[0] in FRAMEWORK_PACKAGES and not imported.startswith(".")


# -- Keras models and layers as objects (bnlint.analysis.keras) -------------------------------------------------

# Containers whose layers are their constructor's arguments (`Sequential([...])`) and, for Sequential, what
# `.add(layer)` appends; a functional `Model(inputs, outputs)` runs the graph its outputs were built by.
KERAS_SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential"})
KERAS_FUNCTIONAL = frozenset({"keras.Model", "keras.models.Model"})
# Layers that run the layer they are given (`TimeDistributed(BatchNormalization())`).
KERAS_LAYER_WRAPPERS = frozenset(
    {"keras.layers.TimeDistributed", "keras.layers.Bidirectional", "keras.layers.Wrapper"}
)
# Calls that load a model bnlint cannot see into.
KERAS_LOADERS = frozenset({"keras.models.load_model", "keras.saving.load_model", "keras.models.clone_model"})


def _applications(modules: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """Each application by both spellings: `keras.applications.ResNet50`, `keras.applications.resnet.ResNet50`."""
    return frozenset(
        name
        for module, classes in modules.items()
        for cls in classes
        for name in (f"keras.applications.{cls}", f"keras.applications.{module}.{cls}")
    )


# keras.applications backbones, by whether their architecture holds batch norm (checked against the sources of
# keras 3 and tf-keras 2: ConvNeXt normalizes with LayerNormalization, VGG does not normalize).
KERAS_APPLICATIONS_WITH_BATCH_NORM = _applications(
    {
        "resnet50": ("ResNet50",),
        "resnet": ("ResNet50", "ResNet101", "ResNet152"),
        "resnet_v2": ("ResNet50V2", "ResNet101V2", "ResNet152V2"),
        "resnet_rs": tuple(f"ResNetRS{depth}" for depth in (50, 101, 152, 200, 270, 350, 420)),
        "mobilenet": ("MobileNet",),
        "mobilenet_v2": ("MobileNetV2",),
        "mobilenet_v3": ("MobileNetV3Small", "MobileNetV3Large"),
        "efficientnet": tuple(f"EfficientNetB{index}" for index in range(8)),
        "efficientnet_v2": (*(f"EfficientNetV2B{index}" for index in range(4)), "EfficientNetV2S", "EfficientNetV2M",
                            "EfficientNetV2L"),
        "densenet": ("DenseNet121", "DenseNet169", "DenseNet201"),
        "inception_v3": ("InceptionV3",),
        "inception_resnet_v2": ("InceptionResNetV2",),
        "xception": ("Xception",),
        "nasnet": ("NASNetMobile", "NASNetLarge"),
        "regnet": tuple(f"RegNet{kind}{size}" for kind in "XY" for size in
                        ("002", "004", "006", "008", "016", "032", "040", "064", "080", "120", "160", "320")),
    }
)
KERAS_APPLICATIONS_WITHOUT_BATCH_NORM = _applications(
    {
        "vgg16": ("VGG16",),
        "vgg19": ("VGG19",),
        "convnext": ("ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"),
    }
)
# The classes a Keras model or layer of the project derives from (as `keras.` names): calling one runs its `call`.
KERAS_BASE_PREFIX = "keras."

# -- gradient steps (bnlint.analysis.keras) -----------------------------------------------------------------------

GRADIENT_TAPE = frozenset({"tensorflow.GradientTape", "tensorflow.autodiff.GradientTape"})
# Optimizer methods that apply gradients (by name: a Keras optimizer is often reached through `self.optimizer`).
APPLY_GRADIENTS = "apply_gradients"
MINIMIZE = "minimize"
# Keras 3's `optimizer.apply(grads, variables)`: only on an object known to be a Keras optimizer (`apply` is common).
KERAS_OPTIMIZER_PREFIX = "keras.optimizers."
KERAS_APPLY = "apply"
# The method `fit()` runs for each batch: overriding it makes its body a gradient step.
TRAIN_STEP = "train_step"
# The method a Keras layer's `__call__` runs, with the mode the caller (or the call context) gives; `fit()`, the
# Keras training loop (Keras 3 passes `training=True` to `call` only when it has that parameter).
KERAS_CALL = "call"
KERAS_FIT = "fit"
# JAX transformations whose function argument computes a loss to differentiate (Keras 3 stateless training).
JAX_GRADIENTS = frozenset({"jax.grad", "jax.value_and_grad"})
# A Keras 3 model's functional call: `model.stateless_call(trainable, non_trainable, x, training=True)`.
STATELESS_CALL = "stateless_call"
# What `tape.gradient(loss, <sources>)` names to differentiate a model's variables: `model.trainable_variables`.
TRAINABLE_VARIABLE_ATTRIBUTES = frozenset({"trainable_variables", "trainable_weights"})
# Words in a function's name that say it evaluates (`eval_step`, `validate`, `predict_fn`, `run_inference`), and the
# Keras methods `evaluate()` and `predict()` run for each batch.
EVALUATION_NAME_WORDS = frozenset(
    {"eval", "evaluate", "evaluation", "val", "valid", "validate", "validation", "test", "testing", "predict",
     "prediction", "infer", "inference"}
)
KERAS_EVALUATION_STEPS = frozenset({"test_step", "predict_step"})

# -- Keras versions (bnlint.analysis.keras_version) --------------------------------------------------------------
# `canonical` spells tf.keras, tf_keras and keras.src alike as `keras.…`, so which Keras runs is a fact of its own,
# read from the names as imported. The packages a module reaches Keras through:
TF_KERAS_PACKAGE = "tf_keras"  # Keras 2, whatever TensorFlow runs
TF_KERAS_SPELLINGS = (
    "tensorflow.keras",
    "tensorflow.compat.v1.keras",
    "tensorflow.compat.v2.keras",
    "tensorflow.python.keras",
)  # Keras 3 from TensorFlow 2.16 on, unless TF_USE_LEGACY_KERAS routes them to tf_keras
STANDALONE_KERAS = "keras"  # Keras 3 since keras 3.0 (2023); the TF_USE_LEGACY_KERAS switch does not reach it
# The environment variables that choose: TensorFlow reads the first (`tensorflow/__init__.py`: the values "true",
# "True", "1"); only multi-backend Keras, Keras 3, reads the second.
LEGACY_KERAS_VARIABLE = "TF_USE_LEGACY_KERAS"
LEGACY_KERAS_VALUES = frozenset({"true", "True", "1"})
KERAS_BACKEND_VARIABLE = "KERAS_BACKEND"
# Ways a program sets an environment variable: `os.environ[name] = value` besides these calls (name, value).
ENVIRONMENT = "os.environ"
ENVIRONMENT_SETTERS = frozenset({"os.environ.setdefault", "os.putenv"})
ENVIRONMENT_UPDATE = "os.environ.update"
# The learning-phase API of Keras 2 (bnlint.analysis.learning_phase, BN009): gone from Keras 3, tf.keras included.
SET_LEARNING_PHASE = "keras.backend.set_learning_phase"
LEARNING_PHASE_SCOPE = "keras.backend.learning_phase_scope"
LEARNING_PHASE = "keras.backend.learning_phase"
LEARNING_PHASE_APIS = frozenset({SET_LEARNING_PHASE, LEARNING_PHASE_SCOPE, LEARNING_PHASE})
# Names that exist only in Keras 2: absent from keras 3.15 and from TensorFlow 2.21's tf.keras (Keras 3, whose
# backend keeps many Keras 2 functions), present in tf_keras 2.21 or in older Keras 2 releases. The learning-phase
# API is left out: it is what BN009 judges, and taking it for proof of Keras 2 would hide that it fails in Keras 3.
KERAS2_ONLY_NAMES = frozenset(
    {
        *(
            f"keras.backend.{name}"
            for name in (
                "function",
                "placeholder",
                "get_session",
                "set_session",
                "in_train_phase",
                "in_test_phase",
                "normalize_batch_in_training",
                "manual_variable_initialization",
                "print_tensor",
                "random_binomial",
                "reset_uids",
                "local_conv1d",
                "local_conv2d",
                "tensorflow_backend",
            )
        ),
        "keras.layers.Merge",
        "keras.layers.merge",
        "keras.layers.CuDNNLSTM",
        "keras.layers.CuDNNGRU",
        "keras.utils.multi_gpu_model",
        "keras.models.model_from_yaml",
    }
)
# Modules of Keras 2 that Keras 3 does not have: an import from one, or a name under one, is Keras 2 code.
KERAS2_ONLY_MODULES = frozenset(
    {
        "keras.engine",
        "keras.legacy.layers",
        "keras.utils.np_utils",
        "keras.utils.generic_utils",
        "keras.utils.multi_gpu_utils",
        "keras.wrappers.scikit_learn",
        *(
            f"keras.layers.{name}"
            for name in (
                "core",
                "merge",
                "convolutional",
                "normalization",
                "recurrent",
                "pooling",
                "advanced_activations",
                "wrappers",
                "embeddings",
                "noise",
                "local",
                "cudnn_recurrent",
            )
        ),
    }
)
# Names that exist only in Keras 3 (absent from tf_keras 2.21), and their modules.
KERAS3_ONLY_NAMES = frozenset(
    {
        "keras.Variable",
        "keras.StatelessScope",
        "keras.RematScope",
        "keras.layers.TorchModuleWrapper",
        "keras.layers.JaxLayer",
        "keras.layers.FlaxLayer",
    }
)
KERAS3_ONLY_MODULES = frozenset({"keras.ops", "keras.config", "keras.random", "keras.tree", "keras.distribution"})
# TensorFlow 1 graph code: a session, a placeholder, eager execution turned off. Keras 3 does not run in a TF1
# graph, so code that builds one was written for Keras 2 (TensorFlow before 2.16); `tf.contrib` (TensorFlow 1 only)
# is told by its spelling, which `canonical` rewrites.
TF1_GRAPH_APIS = frozenset(
    {
        "tensorflow.placeholder",
        "tensorflow.Session",
        "tensorflow.InteractiveSession",
        "tensorflow.disable_eager_execution",
        "tensorflow.disable_v2_behavior",
    }
)
TF_CONTRIB = "tensorflow.contrib"
# Calls that write a graph for serving: the TF1 recipe for exporting a Keras 2 model sets the learning phase to 0
# first, so that the exported graph holds the inference branch only.
GRAPH_EXPORTERS = frozenset(
    {
        "tensorflow.graph_util.convert_variables_to_constants",
        "tensorflow.python.framework.graph_util.convert_variables_to_constants",
        "tensorflow.saved_model.simple_save",
        "tensorflow.saved_model.builder.SavedModelBuilder",
        "tensorflow.train.write_graph",
        "tensorflow.io.write_graph",
    }
)
# Methods whose call trains a model: a script with one of them is not only an export or evaluation script.
TRAINING_METHODS = frozenset({"fit", "fit_generator", "train_on_batch", "minimize", "apply_gradients"})
