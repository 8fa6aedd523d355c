"""PadChannels (keras_reg/layers/pad_channels.py), and StochasticDepth on a widening layer: the layer or its padded input."""

import math

import numpy as np
import pytest

from keras_reg.layers import StochasticDepth

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX


def test_pad_channels_zero_pads_the_last_axis_and_refuses_narrowing():
    from keras_reg.layers import PadChannels

    x = np.arange(2 * 3 * 3 * 2, dtype="float32").reshape(2, 3, 3, 2)
    y = np.asarray(PadChannels(5)(x))
    assert y.shape == (2, 3, 3, 5) and np.array_equal(y[..., :2], x) and not y[..., 2:].any()
    with pytest.raises(ValueError, match="at most that many"):
        PadChannels(1)(x)


@pytest.mark.parametrize("p", [0.8, 0.3])
def test_stochastic_depth_on_a_widening_layer_is_the_layer_or_the_padded_input(p):
    # The CNN report's stochastic depth on conv1 (1 -> 64 channels): StochasticDepth on
    # [pad(x), F(x) - pad(x)] gives F(x) or pad(x) in training, p F(x) + (1 - p) pad(x) at inference.
    from keras_reg.layers import PadChannels

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6, 6, 1)).astype("float32")
    f = rng.normal(size=(4, 6, 6, 8)).astype("float32")  # stands for conv1-BN-ReLU of x
    pad = np.asarray(PadChannels(8)(x))
    layer = StochasticDepth(p, seed=3)
    residual = f - pad
    outcomes = []
    for _ in range(400):
        out = np.asarray(layer([pad, residual], training=True))
        took_f, took_pad = np.allclose(out, f, atol=1e-6), np.allclose(out, pad, atol=1e-6)
        assert took_f != took_pad  # one or the other, never a mixture
        outcomes.append(took_f)
    # the fraction that kept F(x): binomial(400, p), 4 standard deviations
    assert abs(np.mean(outcomes) - p) < 4 * math.sqrt(p * (1 - p) / 400)
    np.testing.assert_allclose(np.asarray(layer([pad, residual], training=False)), p * f + (1 - p) * pad, atol=1e-6)
