"""Static analysis never imports or runs the code it reads, and never needs TensorFlow."""

from __future__ import annotations

import sys
from importlib.metadata import requires

from support import execute, run


def test_checked_code_is_never_executed_or_imported(tmp_path):
    marker = tmp_path / "executed"
    (tmp_path / "sideeffect.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    (tmp_path / "train.py").write_text(
        "import tensorflow as tf\n"
        "import sideeffect\n"
        f"open({str(marker)!r}, 'w').write('executed')\n"
        "y = tf.layers.batch_normalization(tf.zeros([4, 3]), training=True)\n"
        "if __name__ == '__main__':\n"
        f"    open({str(marker)!r}, 'w').write('main')\n"
    )
    for command in (("bnlint", "check", str(tmp_path)), ("flake8", "--isolated", "--select", "BN", str(tmp_path))):
        result = run(*command, cwd=tmp_path)
        assert " BN001 " in result.stdout
        assert not marker.exists(), f"{command[0]} ran the checked code"


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
