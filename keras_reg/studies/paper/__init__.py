"""The paper's study (Wu et al. 2020): L1, L2 and Dropout on the 784-1000-500-10 tanh MLP on MNIST.

* :mod:`~keras_reg.studies.paper.reference`: its printed Tables 1-3, setup and conclusions, as data;
* :mod:`~keras_reg.studies.paper.model`: :func:`paper_mlp`, the builder ``paper_mlp``;
* :mod:`~keras_reg.studies.paper.measurements`: what a trained network is measured for;
* :mod:`~keras_reg.studies.paper.experiment`: the experiment ``paper`` and its protocols;
* :mod:`~keras_reg.studies.paper.fidelity`, :mod:`~keras_reg.studies.paper.sweeps`: the experiments
  ``fidelity`` and ``sweep_l1``, ``sweep_l2``, ``sweep_keep``, with their artifact kinds;
* :mod:`~keras_reg.studies.paper.artifacts`, :mod:`~keras_reg.studies.paper.geometry`: its other
  artifacts (weights, claims, Figures 1-2, the lesson code's logs).

Its README.md maps every figure and table to the command that makes it.
"""

from keras_reg.studies.paper import artifacts, experiment, fidelity, sweeps  # noqa: F401  (registration)
from keras_reg.studies.paper.model import paper_mlp

__all__ = ["paper_mlp"]
