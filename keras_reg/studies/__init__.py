"""The studies, one folder each: its experiment(s), references, builders, measurements, artifacts
and README. Importing a study registers what it defines (builders, data sets, experiments,
artifact kinds); a new study is a new folder and one line here.
"""

# The paper's study first: where studies declare the same setting (alpha, keep_prob), the scripts'
# help shows the first declaration's default.
from keras_reg.studies import paper  # noqa: F401, I001
from keras_reg.studies import cnn, planar  # noqa: F401
