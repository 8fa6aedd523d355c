"""StochasticDepth and linear_decay (keras_reg/layers/stochastic_depth.py): the shape contract, seeded statistical properties with stated tolerances, saving, and invalid arguments."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from keras_reg.layers import StochasticDepth, linear_decay

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX


SIGMAS = 5.0


def _ones(shape):
    return ops.ones(shape, dtype="float32")


def _gate(layer, shortcut, residual, training):
    """The per-example multiplier of the residual: (output - shortcut) / residual."""
    out = layer([shortcut, residual], training=training)
    return ops.convert_to_numpy(out - shortcut) / ops.convert_to_numpy(residual)


def test_output_shape_and_no_weights():
    layer = StochasticDepth(0.7, mode="row")
    shortcut, residual = _ones((4, 5, 5, 3)), 2.0 * _ones((4, 5, 5, 3))
    out = layer([shortcut, residual], training=True)
    assert tuple(out.shape) == (4, 5, 5, 3)
    assert layer.weights == []
    assert layer.compute_output_shape([(4, 5, 5, 3), (4, 5, 5, 3)]) == (4, 5, 5, 3)


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        StochasticDepth()([_ones((2, 3)), _ones((2, 4))])


@pytest.mark.parametrize("scale", ["test", "train"])
def test_batch_mode_keeps_fraction_p_with_one_gate_per_call(scale):
    p, n = 0.3, 2000
    layer = StochasticDepth(p, mode="batch", scale=scale, seed=1)
    shortcut, residual = _ones((8, 3)), _ones((8, 3))
    kept = 0
    for _ in range(n):
        gate = _gate(layer, shortcut, residual, True)
        assert np.all(gate == gate.flat[0])  # the whole batch shares the gate
        expected_on = 1.0 if scale == "test" else 1.0 / p
        assert gate.flat[0] == 0.0 or gate.flat[0] == pytest.approx(expected_on, rel=1e-6)
        kept += gate.flat[0] > 0
    assert abs(kept / n - p) < SIGMAS * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("scale", ["test", "train"])
def test_row_mode_draws_a_gate_per_example(scale):
    p, batch = 0.3, 20000
    layer = StochasticDepth(p, mode="row", scale=scale, seed=2)
    gate = _gate(layer, _ones((batch, 2, 3)), _ones((batch, 2, 3)), True)
    per_example = gate[:, 0, 0]
    assert np.all(gate == per_example[:, None, None])  # one gate per example, shared within it
    kept = per_example > 0
    assert 0 < kept.sum() < batch  # examples of one call differ
    assert abs(kept.mean() - p) < SIGMAS * math.sqrt(p * (1 - p) / batch)


@pytest.mark.parametrize("scale", ["test", "train"])
@pytest.mark.parametrize("p", [0.2, 0.75])  # not 0.5: a test at 0.5 cannot tell p from 1 - p
def test_training_mean_equals_inference_output(scale, p):
    batch = 40000
    layer = StochasticDepth(p, mode="row", scale=scale, seed=3)
    shortcut = 0.5 * _ones((batch, 1))
    residual = 2.0 * _ones((batch, 1))
    train_mean = ops.convert_to_numpy(layer([shortcut, residual], training=True)).mean()
    inference = ops.convert_to_numpy(layer([shortcut, residual], training=False))
    assert np.all(inference == inference[0])
    # The residual term is 2 * gate (* 1/p for scale="train"); its sample mean's std over the batch:
    scale_factor = 2.0 if scale == "test" else 2.0 / p
    tolerance = SIGMAS * scale_factor * math.sqrt(p * (1 - p) / batch)
    assert abs(train_mean - inference[0, 0]) < tolerance
    expected = 0.5 + (2.0 * p if scale == "test" else 2.0)
    assert inference[0, 0] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("mode", ["batch", "row"])
@pytest.mark.parametrize("scale", ["test", "train"])
def test_survival_zero_and_one_are_exact_and_finite(mode, scale):
    shortcut = keras.random.normal((64, 4), seed=0)
    residual = keras.random.normal((64, 4), seed=1)
    s, r = ops.convert_to_numpy(shortcut), ops.convert_to_numpy(residual)
    always = StochasticDepth(1.0, mode=mode, scale=scale)
    never = StochasticDepth(0.0, mode=mode, scale=scale)
    for training in (True, False):
        np.testing.assert_array_equal(ops.convert_to_numpy(always([shortcut, residual], training=training)), s + r)
    np.testing.assert_array_equal(ops.convert_to_numpy(never([shortcut, residual], training=True)), s)
    inference = ops.convert_to_numpy(never([shortcut, residual], training=False))
    np.testing.assert_array_equal(inference, s if scale == "test" else s + r)


def test_same_seed_gives_same_gates_and_different_seeds_differ():
    def gates(seed):
        layer = StochasticDepth(0.5, mode="row", seed=seed)
        return _gate(layer, _ones((256, 1)), _ones((256, 1)), True)

    np.testing.assert_array_equal(gates(7), gates(7))
    assert not np.array_equal(gates(7), gates(8))


def test_runs_under_jit_compile_in_training():
    inputs = keras.Input((6,))
    h = keras.layers.Dense(6)(inputs)
    out = StochasticDepth(0.6, mode="row", seed=4)([inputs, keras.layers.Dense(6)(h)])
    model = keras.Model(inputs, keras.layers.Dense(1)(out))
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
    history = model.fit(x, x[:, :1], batch_size=16, epochs=2, verbose=0)
    assert all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"survival_probability": -0.1}, "survival_probability"),
        ({"survival_probability": 1.5}, "survival_probability"),
        ({"survival_probability": float("nan")}, "survival_probability"),
        ({"survival_probability": "0.5"}, "survival_probability"),
        ({"mode": "column"}, "mode"),
        ({"scale": "both"}, "scale"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_invalid_arguments_name_the_argument_and_value(kwargs, name):
    with pytest.raises(ValueError, match=rf"`{name}`.*Received: {name}="):
        StochasticDepth(**kwargs)


def test_linear_decay_huang_rule():
    # p_l = 1 - l/L (1 - p_L): L = 4, p_L = 0.5 -> 0.875, 0.75, 0.625, 0.5
    assert linear_decay(4, 0.5) == pytest.approx([0.875, 0.75, 0.625, 0.5])
    assert linear_decay(1, 0.8) == pytest.approx([0.8])


def test_linear_decay_linspace_rule_starts_at_one():
    assert linear_decay(5, 0.6, rule="linspace") == pytest.approx([1.0, 0.9, 0.8, 0.7, 0.6])


@pytest.mark.parametrize(
    "args, name",
    [((0,), "num_blocks"), ((2.0,), "num_blocks"), ((3, 1.2), "final_survival"), ((3, 0.5, "cosine"), "rule")],
)
def test_linear_decay_refuses_bad_arguments(args, name):
    with pytest.raises(ValueError, match=rf"`{name}`"):
        linear_decay(*args)
