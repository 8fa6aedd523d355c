import keras
import numpy as np
import pytest
from keras import ops

from keras_reg import losses

pytestmark = pytest.mark.backend  # .ci/run runs these again on JAX

P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype="float32")
Y = np.array([0, 2])


def _value(name):
    return float(losses.get(name)(Y, P))


def test_cross_entropy_is_minus_log_probability_of_the_label():
    assert _value("cross_entropy") == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2, rel=1e-5)


def test_double_softmax_applies_softmax_to_the_probabilities():
    soft = np.exp(P) / np.exp(P).sum(axis=1, keepdims=True)
    assert _value("double_softmax") == pytest.approx(-(np.log(soft[0, 0]) + np.log(soft[1, 2])) / 2, rel=1e-5)


def test_binary_per_class_sums_a_binary_cross_entropy_over_classes():
    onehot = np.eye(3)[Y]
    per_example = -(onehot * np.log(P) + (1 - onehot) * np.log(1 - P)).sum(axis=1)
    assert _value("binary_per_class") == pytest.approx(per_example.mean(), rel=1e-5)


def test_double_softmax_gradient_is_bounded_unlike_cross_entropy():
    # Why the TF 1.x idiom trains differently: d loss / d p is softmax(p) - onehot, at most 1 in size,
    # while -log p has gradient -1/p, unbounded as p -> 0.
    p = ops.convert_to_tensor(np.array([[1e-6, 1 - 1e-6]], "float32"))
    y = np.array([0])
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        def grad(loss):
            with tf.GradientTape() as tape:
                tape.watch(p)
                value = loss(y, p)
            return np.abs(tape.gradient(value, p).numpy()).max()
    else:
        import jax

        def grad(loss):
            return np.abs(np.asarray(jax.grad(lambda q: loss(y, q))(p))).max()

    assert grad(losses.get("double_softmax")) <= 1.0
    assert grad(keras.losses.SparseCategoricalCrossentropy()) > 1e3


@pytest.mark.parametrize("name", ["double_softmax", "binary_per_class"])
def test_serialization_round_trip(name):
    loss = losses.get(name)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(again) is type(loss) and float(again(Y, P)) == pytest.approx(float(loss(Y, P)))


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="`loss`.*Received: loss='mse'"):
        losses.get("mse")
