"""The planar tutorial's data set: a seeded stand-in generator (its data is not shipped) and a reader
for its own ``data.mat``, registered as the data set ``planar``.
"""

from pathlib import Path

import numpy as np

from keras_reg import checks
from keras_reg.checks import Param
from keras_reg.data import DataError, VerificationError
from keras_reg.run.registry import Dataset, register_dataset

__all__ = ["planar_dataset", "load_planar_mat", "PLANAR_MAT"]


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


register_dataset(
    "planar",
    Dataset(
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
)
