"""PadChannels: zero-pads the channel axis, the identity shortcut of a widening layer (Huang et al. 2016;
the CNN report's stochastic depth on conv1).
"""

import keras
from keras import ops

from keras_reg import checks

__all__ = ["PadChannels"]


@keras.saving.register_keras_serializable(package="keras_reg")
class PadChannels(keras.layers.Layer):
    """Zero-pads the last (channel) axis to ``channels``: Huang et al.'s identity shortcut for a
    layer that widens its input (their "zero-padding" option for residual networks), so that a
    skipped widening layer still hands its successor a tensor of the width it expects.

    Args:
        channels: the width of the output; at least the input's.
    """

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = checks.Integer(1, 2**31 - 1)("channels", channels)

    def build(self, input_shape):
        if input_shape[-1] is None or input_shape[-1] > self.channels:
            raise ValueError(
                f"PadChannels pads {input_shape[-1]} channels to channels={self.channels}; the input must have at most that many. Received: input_shape={input_shape}"
            )
        self.built = True

    def call(self, inputs):
        extra = self.channels - inputs.shape[-1]
        if extra == 0:
            return inputs
        return ops.pad(inputs, [[0, 0]] * (len(inputs.shape) - 1) + [[0, extra]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}
