"""Watching a TF1 script's `Session.run` calls: the first training step, the evaluation runs, the checkpoints."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tensorflow.compat.v1 as tf
from tensorflow.python.client import session as session_module
from tensorflow.python.training import saver as saver_module

from bnlint.verify.checks import SAVER_DROPS_STATISTICS, UPDATES_NOT_RUN
from bnlint.verify.graph import (
    Evaluation,
    TrainingStep,
    ancestors,
    fetched_ops,
    is_training_step,
    reached_lines,
)
from bnlint.verify.failures import guarded
from bnlint.verify.observations import Frame, Measurements, Observation, Status
from bnlint.verify.stopping import VerifyDone
from bnlint.verify.usercode import UserCode

# How often a long run hands over what it has measured (see GraphWatcher._report_progress).
_PROGRESS_SECONDS = 5.0


class GraphWatcher:
    def __init__(self, steps: int, root: Path, measure: bool = True) -> None:
        self._steps = max(1, steps)
        self._measure = measure  # off: only count the training steps (the script's own time)
        self._code = UserCode(root)
        self._run = session_module.BaseSession.run
        self._init = session_module.BaseSession.__init__
        self._saver_init = saver_module.Saver.__init__
        self._step: TrainingStep | None = None  # the first training op measured: evaluations are judged by it
        # Every distinct training op (a GAN's discriminator and generator steps), measured around its first run.
        self._measured: dict[tuple[str, ...], TrainingStep] = {}
        self._training_ops: dict[tuple[str, ...], bool] = {}
        self._observations: list[Observation] = []
        self._batch_statistics_layers: set[str] = set()
        self._savers: list[tuple[Any, tuple[Frame, ...], Any]] = []  # var_list, where it was made, the Saver
        self._saving: set[int] = set()  # the Savers whose save() ran
        self._save = saver_module.Saver.save
        self.training_steps = 0
        self.evaluations = 0
        self.step_error = ""
        self.internal_errors: list[str] = []  # bnlint's own failures: that measurement is skipped, the run goes on
        # Called with what is measured so far, so that a run ended by its timeout keeps it (set by the child).
        self.progress: Callable[[], None] = lambda: None
        self._last_progress = 0.0

    def measured(self) -> bool:
        return self._step is not None

    def install(self) -> None:
        watcher = self

        def run(session: Any, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None):
            return watcher.session_run(session, fetches, feed_dict, options, run_metadata)

        def init(session: Any, target: str = "", graph: Any = None, config: Any = None) -> None:
            watcher._init(session, target, graph, _placement(config))

        def saver_init(saver: Any, var_list: Any = None, *args: Any, **kwargs: Any) -> None:
            watcher._savers.append((var_list, watcher._code.frames(traceback.extract_stack()), saver))
            watcher._saver_init(saver, var_list, *args, **kwargs)

        def save(saver: Any, *args: Any, **kwargs: Any) -> Any:
            watcher._saving.add(id(saver))
            return watcher._save(saver, *args, **kwargs)

        session_module.BaseSession.run = run
        session_module.BaseSession.__init__ = init
        saver_module.Saver.__init__ = saver_init
        saver_module.Saver.save = save

    # -- the user's runs -------------------------------------------------------------------------------------

    def session_run(self, session: Any, fetches: Any, feed: Any, options: Any, metadata: Any) -> Any:
        errors = self.internal_errors
        ops = guarded(errors, "reading the fetches of a Session.run", lambda: fetched_ops(session.graph, fetches), [])
        if ops and guarded(errors, "recognizing a training step", lambda: self._is_training(ops), False):
            return self._training(session, ops, fetches, feed, options, metadata)
        result = self._run(session, fetches, feed, options, metadata)
        if self._step is not None and ops:
            done = guarded(errors, "measuring an evaluation run", lambda: self._evaluate(session, ops, feed), False)
            self._report_progress(force=True)
            if done:
                raise VerifyDone
        return result

    def _is_training(self, ops: list[Any]) -> bool:
        key = tuple(sorted(op.name for op in ops))
        if key not in self._training_ops:
            self._training_ops[key] = is_training_step(ancestors(ops))
        return self._training_ops[key]

    def _training(self, session: Any, ops: list[Any], fetches: Any, feed: Any, options: Any, metadata: Any) -> Any:
        if self.training_steps >= self._steps:
            raise VerifyDone  # stopping here lets the loop evaluate after its last watched step
        key = tuple(sorted(op.name for op in ops))
        if key not in self._measured and self._measure:
            step = guarded(
                self.internal_errors,
                "measuring before the first run of a training op",
                lambda: TrainingStep(session, ops, feed, self._code, self._run),
                None,
            )
            self._measure = step is not None  # a measurement that failed once is not tried on every step
            if step is not None:
                self._measured[key] = step
                self._step = self._step or step
            try:
                result = self._run(session, fetches, feed, options, metadata)
            except tf.errors.OpError as exc:
                # The mistake itself can break the step (a validation tower's update ops need its inputs):
                # the structure is still measured.
                self.step_error = f"the first run of a training op failed: {exc.message.splitlines()[0]}"
                raise VerifyDone from None
            if step is not None:
                guarded(self.internal_errors, "measuring after a training op's first run", step.measure_after, None)
            first = True
        else:
            result = self._run(session, fetches, feed, options, metadata)
            first = False
        self.training_steps += 1
        self._report_progress(force=first)
        return result

    def _report_progress(self, force: bool = False) -> None:
        """Hand the child what is measured so far: after the first step, after an evaluation, then every few
        seconds of training (each report walks the graph, so not on every step)."""
        if self._step is None or not (force or time.monotonic() - self._last_progress >= _PROGRESS_SECONDS):
            return
        self._last_progress = time.monotonic()
        guarded(self.internal_errors, "writing what is measured so far", self.progress, None)

    def _evaluate(self, session: Any, ops: list[Any], feed: Any) -> bool:
        """Measure a run that is not a training step; True once an evaluation through moving statistics is seen."""
        site = next(reversed(self._code.frames(traceback.extract_stack())), None)
        evaluation = Evaluation(session, ops, feed, self._code, self._run, site)
        assert self._step is not None
        if evaluation.leaves(self._step):
            self.evaluations += 1
        for op in evaluation.training_mode_ops():
            if op.op not in self._step.active and op.layer not in self._batch_statistics_layers:
                self._batch_statistics_layers.add(op.layer)
                self._observations += evaluation.batch_statistics(op)
        if not evaluation.is_evaluation_of(self._step):
            return False
        self._observations += evaluation.variance_ratios()
        return True

    # -- the report ------------------------------------------------------------------------------------------

    def finish(self, measurements: Measurements) -> None:
        measurements.training_steps = self.training_steps + (1 if self.step_error else 0)
        measurements.evaluation_runs = self.evaluations
        if self.step_error:
            measurements.error = self.step_error
        errors = self.internal_errors
        step = self._step
        if step is None:
            if measurements.status is Status.MEASURED:
                trained = errors and self.training_steps
                measurements.status = Status.INTERNAL_ERROR if trained else Status.NO_TRAINING_STEP
            measurements.internal_errors += errors
            return
        graph = step.fetches[0].graph
        lines = guarded(errors, "finding the lines of the graph", lambda: reached_lines(graph, self._code), set())
        measurements.reached = sorted(lines)
        measured = _updated_elsewhere(
            [
                observation
                for each in self._measured.values()
                for observation in self._where_it_hurts(
                    guarded(errors, "the training steps' measurements", each.observations, []), each
                )
            ]
        )
        measurements.observations = [
            *measured,
            *self._observations,
            *guarded(errors, f"the Saver check ({SAVER_DROPS_STATISTICS.code})", lambda: self._checkpoints(graph), []),
        ]
        measurements.internal_errors += errors
        measurements.moving_statistics_read = self._reads_moving_statistics(step)

    def _reads_moving_statistics(self, step: TrainingStep) -> bool:
        return self.evaluations > 0 or any(not op.is_training or op.pred is not None for op in step.batch_norm)

    def _where_it_hurts(self, observations: list[Observation], step: TrainingStep) -> list[Observation]:
        """Moving statistics that never update are a mistake only where something reads them: an inference-mode
        batch norm or the inference branch of a mode switch in the graph, or an evaluation run. A script that
        normalizes with batch statistics everywhere on purpose (pix2pix, whose test mode does too) gets a note
        instead; a Saver alone reads nothing, since a graph restored from it is built by code in training mode."""
        if self._reads_moving_statistics(step):
            return observations
        return [
            Observation(
                UPDATES_NOT_RUN.code,
                False,
                f"{observation.message}; nothing in the run reads them (every batch norm normalizes with batch"
                " statistics, and no Saver or evaluation uses the moving ones), so this does no harm here",
                observation.frames,
                report_at=observation.report_at,
                evidence={**observation.evidence, "readers": 0},
                note=True,
            )
            if observation.code == UPDATES_NOT_RUN.code and observation.mistake
            else observation
            for observation in observations
        ]

    def _checkpoints(self, graph: Any) -> list[Observation]:
        """BN105: a Saver whose variable list leaves out the batch-norm moving statistics."""
        moving = {v.op.name for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES) if "/moving_" in v.op.name}
        observations = []
        for var_list, frames, saver in self._savers:
            if var_list is None or not moving:
                continue
            # Its list is what a static finding claims: the run confirms that. Said on its own (no finding
            # names it: static analysis judged it harmless, as a Saver that only restores before training), it
            # needs the run to have written a checkpoint with it.
            wrote = id(saver) in self._saving
            values = var_list.values() if isinstance(var_list, dict) else var_list
            saved = {getattr(getattr(value, "op", None), "name", None) for value in values}
            kept = len(moving & saved)
            observations.append(
                Observation(
                    SAVER_DROPS_STATISTICS.code,
                    kept == 0,
                    f"the Saver keeps {kept} of the {len(moving)} batch-norm moving statistics"
                    + (": a restored model normalizes with mean 0 and variance 1" if kept == 0 else ""),
                    frames,
                    report_at=frames[-1] if frames else None,
                    confirms_only=not wrote,
                    evidence={"saved_statistics": kept, "statistics": len(moving), "wrote_checkpoint": int(wrote)},
                )
            )
        return observations


def _updated_elsewhere(observations: list[Observation]) -> list[Observation]:
    """A training op that leaves the moving statistics of its layers unchanged is no mistake when another one
    updates them (a GAN's discriminator step running the generator's update ops)."""
    moved = {
        layer
        for observation in observations
        if observation.code == UPDATES_NOT_RUN.code
        for layer in str(observation.evidence.get("moved", "")).split(",")
        if layer
    }
    settled = []
    for observation in observations:
        stuck = set(filter(None, str(observation.evidence.get("stuck", "")).split(",")))
        if observation.code == UPDATES_NOT_RUN.code and observation.mistake and stuck and stuck <= moved:
            observation = Observation(
                UPDATES_NOT_RUN.code,
                False,
                f"this training op leaves the moving statistics of {len(stuck)} batch-norm layer(s) unchanged"
                f" ({sorted(stuck)[0]}, ...), and another training op of the script updates them",
                observation.frames,
                evidence=observation.evidence,
            )
        settled.append(observation)
    return settled


def _placement(config: Any) -> Any:
    """Let ops pinned to a missing device fall back, and take GPU memory as needed rather than all of it."""
    config = config if config is not None else tf.ConfigProto()
    config.allow_soft_placement = True
    config.gpu_options.allow_growth = True
    return config
