"""The paper study's dropout.json measurement: the inverted network equals the paper's scaled-weights network."""

import numpy as np

from keras_reg.studies.paper import measurements as paper_measurements
from keras_reg.studies.paper import model as paper_model
from keras_reg.studies.planar import model as planar_model


def test_the_inverted_dropout_network_is_the_papers_scaled_weights_network():
    rng = np.random.default_rng(0)
    model = paper_model.paper_mlp("dropout", keep_prob=0.5, hidden_units=(40, 30), seed=1)
    x, y = rng.random((300, 784)).astype("float32"), rng.integers(0, 10, 300)
    check = paper_measurements.dropout_check(model, x, y, masks=20)
    assert check["keep_probabilities"] == [1.0, 0.5, 0.5]
    assert check["max_abs_difference_keras_vs_paper_form"] < 1e-5
    assert check["test_accuracy_paper_form"] == check["test_accuracy_deterministic"]
    assert check["monte_carlo_masks"] == 20 and 0.0 <= check["test_accuracy_monte_carlo_average"] <= 1.0
    assert paper_measurements.dropout_check(paper_model.paper_mlp("none", hidden_units=(8, 8)), x, y) is None
    assert paper_measurements.is_mlp(model) and not paper_measurements.is_mlp(
        planar_model.planar_mlp("dropout", keep_prob=0.8, fixed_mask=True)
    )
