"""`python -m bnlint.verify.child`: run the user's script under TensorFlow, measure its graph, write the result.

The parent (`bnlint verify`) starts this in a child process with a timeout. It is the only place bnlint runs user
code, and it imports TensorFlow only here.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bnlint.verify.checks import TOWER_NOT_SHARED
from bnlint.verify.failures import bnlint_failure
from bnlint.verify.observations import Measurements, Observation, Status
from bnlint.verify.stopping import VerifyDone
from bnlint.verify.usercode import UserCode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bnlint.verify.child")
    parser.add_argument("--script", required=True, type=Path)
    parser.add_argument("--result", required=True, type=Path)
    parser.add_argument("--root", required=True, type=Path, help="the project folder: frames under it are the user's")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    parser.add_argument("--mode", choices=("graph", "eager", "metagraph"), default="graph")
    # The script's own time for the same steps (benchmarks/verify_real.py): count training steps, measure nothing.
    parser.add_argument("--timing-only", action="store_true")
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    measurements = _measure(args)
    _write(args.result, measurements)
    return 0


_WRITING = threading.Lock()  # the script's own threads (queue runners) run sessions and report progress too


def _write(result: Path, measurements: Measurements) -> None:
    """Replace the result file whole: the parent may read it at any moment (after a timeout)."""
    with _WRITING:
        partial = result.with_name(result.name + ".partial")
        partial.write_text(measurements.to_json(), encoding="utf-8")
        partial.replace(result)


def _measure(args: argparse.Namespace) -> Measurements:
    try:
        import tensorflow as tf
    except ImportError as exc:
        return Measurements(Status.NO_TENSORFLOW, error=str(exc))
    device = _device(tf, args.device)
    if device is None:
        return Measurements(Status.UNSUPPORTED, tensorflow=tf.__version__, error="no GPU is visible to TensorFlow")
    if args.mode == "metagraph":
        from bnlint.verify.metagraph import measure_metagraph

        return measure_metagraph(args.script, tf.__version__, device)
    if args.mode == "eager":
        from bnlint.verify.eager import EagerWatcher

        watcher: Any = EagerWatcher(args.steps, args.root, measure=not args.timing_only)
    else:
        from bnlint.verify.compat import install_tf1
        from bnlint.verify.session import GraphWatcher

        install_tf1()
        watcher = GraphWatcher(args.steps, args.root, measure=not args.timing_only)

    def progress() -> None:
        """What is measured so far, written where the parent finds it if the run is ended by its timeout."""
        so_far = Measurements(Status.MEASURED, tensorflow=tf.__version__, device=device, mode=args.mode)
        watcher.finish(so_far)
        _write(args.result, so_far)

    watcher.progress = progress
    watcher.install()
    measurements = Measurements(Status.MEASURED, tensorflow=tf.__version__, device=device, mode=args.mode)
    failure = _run_script(args.script, args.arguments, measurements, watcher.measured)
    watcher.finish(measurements)
    tower = _tower_error(failure, UserCode(args.root)) if failure is not None else None
    if tower is not None:
        # TensorFlow itself refused the second tower: that is the measurement, whatever ran before it.
        measurements.status = Status.MEASURED
        measurements.observations.append(tower)
    return measurements


def _tower_error(exc: BaseException, code: UserCode) -> Observation | None:
    """`Variable conv1/weights already exists, disallowed. Did you mean to set reuse=True ...`: TF1's own
    verdict on a second tower built without reuse, raised where the user's code builds it (BN103)."""
    message = str(exc).strip().splitlines()
    if not (isinstance(exc, ValueError) and message and "already exists, disallowed" in message[0]):
        return None
    frames = code.frames(traceback.extract_tb(exc.__traceback__))
    if not frames:
        return None
    return Observation(
        TOWER_NOT_SHARED.code,
        True,
        f"building this tower raised TensorFlow's own error: {message[0]}",
        frames,
        report_at=frames[-1],
        evidence={"error": message[0]},
    )


def _device(tf: Any, wanted: str) -> str | None:
    """The device the graph runs on: the first GPU TensorFlow sees, else the CPU (None when a GPU was required)."""
    gpus = [] if wanted == "cpu" else tf.config.list_physical_devices("GPU")
    if not gpus:
        return None if wanted == "gpu" else "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU ({details.get('device_name', gpus[0].name)})"


def _run_script(
    script: Path, arguments: list[str], measurements: Measurements, measured: Callable[[], bool]
) -> BaseException | None:
    """Run the script; the exception it ended with, if it was the script's own."""
    from bnlint.verify.compat import UnsupportedApi

    sys.argv = [str(script), *[argument for argument in arguments if argument != "--"]]
    sys.path.insert(0, str(script.parent))
    try:
        runpy.run_path(str(script), run_name="__main__")
    except VerifyDone:
        return None
    except UnsupportedApi as exc:
        measurements.status = Status.UNSUPPORTED
        measurements.error = str(exc)
    except SystemExit as exc:
        if exc.code not in (None, 0) and not measured():
            measurements.status = Status.SCRIPT_ERROR
            measurements.error = f"the script exited with status {exc.code}"
    except BaseException as exc:
        ours = bnlint_failure(exc)
        if ours is not None:
            measurements.internal_errors.append(ours)
            if not measured():
                measurements.status = Status.INTERNAL_ERROR
            return None
        measurements.error = _describe(exc, script)  # the user's script failed: its error, with its line
        if not measured():
            measurements.status = Status.SCRIPT_ERROR
        return exc
    return None


def _describe(exc: BaseException, script: Path) -> str:
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == str(script)]
    where = f" (line {frames[-1].lineno})" if frames else ""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}{where}: {message[0] if message else ''}"


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
