"""Static analysis never imports or runs the code it reads, and never needs TensorFlow."""

from __future__ import annotations

import sys
from importlib.metadata import requires

from support import execute, run, traps


def test_checked_code_is_never_executed_or_imported(tmp_path):
    traces = traps(tmp_path)
    # Each command, and the exit status that says it read the code: 1, findings; 0 for --diff (BN001 has no fix).
    commands = {
        ("bnlint", "check", "."): 1,
        ("bnlint", "check", "--format", "json", "--no-cache", "-j2", "."): 1,
        ("bnlint", "check", "--diff", "."): 0,
        ("bnlint", "check", "notebook.ipynb"): 1,
        ("bnlint", "check", "--stdin-filename", "train.py", "-"): 1,
        ("flake8", "--select", "BN", "."): 1,
    }
    for command, status in commands.items():
        result = run(*command, cwd=tmp_path, stdin=(tmp_path / "train.py").read_bytes())
        assert result.returncode == status and "Traceback" not in result.stderr, (command, result.stderr)
        assert sorted(path.name for path in traces.iterdir()) == [], f"{' '.join(command)} ran the checked code"


def test_static_analysis_does_not_import_tensorflow():
    code = (
        "import sys, bnlint.cli\n"
        "status = bnlint.cli.main(['check', 'examples', 'tests/fixtures'])\n"
        "assert status == 1, status\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras', 'tf_slim')))\n"
    )
    result = execute([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_installing_bnlint_does_not_pull_tensorflow():
    required = [line for line in requires("bnlint") or [] if "extra ==" not in line]
    assert not [line for line in required if line.split()[0].lower().startswith(("tensorflow", "keras", "tf-"))]
