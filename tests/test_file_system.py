"""Odd trees: links that loop or lead out of the checked folder, folders named like Python files, files that vanish
between the walk and the read. Each is skipped or reported, and the run goes on."""

from __future__ import annotations

import os

from bnlint import cli
from support import check_in_process, run

BUGGY = "import tensorflow as tf\n\ny = tf.layers.batch_normalization(tf.zeros([4, 3]), training=True)\n"


def _codes(stdout: str) -> list[tuple[str, str]]:
    """(file name, code) of each text-format finding line (the count line after them counts them)."""
    *lines, count = stdout.splitlines()
    assert count.startswith(f"Found {len(lines)} finding") if lines else count == "All checks passed!"
    return [(line.split(":")[0].rsplit(os.sep, 1)[-1], line.split(": ")[1].split()[0]) for line in lines]


def test_links_are_not_followed_out_of_the_tree_or_round_a_loop(tmp_path):
    outside, tree = tmp_path / "outside", tmp_path / "tree"
    outside.mkdir()
    (outside / "elsewhere.py").write_text(BUGGY)
    (tree / "pkg").mkdir(parents=True)
    (tree / "train.py").write_text(BUGGY)
    (tree / "to_outside").symlink_to(outside, target_is_directory=True)
    (tree / "linked.py").symlink_to(outside / "elsewhere.py")
    (tree / "pkg" / "loop").symlink_to(tree, target_is_directory=True)
    (tree / "dangling.py").symlink_to(tmp_path / "missing.py")
    result = run("bnlint", "check", "--no-cache", str(tree))
    assert _codes(result.stdout) == [("train.py", "BN001")]
    assert result.returncode == 1 and result.stderr == ""


def test_a_folder_named_like_a_python_file(tmp_path):
    (tmp_path / "model.py").mkdir()
    (tmp_path / "model.py" / "train.py").write_text(BUGGY)
    walked = run("bnlint", "check", "--no-cache", str(tmp_path))
    assert _codes(walked.stdout) == [("train.py", "BN001")]
    named = run("bnlint", "check", "--no-cache", str(tmp_path / "model.py" / "train.py"), str(tmp_path / "model.py"))
    assert _codes(named.stdout) == [("train.py", "BN001")]  # a folder named on the command line is walked too


def test_a_file_that_vanishes_after_the_walk_is_reported_and_the_others_checked(tmp_path, monkeypatch):
    for name in ("a_train.py", "b_gone.py", "c_train.py"):
        (tmp_path / name).write_text(BUGGY)
    walk = cli.python_files

    def walk_then_delete(*args, **kwargs):
        for path in walk(*args, **kwargs):
            if path.endswith("b_gone.py"):
                os.remove(path)  # gone between the listing and the read
            yield path

    monkeypatch.setattr(cli, "python_files", walk_then_delete)
    status, output = check_in_process(str(tmp_path))
    assert _codes(output) == [("a_train.py", "BN001"), ("b_gone.py", "BN900"), ("c_train.py", "BN001")]
    assert "could not read: No such file or directory" in output
    assert status == 2
