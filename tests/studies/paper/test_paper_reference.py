"""The paper's printed tables as data."""

import pytest

from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.studies.paper import reference

PAPER, FIDELITY = EXPERIMENTS["paper"], EXPERIMENTS["fidelity"]


def test_printed_table3_is_table2_minus_table1():
    for case in reference.CASES:
        for k in range(5):
            assert reference.PRINTED_GAP[case][k] == pytest.approx(
                reference.TRAIN_ACCURACY[case][k] - reference.TEST_ACCURACY[case][k], abs=0.005
            )
