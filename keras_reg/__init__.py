"""keras-reg: the L1, L2 and Dropout regularization study of Wu et al. (2020) on MNIST, in Keras 3.

Importing the package registers its regularizers and layers with Keras serialization, so that a
saved ``.keras`` model reloads in a fresh process after ``import keras_reg``, and registers its
studies' builders, data sets, experiments and artifact kinds (:mod:`keras_reg.studies`). It
imports Keras and what the backend needs, nothing more: on the JAX backend not TensorFlow.
TensorFlow, TFDS and matplotlib are imported only when used. TensorFlow's start-up log lines are
kept off the terminal (``keras_reg._quiet``; set ``KERAS_REG_TF_LOGS=1`` to see them).

The parts: :mod:`keras_reg.regularizers`, :mod:`keras_reg.losses`, :mod:`keras_reg.layers` (the
library for your own models); :mod:`keras_reg.data` (MNIST); :mod:`keras_reg.run` (specs,
registries, run directories, training); :mod:`keras_reg.artifacts` (figures and tables from run
directories); :mod:`keras_reg.studies` (one folder per study); :mod:`keras_reg.cli` (the scripts);
:mod:`keras_reg.tools` (the benchmark).
"""

import importlib

__version__ = "0.3.0"

from keras_reg import _quiet  # noqa: E402

_quiet.check_backend_or_exit()  # a keras-reg program: one line, status 2
if _quiet.backend() == "tensorflow":  # Keras imports it now anyway: without its start-up lines
    _quiet.import_tensorflow()

from keras_reg import layers, losses, regularizers, studies  # noqa: E402,F401  (registration)

_LAZY = ("artifacts", "checks", "cli", "data", "run", "tools")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
