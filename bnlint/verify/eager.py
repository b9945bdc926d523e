"""Watching a TF2 / Keras script: each batch-norm layer call with the `training` value it got, and the
optimizer's steps. Functions run eagerly while verifying, so each call is seen with the user's line.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
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


@dataclass
class _Call:
    layer: Any
    training: object  # what the caller passed: True, False, None, or a tensor
    frames: tuple[Frame, ...]
    inputs: Any
    during_step: bool
    after_first_step: bool
    phase: object = None  # Keras' learning phase when `training` was left out (1: training mode)


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
        self._optimizers: list[Any] = []  # optimizers whose steps run inside compiled functions
        self._before: dict[int, list[np.ndarray]] = {}
        self._parameters_before: dict[int, list[np.ndarray]] = {}
        self.internal_errors: list[str] = []  # bnlint's own failures: that measurement is skipped, the run goes on
        # Called with what is measured so far, so that a run ended by its timeout keeps it (set by the child).
        self.progress: Callable[[], None] = lambda: None
        self._last_progress = 0.0

    def measured(self) -> bool:
        return self._steps_taken > 0

    def install(self) -> None:
        if self._measure:
            # Python runs on every step, so each step is counted and each batch-norm call seen with its data.
            tf.config.run_functions_eagerly(True)
            self._trace_inside_graphs()
        for name in _KERAS:
            try:
                keras = importlib.import_module(name)
            except ImportError:
                continue
            if self._measure:
                self._watch_layers(keras.layers.BatchNormalization, getattr(keras.backend, "learning_phase", None))
            self._watch_steps(keras.optimizers.Optimizer)
        if self._measure:
            self._watch_tapes(tf.GradientTape)
        else:
            self._count_compiled_steps()

    def _count_compiled_steps(self) -> None:
        """The timing run keeps `tf.function`s compiled: a step inside one is counted by its optimizer's
        `iterations` after each call, and the run is stopped at the same step count as the measured run."""
        from tensorflow.python.eager.polymorphic_function.polymorphic_function import Function

        watcher, original = self, Function.__call__

        def call(function: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(function, *args, **kwargs)
            if watcher._optimizers and tf.executing_eagerly():
                watcher._steps_taken = max(int(optimizer.iterations.numpy()) for optimizer in watcher._optimizers)
                if watcher._steps_taken >= watcher._steps:
                    raise VerifyDone
            return result

        Function.__call__ = call

    @staticmethod
    def _trace_inside_graphs() -> None:
        """A `tf.function` called while a graph is being built (a `Dataset.map` function) is traced as written:
        run eagerly there, it would lose AutoGraph and fail on `if tensor > 0.5:`."""
        from tensorflow.python.eager.polymorphic_function.polymorphic_function import Function

        original = Function.__call__

        def call(function: Any, *args: Any, **kwargs: Any) -> Any:
            if tf.executing_eagerly():
                return original(function, *args, **kwargs)
            tf.config.run_functions_eagerly(False)
            try:
                return original(function, *args, **kwargs)
            finally:
                tf.config.run_functions_eagerly(True)

        Function.__call__ = call

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
        watcher, original = self, cls.__call__

        def call(layer: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
            training = kwargs.get("training", args[0] if args else None)
            frames = watcher._code.frames(traceback.extract_stack())
            record = watcher._layers.setdefault(id(layer), _Layer(layer))
            phase = learning_phase() if training is None and learning_phase is not None else None
            during, after = watcher._tapes > 0, watcher._steps_taken > 0
            record.calls.append(_Call(layer, training, frames, inputs, during, after, phase))
            return original(layer, inputs, *args, **kwargs)

        cls.__call__ = call

    def _watch_steps(self, cls: Any) -> None:
        watcher, original = self, cls.apply_gradients

        def apply_gradients(optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            if not tf.executing_eagerly():
                # Traced into a `tf.function` (the timing run leaves them compiled): this runs once, not per step.
                # The steps are counted from the optimizer's own counter after each call (_count_compiled_steps).
                watcher._optimizers.append(optimizer)
                return original(optimizer, *args, **kwargs)
            if watcher._steps_taken >= watcher._steps:
                raise VerifyDone  # the loop's evaluation after the last watched step has run
            if watcher._steps_taken == 0:
                watcher._before = watcher._statistics()
                watcher._parameters_before = watcher._parameters()
            elif watcher._steps_taken == 1 or time.monotonic() - watcher._last_progress >= _PROGRESS_SECONDS:
                # The steps so far have run: hand over what they show, in case the run is ended by its timeout.
                watcher._last_progress = time.monotonic()
                guarded(watcher.internal_errors, "writing what is measured so far", watcher.progress, None)
            watcher._steps_taken += 1
            return original(optimizer, *args, **kwargs)

        cls.apply_gradients = apply_gradients

    def _statistics(self) -> dict[int, list[np.ndarray]]:
        return {
            key: [np.array(record.layer.moving_mean), np.array(record.layer.moving_variance)]
            for key, record in self._layers.items()
            if hasattr(record.layer, "moving_mean")
        }

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
        measurements.reached = sorted(
            {frame for record in self._layers.values() for call in record.calls for frame in call.frames}
        )
        errors = self.internal_errors
        after = guarded(errors, "reading the moving statistics after the steps", self._statistics, {})
        parameters = guarded(errors, "reading gamma and beta after the steps", self._parameters, {})
        observations = []
        wrong_modes: list[Observation] = []
        for key, record in self._layers.items():
            change = _largest_change(self._before.get(key), after.get(key))
            observations += self._fixed_modes(record, change)
            trained = _largest_change(self._parameters_before.get(key), parameters.get(key))
            wrong_modes += self._training_phase_outside_steps(record)
            wrong_modes += self._inference_in_step(record, change, trained)
        measurements.observations = observations + _at_the_shared_call(wrong_modes)
        measurements.internal_errors += errors

    def _fixed_modes(self, record: _Layer, change: float | None) -> list[Observation]:
        """A layer called with a constant `training`. Built into a functional model (a symbolic call), the constant
        holds for every later call of the model: how far that mode's output is from the other one's says what it
        costs. Written at a call on data, it holds for that call only: `True` inside a training step and `False`
        outside one are the modes the run needs; the other way round, that call runs in the wrong mode."""
        observations = []
        seen: set[tuple[Frame, ...]] = set()
        # A functional model calls its layers on symbolic tensors (KerasTensor) once, where the code builds it:
        # that call's mode is measured on the data of the layer's last call that had any.
        data = next((call.inputs for call in reversed(record.calls) if _concrete(call.inputs)), None)
        for call in record.calls:
            if not isinstance(call.training, bool) or call.frames in seen or not call.frames:
                continue
            symbolic = not _concrete(call.inputs)
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
                lambda: self._mode_difference(record.layer, inputs),
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

    def _training_phase_outside_steps(self, record: _Layer) -> list[Observation]:
        """A layer left to Keras' learning phase (`model(x)` without `training=`) while the phase is 1
        (`set_learning_phase(1)`), called after training began and outside a training step: an evaluation that
        normalizes with the batch's statistics and moves the moving ones toward the validation data."""
        calls = [
            call
            for call in record.calls
            if call.phase == 1 and not call.during_step and call.after_first_step and call.frames
        ]
        what = (
            "in training mode outside any training step: Keras' learning phase is 1 (set_learning_phase), so this"
            " evaluation normalizes with batch statistics and moves the moving statistics toward its data"
        )
        return _wrong_mode(record, calls, what, {"learning_phase": 1})

    def _inference_in_step(self, record: _Layer, change: float | None, trained: float | None) -> list[Observation]:
        """A layer called inside a training step (a GradientTape) whose moving statistics never move while the step
        trains its gamma/beta: it ran in inference mode (`model(x)` without `training=True`, Keras' default)."""
        calls = [call for call in record.calls if call.during_step and call.frames]
        if change != 0.0 or not trained:
            return []
        what = (
            "in inference mode in the training step while the step trains its gamma/beta: it never normalizes with"
            f" batch statistics, and its moving statistics never learn (largest change 0 over {self._steps_taken}"
            " steps)"
        )
        evidence = {"moving_statistics_change": 0.0, "gamma_beta_change": trained or 0.0}
        return _wrong_mode(record, calls, what, evidence)

    def _mode_difference(self, layer: Any, inputs: Any) -> float:
        """Outputs in training and inference mode on one batch; the moving statistics are put back afterwards."""
        saved = [np.array(layer.moving_mean), np.array(layer.moving_variance)]
        try:
            training = np.asarray(layer(inputs, training=True))
            inference = np.asarray(layer(inputs, training=False))
        finally:
            layer.moving_mean.assign(saved[0])
            layer.moving_variance.assign(saved[1])
        return float(np.max(np.abs(training - inference)))


