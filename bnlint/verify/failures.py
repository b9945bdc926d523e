"""Whose failure an exception is: bnlint's (its stand-ins and measurements) or the user's script's.

The child runs the user's code and bnlint's own code in one process. An exception bnlint raises must be reported as
bnlint's internal error (BN901), never as the script's failure, so a run is never blamed on the user for a stand-in
that does not hold. Imported in the child only; no TensorFlow import here.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_BNLINT = Path(__file__).resolve().parent.parent
# Packages that stand in for what TensorFlow 2 removed (`tensorflow.contrib` is tf-slim, `tf.layers` is tf-keras'
# legacy layers). An AttributeError or ImportError inside one of them is an API it expects of TensorFlow and does not
# find: the stand-in does not hold on this TensorFlow, which is no mistake of the script.
STAND_INS = ("tf_slim", "tf_keras")
_STAND_IN_ERRORS = (AttributeError, ImportError, NameError)


def bnlint_failure(exc: BaseException, part: str = "") -> str | None:
    """A one-line description when bnlint raised `exc` (`part` names what was running), else None."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return None
    innermost = Path(frames[-1].filename)
    where = f"{innermost.name}:{frames[-1].lineno}"
    message = f"{type(exc).__name__}: {_first_line(exc)}"
    if _is_bnlint(innermost):
        return f"{part or 'bnlint verify'} failed ({where}): {message}"
    stand_in = _stand_in(innermost)
    if stand_in is not None and isinstance(exc, _STAND_IN_ERRORS):
        return f"the {stand_in} stand-in failed on this TensorFlow ({where}): {message}"
    return None


def guarded(errors: list[str], part: str, measure: Callable[[], T], default: T) -> T:
    """Run one of bnlint's measurements; a failure is recorded as bnlint's and the run goes on without it."""
    try:
        return measure()
    except Exception as exc:  # noqa: BLE001 - any failure of a measurement is bnlint's, reported, never raised
        errors.append(f"{part} failed ({_innermost(exc)}): {type(exc).__name__}: {_first_line(exc)}")
        return default


def _innermost(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _is_bnlint(path: Path) -> bool:
    return path.is_absolute() and path.resolve().is_relative_to(_BNLINT)


def _stand_in(path: Path) -> str | None:
    parts = path.parts
    return next((package for package in STAND_INS if package in parts), None)
