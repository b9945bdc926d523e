"""Turning bytes into the text flake8 would see, and the cheap test that decides whether to parse at all."""

from __future__ import annotations

import io
import re
import tokenize

# A module that names none of these cannot import TensorFlow, tf-slim or Keras, so no rule can fire in it. `slim`
# counts as a name (`slim.`, `tf_slim`), not as a word part: the standard library's "slimmer" made
# `logging.handlers` and all its importers look like TensorFlow code.
_FRAMEWORK = re.compile(r"tensorflow|keras|(?<![A-Za-z])slim(?![A-Za-z])")


def decode(data: bytes) -> str:
    """Decode as flake8 does: PEP 263 cookie or BOM, latin-1 when that fails; universal newlines."""
    text = data.decode(encoding_of(data))
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def encoding_of(data: bytes) -> str:
    """The encoding a file is read with: its PEP 263 cookie or BOM (`utf-8-sig`), latin-1 when that fails."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return "latin-1"
    return encoding


def mentions_framework(text: str) -> bool:
    return _FRAMEWORK.search(text) is not None
