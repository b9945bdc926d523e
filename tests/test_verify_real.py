"""The real-script verify set (benchmarks/verify_real/*.toml): its form. Running it is a benchmark
(benchmarks/verify_real.py, table in docs/verify-real.md), not a test: each script trains under TensorFlow."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys

from bnlint.rules import RULES_BY_CODE
from support import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
_SPEC = importlib.util.spec_from_file_location("verify_real_runner", ROOT / "benchmarks" / "verify_real.py")
assert _SPEC is not None and _SPEC.loader is not None
verify_real = importlib.util.module_from_spec(_SPEC)
sys.modules["verify_real_runner"] = verify_real  # its dataclasses look their module up by name
_SPEC.loader.exec_module(verify_real)

SCRIPTS = verify_real.load()
_SHA = re.compile(r"^[0-9a-f]{40}$")
# The data generators, by name, read without importing them: they need what the benchmark installs (Pillow).
_GENERATORS = {
    node.name
    for path in (ROOT / "benchmarks" / "verify_real").glob("data*.py")
    for node in ast.parse(path.read_text(encoding="utf-8")).body
    if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
}
_KINDS = {"tf1-graph", "compat-v1", "slim", "gan", "multi-file", "keras-fit", "tf2-loop"}


def test_the_set_is_as_large_as_the_issue_asks():
    assert len(SCRIPTS) >= 25
    assert len({script.kind for script in SCRIPTS}) >= 5


def test_every_script_has_provenance_data_and_judged_verdicts():
    assert len({script.id for script in SCRIPTS}) == len(SCRIPTS), "script ids must be unique"
    for script in SCRIPTS:
        assert _SHA.match(script.commit) and "/" in script.repository, script.id
        assert script.script.endswith(".py") and script.kind in _KINDS and script.why.strip(), script.id
        for item in script.data:
            name, _, target = item.partition(":")
            assert name in _GENERATORS and target, f"{script.id}: {item}"
        for entry in script.expect:
            known = entry.code in RULES_BY_CODE or re.fullmatch(r"BN1\d\d", entry.code)
            assert known and entry.line > 0 and entry.why.strip(), f"{script.id}: {entry}"
            assert entry.verdict in ("confirmed", "refuted", "not reached"), f"{script.id}: {entry}"
