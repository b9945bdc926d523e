"""The benchmark's cache folder: corpora built from pinned packages, the comparison virtualenvs, generated scripts.

Everything here is built once and reused; a marker file holding the pins it was built from says a folder is complete,
so a changed pin or an interrupted build rebuilds it.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

FLAKE8_PINS = ("flake8==7.5.0", "pyflakes==4.1.0", "pycodestyle==2.15.0", "mccabe==0.7.0")
# TorchFix 0.7.0 needs libcst < 1.6, hence its own virtualenv.
TORCHFIX_PINS = ("TorchFix==0.7.0", "libcst==1.5.1", "PyYAML==6.0.4", *FLAKE8_PINS)
SMALL_PACKAGES = ("tf-slim==1.1.0", "tensorpack==0.11", "tflearn==0.5.0", "tf-models-official==2.20.0")
LARGE_PACKAGE = "tensorflow-cpu==2.21.0"
# The same wheel whatever machine runs the benchmark, so the large corpus is the same files everywhere.
LARGE_WHEEL_TAGS = (
    "--only-binary=:all:",
    "--python-version=3.11",
    "--implementation=cp",
    "--abi=cp311",
    "--platform=manylinux_2_27_x86_64",
)
# tflearn's sdist (62 files, examples and tests included) rather than a wheel built from it (51).
SDIST_ONLY = ("--no-binary=tflearn",)
# Folders of the standard library left out: third-party code, and tests that hold deliberately broken files.
# bnlint never descends into a folder named `venv` (a virtualenv, usually) and flake8 does: leaving the `venv`
# package out keeps the files every tool reads the same.
STDLIB_SKIPPED = frozenset({"site-packages", "test", "tests", "idle_test", "__pycache__", "venv"})
MARKER = ".complete"
TORCH_MARK = b"\n# torch\n"


class SetupError(Exception):
    """The cache could not be built: the message says why and what to do."""


@dataclass(frozen=True)
class Environments:
    """The interpreters and tools each measured command runs with."""

    project: Path  # the project's virtualenv: bnlint, and flake8 with the bnlint plugin
    flake8: Path  # flake8 and pyflakes without bnlint: the "without plugin" baseline
    torchfix: Path | None  # flake8 with TorchFix, the nearest libcst-based peer


def executable(environment: Path, name: str) -> str:
    return str(environment / "bin" / name)


def prepare_cache(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    # Keeps the downloaded corpora and virtualenvs out of git, and out of ruff (which follows .gitignore).
    (cache / ".gitignore").write_text("*\n")


def small_corpus(cache: Path) -> Path:
    return _built(cache / "corpora" / "small", SMALL_PACKAGES, lambda folder: _from_packages(folder, SMALL_PACKAGES))


def large_corpus(cache: Path) -> Path:
    return _built(
        cache / "corpora" / "large", (LARGE_PACKAGE,), lambda folder: _from_packages(folder, (LARGE_PACKAGE,))
    )


def stdlib_corpus(cache: Path) -> Path:
    source = Path(sysconfig.get_paths()["stdlib"])
    pins = (f"stdlib of Python {platform.python_version()} at {source}",)
    return _built(
        cache / "corpora" / f"stdlib-{platform.python_version()}", pins, lambda folder: _copy_stdlib(source, folder)
    )


def torch_marked_corpus(cache: Path, small: Path) -> Path:
    """A copy of the small corpus with a `# torch` line appended to every file: TorchFix only parses files that
    mention torch, so on this copy it does the work a plugin without a text pre-filter would."""
    return _built(cache / "corpora" / "small-torch-marked", SMALL_PACKAGES, lambda folder: _mark(small, folder))


def _built(folder: Path, pins: tuple[str, ...], build: Callable[[Path], None]) -> Path:
    marker = folder / MARKER
    if marker.is_file() and marker.read_text() == "\n".join(pins):
        return folder
    print(f"building {folder} ...", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    build(folder)
    marker.write_text("\n".join(pins))
    return folder


def _from_packages(folder: Path, requirements: tuple[str, ...]) -> None:
    downloads = folder.parent / f"{folder.name}.downloads"
    shutil.rmtree(downloads, ignore_errors=True)
    extra = LARGE_WHEEL_TAGS if requirements == (LARGE_PACKAGE,) else SDIST_ONLY
    _pip_download(requirements, downloads, extra)
    for archive in sorted(downloads.iterdir()):
        _write_members(folder, _python_members(archive))
    # Only the extracted `*.py` files are measured; the tensorflow wheel alone is 274 MB.
    shutil.rmtree(downloads)


def _pip_download(requirements: tuple[str, ...], destination: Path, extra: tuple[str, ...]) -> None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(destination), *extra]
    _pip(command + list(requirements), f"download {' '.join(requirements)}")


def _pip(command: list[str], what: str) -> None:
    print(f"pip: {what} ...", file=sys.stderr)
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-8:])
        raise SetupError(
            f"pip could not {what}. The benchmark needs the package index once, to build its corpora and "
            f"comparison environments; is it reachable from here?\n{tail}"
        )


def _python_members(archive: Path) -> Iterator[tuple[str, bytes]]:
    """(relative path, content) of each `*.py` file of a wheel (under a folder named after the wheel) or an sdist
    (under its own top folder)."""
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as wheel:
            for name in wheel.namelist():
                if name.endswith(".py"):
                    yield f"{archive.name.removesuffix('.whl')}/{name}", wheel.read(name)
        return
    with tarfile.open(archive) as sdist:
        for member in sdist.getmembers():
            if member.isfile() and member.name.endswith(".py"):
                yield member.name, sdist.extractfile(member).read()


def _write_members(folder: Path, members: Iterator[tuple[str, bytes]]) -> None:
    for name, content in members:
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise SetupError(f"refusing to extract {name}: it would land outside {folder}")
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _copy_stdlib(source: Path, folder: Path) -> None:
    for path in sorted(source.rglob("*.py")):
        relative = path.relative_to(source)
        if not STDLIB_SKIPPED & set(relative.parts[:-1]):
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _mark(source: Path, folder: Path) -> None:
    for path in sorted(source.rglob("*.py")):
        target = folder / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes() + TORCH_MARK)


def environments(cache: Path, with_torchfix: bool) -> Environments:
    project = Path(sys.executable).parent.parent
    if not (project / "bin" / "bnlint").exists():
        raise SetupError(
            f"no bnlint next to {sys.executable}: run the benchmark with the project's virtualenv, "
            "`.venv/bin/python benchmarks/corpus.py`, after the README's install command"
        )
    flake8 = _virtualenv(cache / "venvs" / "flake8", FLAKE8_PINS)
    torchfix = _virtualenv(cache / "venvs" / "torchfix", TORCHFIX_PINS) if with_torchfix else None
    return Environments(project, flake8, torchfix)


def _virtualenv(folder: Path, pins: tuple[str, ...]) -> Path:
    marker = folder / MARKER
    if marker.is_file() and marker.read_text() == "\n".join(pins):
        return folder
    print(f"building the virtualenv {folder} ...", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = executable(folder, "python")
    _pip([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins], f"install {' '.join(pins)}")
    marker.write_text("\n".join(pins))
    return folder


def package_versions(environment: Path, names: tuple[str, ...]) -> str:
    """`name version` of each installed distribution of a virtualenv, as it reports them itself."""
    script = "import importlib.metadata as m, sys\nprint(', '.join(f'{n} {m.version(n)}' for n in sys.argv[1:]))\n"
    command = [executable(environment, "python"), "-c", script, *names]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def require_bnlint_options(bnlint: str, options: tuple[str, ...]) -> None:
    """Fails early, not after minutes of other measurements, when this bnlint lacks an option the benchmark uses."""
    help_text = subprocess.run([bnlint, "check", "--help"], capture_output=True, text=True).stdout
    missing = [option for option in options if option not in help_text]
    if missing:
        raise SetupError(f"`bnlint check` has no {', '.join(missing)}: this benchmark needs a bnlint that has them")
