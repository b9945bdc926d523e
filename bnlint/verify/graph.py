"""Reading and measuring a TF1 graph: training ops, batch-norm layers and their modes, variables, and the user's
lines that built them. Imported only in the verifier's child process, after TensorFlow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow.compat.v1 as tf
from tensorflow.python.ops.control_flow_ops import CondContext

from bnlint.verify.checks import EVALUATION_MISMATCH, TOWER_NOT_SHARED, UPDATES_NOT_RUN, WRONG_MODE
from bnlint.verify.observations import Frame, Observation
from bnlint.verify.usercode import UserCode

# Optimizer kernels: a fetch whose ancestry holds one is a training step.
_TRAINING_KERNELS = ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply")
_BATCH_NORM_OPS = frozenset({"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"})
_VARIABLE_OPS = frozenset({"VariableV2", "Variable", "VarHandleOp"})
# Ops a variable's value passes through on its way into another op.
_PASS_THROUGH = frozenset({"Identity", "RefIdentity", "ReadVariableOp", "Switch", "RefSwitch", "Enter", "RefEnter"})
_COPY_SUFFIX = re.compile(r"_\d+$")
# The variance ratio above which an evaluation normalizes with statistics that are not the data's. A correct
# script stays at or below about 2.6 while its moving averages warm up; the mistakes measured 167 and more.
VARIANCE_RATIO_LIMIT = 10.0

Run = Callable[..., Any]  # the original Session.run, bound to nothing: run(session, fetches, feed_dict=...)


def fetched_ops(graph: tf.Graph, fetches: object) -> list[tf.Operation]:
    ops = []
    for item in _flatten(fetches):
        try:
            element = graph.as_graph_element(item, allow_tensor=True, allow_operation=True)
        except (TypeError, ValueError, KeyError):
            continue
        ops.append(element if isinstance(element, tf.Operation) else element.op)
    return ops


def _flatten(fetches: object) -> Iterable[object]:
    # Not tf.nest: MonitoredSession passes dicts keyed by hooks, which nest cannot sort.
    if isinstance(fetches, dict):
        for value in fetches.values():
            yield from _flatten(value)
    elif isinstance(fetches, (list, tuple)):
        for value in fetches:
            yield from _flatten(value)
    elif fetches is not None:
        yield fetches


def ancestors(ops: Iterable[tf.Operation]) -> set[tf.Operation]:
    seen: set[tf.Operation] = set()
    pending = list(ops)
    while pending:
        op = pending.pop()
        if op in seen:
            continue
        seen.add(op)
        pending.extend(tensor.op for tensor in op.inputs)
        pending.extend(op.control_inputs)
    return seen


def is_training_step(ancestry: set[tf.Operation]) -> bool:
    return any(op.type.startswith(_TRAINING_KERNELS) for op in ancestry)


def variable_name(tensor: tf.Tensor) -> str | None:
    """The variable a tensor reads, through identities, switches and reads."""
    op = tensor.op
    for _ in range(16):
        if op.type in _VARIABLE_OPS:
            return op.name
        if op.type not in _PASS_THROUGH or not op.inputs:
            return None
        op = op.inputs[0].op
    return None


def written_variables(ancestry: set[tf.Operation]) -> set[str]:
    """The variables the optimizer kernels of a training step write."""
    names = set()
    for op in ancestry:
        if op.type.startswith(_TRAINING_KERNELS) and op.inputs:
            name = variable_name(op.inputs[0])
            if name is not None:
                names.add(name)
    return names


def fetchable(tensor: tf.Tensor) -> tf.Tensor:
    """The tensor a cond's inner tensor is a copy of: tensors inside a v1 cond cannot be fetched."""
    graph = tensor.graph
    while not graph.is_fetchable(tensor) and tensor.op.type in _PASS_THROUGH and tensor.op.inputs:
        tensor = tensor.op.inputs[0]
    return tensor


@dataclass
class BatchNormOp:
    op: tf.Operation
    layer: str  # the variable scope of the layer's parameters: several ops (towers, cond branches) share one
    is_training: bool
    pred: tf.Tensor | None  # the v1 cond predicate that selects this op, if any
    branch: int | None  # 1: the op runs when the predicate is true

    def runs(self, predicates: dict[tf.Tensor, bool]) -> bool | None:
        if self.pred is None:
            return True
        value = predicates.get(self.pred)
        return None if value is None else value == bool(self.branch)


