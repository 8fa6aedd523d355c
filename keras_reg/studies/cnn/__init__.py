"""The CNN report's study: weight decay, Dropout and stochastic depth on its 64/128/256-channel MNIST
CNN (:func:`report_cnn`), its experiment ``cnn`` and its claims. Its README.md maps every figure and
table to the command that makes it.
"""

from keras_reg.studies.cnn import artifacts, experiment  # noqa: F401  (registration)
from keras_reg.studies.cnn.model import report_cnn

__all__ = ["report_cnn"]
