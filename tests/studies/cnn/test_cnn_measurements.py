"""The CNN study's stochastic_depth.json measurement on trained-shaped networks."""

import numpy as np
import pytest

from keras_reg.studies.cnn import measurements as cnn_measurements
from keras_reg.studies.cnn import model as cnn_model


def test_the_stochastic_depth_check_on_a_report_cnn():
    import math

    import keras

    rng = np.random.default_rng(0)
    x = rng.random((48, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 48)
    model = cnn_model.report_cnn(stochastic_depth=0.8, seed=0)
    check = cnn_measurements.stochastic_depth_check(model, x, y, draws=300, draw_examples=16)
    assert (check["examples"], check["draw_examples"]) == (48, 16)
    (layer,) = check["layers"]
    assert layer["name"] == "sd1" and layer["survival_probability"] == 0.8
    # kept fraction: binomial(300, 0.8) / 300; 4 standard errors
    assert abs(layer["kept_fraction"] - 0.8) < 4 * math.sqrt(0.16 / 300) and layer[
        "kept_fraction_standard_error"
    ] == pytest.approx(math.sqrt(0.16 / 300))
    assert layer["max_abs_difference_inference_vs_formula"] < 1e-5
    assert abs(layer["max_relative_difference_inference_vs_draw_average"] - abs(layer["kept_fraction"] - 0.8)) < 1e-5
    assert 0 <= check["max_abs_difference_probabilities_inference_vs_expectation"] < 1
    assert cnn_measurements.stochastic_depth_check(cnn_model.report_cnn(seed=0), x, y) is None
    # With its gate open the gated conv1 is conv1 itself: the plain network with the same weights.
    plain = cnn_model.report_cnn(seed=1)
    for layer in plain.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    opened = keras.ops.convert_to_numpy(cnn_measurements._call_gated(model, x, {id(model.get_layer("sd1")): 1.0}))
    np.testing.assert_allclose(opened, np.asarray(plain(x, training=False)), atol=1e-6)


def test_the_stochastic_depth_check_covers_every_gated_layer_of_the_linear_rule():
    # The stochastic_depth_linear case gates all three convolutions: p_l = 1 - l/3 (1 - 0.5).
    import math

    rng = np.random.default_rng(1)
    x = rng.random((32, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 32)
    model = cnn_model.report_cnn(stochastic_depth=0.5, sd_blocks="all", seed=0)
    check = cnn_measurements.stochastic_depth_check(model, x, y, draws=300, draw_examples=8)
    assert [layer["name"] for layer in check["layers"]] == ["sd1", "sd2", "sd3"]
    for layer, p in zip(check["layers"], (5 / 6, 2 / 3, 1 / 2)):
        assert layer["survival_probability"] == pytest.approx(p)
        # each layer draws its own gates: binomial(300, p) / 300, within 4 standard errors
        assert abs(layer["kept_fraction"] - p) < 4 * math.sqrt(p * (1 - p) / 300)
        assert layer["max_abs_difference_inference_vs_formula"] < 1e-5
        assert abs(layer["max_relative_difference_inference_vs_draw_average"] - abs(layer["kept_fraction"] - p)) < 1e-5
    assert 0 <= check["max_abs_difference_probabilities_inference_vs_expectation"] < 1
