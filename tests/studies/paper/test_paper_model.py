"""The paper's builder paper_mlp (keras_reg/studies/paper/model.py): architecture, parameter count, penalties, Dropout's forms and masks, precision, initializers, seeds, bad arguments."""

import keras
import numpy as np
import pytest
from helpers import layers_of
from keras import ops

from keras_reg import regularizers
from keras_reg.studies.paper import model as paper_model

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX


def test_paper_mlp_architecture_and_parameter_count():
    model = paper_model.paper_mlp()
    # 784*1000 + 1000 + 1000*500 + 500 + 500*10 + 10 (paper Figure 9)
    assert model.count_params() == 1_290_510
    dense = layers_of(model, keras.layers.Dense)
    assert [d.units for d in dense] == [1000, 500, 10]
    assert [d.activation.__name__ for d in dense] == ["tanh", "tanh", "linear"]
    assert isinstance(model.layers[-1], keras.layers.Softmax) and model.layers[-1].input is dense[-1].output
    out = model(np.zeros((3, 784), "float32"))
    assert tuple(out.shape) == (3, 10)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.sum(out, axis=1)), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name, cls", [("l1", regularizers.L1), ("l2", regularizers.L2)])
def test_paper_mlp_penalizes_the_three_kernels_only(name, cls):
    model = paper_model.paper_mlp(name, alpha=0.001)
    dense = layers_of(model, keras.layers.Dense)
    assert all(isinstance(d.kernel_regularizer, cls) and d.kernel_regularizer.alpha == 0.001 for d in dense)
    assert all(d.bias_regularizer is None for d in dense)
    assert len(model.losses) == 3
    expected = sum(float(cls(0.001)(d.kernel)) for d in dense)
    assert float(ops.sum(ops.stack(model.losses))) == pytest.approx(expected, rel=1e-5)
    assert not layers_of(model, keras.layers.Dropout)


def test_paper_mlp_dropout_follows_each_hidden_layer_with_rate_one_minus_keep():
    model = paper_model.paper_mlp("dropout", keep_prob=0.8)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Dense", "Dropout", "Dense", "Dropout", "Dense", "Softmax"]
    assert [d.rate for d in layers_of(model, keras.layers.Dropout)] == pytest.approx([0.2, 0.2])
    assert model.losses == []


def test_paper_mlp_input_dropout_is_a_first_layer_of_its_own_keep_probability():
    model = paper_model.paper_mlp("dropout", keep_prob=0.5, input_keep_prob=0.8, seed=0)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Dropout", "Dense", "Dropout", "Dense", "Dropout", "Dense", "Softmax"]
    assert [d.rate for d in layers_of(model, keras.layers.Dropout)] == pytest.approx([0.2, 0.5, 0.5])
    # Only the Dropout case drops inputs: the setting is ignored by the others, as keep_prob is.
    assert not layers_of(paper_model.paper_mlp("l2", input_keep_prob=0.8), keras.layers.Dropout)


def test_paper_mlp_dropout_l2_keeps_the_l2_penalty_beside_dropout():
    model = paper_model.paper_mlp("dropout", keep_prob=0.5, alpha=0.001, penalize_biases=True, dropout_l2=True, seed=0)
    assert [type(layer).__name__ for layer in model.layers[1:]] == [
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
        "Softmax",
    ]
    # The lesson code's 0.0005 * (l2_loss(W1) + l2_loss(b1) + ...): alpha/2 sum v^2 over kernels and biases.
    expected = sum(0.001 / 2 * float(np.sum(np.square(v))) for v in model.get_weights())
    assert float(ops.sum(ops.stack(model.losses))) == pytest.approx(expected, rel=1e-5)
    assert paper_model.paper_mlp("dropout", dropout_l2=False).losses == []
    assert (
        paper_model.paper_mlp("l1", dropout_l2=True).get_layer("hidden_1").kernel_regularizer.__class__
        is regularizers.L1
    )  # only Dropout's case


def test_paper_mlp_original_dropout_is_unscaled_in_training_and_times_p_at_test():
    keep = 0.5
    original = paper_model.paper_mlp("dropout", keep_prob=keep, dropout_form="original", seed=0)
    inverted = paper_model.paper_mlp("dropout", keep_prob=keep, seed=0)
    assert [type(layer).__name__ for layer in original.layers[1:]] == [
        "Dense",
        "Dropout",
        "Rescaling",
        "Dense",
        "Dropout",
        "Rescaling",
        "Dense",
        "Softmax",
    ]
    hidden = keras.Model(original.input, original.get_layer("keep_scale_1").output)
    tanh = keras.Model(original.input, original.get_layer("hidden_1").output)
    x = np.random.default_rng(0).uniform(size=(64, 784)).astype("float32")
    h = ops.convert_to_numpy(tanh(x))
    # At test: every unit times p (the paper's Figure 8).
    np.testing.assert_allclose(ops.convert_to_numpy(hidden(x, training=False)), keep * h, rtol=1e-6)
    # In training: each unit either dropped or passed unscaled (Figure 7), kept with probability p.
    trained = ops.convert_to_numpy(hidden(x, training=True))
    kept = trained != 0
    np.testing.assert_allclose(trained[kept], h[kept], rtol=1e-5)
    # 64,000 units: the kept fraction's binomial standard error is 0.002; 0.01 is five of them.
    assert abs(kept.mean() - keep) < 0.01
    # At test it is the inverted form's network with the kernels after a Dropout layer times p.
    w1, b1, w2, b2, w3, b3 = original.get_weights()
    inverted.set_weights([w1, b1, keep * w2, b2, keep * w3, b3])
    np.testing.assert_allclose(
        ops.convert_to_numpy(original(x)), ops.convert_to_numpy(inverted(x)), rtol=1e-5, atol=1e-7
    )


