"""Which traceback frames `bnlint verify` counts as the user's (no TensorFlow needed)."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path
from types import SimpleNamespace

import bnlint
from bnlint.verify.usercode import UserCode


def _frame(path: Path, line: int = 7) -> SimpleNamespace:
    return SimpleNamespace(filename=str(path), lineno=line)


def test_a_project_in_folders_named_bnlint_and_site_packages_is_the_users(tmp_path):
    project = tmp_path / "bnlint" / "site-packages" / "project"
    script = project / "train.py"
    script.parent.mkdir(parents=True)
    script.write_text("")
    assert UserCode(project).frames([_frame(script)]) == ((str(script.resolve()), 7),)


def test_library_frames_are_not_the_users():
    stdlib = Path(sysconfig.get_path("stdlib")) / "runpy.py"
    ours = Path(bnlint.__file__).parent / "verify" / "compat.py"
    code = UserCode(Path("/"))  # the folder holds everything: only where the files are decides
    assert code.frames([_frame(ours), _frame(Path(sys.prefix) / "lib" / "x.py")]) == ()
    assert code.frames([_frame(stdlib)]) == ()


def test_a_project_inside_a_library_folder_keeps_its_own_files(tmp_path):
    script = tmp_path / "prefix" / "project" / "train.py"
    script.parent.mkdir(parents=True)
    code = UserCode(script.parent, libraries=[tmp_path / "prefix"])
    assert code.frames([_frame(script, 3), SimpleNamespace(filename="<string>", lineno=1)]) == (
        (str(script.resolve()), 3),
    )
