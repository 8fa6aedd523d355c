"""The measurements behind the paper's conclusions: weight statistics and the Dropout test-time check."""

import numpy as np
import pytest

from keras_reg import regularizers
from keras_reg.studies.cnn import measurements as cnn_measurements
from keras_reg.studies.cnn import model as cnn_model
from keras_reg.studies.paper import measurements as paper_measurements
from keras_reg.studies.paper import model as paper_model
from keras_reg.studies.planar import model as planar_model


def test_weight_summary_counts_every_kernel_weight_and_the_thresholds_nest():
    model = paper_model.paper_mlp("l1", hidden_units=(30, 20), seed=0)
    summary = regularizers.weight_summary(model)
    assert [layer["layer"] for layer in summary["layers"]] == ["hidden_1", "hidden_2", "logits"]
    for layer, size in zip(summary["layers"], (784 * 30, 30 * 20, 20 * 10)):
        assert layer["size"] == size and sum(layer["histogram"]) + layer["below_histogram"] == size
        fractions = [layer["fraction_below"][t] for t in ("0.0001", "0.001", "0.01")]
        assert fractions == sorted(fractions) and 0.0 <= fractions[0] and fractions[-1] <= 1.0
    # Glorot-uniform weights of a 784 x 30 kernel: |w| < 1e-2 for about 1e-2 / limit of them.
    limit = np.sqrt(6 / (784 + 30))
    assert abs(summary["layers"][0]["fraction_below"]["0.01"] - 1e-2 / limit) < 0.02


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
