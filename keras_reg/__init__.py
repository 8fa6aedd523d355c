"""keras-reg: the L1, L2 and Dropout regularization study of Wu et al. (2020) on MNIST, in Keras 3.

Importing the package registers its regularizers and layers with Keras serialization, so that a
saved ``.keras`` model reloads in a fresh process after ``import keras_reg``. It imports Keras and
what the backend needs, nothing more: on the JAX backend not TensorFlow. The modules that need
TensorFlow, TFDS or matplotlib (``data``, ``report``, TensorBoard in ``training``) import them only
when used. TensorFlow's start-up log lines are kept off the terminal (``keras_reg._quiet``; set
``KERAS_REG_TF_LOGS=1`` to see them).
"""

import importlib

__version__ = "0.2.0"

from keras_reg import _quiet  # noqa: E402

if _quiet.backend() == "tensorflow":  # Keras imports it now anyway: without its start-up lines
    _quiet.import_tensorflow()

from keras_reg import layers, losses, models, regularizers  # noqa: E402,F401  (registers serializables)

_LAZY = (
    "benchmark",
    "checks",
    "cli",
    "data",
    "engine",
    "experiments",
    "paper",
    "report",
    "reproduce",
    "spec",
    "training",
)


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
