"""bnlint on published TensorFlow code nobody here wrote: every finding must be a reviewed, listed one."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

from support import ROOT, run

# The packages and versions the test extra of pyproject.toml pins; nothing is downloaded while tests run.
PACKAGES = {"tf_slim": ("tf-slim", "1.1.0"), "tensorpack": ("tensorpack", "0.11"), "tflearn": ("tflearn", "0.5.0")}
REVIEWED = ROOT / "tests" / "real_code" / "reviewed_findings.txt"
_ENTRY = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<code>BN\d{3}) (?P<reason>\S.*)$")


def _installed() -> tuple[Path, list[str]]:
    folders = []
    for package, (distribution, pinned) in PACKAGES.items():
        assert version(distribution) == pinned, f"{distribution} {version(distribution)} is installed, not {pinned}"
        spec = find_spec(package)  # finds the package without importing it (it would need TensorFlow)
        assert spec is not None and spec.submodule_search_locations, f"{distribution} is not installed"
        folders.append(Path(next(iter(spec.submodule_search_locations))))
    site = folders[0].parent
    assert all(folder.parent == site for folder in folders)
    return site, [folder.name for folder in folders]


def _reviewed() -> set[tuple[str, int, str]]:
    entries = set()
    for line in REVIEWED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            match = _ENTRY.match(line)
            assert match, f"malformed line in {REVIEWED.name}: {line!r}"
            entries.add((match["path"], int(match["line"]), match["code"]))
    return entries


def test_published_code_has_only_reviewed_findings():
    site, packages = _installed()
    result = run("bnlint", "check", "--format", "json", *packages, cwd=site)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    diagnostics = json.loads(result.stdout)
    errors = [d for d in diagnostics if d["code"] in ("BN900", "BN901")]
    assert not errors, f"bnlint could not analyse published code: {errors}"
    found = {(d["path"], d["line"], d["code"]) for d in diagnostics}
    assert found - _reviewed() == set(), "findings nobody has reviewed: list each with its reason, or fix bnlint"
    assert _reviewed() - found == set(), "reviewed findings bnlint no longer reports: update the list"
