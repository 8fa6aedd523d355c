"""keras-reg: the L1, L2 and Dropout regularization study of Wu et al. (2020) on MNIST, in Keras 3.

Importing the package registers its regularizers and layers with Keras serialization, so that a
saved ``.keras`` model reloads in a fresh process after ``import keras_reg``. The modules that
need TensorFlow, TFDS or matplotlib (``data``, ``training``, ``report``) import them only when used.
"""

import importlib

__version__ = "0.1.0"

from keras_reg import layers, losses, models, regularizers  # noqa: E402,F401  (registers serializables)

_LAZY = ("benchmark", "cli", "config", "data", "engine", "experiments", "paper", "report", "reproduce", "training")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
