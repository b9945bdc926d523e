"""What the verifier's child process measured, as plain data both processes share (no TensorFlow import)."""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field

# A place in the user's code: (absolute path, 1-based line).
Frame = tuple[str, int]


class Status(enum.Enum):
    MEASURED = "measured"  # the script reached its first training step and was measured
    NO_TRAINING_STEP = "no_training_step"  # it finished (or stopped) without running a training step
    SCRIPT_ERROR = "script_error"  # it failed before its first training step
    UNSUPPORTED = "unsupported"  # it uses an API with no stand-in on this TensorFlow
    INTERNAL_ERROR = "internal_error"  # bnlint's own code failed before the first training step
    TIMED_OUT = "timed_out"  # ended by the timeout before its first training step was measured
    NO_TENSORFLOW = "no_tensorflow"  # TensorFlow is not installed


@dataclass(frozen=True)
class Observation:
    """One measured fact about a piece of the graph: a mistake (`mistake=True`) or evidence that there is none."""

    code: str  # the code of its runtime check (bnlint.verify.checks)
    mistake: bool
    message: str  # one line, with the numbers
    frames: tuple[Frame, ...]  # the user's code that built it, outermost call first
    report_at: Frame | None = None  # where a mistake no static finding explains is reported
    # A mistake reported only when a static finding names it (an evaluation run in training mode: the same fetch
    # may be a deliberate training-loss evaluation).
    confirms_only: bool = False
    evidence: dict[str, float | int | str] = field(default_factory=dict)
    # Said as a note, not a finding: what is measured is true but does no harm in this run (`mistake` is False).
    note: bool = False
    # Where the mode the code ran in was set for it, away from the code (`set_learning_phase(1)`): a finding at
    # one of these lines is explained by the measurement too.
    set_at: tuple[Frame, ...] = ()


@dataclass
class Measurements:
    status: Status
    tensorflow: str = ""
    device: str = ""
    mode: str = ""  # graph / eager / metagraph
    training_steps: int = 0
    evaluation_runs: int = 0
    error: str = ""
    # Every line of the user's code that built something in the graph: static findings elsewhere were not reached.
    reached: list[Frame] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    # bnlint's own failures (a stand-in, a measurement), one line each: reported as BN901, never as the script's.
    internal_errors: list[str] = field(default_factory=list)
    # Whether anything in the run reads moving statistics (an inference-mode batch norm or mode switch in the graph,
    # an evaluation run): where nothing does, batch norm fixed in training mode is the script's design.
    moving_statistics_read: bool = True

    def to_json(self) -> str:
        data = asdict(self)
        data["status"] = self.status.value
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Measurements:
        data = json.loads(text)
        return cls(
            status=Status(data["status"]),
            tensorflow=data["tensorflow"],
            device=data["device"],
            mode=data["mode"],
            training_steps=data["training_steps"],
            evaluation_runs=data["evaluation_runs"],
            error=data["error"],
            reached=[(path, line) for path, line in data["reached"]],
            observations=[
                Observation(
                    code=item["code"],
                    mistake=item["mistake"],
                    message=item["message"],
                    frames=tuple((path, line) for path, line in item["frames"]),
                    report_at=tuple(item["report_at"]) if item["report_at"] else None,  # type: ignore[arg-type]
                    confirms_only=item["confirms_only"],
                    evidence=item["evidence"],
                    note=item["note"],
                    set_at=tuple((path, line) for path, line in item["set_at"]),
                )
                for item in data["observations"]
            ],
            internal_errors=data["internal_errors"],
            moving_statistics_read=data["moving_statistics_read"],
        )
