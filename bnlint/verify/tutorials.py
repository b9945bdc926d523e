"""Stand-in for `tensorflow.examples.tutorials.mnist.input_data`, which TensorFlow 2 removed and TF1 tutorials import.

`read_data_sets(folder)` reads the four MNIST files (idx format, gzipped or not) from the folder the script names,
as TF1's did, and never downloads: a missing file is the script's missing data, said with its path. Imported only
in the verifier's child process.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import NamedTuple

import numpy as np

_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DataSet:
    """One split, with TF1's `next_batch`: shuffled each epoch, images scaled to [0, 1]."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, seed: int | None = None) -> None:
        self._images = images
        self._labels = labels
        self._index = 0
        self._random = np.random.default_rng(seed)
        self.epochs_completed = 0

    @property
    def images(self) -> np.ndarray:
        return self._images

    @property
    def labels(self) -> np.ndarray:
        return self._labels

    @property
    def num_examples(self) -> int:
        return len(self._images)

    def next_batch(self, batch_size: int, fake_data: bool = False, shuffle: bool = True) -> tuple[np.ndarray, ...]:
        if self._index == 0 and shuffle:
            self._shuffle()
        if self._index + batch_size > self.num_examples:
            self.epochs_completed += 1
            self._index = 0
            if shuffle:
                self._shuffle()
        start, self._index = self._index, self._index + batch_size
        return self._images[start : self._index], self._labels[start : self._index]

    def _shuffle(self) -> None:
        order = self._random.permutation(self.num_examples)
        self._images, self._labels = self._images[order], self._labels[order]


class Datasets(NamedTuple):
    train: DataSet
    validation: DataSet
    test: DataSet


def read_data_sets(
    train_dir: str,
    fake_data: bool = False,
    one_hot: bool = False,
    dtype: object = np.float32,
    reshape: bool = True,
    validation_size: int = 5000,
    seed: int | None = None,
    source_url: str = "",
) -> Datasets:
    folder = Path(train_dir)
    arrays = {name: _read_idx(folder, stem) for name, stem in _FILES.items()}
    images = {name: _images(arrays[name], reshape) for name in ("train_images", "test_images")}
    labels = {name: _labels(arrays[name], one_hot) for name in ("train_labels", "test_labels")}
    validation_size = min(validation_size, len(images["train_images"]) // 2)
    train_images, train_labels = images["train_images"], labels["train_labels"]
    return Datasets(
        train=DataSet(train_images[validation_size:], train_labels[validation_size:], seed),
        validation=DataSet(train_images[:validation_size], train_labels[:validation_size], seed),
        test=DataSet(images["test_images"], labels["test_labels"], seed),
    )


def _read_idx(folder: Path, stem: str) -> np.ndarray:
    for path in (folder / f"{stem}.gz", folder / stem):
        if path.is_file():
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            dimensions = data[3]
            shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions))
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)
    raise FileNotFoundError(f"MNIST file {folder / stem}.gz not found (bnlint verify does not download data)")


def _images(raw: np.ndarray, reshape: bool) -> np.ndarray:
    images = raw.astype(np.float32) / 255.0
    return images.reshape(len(images), -1) if reshape else images[..., np.newaxis]


def _labels(raw: np.ndarray, one_hot: bool) -> np.ndarray:
    return np.eye(10, dtype=np.float32)[raw] if one_hot else raw.astype(np.uint8)