def batch_norm_ops(graph: tf.Graph) -> list[BatchNormOp]:
    found = []
    for op in graph.get_operations():
        if op.type in _BATCH_NORM_OPS:
            pred, branch = _cond_of(op)
            found.append(BatchNormOp(op, _layer_of(op), bool(op.get_attr("is_training")), pred, branch))
        elif op.type == "Rsqrt" and op.name.endswith("batchnorm/Rsqrt"):
            found += _unfused(op)
    return found


def _cond_of(op: tf.Operation) -> tuple[tf.Tensor | None, int | None]:
    """The predicate and branch of the v1 cond an op is built in, if any."""
    context = op._control_flow_context
    while context is not None:
        if isinstance(context, CondContext):
            return context.pred, context.branch
        context = context.outer_context
    return None, None


def _unfused(rsqrt: tf.Operation) -> list[BatchNormOp]:
    """Batch norm on 2-D input is not fused: `Rsqrt(variance + epsilon)` normalizes with the batch's variance
    (training) or the moving one (inference), or with either through a cond on the mode."""
    variance = rsqrt.inputs[0].op.inputs[0]  # batchnorm/add = variance + epsilon
    branches = [variance.op.inputs[0], variance.op.inputs[1]] if variance.op.type == "Merge" else [variance]
    found = []
    for tensor in branches:
        moving = _moving_variance(tensor)
        pred, branch = _cond_of(tensor.op) if len(branches) > 1 else (None, None)
        layer = moving.rpartition("/")[0] if moving else rsqrt.name.partition("/batchnorm/")[0]
        found.append(BatchNormOp(rsqrt, layer, moving is None, pred, branch))
    return found


def _moving_variance(tensor: tf.Tensor) -> str | None:
    """The moving-variance variable a variance tensor reads, or None when it is the batch's own."""
    pending: list[tf.Operation] = [tensor.op]
    seen: set[tf.Operation] = set()
    while pending and len(seen) < 32:
        op = pending.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in _VARIABLE_OPS:
            return op.name if op.name.endswith("moving_variance") else None
        if "/moments/" in op.name:
            return None
        pending.extend(source.op for source in op.inputs)
    return None


def _layer_of(op: tf.Operation) -> str:
    for index in (2, 1, 3):  # beta, gamma (slim has no gamma by default), moving mean
        if len(op.inputs) > index:
            name = variable_name(op.inputs[index])
            if name is not None:
                return name.rpartition("/")[0]
    return op.name.rpartition("/")[0]


def twin_name(name: str) -> str:
    """`net_1/conv2d_3/kernel` and `net/conv2d/kernel` are copies of one variable built twice."""
    return "/".join(_COPY_SUFFIX.sub("", part) for part in name.split("/"))


