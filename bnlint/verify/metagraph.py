"""`bnlint verify exported.meta`: the structure of a saved graph, without running any of the user's code."""

from __future__ import annotations

from pathlib import Path

import tensorflow.compat.v1 as tf

from bnlint.verify.checks import TOWER_NOT_SHARED, UPDATES_NOT_RUN, WRONG_MODE
from bnlint.verify.graph import ancestors, batch_norm_ops, is_training_step, twin_name, written_variables
from bnlint.verify.observations import Measurements, Observation, Status


def measure_metagraph(path: Path, version: str, device: str) -> Measurements:
    graph = tf.Graph()
    with graph.as_default():
        try:
            tf.train.import_meta_graph(str(path), clear_devices=True)
        except Exception as exc:  # a file that is not a MetaGraphDef, or one that needs custom ops
            return Measurements(Status.UNSUPPORTED, tensorflow=version, error=f"cannot read {path.name}: {exc}")
    training = _training_ops(graph)
    if not training:
        return Measurements(Status.NO_TRAINING_STEP, tensorflow=version, device=device, mode="metagraph")
    ancestry = ancestors(training)
    written = written_variables(ancestry)
    here = (str(path.absolute()), 1)
    observations = [*_update_ops(graph, ancestry, here), *_inference_layers(graph, ancestry, written, here)]
    observations += _towers(graph, written, here)
    return Measurements(Status.MEASURED, tensorflow=version, device=device, mode="metagraph", observations=observations)


def _training_ops(graph: tf.Graph) -> list[tf.Operation]:
    """The graph's train ops: its `train_op` collection, else the ops nothing consumes that run an optimizer."""
    collected = [getattr(item, "op", item) for item in graph.get_collection("train_op")]
    if collected:
        return collected
    consumed = {tensor.op for op in graph.get_operations() for tensor in op.inputs}
    consumed |= {control for op in graph.get_operations() for control in op.control_inputs}
    sinks = [op for op in graph.get_operations() if op not in consumed and op.type in ("NoOp", "AssignAdd", "Group")]
    return [op for op in sinks if is_training_step(ancestors([op]))]


def _update_ops(graph: tf.Graph, ancestry: set[tf.Operation], here: tuple[str, int]) -> list[Observation]:
    collection = [getattr(op, "op", op) for op in graph.get_collection(tf.GraphKeys.UPDATE_OPS)]
    if not collection:
        return []
    run = sum(1 for op in collection if op in ancestry)
    return [
        Observation(
            UPDATES_NOT_RUN.code,
            run == 0,
            f"the train op runs {run} of the {len(collection)} UPDATE_OPS",
            (),
            report_at=here,
            evidence={"update_ops": len(collection), "run_by_step": run},
        )
    ]


def _inference_layers(
    graph: tf.Graph, ancestry: set[tf.Operation], written: set[str], here: tuple[str, int]
) -> list[Observation]:
    observations = []
    layers: dict[str, list[bool]] = {}
    for op in batch_norm_ops(graph):
        if op.op in ancestry and op.pred is None:
            layers.setdefault(op.layer, []).append(op.is_training)
    for layer, modes in layers.items():
        trained = any(name.rpartition("/")[0] == layer for name in written)
        if trained and not any(modes):
            observations.append(
                Observation(
                    WRONG_MODE.code,
                    True,
                    f"batch norm {layer} is built in inference mode in the train op's graph while the train op"
                    " trains its gamma/beta",
                    (),
                    report_at=here,
                    evidence={"layer": layer},
                )
            )
    return observations


def _towers(graph: tf.Graph, written: set[str], here: tuple[str, int]) -> list[Observation]:
    trainable = {v.op.name: v for v in graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)}
    shapes = {(twin_name(name), tuple(trainable[name].shape.as_list())) for name in written if name in trainable}
    untrained = [
        name
        for name in sorted(set(trainable) - written)
        if (twin_name(name), tuple(trainable[name].shape.as_list())) in shapes
    ]
    if not untrained:
        return []
    return [
        Observation(
            TOWER_NOT_SHARED.code,
            True,
            f"{len(untrained)} trainable variables ({untrained[0]}, ...) are never written by the train op while a"
            " same-shaped twin of each is: a second tower runs its initial weights",
            (),
            report_at=here,
            evidence={"untrained": len(untrained)},
        )
    ]
