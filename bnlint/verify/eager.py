"""Watching a TF2 / Keras script: each batch-norm layer call with the `training` value it got, and the
optimizer's steps.

A `tf.function` runs eagerly for its first calls once training has begun (_EAGER_CALLS), so that each batch-norm
call is seen with its data and the user's line (a traced call has neither: AutoGraph runs a generated copy of the
code); after that it runs compiled, as in the script's own run, and only the optimizers' counters and the layers'
variables are read. Forcing every call eager would cost up to twice the script's own time (docs/verify-real.md).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from bnlint.verify.checks import WRONG_MODE
from bnlint.verify.failures import guarded
from bnlint.verify.observations import Frame, Measurements, Observation, Status
from bnlint.verify.stopping import VerifyDone
from bnlint.verify.usercode import UserCode

# tf.keras is tf_keras under TF_USE_LEGACY_KERAS=1; `import keras` is Keras 3. Both are watched.
_KERAS = ("tf_keras", "keras")
# How often a long run hands over what it has measured.
_PROGRESS_SECONDS = 5.0
# The calls of each tf.function run eagerly once training has begun: a training step's first calls show how its
# batch-norm layers are called; an evaluation's, what it does to them. The rest run compiled.
_EAGER_CALLS = 2


# A layer call whose `call` was not reached (it failed first): the mode Keras resolved is unknown.
_UNSEEN = object()


@dataclass
class _Call:
    layer: Any
    training: object  # what the caller passed to the layer: True, False, None, or a tensor
    frames: tuple[Frame, ...]
    inputs: Any
    during_step: bool
    after_first_step: bool
    phase: object = None  # Keras' learning phase when `training` was left out (1: training mode)
    phase_set_at: tuple[Frame, ...] = ()  # the user's `set_learning_phase` / `learning_phase_scope` that set it
    # What Keras resolved and handed the layer's `call` (the caller's value, the outer model's mode, or the
    # call's own default): the mode the layer ran in. _UNSEEN: `call` was not reached.
    resolved: object = _UNSEEN
    moved: float | None = None  # how far this call moved the moving statistics (measured outside training steps)

    def runs_training(self) -> bool | None:
        """Whether the layer normalized with the batch's statistics; None where the mode is a symbolic tensor."""
        mode = self.training if self.resolved is _UNSEEN else self.resolved
        if mode is None:
            # Keras 2 reads the learning phase (0 unless set); Keras 3 has none and runs inference.
            mode = self.phase if self.phase is not None else False
        if isinstance(mode, tf.Tensor):
            return bool(mode.numpy()) if _concrete(mode) else None
        return bool(mode) if isinstance(mode, (bool, int, np.bool_, np.integer)) else None

    def evaluation(self) -> bool:
        """A call on data after training began and outside any training step: an evaluation."""
        return not self.during_step and self.after_first_step and _concrete(self.inputs) and bool(self.frames)


@dataclass(frozen=True)
class _WrongMode:
    """One layer run in the wrong mode, before the layers of one model call are merged (_at_the_shared_call)."""

    kind: str  # a key of _WRONG_MODES: what the layer runs
    layer: str
    frames: tuple[Frame, ...]
    evidence: dict[str, Any]
    set_at: tuple[Frame, ...] = ()
    confirms_only: bool = False


# What a wrong mode is, after "batch norm NAME runs" / "N batch-norm layers (NAME, ...) run"; formatted with the
# evidence (the largest value over the merged layers).
_WRONG_MODES = {
    "inference_in_step": "in inference mode in the training step while the step trains its gamma/beta: it never"
    " normalizes with batch statistics, and its moving statistics never learn (largest change 0 over {steps} steps)",
    "phase_in_evaluation": "in training mode outside any training step: Keras' learning phase is 1"
    " (set_learning_phase), so this evaluation normalizes with batch statistics and moves the moving statistics"
    " toward its data (by up to {moved:.3g})",
    "training_in_evaluation": "in training mode in an evaluation, outside any training step: its outputs depend on"
    " the rest of the batch (by up to {batch_dependence:.3g}) and it moves the moving statistics toward the"
    " evaluation's data (by up to {moved:.3g})",
}


@dataclass
class _Layer:
    layer: Any
    calls: list[_Call] = field(default_factory=list)