class TrainingStep:
    """The graph around the script's first training step, measured before and after the step runs."""

    def __init__(self, session: tf.Session, fetches: list[tf.Operation], feed: Any, code: UserCode, run: Run):
        self._session = session
        self._graph = session.graph
        self._feed = feed
        self._code = code
        self._run = run
        self.fetches = fetches
        self.ancestry = ancestors(fetches)
        self.written = written_variables(self.ancestry)
        self.variables = {v.op.name: v for v in self._graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}
        self.trainable = {v.op.name for v in self._graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)}
        self.batch_norm = batch_norm_ops(self._graph)
        in_step = [op for op in self.batch_norm if op.op in self.ancestry]
        self.predicates = predicate_values(run, session, in_step, feed)
        # The batch-norm ops the step runs (a cond runs one of its two).
        self.active = {op.op for op in in_step if op.runs(self.predicates)}
        self._before = self._values()
        self.change: dict[str, float] = {}

    def _values(self) -> dict[str, np.ndarray]:
        names = list(self.variables)
        values = self._run(self._session, [self.variables[name] for name in names])
        return dict(zip(names, values, strict=True))

    def measure_after(self) -> None:
        after = self._values()
        self.change = {
            name: float(np.max(np.abs(np.asarray(after[name], dtype=np.float64) - before))) if np.size(before) else 0.0
            for name, before in ((name, np.asarray(value, dtype=np.float64)) for name, value in self._before.items())
        }

    # -- what the step shows ---------------------------------------------------------------------------------

    def layers(self) -> dict[str, list[BatchNormOp]]:
        layers: dict[str, list[BatchNormOp]] = {}
        for op in self.batch_norm:
            layers.setdefault(op.layer, []).append(op)
        return layers

    def _statistics(self, layer: str) -> list[str]:
        return [name for name in self.variables if name.startswith(layer + "/moving_")]

    def _parameters(self, layer: str) -> list[str]:
        return [name for name in self.trainable if name.rpartition("/")[0] == layer]

    def observations(self) -> list[Observation]:
        return [*self._update_ops(), *self._modes(), *self._towers()]

    def _update_ops(self) -> list[Observation]:
        """BN101: layers the step trains in training mode whose moving statistics do not move."""
        collection = self._graph.get_collection(tf.GraphKeys.UPDATE_OPS)
        run_by_step = [op for op in collection if getattr(op, "op", op) in self.ancestry]
        stuck: list[tuple[str, float]] = []
        moved: list[tuple[str, float]] = []
        updated: list[str] = []  # every layer whose statistics the step moves, trained by it or not
        idle: list[str] = []  # layers the step runs in training mode, trains not, and whose statistics it leaves
        for layer, ops in self.layers().items():
            active = [op for op in ops if op.op in self.ancestry and op.runs(self.predicates) and op.is_training]
            statistics = self._statistics(layer)
            if not active or not statistics:
                continue
            change = max(self.change.get(name, 0.0) for name in statistics)
            if change > 0.0:
                updated.append(layer)
            if any(name in self.written for name in self._parameters(layer)):
                (stuck if change == 0.0 else moved).append((layer, change))
            elif change == 0.0:
                idle.append(layer)
        frames = _first_frames(self._code, self.fetches)
        evidence: dict[str, float | int | str] = {
            "update_ops": len(collection),
            "run_by_step": len(run_by_step),
            # Which layers, so that another training op that updates them can settle it (GraphWatcher.finish).
            "stuck": ",".join(layer for layer, _ in stuck),
            "moved": ",".join(updated),
        }
        if stuck:
            return [
                Observation(
                    UPDATES_NOT_RUN.code,
                    True,
                    f"the training step runs {len(run_by_step)} of {len(collection)} UPDATE_OPS: the moving"
                    f" statistics of {len(stuck)} batch-norm layer(s) it trains ({stuck[0][0]}, ...) stay unchanged"
                    " after a step (largest change 0.0)",
                    frames,
                    report_at=frames[-1] if frames else None,
                    evidence={**evidence, "stuck_layers": len(stuck)},
                )
            ]
        if moved:
            largest = max(change for _, change in moved)
            return [
                Observation(
                    UPDATES_NOT_RUN.code,
                    False,
                    f"the training step runs {len(run_by_step)} of {len(collection)} UPDATE_OPS and the moving"
                    f" statistics move (largest change {largest:.3g} after one step)",
                    frames,
                    evidence={**evidence, "largest_change": largest},
                )
            ]
        if idle and not updated:
            # A step that trains no batch norm (a GAN's discriminator step through the generator) runs these in
            # training mode without their update ops: a mistake unless another training op updates them, which
            # GraphWatcher.finish settles.
            return [
                Observation(
                    UPDATES_NOT_RUN.code,
                    True,
                    f"the training step runs {len(run_by_step)} of {len(collection)} UPDATE_OPS: it runs"
                    f" {len(idle)} batch-norm layer(s) in training mode ({idle[0]}, ...) and their moving statistics"
                    " stay unchanged after a step (largest change 0.0)",
                    frames,
                    report_at=frames[-1] if frames else None,
                    evidence={**evidence, "stuck": ",".join(idle), "stuck_layers": len(idle)},
                )
            ]
        if updated:  # a step that trains no batch norm but runs the update ops of layers another step trains
            return [
                Observation(
                    UPDATES_NOT_RUN.code,
                    False,
                    f"the training step runs {len(run_by_step)} of {len(collection)} UPDATE_OPS and updates the"
                    f" moving statistics of {len(updated)} batch-norm layer(s) another training op trains",
                    frames,
                    evidence=evidence,
                )
            ]
        return []

    def _modes(self) -> list[Observation]:
        """BN102: a layer whose gamma/beta the step trains while it runs in inference mode in that step."""
        observations = []
        for layer, ops in self.layers().items():
            active = [op for op in ops if op.op in self.ancestry and op.runs(self.predicates)]
            if not active or not any(name in self.written for name in self._parameters(layer)):
                continue
            frames = self._code.frames(active[0].op.traceback)
            if all(not op.is_training for op in active):
                change = max((self.change.get(name, 0.0) for name in self._statistics(layer)), default=0.0)
                observations.append(
                    Observation(
                        WRONG_MODE.code,
                        True,
                        f"batch norm {layer} runs in inference mode in the training step while the step trains its"
                        f" gamma/beta: it never normalizes with batch statistics, and its moving statistics never"
                        f" learn (largest change {change:.3g})",
                        frames,
                        report_at=frames[-1] if frames else None,
                        evidence={"layer": layer},
                    )
                )
            else:
                observations.append(
                    Observation(
                        WRONG_MODE.code, False, f"batch norm {layer} runs in training mode in the training step", frames
                    )
                )
        return observations

    def _towers(self) -> list[Observation]:
        """BN103: trainable variables the step never writes while a same-shaped twin of each is written."""
        written_twins: dict[str, list[str]] = {}
        for name in sorted(self.written):
            written_twins.setdefault(twin_name(name), []).append(name)
        towers: dict[Frame | None, list[tuple[str, str, tuple[Frame, ...]]]] = {}
        for name in sorted(self.trainable - self.written):
            shape = self.variables[name].shape
            twin = next((w for w in written_twins.get(twin_name(name), []) if self.variables[w].shape == shape), None)
            if twin is None:
                continue
            frames = self._code.frames(self.variables[name].op.traceback)
            call = _tower_call(frames, self._code.frames(self.variables[twin].op.traceback))
            towers.setdefault(call, []).append((name, twin, frames))
        observations = []
        for call, members in towers.items():
            change = max(self.change.get(name, 0.0) for name, _, _ in members)
            observations.append(
                Observation(
                    TOWER_NOT_SHARED.code,
                    True,
                    f"{len(members)} trainable variables of this tower ({members[0][0]}, ...) never change in a"
                    f" training step (largest change {change:.3g}) while their twins ({members[0][1]}, ...) are"
                    " trained: the tower runs its initial weights",
                    tuple(dict.fromkeys(frame for _, _, frames in members for frame in frames)),
                    report_at=call,
                    evidence={"untrained": len(members)},
                )
            )
        if not observations and self.written:
            observations.append(
                Observation(
                    TOWER_NOT_SHARED.code, False, "every trainable variable with a twin is trained by the step", ()
                )
            )
        return observations


