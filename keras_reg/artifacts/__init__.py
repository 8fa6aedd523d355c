"""An experiment's artifacts (figures, tables, summaries), drawn from run directories only.

``runs_dir/<case>/seed_<k>/history.csv`` for each case of the experiment; a case may have several
seeds (shown as mean +- one standard deviation, ``ddof=1``) and any number of epochs. Cases,
labels, colours and the reference numbers come from the experiment; what is drawn is its
``artifacts``, each a kind of :data:`keras_reg.artifacts.registry.ARTIFACTS` with its options.
"""

from keras_reg.artifacts import curves, summary, tables  # noqa: F401  (register the generic kinds)
from keras_reg.artifacts.io import load_runs, write_text
from keras_reg.artifacts.registry import ARTIFACTS, make_all, register

__all__ = ["ARTIFACTS", "make_all", "register", "load_runs", "write_text"]
