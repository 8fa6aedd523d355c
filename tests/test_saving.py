"""The library's regularizers and layers in a saved ``.keras`` model reload in a fresh process after
``import keras_reg``, with their settings and predictions (one process for all of them: each costs an
import of Keras and its backend)."""

import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import ops

from keras_reg.layers import FixedMaskDropout, PadChannels, StochasticDepth
from keras_reg.regularizers import L1, L2

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX


def test_a_saved_model_of_the_librarys_parts_reloads_in_a_fresh_process(tmp_path):
    inputs = keras.Input((5,))
    branch = keras.layers.Dense(5, activation="tanh", kernel_regularizer=L1(0.002), name="d1")(inputs)
    out = StochasticDepth(0.3, mode="row", scale="test", seed=5, name="sd")([inputs, branch])
    out = FixedMaskDropout(0.8, seed=3, name="fixed")(out)
    out = PadChannels(7, name="pad")(out)
    model = keras.Model(inputs, keras.layers.Dense(2, kernel_regularizer=L2(0.01), name="d2")(out))
    x = np.random.default_rng(1).normal(size=(10, 5)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", ops.convert_to_numpy(model(x, training=False)))
    model.save(tmp_path / "m.keras")
    code = (
        "import sys, numpy as np, keras, keras_reg; d = sys.argv[1];"
        "m = keras.saving.load_model(d + '/m.keras'); sd = m.get_layer('sd');"
        "assert (sd.survival_probability, sd.mode, sd.scale, sd.seed) == (0.3, 'row', 'test', 5);"
        "assert (m.get_layer('fixed').keep_prob, m.get_layer('fixed').seed, m.get_layer('pad').channels) == (0.8, 3, 7);"
        "r1, r2 = m.get_layer('d1').kernel_regularizer, m.get_layer('d2').kernel_regularizer;"
        "assert (type(r1).__name__, r1.alpha, type(r2).__name__, r2.alpha, len(m.losses)) == ('L1', 0.002, 'L2', 0.01, 2);"
        "y = keras.ops.convert_to_numpy(m(np.load(d + '/x.npy'), training=False));"
        "np.testing.assert_allclose(y, np.load(d + '/y.npy'), rtol=1e-6, atol=1e-6); print('same')"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "same"