def test_paper_mlp_batch_masks_share_one_mask_per_batch():
    keep = 0.5
    model = paper_model.paper_mlp("dropout", keep_prob=keep, dropout_mask="batch", seed=0)
    assert [d.noise_shape for d in layers_of(model, keras.layers.Dropout)] == [(1, None), (1, None)]
    hidden = keras.Model(model.input, model.get_layer("dropout_1").output)
    tanh = keras.Model(model.input, model.get_layer("hidden_1").output)
    x = np.random.default_rng(0).uniform(size=(64, 784)).astype("float32")
    h = ops.convert_to_numpy(tanh(x))
    np.testing.assert_allclose(ops.convert_to_numpy(hidden(x, training=False)), h, rtol=1e-6)
    masks = []
    for _ in range(20):  # 20 batches
        trained = ops.convert_to_numpy(hidden(x, training=True))
        kept = trained != 0
        # One mask for the batch: every example keeps the same units, scaled by 1/p as tf.nn.dropout.
        assert (kept == kept[0]).all()
        np.testing.assert_allclose(trained[kept], (h / keep)[kept], rtol=1e-5)
        masks.append(kept[0])
    masks = np.array(masks)
    # A fresh mask per batch: 20 x 1000 units kept with p = 0.5, binomial s.e. 0.0035; 0.02 is ~5.7 of them.
    assert abs(masks.mean() - keep) < 0.02
    assert len({m.tobytes() for m in masks}) == 20
    # The default draws each unit of each example on its own.
    default = paper_model.paper_mlp("dropout", seed=0)
    per_unit = (
        ops.convert_to_numpy(keras.Model(default.input, default.get_layer("dropout_1").output)(x, training=True)) != 0
    )
    assert not (per_unit == per_unit[0]).all()


def test_paper_mlp_standard_has_no_regularization():
    model = paper_model.paper_mlp("none")
    assert model.losses == [] and not layers_of(model, keras.layers.Dropout)


def test_paper_mlp_mixed_bfloat16_keeps_weights_softmax_and_outputs_in_float32():
    model = paper_model.paper_mlp("dropout", dtype="mixed_bfloat16", seed=0)
    compute = {layer.name: layer.compute_dtype for layer in model.layers[1:]}
    assert compute == {
        "hidden_1": "bfloat16",
        "dropout_1": "bfloat16",
        "hidden_2": "bfloat16",
        "dropout_2": "bfloat16",
        "logits": "float32",
        "softmax": "float32",
    }
    assert all(v.dtype == "float32" for v in model.weights)
    out = model(np.full((2, 784), 0.5, "float32"))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    # The same weights in float32 give the same probabilities to bfloat16's precision.
    reference = paper_model.paper_mlp("dropout", seed=0)
    reference.set_weights(model.get_weights())
    np.testing.assert_allclose(
        ops.convert_to_numpy(out), ops.convert_to_numpy(reference(np.full((2, 784), 0.5, "float32"))), atol=2e-2
    )


def test_paper_mlp_initializers():
    tf1 = paper_model.paper_mlp(initializer="tf1_truncated_normal", seed=0)
    kernel = ops.convert_to_numpy(tf1.get_layer("hidden_1").kernel)
    assert abs(kernel.std() - 0.1 * 0.8796) < 0.002  # truncated at 2 sigma: std factor 0.8796
    assert np.abs(kernel).max() <= 0.2 + 1e-6
    np.testing.assert_array_equal(ops.convert_to_numpy(tf1.get_layer("hidden_1").bias), np.float32(0.1))
    glorot = ops.convert_to_numpy(paper_model.paper_mlp(seed=0).get_layer("hidden_1").kernel)
    assert np.abs(glorot).max() <= np.sqrt(6 / 1784) + 1e-6


def test_paper_mlp_seed_makes_weights_reproducible():
    a = paper_model.paper_mlp(seed=3).get_weights()
    b = paper_model.paper_mlp(seed=3).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"regularizer": "l3"}, "regularizer"),
        ({"alpha": -1.0}, "alpha"),
        ({"keep_prob": 0.0}, "keep_prob"),
        ({"keep_prob": 1.01}, "keep_prob"),
        ({"input_keep_prob": 0.0}, "input_keep_prob"),
        ({"dropout_form": "scaled"}, "dropout_form"),
        ({"dropout_l2": "yes"}, "dropout_l2"),
        ({"dropout_mask": "example"}, "dropout_mask"),
        ({"initializer": "he"}, "initializer"),
        ({"hidden_units": (1000, 0)}, "hidden_units"),
        ({"seed": "1"}, "seed"),
    ],
)
def test_paper_mlp_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"`{name}`"):
        paper_model.paper_mlp(**kwargs)
