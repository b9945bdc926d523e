"""`bnlint verify`: check a script statically, run it in a child process under TensorFlow, and judge each finding."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bnlint.analysis.modules import module_id
from bnlint.config import ConfigError, Configurations
from bnlint.diagnostic import INTERNAL_ERROR, Diagnostic
from bnlint.engine import check_source
from bnlint.keras_setting import KerasSetting
from bnlint.project import Project
from bnlint.verify.observations import Measurements, Observation, Status
from bnlint.verify.verdicts import Judged, RuntimeFinding, Verdict, judge, notes

EXIT_CLEAN, EXIT_CONFIRMED, EXIT_ERROR = 0, 1, 2
# API names (canonical) that mark TF1 graph code: the script runs in graph mode under tensorflow.compat.v1.
_GRAPH_CODE = (
    "tensorflow.Session",
    "tensorflow.InteractiveSession",
    "tensorflow.placeholder",
    "tensorflow.train.",
    "tensorflow.layers.",
    "tensorflow.get_variable",
    "tensorflow.variable_scope",
    "tensorflow.disable_v2_behavior",
    "tensorflow.disable_eager_execution",
    "tensorflow.contrib.",
    "slim.",
)


def install_command() -> str:
    """The command that adds the `verify` extra to this interpreter: from the source checkout bnlint runs from
    (an editable install, or `python -m bnlint` inside a clone), else from the package index."""
    checkout = Path(__file__).resolve().parents[2]
    target = f"{checkout}[verify]" if (checkout / "pyproject.toml").is_file() else "bnlint[verify]"
    editable = "-e " if target != "bnlint[verify]" else ""
    return f'{sys.executable} -m pip install {editable}"{target}"'


# What TensorFlow 2 keeps under `tf.train` (checkpoints, tf.Example protos): TF2 code uses them, so they say
# nothing about graph mode.
_TF2_TRAIN = frozenset(
    f"tensorflow.train.{name}"
    for name in (
        "BytesList", "Checkpoint", "CheckpointManager", "CheckpointOptions", "CheckpointView", "ClusterDef",
        "ClusterSpec", "Coordinator", "Example", "ExponentialMovingAverage", "Feature", "FeatureList", "FeatureLists",
        "Features", "FloatList", "Int64List", "JobDef", "SequenceExample", "ServerDef", "TrackableView",
        "checkpoints_iterator", "get_checkpoint_state", "latest_checkpoint", "list_variables", "load_checkpoint",
        "load_variable",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Static:
    """What the static analysis says of the script before it runs."""

    diagnostics: list[Diagnostic]
    mode: str  # graph / eager / metagraph: how the child runs it
    keras: int  # the Keras the analysis assumed (2 or 3): the run uses the same one, or its verdicts judge other code


@dataclass(frozen=True)
class Run:
    measurements: Measurements
    seconds: float
    output: str  # what the script printed, shown when it could not be measured
    timed_out: bool = False  # ended by --timeout: the measurements are what was measured by then


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    verify = commands.add_parser(
        "verify",
        help="run a training script under TensorFlow and confirm each finding with a measurement",
        description="Runs SCRIPT (it executes your code until its first training steps) in a child process, "
        "or checks a MetaGraphDef (.meta) without running anything, and confirms each static finding.",
    )
    verify.add_argument("script", metavar="SCRIPT", help="a training script, or a .meta file")
    verify.add_argument("--steps", type=int, default=20, help="training steps to watch for an evaluation (default 20)")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto", help="where the graph runs")
    verify.add_argument("--timeout", type=float, default=300.0, help="seconds before the run is ended (default 300)")
    verify.add_argument("--workdir", help="the script's working directory (default: the current one)")
    verify.add_argument("arguments", nargs="*", metavar="ARGS", help="arguments for the script, after --")


def verify(args: argparse.Namespace) -> int:
    script = Path(args.script)
    if not script.is_file():
        return _fail(f"{script}: no such file")
    if importlib.util.find_spec("tensorflow") is None:
        return _fail(f"TensorFlow is not installed; install it with: {install_command()}")
    static = Static([], "metagraph", 2)
    if script.suffix != ".meta":
        try:
            static = _static(script)
        except ConfigError as exc:
            return _fail(str(exc))
    keras, run = static.keras, _run_child(script, static.mode, static.keras, args)
    if run.measurements.status is Status.SCRIPT_ERROR and static.mode == "eager" and keras == 3:
        # Code written for Keras 2 (`set_learning_phase`, tf.keras before TensorFlow 2.16) fails under Keras 3
        # before it trains: it is measured under the Keras it was written for, and the report says so.
        failure = run.measurements.error
        keras, run = 2, _run_child(script, static.mode, 2, args)
        if run.measurements.status is Status.MEASURED:
            under = f"under Keras 3 the script fails before its first training step ({failure}): it ran under Keras 2"
            run.measurements.error = "; ".join(filter(None, [under, run.measurements.error]))
    measurements = run.measurements
    if measurements.status is not Status.MEASURED:
        return _fail(_why(measurements), run.output)
    judged, runtime = judge(static.diagnostics, measurements, args.steps)
    render = _render_json if args.format == "json" else _render_text
    sys.stdout.write(render(script, keras, run, judged, runtime))
    confirmed = any(item.verdict is Verdict.CONFIRMED for item in judged)
    if run.timed_out and not (confirmed or runtime):
        return _fail(f"{measurements.error}: the findings they do not decide are undecided")
    if measurements.internal_errors and not (confirmed or runtime):
        return _fail("some measurements failed (BN901 above): the findings they would decide are undecided")
    if judged and measurements.training_steps and all(item.verdict is Verdict.NOT_REACHED for item in judged):
        # Training ran, yet no finding's code was seen building anything: verify failed to decide, which is not a
        # clean bill for the script.
        return _fail(
            f"{measurements.training_steps} training step(s) ran, but none of the {len(judged)} finding(s) was"
            " reached: bnlint could not tie the graph's operations to the lines of the findings"
        )
    return EXIT_CONFIRMED if confirmed or runtime else EXIT_CLEAN


def _static(script: Path) -> Static:
    """The static findings of the script and of the project modules it imports, how the script runs, and its
    Keras, as its configuration (the closest pyproject.toml's [tool.bnlint]) has `bnlint check` see them."""
    settings = Configurations().settings_for(str(script))
    project = Project(roots=list(settings.project_roots), keras=KerasSetting(default=settings.keras_version))
    diagnostics: list[Diagnostic] = []
    names: set[str] = set()
    for path in [script, *project.imported_modules(script)]:
        text = project.text(path)
        if text is not None:
            diagnostics += check_source(text, str(path), project=project)
        # Graph or eager is the whole program's: `from utils import *` may bring the Session the script runs.
        facts = project.facts(path)
        if facts is not None:
            names.update(call.name for call in facts.calls.api_calls)
    graph = any(name.startswith(_GRAPH_CODE) and name not in _TF2_TRAIN for name in names)
    facts = project.facts(script)
    keras = facts.keras_version.major if facts is not None else 3
    return Static(sorted(diagnostics), "graph" if graph else "eager", keras)


def child_environment(base: Mapping[str, str], mode: str, keras: int) -> dict[str, str]:
    """The environment the script runs in. `tf.keras` is Keras 3 under TensorFlow >= 2.16 unless
    TF_USE_LEGACY_KERAS is set: set where the analysis assumed Keras 2, unset where it assumed 3. TF1 graph code
    needs `tf.compat.v1.layers`, which only tf-keras has."""
    environment = dict(base, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    if mode != "eager" or keras == 2:
        environment["TF_USE_LEGACY_KERAS"] = "1"
    else:
        environment.pop("TF_USE_LEGACY_KERAS", None)
    return environment


def _run_child(script: Path, mode: str, keras: int, args: argparse.Namespace) -> Run:
    environment = child_environment(os.environ, mode, keras)
    if args.device == "cpu":
        environment["CUDA_VISIBLE_DEVICES"] = "-1"
    arguments = [argument for argument in args.arguments if argument != "--"]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bnlint-verify-") as folder:
        result = Path(folder) / "result.json"
        command = [
            sys.executable,
            "-m",
            "bnlint.verify.child",
            "--script",
            str(script.absolute()),
            "--result",
            str(result),
            "--root",
            str(module_id(script).root),
            "--steps",
            str(args.steps),
            "--device",
            args.device,
            "--mode",
            mode,
            "--",
            *arguments,
        ]
        process = subprocess.Popen(
            command,
            cwd=args.workdir or None,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a timeout ends the script's own children too
        )
        try:
            output, _ = process.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            text = output.decode("utf-8", "replace")
            if result.exists():  # the child wrote what it had measured: keep it
                measurements = Measurements.from_json(result.read_text(encoding="utf-8"))
                measurements.error = (
                    f"the run timed out after {args.timeout:g} s, after {measurements.training_steps} training"
                    " step(s); these are the measurements made by then"
                )
                return Run(measurements, time.monotonic() - started, text, timed_out=True)
            error = f"the run took longer than {args.timeout:g} s"
            return Run(Measurements(Status.TIMED_OUT, error=error), time.monotonic() - started, text)
        text = output.decode("utf-8", "replace")
        if not result.exists():
            measurements = Measurements(Status.SCRIPT_ERROR, error=f"the run ended with status {process.returncode}")
        else:
            measurements = Measurements.from_json(result.read_text(encoding="utf-8"))
    return Run(measurements, time.monotonic() - started, text)


def _why(measurements: Measurements) -> str:
    reasons = {
        Status.NO_TRAINING_STEP: "the script ran no training step (no Session.run of an optimizer's train op)",
        Status.NO_TENSORFLOW: f"TensorFlow is not installed; install it with: {install_command()}",
        Status.UNSUPPORTED: "not verifiable",
        Status.SCRIPT_ERROR: "the script failed before its first training step",
        Status.TIMED_OUT: "ended before its first training step was measured",
        Status.INTERNAL_ERROR: f"{INTERNAL_ERROR} internal error of bnlint, not of the script (please report it)",
    }
    reason = reasons.get(measurements.status, measurements.status.value)
    details = [measurements.error] if measurements.error else []
    if measurements.status is Status.INTERNAL_ERROR:
        details = measurements.internal_errors
    return f"{reason}: {'; '.join(details)}" if details else reason


def _fail(message: str, output: str = "") -> int:
    if output.strip():
        tail = "\n".join(output.rstrip().splitlines()[-15:])
        sys.stderr.write(f"the script's last output:\n{tail}\n")
    sys.stderr.write(f"bnlint verify: {message}\n")
    return EXIT_ERROR


def _render_text(script: Path, keras: int, run: Run, judged: list[Judged], runtime: list[RuntimeFinding]) -> str:
    m = run.measurements
    if m.mode == "metagraph":
        what = "the saved graph's structure (no code ran)"
    else:
        what = f"{m.training_steps} training step(s) and {m.evaluation_runs} evaluation run(s) of the script"
    versions = f"TensorFlow {m.tensorflow}" + (f", Keras {keras}" if m.mode == "eager" else "")
    lines = [f"bnlint verify {script}: {what} on {m.device}, {versions}, {run.seconds:.1f} s"]
    if m.error:
        lines.append(f"note: {m.error}")
    for item in judged:
        d = item.diagnostic
        if item.evidence is not None:
            detail = f": {item.evidence.message} ({item.evidence.code})"
        else:
            detail = f": {item.reason}" if item.reason else ""
        lines.append(f"{_display(d.path)}:{d.line}:{d.column}: {d.code} {item.verdict.value}{detail}")
    for finding in runtime:
        lines.append(
            f"{_display(finding.path)}:{finding.line}:1: {finding.observation.code} {finding.observation.message}"
        )
    for note in notes(m):
        lines.append(f"{_display(note.path)}:{note.line}:1: note: {note.observation.message} ({note.observation.code})")
    for error in m.internal_errors:
        lines.append(f"{_display(str(script))}:1:1: {INTERNAL_ERROR} internal error of bnlint verify: {error}")
    return "\n".join(lines) + "\n"


def _render_json(script: Path, keras: int, run: Run, judged: list[Judged], runtime: list[RuntimeFinding]) -> str:
    m = run.measurements
    report = {
        "script": str(script),
        "tensorflow": m.tensorflow,
        "keras": keras,
        "device": m.device,
        "mode": m.mode,
        "training_steps": m.training_steps,
        "evaluation_runs": m.evaluation_runs,
        "seconds": round(run.seconds, 2),
        "note": m.error,
        "findings": [
            {
                "path": _display(item.diagnostic.path),
                "line": item.diagnostic.line,
                "column": item.diagnostic.column,
                "code": item.diagnostic.code,
                "message": item.diagnostic.message,
                "verdict": item.verdict.value,
                "reason": item.reason,
                "measurement": _measurement(item.evidence),
            }
            for item in judged
        ],
        "internal_errors": m.internal_errors,
        "notes": [
            {"path": _display(note.path), "line": note.line, **_measurement(note.observation)} for note in notes(m)
        ],
        "runtime_findings": [
            {"path": _display(finding.path), "line": finding.line, **_measurement(finding.observation)}
            for finding in runtime
        ],
    }
    return json.dumps(report, indent=2) + "\n"


def _measurement(observation: Observation | None) -> dict[str, object]:
    if observation is None:
        return {}
    return {"code": observation.code, "message": observation.message, "evidence": observation.evidence}


def _display(path: str) -> str:
    """A path as the user named things: relative to the working directory when it is under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
