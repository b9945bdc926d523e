"""bnlint: finds the batch-normalization mistakes in TensorFlow training scripts."""

__version__ = "0.4.0"
