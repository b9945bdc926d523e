"""Inputs that are not clean UTF-8 Python 3 get one clear diagnostic, never a traceback, in both front ends."""

from __future__ import annotations

import pytest

from support import run

LINE = "y = tf.layers.batch_normalization(x, training=True)\n"
HEADER = "import tensorflow as tf\n\nx = tf.zeros([4, 3])\n"
GOOD = (HEADER + LINE).encode()

CASES = {
    # name: (bytes, CLI exit status, the line of a finding or error and its code, or None)
    "python2": (b"import tensorflow as tf\nprint 'training'\n", 2, (2, "BN900")),
    "syntax-error": (b"import tensorflow as tf\ndef model(:\n    pass\n", 2, (2, "BN900")),
    "latin-1-without-cookie": ((HEADER + "# caf\xe9\n" + LINE).encode("latin-1"), 1, (5, "BN001")),
    "coding-cookie": (
        ("# -*- coding: latin-1 -*-\n" + HEADER + "# caf\xe9\n" + LINE).encode("latin-1"),
        1,
        (6, "BN001"),
    ),
    "utf-8-bom": (b"\xef\xbb\xbf" + GOOD, 1, (4, "BN001")),
    "crlf": (GOOD.replace(b"\n", b"\r\n"), 1, (4, "BN001")),
    "nul-byte": (b"import tensorflow as tf\nx = 1\x00\n", 2, (2, "BN900")),
    "empty": (b"", 0, None),
}


@pytest.mark.parametrize("name", CASES)
def test_cli(tmp_path, name):
    data, status, expected = CASES[name]
    path = tmp_path / "input.py"
    path.write_bytes(data)
    result = run("bnlint", "check", str(path))
    assert result.returncode == status
    assert "Traceback" not in result.stderr
    *lines, count = result.stdout.splitlines()
    if expected is None:
        assert (lines, count) == ([], "All checks passed!")
    else:
        (line,) = lines
        assert count.startswith("Found 1 finding in 1 file")
        assert line.startswith(f"{path}:{expected[0]}:") and f" {expected[1]} " in line
        if expected[1] == "BN900":
            assert "could not parse" in line


def test_python2_is_named_in_the_message(tmp_path):
    path = tmp_path / "old.py"
    path.write_bytes(CASES["python2"][0])
    assert "Python 2" in run("bnlint", "check", str(path)).stdout


def test_a_bom_and_crlf_do_not_move_the_finding(tmp_path):
    columns = set()
    for name in ("utf-8-bom", "crlf"):
        path = tmp_path / f"{name}.py"
        path.write_bytes(CASES[name][0])
        columns.add(run("bnlint", "check", str(path)).stdout.split(":")[2])
    plain = tmp_path / "plain.py"
    plain.write_bytes(GOOD)
    columns.add(run("bnlint", "check", str(plain)).stdout.split(":")[2])
    assert len(columns) == 1


@pytest.mark.parametrize("name", CASES)
def test_flake8_never_crashes(tmp_path, name):
    data, _, expected = CASES[name]
    path = tmp_path / "input.py"
    path.write_bytes(data)
    result = run("flake8", "--isolated", "--select", "BN,E999", str(path))
    assert "Traceback" not in result.stderr and "failed during execution" not in result.stderr
    if expected is not None and expected[1] != "BN900":
        assert f":{expected[0]}:" in result.stdout and expected[1] in result.stdout


def test_flake8_on_empty_stdin():
    result = run("flake8", "--select", "BN", "-", stdin=b"")
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("binary.py", bytes(range(256)), "could not parse: the file contains a NUL byte"),
        ("syntax.py", b"import os\ndef main(:\n    pass\n", "could not parse: invalid syntax"),
    ],
)
def test_a_file_python_cannot_read_is_reported_whatever_it_mentions(tmp_path, name, data, message):
    # Neither file mentions TensorFlow, so the screen would pass them over; flake8 reports both (E999).
    (tmp_path / name).write_bytes(data)
    (tmp_path / "clean.py").write_text("import os\n")
    result = run("bnlint", "check", str(tmp_path))
    assert result.returncode == 2
    assert result.stdout.splitlines()[:-1] == [result.stdout.split(": BN900 ")[0] + f": BN900 {message}"]
    assert result.stdout.startswith(str(tmp_path / name))
