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
            tf.config.run_functions_eagerly(True)
        for name in _KERAS:
            try:
                keras = importlib.import_module(name)
            except ImportError:
                continue
            if self._measure:
                self._watch_layers(keras.layers.BatchNormalization)
            self._watch_steps(keras.optimizers.Optimizer)
        if self._measure:
            self._watch_tapes(tf.GradientTape)

    def _watch_tapes(self, cls: Any) -> None:
        watcher, enter, leave = self, cls.__enter__, cls.__exit__

        def entered(tape: Any) -> Any:
            watcher._tapes += 1
            return enter(tape)

        def left(tape: Any, *args: Any) -> Any:
            watcher._tapes -= 1
            return leave(tape, *args)

        cls.__enter__, cls.__exit__ = entered, left

    def _watch_layers(self, cls: Any) -> None:
        watcher, original = self, cls.__call__

        def call(layer: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
            training = kwargs.get("training", args[0] if args else None)
            frames = watcher._code.frames(traceback.extract_stack())
            record = watcher._layers.setdefault(id(layer), _Layer(layer))
            record.calls.append(_Call(layer, training, frames, inputs, watcher._tapes > 0))
            return original(layer, inputs, *args, **kwargs)

        cls.__call__ = call

    def _watch_steps(self, cls: Any) -> None:
        watcher, original = self, cls.apply_gradients

        def apply_gradients(optimizer: Any, *args: Any, **kwargs: Any) -> Any:
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
        for key, record in self._layers.items():
            change = _largest_change(self._before.get(key), after.get(key))
            observations += self._fixed_modes(record, change)
            trained = _largest_change(self._parameters_before.get(key), parameters.get(key))
            observations += self._inference_in_step(record, change, trained)
        measurements.observations = observations
        measurements.internal_errors += errors

    def _fixed_modes(self, record: _Layer, change: float | None) -> list[Observation]:
        """A layer called with a constant `training`: how far that mode's output is from the other one's."""
        observations = []
        seen: set[tuple[Frame, ...]] = set()
        # A functional model calls its layers on symbolic tensors (KerasTensor) once, where the code builds it:
        # that call's mode is measured on the data of the layer's last call that had any.
        data = next((call.inputs for call in reversed(record.calls) if _concrete(call.inputs)), None)
        for call in record.calls:
            if not isinstance(call.training, bool) or call.frames in seen or not call.frames:
                continue
            inputs = call.inputs if _concrete(call.inputs) else data
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
                    "BN102",
                    True,
                    f"batch norm {record.layer.name} is called with training={call.training} here: on this batch its"
                    f" output differs from the other mode's by up to {difference:.3g}",
                    call.frames,
                    confirms_only=True,
                    evidence={"mode_difference": difference, "moving_statistics_change": change or 0.0},
                )
            )
        return observations

    def _inference_in_step(self, record: _Layer, change: float | None, trained: float | None) -> list[Observation]:
        """A layer called inside a training step (a GradientTape) whose moving statistics never move while the step
        trains its gamma/beta: it ran in inference mode (`model(x)` without `training=True`, Keras' default)."""
        calls = [call for call in record.calls if call.during_step and call.frames]
        if not calls or change != 0.0 or not trained:
            return []
        frames = calls[0].frames
        return [
            Observation(
                "BN102",
                True,
                f"batch norm {record.layer.name} runs in inference mode in the training step while the step trains"
                f" its gamma/beta: it never normalizes with batch statistics, and its moving statistics never learn"
                f" (largest change 0 over {self._steps_taken} steps)",
                frames,
                report_at=frames[-1],
                evidence={"moving_statistics_change": 0.0, "gamma_beta_change": trained},
            )
        ]

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


def _weight(record: _Layer, name: str) -> Any:
    return getattr(record.layer, name, None)


def _concrete(inputs: Any) -> bool:
    """Data a layer can be run on again: an eager tensor or an array, not a symbolic Keras tensor."""
    return isinstance(inputs, (np.ndarray, tf.Tensor)) and not tf.is_symbolic_tensor(inputs)


def _largest_change(before: list[np.ndarray] | None, after: list[np.ndarray] | None) -> float | None:
    if before is None or after is None:
        return None
    return float(max(np.max(np.abs(a - b)) for a, b in zip(after, before, strict=True)))
