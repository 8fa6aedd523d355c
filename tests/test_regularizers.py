import math

import keras
import numpy as np
import pytest

from keras_reg import regularizers
from keras_reg.studies.paper import model as paper_model
from keras_reg.studies.planar import model as planar_model

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX

W = np.array([[1.0, -2.0], [0.5, 0.0], [-3.0, 0.25]], dtype="float32")


def test_l1_penalty_is_alpha_times_sum_abs():
    # 1 + 2 + 0.5 + 0 + 3 + 0.25 = 6.75
    assert float(regularizers.L1(0.1)(W)) == pytest.approx(0.675, rel=1e-6)


def test_l2_penalty_is_half_alpha_times_sum_squares():
    # 1 + 4 + 0.25 + 0 + 9 + 0.0625 = 14.3125; the paper's Omega = 1/2 ||w||^2
    assert float(regularizers.L2(0.1)(W)) == pytest.approx(0.5 * 0.1 * 14.3125, rel=1e-6)


def test_l2_equals_keras_l2_with_half_coefficient():
    assert float(regularizers.L2(0.02)(W)) == pytest.approx(float(keras.regularizers.L2(0.01)(W)), rel=1e-6)


def test_zero_alpha_gives_zero_penalty():
    assert float(regularizers.L1(0)(W)) == 0.0
    assert float(regularizers.L2(0.0)(W)) == 0.0


@pytest.mark.parametrize("cls", [regularizers.L1, regularizers.L2])
@pytest.mark.parametrize("bad", [-1e-4, float("nan"), float("inf"), "0.1", None, True, [0.1]])
def test_invalid_alpha_is_refused_with_its_name_and_value(cls, bad):
    with pytest.raises(ValueError, match=r"`alpha`.*Received: alpha="):
        cls(bad)


def _sgd_weights_after(steps, regularizer, weight_decay):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = rng.integers(0, 3, size=(32,))
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(
                3,
                activation="softmax",
                use_bias=False,  # Keras decays every variable; the penalty is on kernels only
                kernel_regularizer=regularizer,
                kernel_initializer=keras.initializers.Constant(0.3),
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.5, weight_decay=weight_decay),
        loss="sparse_categorical_crossentropy",
    )
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model.layers[0].kernel.numpy()


def test_l2_under_sgd_is_exactly_sgd_weight_decay():
    alpha = 0.05  # large enough that a factor-of-2 slip would show
    with_penalty = _sgd_weights_after(6, regularizers.L2(alpha), None)
    with_decay = _sgd_weights_after(6, None, alpha)
    without = _sgd_weights_after(6, None, None)
    np.testing.assert_allclose(with_penalty, with_decay, rtol=1e-5, atol=1e-6)
    assert np.abs(with_penalty - without).max() > 1e-2  # the decay did something


@pytest.mark.parametrize("cls", [regularizers.L1, regularizers.L2])
def test_config_round_trip(cls):
    reg = cls(0.003)
    again = keras.regularizers.deserialize(keras.regularizers.serialize(reg))
    assert type(again) is cls and again.alpha == 0.003
    assert float(again(W)) == pytest.approx(float(reg(W)))


def test_weight_stats_reports_norms_and_sparsity():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    model.get_layer("d").kernel.assign(np.array([[3.0, -4.0], [0.0, 1e-5], [0.5, 0.0]], "float32"))
    (row,) = regularizers.weight_stats(model, threshold=1e-3)
    assert row["layer"] == "d" and row["size"] == 6
    assert row["l1"] == pytest.approx(7.50001, rel=1e-5)
    assert row["l2"] == pytest.approx(math.sqrt(9 + 16 + 0.25), rel=1e-5)
    assert row["fraction_below"] == pytest.approx(3 / 6)
    assert row["max_abs"] == pytest.approx(4.0)


def test_weight_stats_refuses_bad_threshold():
    with pytest.raises(ValueError, match="`threshold`"):
        regularizers.weight_stats(planar_model.planar_mlp(), threshold=0)


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
