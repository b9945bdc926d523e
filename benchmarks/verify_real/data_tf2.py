"""Synthetic data for the TF2 / Keras scripts of tf2.toml: offline, seeded, small.

Like data.py, each generator takes the path a script reads (relative to its working directory, as the manifest's
`data = ["name:target"]` names it) and writes random data of the shape and format the script expects. The image
files are small: the scripts resize them to their own input size.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

_SEED = 20261208


def _random() -> np.random.Generator:
    return np.random.default_rng(_SEED)


def _jpeg(random: np.random.Generator, height: int, width: int) -> bytes:
    pixels = random.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _class_folders(folder: Path, random: np.random.Generator, classes: int, per_class: int, size: int) -> None:
    for label in range(classes):
        (folder / f"class{label}").mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            (folder / f"class{label}" / f"{index:04d}.jpg").write_bytes(_jpeg(random, size, size))


def split_class_folders(folder: Path) -> None:
    """`train/`, `valid/` and `test/`, each with five class folders of JPEG files (2, 1 and 1 images a class, so
    that with batch 8 an epoch is two steps and a validation batch follows): the `dataset/` of calmisential's TF2
    classification repositories (`pathlib.Path(dir).glob('*/*')`)."""
    random = _random()
    for split, per_class in (("train", 2), ("valid", 1), ("test", 1)):
        _class_folders(folder / split, random, classes=5, per_class=per_class, size=48)


def class_folders_5x8(folder: Path) -> None:
    """Five class folders of eight 64x64 JPEG files (`flow_from_directory(folder)`, `image_dataset_from_directory`)."""
    _class_folders(folder, _random(), classes=5, per_class=8, size=64)


def split_tfrecords(folder: Path) -> None:
    """`train.tfrecord`, `valid.tfrecord` and `test.tfrecord` of `tf.train.Example`s with `image_raw` (JPEG bytes)
    and `label` (int64), five classes, 10 / 5 / 5 records (with batch 8, two training steps an epoch and one
    validation batch): calmisential's Basic_CNNs_TensorFlow2 `dataset/`."""
    import tensorflow as tf  # only this generator needs it

    random = _random()
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", 10), ("valid", 5), ("test", 5)):
        with tf.io.TFRecordWriter(str(folder / f"{split}.tfrecord")) as writer:
            for index in range(count):
                feature = {
                    "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[index % 5])),
                    "image_raw": tf.train.Feature(bytes_list=tf.train.BytesList(value=[_jpeg(random, 48, 48)])),
                }
                writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())


def pix2pix_pairs(folder: Path) -> None:
    """The facades layout of pix2pix: `train/*.jpg` (12) and `test/*.jpg` (3), each image a target and an input
    side by side (128x64; the scripts resize each half to 256x256)."""
    random = _random()
    for split, count in (("train", 12), ("test", 3)):
        (folder / split).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            (folder / split / f"{index}.jpg").write_bytes(_jpeg(random, 64, 128))


def windows_faces_glob(folder: Path) -> None:
    """512 64x64 JPEG files named `C:\\Users\\Jackie\\Downloads\\faces\\NNNNN.jpg` in `folder`: on Linux the
    Windows path `glob.glob(r'C:\\Users\\Jackie\\Downloads\\faces\\*.jpg')` of dragen1860's GAN lesson is one
    file-name pattern, matched in the working directory. 512 is the script's batch size (batches drop the rest)."""
    random = _random()
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(512):
        (folder / f"C:\\Users\\Jackie\\Downloads\\faces\\{index:05d}.jpg").write_bytes(_jpeg(random, 64, 64))


def empty_folder(folder: Path) -> None:
    """An empty folder, where a script writes its outputs without creating the folder."""
    folder.mkdir(parents=True, exist_ok=True)


def facades_tar_gz(path: Path) -> None:
    """`facades.tar.gz` as keras.utils.get_file finds it in its cache folder (then it does not download, and with
    extract=True unpacks it beside): `facades/train/*.jpg` (4) and `facades/test/*.jpg` (2), each image a target
    and an input side by side (128x64)."""
    import tarfile

    random = _random()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for split, count in (("train", 4), ("test", 2)):
            for index in range(count):
                data = _jpeg(random, 64, 128)
                member = tarfile.TarInfo(f"facades/{split}/{index}.jpg")
                member.size = len(data)
                archive.addfile(member, io.BytesIO(data))