class EagerWatcher:
    def __init__(self, steps: int, root: Path, measure: bool = True) -> None:
        self._steps = max(1, steps)
        self._measure = measure  # off: only count the training steps (the script's own time)
        self._code = UserCode(root)
        self._layers: dict[int, _Layer] = {}
        self._steps_taken = 0
        self._tapes = 0  # GradientTapes open now: a layer called inside one is part of a training step
        # Each optimizer's step counter as last read: steps inside a compiled function are counted from it.
        self._iterations: dict[int, tuple[Any, int]] = {}
        self._eager_calls: dict[int, int] = {}  # per tf.function: its calls run eagerly since training began
        self._steppers: set[int] = set()  # the tf.functions that ran a training step
        self._phase_set_at: tuple[Frame, ...] = ()  # the user's last `set_learning_phase` / `learning_phase_scope`
        self._before: dict[int, list[np.ndarray]] = {}
        self._parameters_before: dict[int, list[np.ndarray]] = {}
        self.internal_errors: list[str] = []  # bnlint's own failures: that measurement is skipped, the run goes on
        # Called with what is measured so far, so that a run ended by its timeout keeps it (set by the child).
        self.progress: Callable[[], None] = lambda: None
        self._last_progress = 0.0

    def measured(self) -> bool:
        return self._steps_taken > 0

    def install(self) -> None:
        self._watch_functions()
        for name in _KERAS:
            try:
                keras = importlib.import_module(name)
            except ImportError:
                continue
            if self._measure:
                self._watch_layers(keras.layers.BatchNormalization, getattr(keras.backend, "learning_phase", None))
                self._watch_phase_setters(name)
            self._watch_steps(keras.optimizers.Optimizer)
        if self._measure:
            self._watch_tapes(tf.GradientTape)

    def _watch_functions(self) -> None:
        """Each `tf.function` call: eager or compiled (_EAGER_CALLS; the timing run, `measure` off, keeps every
        call compiled), the steps a compiled call took, and the stop after the last watched step. A function called
        while a graph is being built (a `Dataset.map` function) is traced as written: run eagerly there, it would
        lose AutoGraph and fail on `if tensor > 0.5:`."""
        from tensorflow.python.eager.polymorphic_function.polymorphic_function import Function

        watcher, original = self, Function.__call__

        def call(function: Any, *args: Any, **kwargs: Any) -> Any:
            if not tf.executing_eagerly():
                return _run(original, False, function, *args, **kwargs)
            key = id(function)
            if key in watcher._steppers and watcher._steps_taken >= watcher._steps:
                raise VerifyDone  # the evaluations after the last watched step have run
            # Eager where the user's code asks for it (run_functions_eagerly, or an outer function run eagerly).
            watched = watcher._measure and watcher._eager_calls.get(key, 0) < _EAGER_CALLS
            eager = watched or tf.config.functions_run_eagerly()
            if watched and watcher._steps_taken:
                watcher._eager_calls[key] = watcher._eager_calls.get(key, 0) + 1
            before = watcher._steps_taken
            result = _run(original, eager, function, *args, **kwargs)
            watcher._count_steps()
            if watcher._steps_taken > before:
                watcher._steppers.add(key)
                watcher._hand_over()
            return result

        Function.__call__ = call

    def _count_steps(self) -> None:
        """The steps compiled functions took since the last count, from each optimizer's `iterations` (an eager
        step counts itself, in apply_gradients)."""
        for key, (optimizer, seen) in list(self._iterations.items()):
            now = _iterations(optimizer)
            self._steps_taken += now - seen
            self._iterations[key] = (optimizer, now)

    def _hand_over(self) -> None:
        """After the first step and every few seconds: what the steps so far show, in case a timeout ends the run."""
        if self._measure and (self._steps_taken == 1 or time.monotonic() - self._last_progress >= _PROGRESS_SECONDS):
            self._last_progress = time.monotonic()
            guarded(self.internal_errors, "writing what is measured so far", self.progress, None)

    def _watch_tapes(self, cls: Any) -> None:
        watcher, enter, leave = self, cls.__enter__, cls.__exit__

        def entered(tape: Any) -> Any:
            watcher._tapes += 1
            return enter(tape)

        def left(tape: Any, *args: Any) -> Any:
            watcher._tapes -= 1
            return leave(tape, *args)

        cls.__enter__, cls.__exit__ = entered, left

    def _watch_layers(self, cls: Any, learning_phase: Callable[[], object] | None) -> None:
        watcher, original, original_call = self, cls.__call__, cls.call

        def call(layer: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
            if not tf.executing_eagerly():
                # Traced into a compiled function: its eager calls showed this call with its data.
                return original(layer, inputs, *args, **kwargs)
            training = kwargs.get("training", args[0] if args else None)
            frames = watcher._code.frames(traceback.extract_stack())
            record = watcher._layers.setdefault(id(layer), _Layer(layer))
            phase = learning_phase() if training is None and learning_phase is not None else None
            during, after = watcher._tapes > 0, watcher._steps_taken > 0
            setter = watcher._phase_set_at if phase is not None else ()
            entry = _Call(layer, training, frames, inputs, during, after, phase, setter)
            record.calls.append(entry)
            if during or not after or not _concrete(inputs):
                return original(layer, inputs, *args, **kwargs)
            # An evaluation: whether it moves the moving statistics is measured around this call alone.
            before = _moving_statistics(layer)
            result = original(layer, inputs, *args, **kwargs)
            entry.moved = _largest_change(before, _moving_statistics(layer))
            return result

        # Keras 3 reads `call`'s signature to decide whether to hand it `training`: the wrapper keeps it.
        @functools.wraps(original_call)
        def resolved(layer: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
            # Keras calls `call` with the mode it resolved for the layer call just recorded.
            record = watcher._layers.get(id(layer))
            if record is not None and record.calls:
                record.calls[-1].resolved = kwargs.get("training", args[0] if args else None)
            return original_call(layer, inputs, *args, **kwargs)

        cls.__call__, cls.call = call, resolved

    def _watch_phase_setters(self, package: str) -> None:
        """Where the user's code sets Keras 2's learning phase: a layer run in the phase's mode is that line's
        doing (BN009). Each module that holds the setters gets the watched one (`tf.keras.backend` is another
        module object than `tf_keras.src.backend`)."""
        watcher = self

        def watched(original: Callable[..., Any]) -> Callable[..., Any]:
            def setter(*args: Any, **kwargs: Any) -> Any:
                frames = watcher._code.frames(traceback.extract_stack())
                if frames:
                    watcher._phase_set_at = frames
                return original(*args, **kwargs)

            return setter

        modules = [module for key, module in list(sys.modules.items()) if key.split(".")[0] == package]
        for name in ("set_learning_phase", "learning_phase_scope"):
            replacements: dict[int, Callable[..., Any]] = {}  # one per function, whichever modules hold it
            for module in modules:
                original = getattr(module, name, None)
                if callable(original):
                    if id(original) not in replacements:
                        replacements[id(original)] = watched(original)
                    setattr(module, name, replacements[id(original)])

    def _watch_steps(self, cls: Any) -> None:
        watcher, original = self, cls.apply_gradients

        def apply_gradients(optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            if id(optimizer) not in watcher._iterations:
                with tf.init_scope():  # traced into a compiled function, the counter is read outside its graph
                    watcher._iterations[id(optimizer)] = (optimizer, _iterations(optimizer))
            if not tf.executing_eagerly():
                # Traced into a compiled function: this runs once, not per step; the function's calls are counted
                # from the optimizer's counter (_count_steps).
                return original(optimizer, *args, **kwargs)
            if watcher._steps_taken >= watcher._steps:
                raise VerifyDone  # the loop's evaluation after the last watched step has run
            if watcher._steps_taken == 0:
                watcher._before = watcher._statistics()
                watcher._parameters_before = watcher._parameters()
            else:
                watcher._hand_over()
            watcher._steps_taken += 1
            result = original(optimizer, *args, **kwargs)
            watcher._iterations[id(optimizer)] = (optimizer, _iterations(optimizer))
            return result

        cls.apply_gradients = apply_gradients

    def _statistics(self) -> dict[int, list[np.ndarray]]:
        statistics = {key: _moving_statistics(record.layer) for key, record in self._layers.items()}
        return {key: value for key, value in statistics.items() if value is not None}

    def _parameters(self) -> dict[int, list[np.ndarray]]:
        """Each layer's gamma and beta (those it has: `scale=False` or `center=False` drop one)."""
        pairs = {key: (_weight(record, "gamma"), _weight(record, "beta")) for key, record in self._layers.items()}
        return {key: [np.array(weight) for weight in pair if weight is not None] for key, pair in pairs.items()}

    # -- the report ------------------------------------------------------------------------------------------

    def finish(self, measurements: Measurements) -> None:
        measurements.training_steps = self._steps_taken
        if not self._steps_taken:
            if measurements.status is Status.MEASURED:
                measurements.status = Status.NO_TRAINING_STEP
            return
        calls = [call for record in self._layers.values() for call in record.calls]
        # A learning phase's setter is reached where a layer ran in the phase it set.
        measurements.reached = sorted({frame for call in calls for frame in call.frames + call.phase_set_at})
        errors = self.internal_errors
        after = guarded(errors, "reading the moving statistics after the steps", self._statistics, {})
        parameters = guarded(errors, "reading gamma and beta after the steps", self._parameters, {})
        observations = []
        wrong_modes: list[_WrongMode] = []
        for key, record in self._layers.items():
            change = _largest_change(self._before.get(key), after.get(key))
            trained = _largest_change(self._parameters_before.get(key), parameters.get(key))
            overridden = self._literal_overridden(record, change, trained)
            observations += overridden
            observations += self._fixed_modes(record, change, skip_symbolic=bool(overridden))
            wrong_modes += self._training_in_evaluation(record)
            wrong_modes += self._inference_in_step(record, change, trained)
        measurements.observations = observations + _at_the_shared_call(wrong_modes)
        measurements.internal_errors += errors

    def _fixed_modes(self, record: _Layer, change: float | None, skip_symbolic: bool) -> list[Observation]:
        """A layer called with a constant `training`. Built into a functional model (a symbolic call), the constant
        holds for every later call of the model (unless the steps override it: `skip_symbolic`,
        _literal_overridden): how far that mode's output is from the other one's says what it costs. Written at a
        call on data, it holds for that call only: `True` inside a training step and `False` outside one are the
        modes the run needs; the other way round, that call runs in the wrong mode."""
        observations = []
        seen: set[tuple[Frame, ...]] = set()
        # A functional model calls its layers on symbolic tensors (KerasTensor) once, where the code builds it:
        # that call's mode is measured on the data of the layer's last call that had any.
        data = next((call.inputs for call in reversed(record.calls) if _concrete(call.inputs)), None)
        for call in record.calls:
            if not isinstance(call.training, bool) or call.frames in seen or not call.frames:
                continue
            symbolic = not _concrete(call.inputs)
            if (symbolic and skip_symbolic) or (call.evaluation() and call.runs_training()):
                continue  # measured by _literal_overridden or _training_in_evaluation
            # Before the first step nothing is trained yet: a call then is set-up (statistics warmed up on purpose,
            # a model built), not an evaluation.
            setup = not call.during_step and not call.after_first_step
            if not symbolic and (call.training == call.during_step or setup):
                seen.add(call.frames)
                if setup:
                    where = "before any training step (no evaluation yet)"
                else:
                    where = "inside a training step" if call.during_step else "outside any training step"
                observations.append(
                    Observation(
                        WRONG_MODE.code,
                        False,
                        f"batch norm {record.layer.name} is called with training={call.training} here, {where}:"
                        " the mode this call needs",
                        call.frames,
                        evidence={"matches_mode": 1},
                    )
                )
                continue
            inputs = data if symbolic else call.inputs
            if inputs is None:
                continue
            seen.add(call.frames)
            difference = guarded(
                self.internal_errors,
                f"measuring the modes of batch norm {record.layer.name}",
                lambda: _mode_difference(record.layer, inputs),
                None,
            )
            if difference is None:
                continue
            observations.append(
                Observation(
                    WRONG_MODE.code,
                    True,
                    f"batch norm {record.layer.name} is called with training={call.training} here: on this batch its"
                    f" output differs from the other mode's by up to {difference:.3g}",
                    call.frames,
                    confirms_only=True,
                    evidence={"mode_difference": difference, "moving_statistics_change": change or 0.0},
                )
            )
        return observations

    def _literal_overridden(self, record: _Layer, change: float | None, trained: float | None) -> list[Observation]:
        """A layer built into a functional model with a constant `training` that the training steps do not keep:
        Keras 3 hands the outer call's mode to every layer of a functional model (`fit()` trains a layer built
        with `training=False`, BN008), so the constant decides nothing."""
        built = next(
            (call for call in record.calls if isinstance(call.training, bool) and not _concrete(call.inputs)), None
        )
        if built is None or not built.frames:
            return []
        concrete = [call for call in record.calls if _concrete(call.inputs)]
        # A subclass's `call` traced symbolically (Keras 3 builds a model so) passes its own argument: the line is
        # run on data again, and there the mode is the one it passes, not a constant of a graph.
        if any(call.frames[-1:] == built.frames[-1:] for call in concrete):
            return []
        if {call.runs_training() for call in concrete if call.during_step} != {not built.training}:
            return []
        moved = change or 0.0
        message = (
            f"batch norm {record.layer.name} is built with training={built.training} here, but the training steps"
            f" run it with training={not built.training} (Keras 3 gives every layer of a functional model the outer"
            f" call's mode): over {self._steps_taken} steps its moving statistics moved by up to {moved:.3g} and its"
            f" gamma/beta by up to {trained or 0.0:.3g}"
        )
        evidence = {"moving_statistics_change": moved, "gamma_beta_change": trained or 0.0}
        frames = built.frames
        return [Observation(WRONG_MODE.code, True, message, frames, report_at=frames[-1], evidence=evidence)]

    def _training_in_evaluation(self, record: _Layer) -> list[_WrongMode]:
        """A layer run in training mode by an evaluation (a call on data after training began, outside any training
        step): a constant at the layer (BN001), the model call's `training=True` or its `call`'s default (BN010),
        or Keras 2's learning phase 1 (BN009). It normalizes with the batch's statistics, so each output depends on
        the rest of the batch, and it moves the moving statistics toward the evaluation's data."""
        calls = [call for call in record.calls if call.evaluation() and call.runs_training()]
        if not calls:
            return []
        first = calls[0]
        moved = max((call.moved or 0.0) for call in calls)
        if first.training is None and first.phase == 1:
            # The learning phase was set for the whole program: a finding of its own even where no line says so.
            evidence = {"learning_phase": 1, "moved": moved}
            return [_WrongMode("phase_in_evaluation", record.layer.name, first.frames, evidence, first.phase_set_at)]
        dependence = guarded(
            self.internal_errors,
            f"measuring how batch norm {record.layer.name} depends on the batch",
            lambda: _batch_dependence(record.layer, first.inputs),
            None,
        )
        if dependence is None:
            return []
        evidence = {"batch_dependence": dependence, "moved": moved}
        # `model(x, training=True)` in a function that evaluates may be a deliberate training-mode pass (a GAN's
        # samples): reported only where a static finding names it.
        return [_WrongMode("training_in_evaluation", record.layer.name, first.frames, evidence, confirms_only=True)]

    def _inference_in_step(self, record: _Layer, change: float | None, trained: float | None) -> list[_WrongMode]:
        """A layer called inside a training step (a GradientTape) whose moving statistics never move while the step
        trains its gamma/beta: it ran in inference mode (`model(x)` without `training=True`, Keras' default, or a
        learning phase set to 0)."""
        calls = [call for call in record.calls if call.during_step and call.frames]
        if change != 0.0 or not trained or not calls:
            return []
        evidence = {"moving_statistics_change": 0.0, "gamma_beta_change": trained, "steps": self._steps_taken}
        setter = calls[0].phase_set_at if calls[0].phase == 0 else ()
        return [_WrongMode("inference_in_step", record.layer.name, calls[0].frames, evidence, setter)]


def _at_the_shared_call(wrong: list[_WrongMode]) -> list[Observation]:
    """BN102 for the layers run in the wrong mode. The layers of one model, run in the wrong mode by one call of the
    model (`model(x)` in a step), each bring their own user frames: the model's call is the last frame they share.
    One finding there, per kind of mistake, not one per layer at lines of the model's own code."""
    grouped: dict[str, list[_WrongMode]] = {}
    for item in wrong:
        grouped.setdefault(item.kind, []).append(item)
    merged = []
    for kind, group in grouped.items():
        shared = _common_prefix([item.frames for item in group])
        if len(group) > 1 and shared:
            merged.append(_observation(kind, group, shared))
        else:
            merged += [_observation(kind, [item], item.frames) for item in group]
    return merged


def _observation(kind: str, layers: list[_WrongMode], frames: tuple[Frame, ...]) -> Observation:
    """One BN102 for layers run in the wrong mode the same way, with the largest of each number they measured."""
    evidence: dict[str, Any] = {key: max(item.evidence[key] for item in layers) for key in layers[0].evidence}
    what = _WRONG_MODES[kind].format(**evidence)
    first = layers[0]
    if len(layers) == 1:
        subject = f"batch norm {first.layer} runs"
    else:
        subject = f"{len(layers)} batch-norm layers ({first.layer}, ...) run"
        evidence["layers"] = len(layers)
    return Observation(
        WRONG_MODE.code,
        True,
        f"{subject} {what}",
        frames,
        report_at=frames[-1],
        confirms_only=first.confirms_only,
        evidence=evidence,
        set_at=tuple(dict.fromkeys(frame for item in layers for frame in item.set_at)),
    )


def _common_prefix(stacks: list[tuple[Frame, ...]]) -> tuple[Frame, ...]:
    shared: list[Frame] = []
    for frames in zip(*stacks):
        if any(frame != frames[0] for frame in frames):
            break
        shared.append(frames[0])
    return tuple(shared)


def _run(original: Callable[..., Any], eagerly: bool, function: Any, *args: Any, **kwargs: Any) -> Any:
    """A tf.function's call, eagerly or compiled, leaving TensorFlow's setting as it was."""
    before = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(eagerly)
    try:
        return original(function, *args, **kwargs)
    finally:
        tf.config.run_functions_eagerly(before)


def _iterations(optimizer: Any) -> int:
    return int(optimizer.iterations.numpy())


def _weight(record: _Layer, name: str) -> Any:
    return getattr(record.layer, name, None)


def _moving_statistics(layer: Any) -> list[np.ndarray] | None:
    if not hasattr(layer, "moving_mean") or not getattr(layer, "built", True):
        return None
    return [np.array(layer.moving_mean), np.array(layer.moving_variance)]


def _mode_difference(layer: Any, inputs: Any) -> float:
    """Outputs in training and inference mode on one batch."""
    with _statistics_kept(layer):
        training = np.asarray(layer(inputs, training=True))
        inference = np.asarray(layer(inputs, training=False))
    return float(np.max(np.abs(training - inference)))


def _batch_dependence(layer: Any, inputs: Any) -> float | None:
    """How far the layer's training-mode outputs for the first half of a batch move when the rest of the batch is
    left out: zero for a per-example computation (inference mode). None for a batch of one."""
    shape = tuple(inputs.shape)
    half = int(shape[0]) // 2 if shape and shape[0] is not None else 0
    if half < 1:
        return None
    with _statistics_kept(layer):
        whole = np.asarray(layer(inputs, training=True))[:half]
        alone = np.asarray(layer(inputs[:half], training=True))
    return float(np.max(np.abs(whole - alone)))


@contextlib.contextmanager
def _statistics_kept(layer: Any) -> Iterator[None]:
    """Measuring a layer in training mode moves its moving statistics: they are put back afterwards."""
    saved = _moving_statistics(layer)
    try:
        yield
    finally:
        if saved is not None:
            layer.moving_mean.assign(saved[0])
            layer.moving_variance.assign(saved[1])


def _concrete(inputs: Any) -> bool:
    """Data a layer can be run on again: an eager tensor or an array, not a symbolic Keras tensor."""
    return isinstance(inputs, (np.ndarray, tf.Tensor)) and not tf.is_symbolic_tensor(inputs)


def _largest_change(before: list[np.ndarray] | None, after: list[np.ndarray] | None) -> float | None:
    if before is None or after is None:
        return None
    return float(max(np.max(np.abs(a - b)) for a, b in zip(after, before, strict=True)))
