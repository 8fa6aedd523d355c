"""The CNN report's builder report_cnn (keras_reg/studies/cnn/model.py)."""

import keras
import numpy as np
import pytest
from helpers import layers_of

from keras_reg import layers
from keras_reg.studies.cnn import model as cnn_model

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX


def test_report_cnn_is_the_reports_network_with_its_options():
    plain = cnn_model.report_cnn(seed=0)
    assert tuple(plain(np.zeros((2, 28, 28, 1), "float32")).shape) == (2, 10)
    convs = layers_of(plain, keras.layers.Conv2D)
    assert [(c.filters, c.kernel_size, c.strides, c.padding) for c in convs] == [
        (n, (3, 3), (1, 1), "same") for n in (64, 128, 256)
    ]
    assert [tuple(p.pool_size) for p in layers_of(plain, keras.layers.MaxPooling2D)] == [(2, 2)] * 3
    assert len(layers_of(plain, keras.layers.BatchNormalization)) == 3 and plain.losses == []
    assert not layers_of(plain, layers.StochasticDepth) and not layers_of(plain, keras.layers.Dropout)
    # The "about 59 MFLOP per image forward": 2 x the multiply-adds of the convolutions
    conv_macs = sum(np.prod(c.output.shape[1:]) * np.prod(c.kernel.shape[:-1]) for c in convs)
    assert 2 * conv_macs / 1e6 == pytest.approx(58.7, abs=0.05)
    assert [tuple(d.kernel.shape) for d in layers_of(plain, keras.layers.Dense)] == [(3 * 3 * 256, 512), (512, 10)]
    full = cnn_model.report_cnn(alpha=0.001, dropout=0.3, stochastic_depth=0.8, seed=0)
    assert full.count_params() == plain.count_params()  # the options add no parameters
    assert len(full.losses) == 16  # coupled weight decay: every kernel, bias, BN scale and offset
    assert [d.rate for d in layers_of(full, keras.layers.Dropout)] == [0.3]
    assert [s.survival_probability for s in layers_of(full, layers.StochasticDepth)] == [0.8]  # conv1 only
    linear = cnn_model.report_cnn(stochastic_depth=0.5, sd_blocks="all")
    assert [s.survival_probability for s in layers_of(linear, layers.StochasticDepth)] == pytest.approx(
        [1 - 1 / 6, 1 - 2 / 6, 0.5]
    )


def test_report_cnn_weight_decay_is_coupled_l2_on_every_variable():
    # PyTorch's Adam(weight_decay=wd) adds wd * v to every parameter's gradient: the penalty wd/2 sum v^2.
    model = cnn_model.report_cnn(alpha=0.001, seed=0)
    expected = (
        0.001 / 2 * sum(float(np.sum(np.square(keras.ops.convert_to_numpy(v)))) for v in model.trainable_variables)
    )
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)


def test_report_cnn_refuses_bad_arguments():
    with pytest.raises(ValueError, match="`sd_blocks`"):
        cnn_model.report_cnn(sd_blocks="conv2")
    with pytest.raises(ValueError, match="`stochastic_depth`"):
        cnn_model.report_cnn(stochastic_depth=0.0)
