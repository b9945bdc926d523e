"""Synthetic data for the TF1 scripts of tf1.toml: offline, seeded, small (see data.py for the conventions).

Each generator takes the path the script reads (relative to its working directory, as the manifest names it) and
writes data of the shape and format the script expects. The values are random: verify measures batch-norm
behaviour, which any data shows.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
from PIL import Image

_SEED = 20261208


def _random() -> np.random.Generator:
    return np.random.default_rng(_SEED)


def _jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def tf1_empty_folder(folder: Path) -> None:
    """A folder the script writes into but the commit only holds through a file the runner does not copy."""
    folder.mkdir(parents=True, exist_ok=True)


def signs_jpeg(folder: Path, train: int = 320, dev: int = 64) -> None:
    """The 64x64 SIGNS set of cs230-code-examples: `train_signs/` and `dev_signs/` of `{label}_IMG_{id}.jpg`,
    labels 0..5."""
    random = _random()
    for name, count in (("train_signs", train), ("dev_signs", dev)):
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            label = index % 6
            image = random.integers(0, 256, size=(64, 64, 3))
            (target / f"{label}_IMG_{index}.jpg").write_bytes(_jpeg(image))


def sfmlearner_kitti(folder: Path, sequences: int = 2, frames: int = 6, height: int = 64, width: int = 192) -> None:
    """tinghuiz/SfMLearner's prepared KITTI training set (data/prepare_train_data.py): `train.txt` of
    `subfolder frame`, each frame a JPEG of 3 consecutive views side by side (height x 3*width) and a
    `{frame}_cam.txt` of the 9 intrinsics. Matches `--img_height 64 --img_width 192 --seq_length 3`."""
    random = _random()
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for sequence in range(sequences):
        subfolder = f"2011_09_26_drive_{sequence:04d}_sync_02"
        (folder / subfolder).mkdir(exist_ok=True)
        for frame in range(frames):
            name = f"{frame:010d}"
            image = random.integers(0, 256, size=(height, 3 * width, 3))
            (folder / subfolder / f"{name}.jpg").write_bytes(_jpeg(image))
            fx, cx, cy = 0.6 * width, width / 2, height / 2
            intrinsics = [fx, 0.0, cx, 0.0, fx, cy, 0.0, 0.0, 1.0]
            (folder / subfolder / f"{name}_cam.txt").write_text(",".join(f"{v:.4f}" for v in intrinsics))
            lines.append(f"{subfolder} {name}\n")
    (folder / "train.txt").write_text("".join(lines))


def rsrae_20news(path: Path, count: int = 150, dim: int = 10000) -> None:
    """dmzou/RSRAE's `20news.data`: a pickle of {"X": (N, 10000) non-negative features, "y": labels 0..19}."""
    random = _random()
    path.parent.mkdir(parents=True, exist_ok=True)
    features = np.where(random.random((count, dim)) < 0.01, random.random((count, dim)), 0.0).astype(np.float32)
    labels = np.arange(count) % 20
    path.write_bytes(pickle.dumps({"X": features, "y": labels}, protocol=4))


def rsrae_tinyimagenet(path: Path, count: int = 200) -> None:
    """dmzou/RSRAE's `tinyimagenet.data`: a pickle of {"X": (N, 32, 32, 3) values in [0, 1], "y": labels 0..9}
    (the script maps X to [-1, 1] and builds its convolutional autoencoder for it)."""
    random = _random()
    path.parent.mkdir(parents=True, exist_ok=True)
    images = random.random((count, 32, 32, 3)).astype(np.float32)
    labels = np.arange(count) % 10
    path.write_bytes(pickle.dumps({"X": images, "y": labels}, protocol=4))


def cifar10_python_tmp(folder: Path, per_batch: int = 500) -> None:
    """ikhlestov/vision_networks' CIFAR-10 cache: `cifar-10-batches-py/` (as data.cifar10_python) under the folder
    the provider downloads to, with an empty `cifar-10-python.tar.gz` beside it so that it does not download."""
    from verify_real.data import cifar10_python

    folder.mkdir(parents=True, exist_ok=True)
    cifar10_python(folder / "cifar-10-batches-py", per_batch)
    (folder / "cifar-10-python.tar.gz").write_bytes(b"")