def _wrong_mode(record: _Layer, calls: list[_Call], what: str, evidence: dict[str, Any]) -> list[Observation]:
    """BN102 at the first of the calls that ran the layer in the wrong mode (`batch norm NAME runs WHAT`: the
    grouping of _at_the_shared_call reads that shape)."""
    if not calls:
        return []
    frames = calls[0].frames
    message = f"batch norm {record.layer.name} runs {what}"
    return [Observation(WRONG_MODE.code, True, message, frames, report_at=frames[-1], evidence=evidence)]


def _at_the_shared_call(observations: list[Observation]) -> list[Observation]:
    """The layers of one model, run in the wrong mode by one call of the model (`model(x)` in a step), each bring
    their own user frames: the model's call is the last frame they share. One finding there, per kind of mistake,
    not one per layer at lines of the model's own code."""
    grouped: dict[str, list[Observation]] = {}
    for observation in observations:
        grouped.setdefault(observation.message.partition(" runs ")[2], []).append(observation)
    merged = []
    for group in grouped.values():
        shared = _common_prefix([observation.frames for observation in group])
        if len(group) == 1 or not shared:
            merged += group
            continue
        first = group[0]
        layers = len(group)
        name, what = first.message.split(" ")[2], first.message.partition(" runs ")[2]
        merged.append(
            Observation(
                first.code,
                True,
                f"{layers} batch-norm layers ({name}, ...) run {what}",
                shared,
                report_at=shared[-1],
                evidence={**first.evidence, "layers": layers},
            )
        )
    return merged


def _common_prefix(stacks: list[tuple[Frame, ...]]) -> tuple[Frame, ...]:
    shared: list[Frame] = []
    for frames in zip(*stacks):
        if any(frame != frames[0] for frame in frames):
            break
        shared.append(frames[0])
    return tuple(shared)


def _weight(record: _Layer, name: str) -> Any:
    return getattr(record.layer, name, None)


def _concrete(inputs: Any) -> bool:
    """Data a layer can be run on again: an eager tensor or an array, not a symbolic Keras tensor."""
    return isinstance(inputs, (np.ndarray, tf.Tensor)) and not tf.is_symbolic_tensor(inputs)


def _largest_change(before: list[np.ndarray] | None, after: list[np.ndarray] | None) -> float | None:
    if before is None or after is None:
        return None
    return float(max(np.max(np.abs(a - b)) for a, b in zip(after, before, strict=True)))
