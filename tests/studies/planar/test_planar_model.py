"""The planar tutorial's builder planar_mlp (keras_reg/studies/planar/model.py)."""

import keras
import numpy as np
import pytest
from helpers import layers_of
from keras import ops

from keras_reg.studies.planar import model as planar_model

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX


def test_planar_mlp_shapes_and_options():
    model = planar_model.planar_mlp()
    assert [d.units for d in layers_of(model, keras.layers.Dense)] == [20, 3, 1]
    assert model.count_params() == 127
    out = ops.convert_to_numpy(model(np.zeros((4, 2), "float32")))
    assert out.shape == (4, 1) and np.all((out > 0) & (out < 1))
    assert len(planar_model.planar_mlp("l2", alpha=0.01).losses) == 3
    assert [
        d.rate for d in layers_of(planar_model.planar_mlp("dropout", keep_prob=0.86), keras.layers.Dropout)
    ] == pytest.approx([0.14, 0.14])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"regularizer": "l1"}, "regularizer"),  # the planar tutorial has no L1 model
        ({"alpha": float("nan")}, "alpha"),
        ({"keep_prob": 0.0}, "keep_prob"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_planar_mlp_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"`{name}`"):
        planar_model.planar_mlp(**kwargs)


def test_planar_mlp_is_initialized_as_the_tutorials_course_and_its_dropout_can_fix_its_mask():
    model = planar_model.planar_mlp(seed=0)
    assert model.count_params() == (2 * 20 + 20) + (20 * 3 + 3) + (3 + 1)
    for name in ("hidden_1", "hidden_2", "logit"):
        init = model.get_layer(name).kernel_initializer.get_config()
        assert (init["scale"], init["mode"], init["distribution"]) == (
            1.0,
            "fan_in",
            "untruncated_normal",
        )  # randn / sqrt(n_prev)
        assert not model.get_layer(name).bias.numpy().any()
    fixed = planar_model.planar_mlp("dropout", keep_prob=0.86, fixed_mask=True, seed=0)
    assert [type(layer).__name__ for layer in fixed.layers].count("FixedMaskDropout") == 2
    assert [type(layer).__name__ for layer in planar_model.planar_mlp("dropout", keep_prob=0.86, seed=0).layers].count(
        "Dropout"
    ) == 2
