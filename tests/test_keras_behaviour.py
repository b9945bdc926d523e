"""The Keras behaviour the rules BN007–BN010 rest on, measured: each scenario of tests/fixtures/keras_runtime/ runs
under Keras 3 (TensorFlow's own `tf.keras`) and under Keras 2 (tf-keras, `TF_USE_LEGACY_KERAS=1`), and what it
measured must be what the rules claim for that version (/work/shared/reference/keras3.md §2.0). A Keras release that
changes one of these behaviours fails here, before a rule built on it misleads anyone.

Each scenario prints one JSON line: per case (the buggy code and its clean twin, or the parts of a scenario), the
largest change of each batch-norm layer's moving mean or variance, and facts such as whether an output equalled
the inference-mode output. Needs TensorFlow and tf-keras (the verify extra, installed by the README's test command).
"""

from __future__ import annotations

import json
import os
import sys
from importlib.util import find_spec

import pytest

from support import FIXTURES, execute

pytestmark = [
    pytest.mark.tensorflow,
    pytest.mark.skipif(find_spec("tensorflow") is None, reason='needs TensorFlow: pip install -e ".[verify]"'),
]
SCENARIOS = FIXTURES / "keras_runtime"
MOVES, STILL = "moves", "still"  # a layer's statistics changed by more than 1e-3, or not at all

# scenario -> Keras major version -> case -> what it measured: the statistics of each batch-norm layer in the
# order the model creates them, and the other facts the scenario reports.
BEHAVIOUR: dict[str, dict[int, dict[str, object]]] = {
    "s1_subclass_call_without_training": {  # fit() passes training=True only to a call that accepts it
        2: {"buggy": {"stats": (MOVES,)}, "clean": {"stats": (MOVES,)}},
        3: {"buggy": {"stats": (STILL,)}, "clean": {"stats": (MOVES,)}},
    },
    "s2_functional_training_false_fit": {  # keras-team/keras#20285: the literal is overridden by fit()
        2: {"buggy": {"stats": (STILL, STILL)}, "clean": {"stats": (STILL, STILL)}},
        3: {"buggy": {"stats": (MOVES, MOVES)}, "clean": {"stats": (STILL, STILL)}},
    },
    "s3_functional_training_true_predict": {  # ... and by predict()
        2: {
            "buggy": {"stats": (MOVES,), "equals_inference": False},
            "clean": {"stats": (STILL,), "equals_inference": True},
        },
        3: {
            "buggy": {"stats": (STILL,), "equals_inference": True},
            "clean": {"stats": (STILL,), "equals_inference": True},
        },
    },
    "s4_helper_default_false": {  # the helper's batch norm, then a later one that relies on the call context
        2: {
            "buggy": {"stats": (STILL, MOVES), "equals_inference": False},
            "clean": {"stats": (MOVES, MOVES), "equals_inference": False},
        },
        3: {
            "buggy": {"stats": (STILL, STILL), "equals_inference": True},
            "clean": {"stats": (MOVES, MOVES), "equals_inference": False},
        },
    },
    "s5_helper_default_none": {  # Keras 3 counts an explicit None as given, for the later layers too
        2: {
            "buggy": {"stats": (MOVES, MOVES), "equals_inference": False},
            "clean": {"stats": (MOVES, MOVES), "equals_inference": False},
        },
        3: {
            "buggy": {"stats": (STILL, STILL), "equals_inference": True},
            "clean": {"stats": (MOVES, MOVES), "equals_inference": False},
        },
    },
    "s6_gradient_tape_without_training": {
        version: {
            "buggy": {"stats": (STILL,), "equals_inference": True},
            "clean": {"stats": (MOVES,), "equals_inference": False},
        }
        for version in (2, 3)
    },
    "s7_train_step_without_training": {
        version: {"buggy": {"stats": (STILL,)}, "clean": {"stats": (MOVES,)}} for version in (2, 3)
    },
    "eval_training_true": {
        version: {
            "buggy": {"stats": (MOVES,), "depends_on_batch": True},
            "clean": {"stats": (STILL,), "depends_on_batch": False},
        }
        for version in (2, 3)
    },
    "learning_phase": {  # Keras 2: only direct calls follow the phase; predict() passes training=False
        2: {"set_learning_phase": "deprecated", "direct_call": {"stats": (MOVES,)}, "predict": {"stats": (STILL,)}},
        3: {"set_learning_phase": "missing", "direct_call": {"stats": (STILL,)}, "predict": {"stats": (STILL,)}},
    },
}


def _environment(version: int) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "TF_USE_LEGACY_KERAS"}
    environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if version == 2:
        environment["TF_USE_LEGACY_KERAS"] = "1"  # `tf.keras` is tf-keras
    return environment


def _movement(change: float) -> str:
    if change > 1e-3:
        return MOVES
    return STILL if change == 0.0 else f"changed by only {change:.3g}"  # neither: fails, showing the number


def _summary(case: object) -> object:
    """A case's measurements, each layer's change of statistics read as MOVES or STILL."""
    if not isinstance(case, dict):
        return case
    facts = {key: value for key, value in case.items() if key != "moving_stats_change"}
    return {"stats": tuple(_movement(change) for change in case["moving_stats_change"]), **facts}


def _cases() -> list[object]:
    needs_tf_keras = pytest.mark.skipif(
        find_spec("tf_keras") is None, reason='needs tf-keras: pip install -e ".[verify]"'
    )
    return [
        pytest.param(scenario, version, id=f"{scenario}-keras{version}", marks=[needs_tf_keras] if version == 2 else [])
        for scenario in BEHAVIOUR
        for version in (3, 2)
    ]


def test_every_scenario_has_its_expected_behaviour():
    scripts = {path.stem for path in SCENARIOS.glob("*.py")} - {"probe"}
    assert scripts == set(BEHAVIOUR)


@pytest.mark.parametrize(("scenario", "version"), _cases())
def test_keras_behaves_as_the_rules_claim(scenario, version):
    result = execute([sys.executable, str(SCENARIOS / f"{scenario}.py")], env=_environment(version))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report.pop("keras").split(".")[0] == str(version)
    assert {case: _summary(measured) for case, measured in report.items()} == BEHAVIOUR[scenario][version]
