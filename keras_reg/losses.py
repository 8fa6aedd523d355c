"""The candidate readings of the paper's cross-entropy (section 3), as Keras losses on probabilities.

The paper's network ends in a softmax and it prints the cross-entropy in a per-class binary form;
TensorFlow 1.x code of its time often passed the softmax *output* to
``tf.nn.softmax_cross_entropy_with_logits``, applying softmax twice. All three take the model's
softmax probabilities ``y_pred`` (batch, 10) and integer labels ``y_true`` (batch,):

* ``"cross_entropy"``: the textbook -log p_y (Keras's ``SparseCategoricalCrossentropy``; on
  TensorFlow it reads the logits behind the softmax, so it is computed stably).
* ``"double_softmax"``: -log softmax(p)_y, the TF 1.x idiom
  ``softmax_cross_entropy_with_logits(logits=softmax(z))``.
* ``"binary_per_class"``: the printed formula, -sum_k [y_k ln p_k + (1 - y_k) ln(1 - p_k)] per
  example, with p clipped to [1e-7, 1 - 1e-7] as Keras clips.

Each is averaged over the batch.
"""

import keras
from keras import ops

__all__ = ["LOSSES", "DoubleSoftmaxCrossEntropy", "PerClassBinaryCrossEntropy", "get"]

LOSSES = ("cross_entropy", "double_softmax", "binary_per_class")


@keras.saving.register_keras_serializable(package="keras_reg")
class DoubleSoftmaxCrossEntropy(keras.losses.Loss):
    """Cross-entropy of softmax(y_pred): softmax applied to probabilities a second time (TF 1.x idiom)."""

    def __init__(self, name="double_softmax", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1, 1)), "int32")
        return -ops.take_along_axis(ops.log_softmax(y_pred, axis=-1), labels, axis=-1)[:, 0]


@keras.saving.register_keras_serializable(package="keras_reg")
class PerClassBinaryCrossEntropy(keras.losses.Loss):
    """The paper's printed cross-entropy: a binary cross-entropy per class, summed over the 10 classes."""

    def __init__(self, name="binary_per_class", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        one_hot = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return ops.sum(ops.binary_crossentropy(one_hot, y_pred), axis=-1)


def get(name):
    """The Keras loss object of a name in :data:`LOSSES`."""
    if name == "cross_entropy":
        return keras.losses.SparseCategoricalCrossentropy(name="cross_entropy")
    if name == "double_softmax":
        return DoubleSoftmaxCrossEntropy()
    if name == "binary_per_class":
        return PerClassBinaryCrossEntropy()
    raise ValueError(f"Invalid value received for argument `loss`. Expected one of {LOSSES}. Received: loss={name!r}")