def predicate_values(run: Run, session: tf.Session, ops: Sequence[BatchNormOp], feed: Any) -> dict[tf.Tensor, bool]:
    """The value each cond predicate selecting these ops takes under a run's feed: which branch runs."""
    preds = list({op.pred for op in ops if op.pred is not None})
    if not preds:
        return {}
    try:
        values = run(session, [fetchable(pred) for pred in preds], feed_dict=feed)
    except (tf.errors.OpError, TypeError, ValueError):
        return {}
    return {pred: bool(value) for pred, value in zip(preds, values, strict=True)}


def _tower_call(frames: tuple[Frame, ...], twin: tuple[Frame, ...]) -> Frame | None:
    """The call that built this tower: the first frame where its call chain and its trained twin's part."""
    for mine, theirs in zip(frames, twin, strict=False):  # towers may nest to different depths
        if mine != theirs:
            return mine
    return frames[-2] if len(frames) > 1 else (frames[-1] if frames else None)


def _first_frames(code: UserCode, ops: Sequence[tf.Operation]) -> tuple[Frame, ...]:
    for op in ops:
        frames = code.frames(op.traceback)
        if frames:
            return frames
    return ()


class Evaluation:
    """A run of the script's loop that is not a training step: how its batch norm normalizes what it is fed."""

    def __init__(
        self, session: tf.Session, fetches: list[tf.Operation], feed: Any, code: UserCode, run: Run, site: Frame | None
    ):
        self._session = session
        self._feed = feed
        self._code = code
        self._run = run
        self._site = site  # the user's `sess.run(...)` line
        ancestry = ancestors(fetches)
        ops = [op for op in batch_norm_ops(session.graph) if op.op in ancestry]
        predicates = predicate_values(run, session, ops, feed)
        self._active = [op for op in ops if op.runs(predicates)]

    def training_mode_ops(self) -> list[BatchNormOp]:
        return [op for op in self._active if op.is_training]

    def leaves(self, step: TrainingStep) -> bool:
        """Whether the run goes through batch-norm ops the training step does not run (another tower, the other
        branch of the mode flag): an evaluation, not the training path run again."""
        return any(op.op not in step.active for op in self._active)

    def is_evaluation_of(self, step: TrainingStep) -> bool:
        """Whether the run evaluates the model: it normalizes with moving statistics, through batch-norm ops the
        training step does not run (another tower, the other branch of the mode flag). Re-running the training
        path (the training loss on training data) is not an evaluation."""
        return any(not op.is_training and op.op not in step.active for op in self._active)

    def variance_ratios(self) -> list[Observation]:
        """BN104: inference-mode batch norm fed a batch whose variance is far from the moving variance."""
        # The fused kernel holds the layer's input and moving variance (inputs 0 and 4); batch norm on 2-D input is
        # built from smaller ops (`_unfused`), whose input this measurement does not read.
        inference = [op for op in self._active if not op.is_training and op.op.type in _BATCH_NORM_OPS]
        if not inference:
            return []
        tensors = []
        for op in inference:
            tensors += [fetchable(op.op.inputs[0]), fetchable(op.op.inputs[4])]
        try:
            values = self._run(self._session, tensors, feed_dict=self._feed)
        except (tf.errors.OpError, TypeError, ValueError):
            return []
        worst: tuple[float, BatchNormOp] | None = None
        for index, op in enumerate(inference):
            batch, moving = np.asarray(values[2 * index]), np.asarray(values[2 * index + 1])
            channels = -1 if op.op.get_attr("data_format") in (b"NHWC", "NHWC") else 1
            axes = tuple(axis for axis in range(batch.ndim) if axis != channels % batch.ndim)
            ratio = float(np.max(np.var(batch, axis=axes) / (moving + 1e-3)))
            if worst is None or ratio > worst[0]:
                worst = (ratio, op)
        assert worst is not None
        ratio, op = worst
        frames = self._code.frames(op.op.traceback)
        if ratio < VARIANCE_RATIO_LIMIT:
            return [
                Observation(
                    EVALUATION_MISMATCH.code,
                    False,
                    f"evaluation batch variance is at most {ratio:.2f}x the moving variance",
                    frames,
                )
            ]
        return [
            Observation(
                EVALUATION_MISMATCH.code,
                True,
                f"this evaluation normalizes with moving statistics that are not the data's: batch norm {op.layer}"
                f" sees a batch variance {ratio:.0f}x its moving variance",
                frames,
                report_at=self._site or (frames[-1] if frames else None),
                evidence={"variance_ratio": ratio, "layer": op.layer},
            )
        ]

    def batch_statistics(self, op: BatchNormOp) -> list[Observation]:
        """A run outside the training step that normalizes with batch statistics: an example's output depends on
        the rest of its batch."""
        change = self._batch_dependence(op.op.outputs[0])
        detail = f"; changing the rest of the batch moves an example's output by {change:.3g}" if change else ""
        return [
            Observation(
                WRONG_MODE.code,
                True,
                f"a run that is not the training step normalizes with batch statistics "
                f"in batch norm {op.layer}{detail}",
                self._code.frames(op.op.traceback),
                confirms_only=True,
                evidence={"batch_dependence": change or 0.0},
            )
        ]

    def _batch_dependence(self, output: tf.Tensor) -> float | None:
        if not isinstance(self._feed, dict) or not self._session.graph.is_fetchable(output):
            return None
        changed = dict(self._feed)
        moved = False
        for key, value in self._feed.items():
            array = np.asarray(value)
            if array.ndim >= 2 and array.shape[0] >= 4 and np.issubdtype(array.dtype, np.floating):
                half = array.shape[0] // 2
                array = array.copy()
                array[half:] = array[half:] * 2.0 + 1.0
                changed[key] = array
                moved = True
        if not moved:
            return None
        try:
            before, after = (self._run(self._session, output, feed_dict=feed) for feed in (self._feed, changed))
        except (tf.errors.OpError, TypeError, ValueError):
            return None
        return float(np.max(np.abs(np.asarray(before)[0] - np.asarray(after)[0])))


def reached_lines(graph: tf.Graph, code: UserCode) -> set[Frame]:
    lines: set[Frame] = set()
    for op in graph.get_operations():
        lines.update(code.frames(op.traceback))
    return lines
