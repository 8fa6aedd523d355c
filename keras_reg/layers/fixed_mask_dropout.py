"""FixedMaskDropout: inverted Dropout with the same mask at every call (the planar tutorial's Dropout)."""

import keras
from keras import ops

from keras_reg import checks

__all__ = ["FixedMaskDropout"]


@keras.saving.register_keras_serializable(package="keras_reg")
class FixedMaskDropout(keras.layers.Layer):
    """Inverted Dropout whose mask is the same at every call: the planar tutorial's Dropout.

    The planar tutorial calls ``np.random.seed(1)`` at the top of its forward pass, so every
    iteration of its full-batch gradient descent drops the same units of the same examples: in
    effect a fixed, thinned network rather than Dropout's fresh sample at each step. This layer
    reproduces that: in training it draws its mask from the fixed integer ``seed`` (a stateless
    draw, identical at each call for inputs of the same shape) and divides the kept units by the
    keep probability; at inference it is the identity. Keras's own ``Dropout`` is the usual,
    fresh-mask form.

    Args:
        keep_prob: probability of keeping a unit, in (0, 1].
        seed: the integer the mask is drawn from.
    """

    def __init__(self, keep_prob=0.5, seed=1, **kwargs):
        super().__init__(**kwargs)
        self.keep_prob = checks.KEEP_PROB("keep_prob", keep_prob)
        self.seed = checks.Integer(0, 2**31 - 1)("seed", seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.keep_prob == 1.0:
            return inputs
        uniform = keras.random.uniform(ops.shape(inputs), seed=self.seed, dtype="float32")
        keep = ops.cast(uniform < self.keep_prob, inputs.dtype)
        return inputs * keep / ops.cast(self.keep_prob, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "keep_prob": self.keep_prob, "seed": self.seed}
