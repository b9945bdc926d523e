"""Synthetic data for the GAN and multi-file projects of gan.toml: offline, seeded, small.

As in data.py, each generator takes the path a script reads (relative to its working directory, from the
manifest's `data = ["name:target"]`) and writes random data of the shape and format the script expects: image
folders (PIL) and TFRecord files (written here without TensorFlow: the record framing with its masked CRC-32C and
the `tf.train.Example` protobuf encoded by hand). Names say which repository or format they serve, so that they
never collide with the generators of the other data*.py modules.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

_SEED = 20261207


def _random(salt: str = "") -> np.random.Generator:
    return np.random.default_rng([_SEED, zlib.crc32(salt.encode())])


def _image(random: np.random.Generator, height: int, width: int, channels: int = 3) -> Image.Image:
    pixels = random.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    return Image.fromarray(pixels[..., 0] if channels == 1 else pixels)


def _encoded(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


# --- TFRecord files without TensorFlow ---------------------------------------------------------------------------

_CRC32C_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0x82F63B78 if _crc & 1 else _crc >> 1
    _CRC32C_TABLE.append(_crc)


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits, value = value & 0x7F, value >> 7
        out.append(bits | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _example(features: dict[str, bytes]) -> bytes:
    """A serialized tf.train.Example whose features are each a BytesList of one value."""
    entries = b"".join(
        _field(1, _field(1, name.encode()) + _field(2, _field(1, _field(1, value))))  # map entry: key, Feature
        for name, value in features.items()
    )
    return _field(1, entries)  # Example.features


def _write_tfrecord(path: Path, records: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        for record in records:
            length = struct.pack("<Q", len(record))
            file.write(length + struct.pack("<I", _masked_crc(length)) + record)
            file.write(struct.pack("<I", _masked_crc(record)))


# --- generators ----------------------------------------------------------------------------------------------------


def cyclegan_jpeg_tfrecords(path: Path, count: int = 16, size: int = 32) -> None:
    """vanhuyz/CycleGAN-TensorFlow's build_data.py output: one TFRecord file of Examples with
    `image/file_name` and `image/encoded_image` (a JPEG); reader.py decodes and resizes them to --image_size."""
    random = _random(path.name)
    records = [
        _example({
            "image/file_name": f"{index}.jpg".encode(),
            "image/encoded_image": _encoded(_image(random, size, size), "JPEG"),
        })
        for index in range(count)
    ]  # fmt: skip
    _write_tfrecord(path, records)


def srgan_png_pairs(folder: Path, count: int = 8, low: int = 16, scale: int = 4) -> None:
    """brade31919/SRGAN-tensorflow's training folders: `folder/LR/*.png` and `folder/HR/*.png` with the same names,
    the high-resolution image `scale` times the low-resolution one (3-channel PNGs, as data_loader asserts)."""
    random = _random("srgan")
    for name, size in (("LR", low), ("HR", low * scale)):
        (folder / name).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        _image(random, low, low).save(folder / "LR" / f"{index:04d}.png")
        _image(random, low * scale, low * scale).save(folder / "HR" / f"{index:04d}.png")


def pix2pix_ab_pngs(folder: Path, count: int = 8, size: int = 32) -> None:
    """affinelayer/pix2pix-tensorflow's --input_dir: PNGs holding the A and B images side by side (width 2x);
    pix2pix.py splits them and resizes each half to --scale_size."""
    random = _random("pix2pix")
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        _image(random, size, 2 * size).save(folder / f"{index}.png")


def congan_facades_jpgs(folder: Path) -> None:
    """yd8534976/conGAN's dataset folder: `train/1.jpg..400.jpg` and `val/1.jpg..100.jpg`, 256x512 pairs (target |
    input side by side) that main.py's get_input reads with PIL, all of them, before it builds the graph. Smooth
    random images (8x16 noise upsampled) keep the JPEGs small."""
    random = _random("congan")
    for split, count in (("train", 400), ("val", 100)):
        (folder / split).mkdir(parents=True, exist_ok=True)
        for index in range(1, count + 1):
            image = _image(random, 8, 16).resize((512, 256), Image.BILINEAR)
            image.save(folder / split / f"{index}.jpg", quality=75)


def inception_jpeg_tfrecords(path: Path, count: int = 64, size: int = 64) -> None:
    """A shard in the format of TensorFlow's Inception build_image_data.py (Examples whose `image/encoded` is a
    JPEG), as ilguyi/dcgan.tensorflow's image_processing.py reads from `--dataset_dir/train-*`."""
    random = _random(path.name)
    records = [_example({"image/encoded": _encoded(_image(random, size, size), "JPEG")}) for _ in range(count)]
    _write_tfrecord(path, records)
