"""FixedMaskDropout (keras_reg/layers/fixed_mask_dropout.py): one mask at every call, the expectation kept."""

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX


def test_fixed_mask_dropout_keeps_one_mask_and_the_expectation():
    from keras_reg.layers import FixedMaskDropout

    layer = FixedMaskDropout(keep_prob=0.8, seed=3)
    x = np.ones((400, 50), "float32")
    a, b = (keras.ops.convert_to_numpy(layer(x, training=True)) for _ in range(2))
    np.testing.assert_array_equal(a, b)  # the planar tutorial's mask: the same at every step
    assert set(np.unique(a)) == {0.0, 1.25}
    assert abs(a.mean() - 1.0) < 0.02  # inverted: the expectation is kept (20,000 units; std of the mean 0.006)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    with pytest.raises(ValueError, match="`keep_prob`"):
        FixedMaskDropout(keep_prob=0.0)
