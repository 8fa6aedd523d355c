"""The candidate readings of the paper's cross-entropy (section 3), as Keras losses on probabilities.

The paper's network ends in a softmax and it prints the cross-entropy in a per-class binary form;
TensorFlow 1.x code of its time often passed the softmax *output* to
``tf.nn.softmax_cross_entropy_with_logits``, applying softmax twice. All three take the model's
softmax probabilities ``y_pred`` (batch, 10) and integer labels ``y_true`` (batch,):

* ``"cross_entropy"``: the textbook -log p_y (Keras's ``SparseCategoricalCrossentropy``; on
  TensorFlow it reads the logits behind the softmax, so it is computed stably).
* ``"double_softmax"``: -log softmax(p)_y, the TF 1.x idiom
  ``softmax_cross_entropy_with_logits(logits=softmax(z))``.
* ``"binary_cross_entropy"``: for a single sigmoid output (the planar tutorial), Keras's.
* ``"binary_per_class"``: the printed formula, -sum_k [y_k ln p_k + (1 - y_k) ln(1 - p_k)] per
  example, with p clipped to [1e-7, 1 - 1e-7] as Keras clips.

Each is averaged over the batch.
"""

import keras
from keras import ops

from keras_reg import checks

__all__ = ["LOSSES", "DoubleSoftmaxCrossEntropy", "PerClassBinaryCrossEntropy", "get"]


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


# Every loss a run spec can name: name -> a function making the Keras loss object.
LOSSES = {
    "cross_entropy": lambda: keras.losses.SparseCategoricalCrossentropy(name="cross_entropy"),
    "double_softmax": DoubleSoftmaxCrossEntropy,
    "binary_per_class": PerClassBinaryCrossEntropy,
    # One sigmoid output against 0/1 labels (the planar tutorial's cost).
    "binary_cross_entropy": lambda: keras.losses.BinaryCrossentropy(name="binary_cross_entropy"),
}


def get(name):
    """The Keras loss object of a name in :data:`LOSSES`."""
    checks.Choice(tuple(LOSSES))("loss", name)
    return LOSSES[name]()
