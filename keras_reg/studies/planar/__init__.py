"""The planar tutorial's study: no regularization, L2 and Dropout on a 2-D two-class set
(:func:`planar_mlp`, the data set ``planar``), its experiment ``planar`` and its decision
boundaries. Its README.md maps every figure and table to the command that makes it.
"""

from keras_reg.studies.planar import artifacts, data, experiment  # noqa: F401  (registration)
from keras_reg.studies.planar.model import planar_mlp

__all__ = ["planar_mlp"]
