"""Synthetic data where real training scripts expect their data: offline, seeded, small.

Each generator takes the path a script reads (a folder or a file, as the manifest's `data = ["name:target"]`
names it, relative to the script's working directory) and writes data of the shape and format the script expects.
The values are random: verify measures batch-norm behaviour, which any data shows; accuracy is not the point.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

_SEED = 20261207


def _random() -> np.random.Generator:
    return np.random.default_rng(_SEED)


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_idx(folder: Path, train: int = 10000, test: int = 1000) -> None:
    """The four gzipped idx files of MNIST (`input_data.read_data_sets(folder)`)."""
    random = _random()
    folder.mkdir(parents=True, exist_ok=True)
    for stem, count in (("train", train), ("t10k", test)):
        images = random.integers(0, 256, size=(count, 28, 28))
        labels = random.integers(0, 10, size=(count,))
        (folder / f"{stem}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images), 1))
        (folder / f"{stem}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels), 1))


def cifar10_python(folder: Path, per_batch: int = 1000) -> None:
    """CIFAR-10's python version: `data_batch_1..5` and `test_batch` pickles of a (N, 3072) uint8 array."""
    random = _random()
    folder.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{index}" for index in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": random.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8),
            b"labels": random.integers(0, 10, size=per_batch).tolist(),
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [b"class%d" % i for i in range(10)]}))


def cifar10_binary(folder: Path, per_batch: int = 1000) -> None:
    """CIFAR-10's binary version: `data_batch_1..5.bin` and `test_batch.bin`, records of 1 label + 3072 bytes."""
    random = _random()
    folder.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{index}.bin" for index in range(1, 6)] + ["test_batch.bin"]:
        records = random.integers(0, 256, size=(per_batch, 3073), dtype=np.uint8)
        records[:, 0] %= 10
        (folder / name).write_bytes(records.tobytes())
