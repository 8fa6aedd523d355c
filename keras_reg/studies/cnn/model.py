"""The CNN report's MNIST network, registered as the builder ``report_cnn`` with its measurements
(weights.json, stochastic_depth.json).
"""

import keras

from keras_reg import checks, regularizers
from keras_reg.checks import Param
from keras_reg.layers import PadChannels, StochasticDepth, linear_decay
from keras_reg.run.registry import Builder, register_builder
from keras_reg.studies.cnn.measurements import stochastic_depth_check

__all__ = ["report_cnn", "PARAMS", "SD_BLOCKS"]

SD_BLOCKS = ("conv1", "all")


# The builder's arguments, declared once.
PARAMS = {
    "alpha": Param(
        0.0,
        checks.NONNEGATIVE,
        "Coupled weight decay (PyTorch's Adam weight_decay): alpha/2 sum v^2 on every trainable variable, its gradient alpha*v added before Adam's scaling.",
    ),
    "dropout": Param(
        0.0,
        checks.Number(0.0, 1.0, high_open=True, expected="a drop rate in [0, 1)"),
        "Drop rate between the two fully connected layers (the CNN report: 0.3); 0 for none.",
    ),
    "stochastic_depth": Param(
        1.0,
        checks.KEEP_PROB,
        "Survival probability of a convolution layer under stochastic depth (the CNN report: 0.8 on conv1); 1 for none.",
    ),
    "sd_blocks": Param(
        "conv1",
        checks.Choice(SD_BLOCKS),
        "Which convolutions stochastic depth skips: conv1 (the report) or all (p_l = 1 - l/3 (1 - p)).",
        lambda v: v["stochastic_depth"] < 1.0,
    ),
}


@checks.declared(PARAMS)
def report_cnn(alpha, dropout, stochastic_depth, sd_blocks, head_units=512, seed=None, name=None):
    """The CNN report's DeeperCNN: three conv-BN-ReLU layers (3x3, stride 1, padding 1; 64, 128 and
    256 channels), each followed by 2x2 max pooling (28 -> 14 -> 7 -> 3), then Flatten, a ReLU dense
    layer of ``head_units``, optional Dropout, and a 10-way softmax. About 59 MFLOP per image.

    The report reads as PyTorch code, so its defaults are PyTorch's where it states nothing:
    convolutions and dense layers with biases, initialized uniform(+-1/sqrt(fan_in)) as
    ``torch.nn.Conv2d``/``Linear`` are (Kaiming-uniform with a = sqrt(5)); batch norm with momentum
    0.1 (Keras's 0.9) and epsilon 1e-5. The head's width is not given: 512.

    Stochastic depth, as the report defines it: in training a layer is kept with probability p_l or
    replaced by the identity; at test time its output is p_l F(x) + (1 - p_l) x. A convolution here
    widens its input (conv1: 1 -> 64 channels), so the identity is Huang et al.'s shortcut for a
    change of width, the input zero-padded to the new channels (:class:`keras_reg.layers.PadChannels`):
    :class:`keras_reg.layers.StochasticDepth` on ``[pad(x), F(x) - pad(x)]`` gives F(x) or pad(x) in
    training and p F(x) + (1 - p) pad(x) at inference (``scale="test"``, one gate per batch). Unlike
    stochastic depth in a residual network, the skipped layer is the whole transformation, not a
    residual branch beside an identity path: with conv1 dropped, conv2 sees the raw image in one of
    its 64 input channels and zeros in the others.

    Args:
        alpha: coupled weight decay, PyTorch's ``Adam(weight_decay=...)``: the L2 penalty
            ``alpha/2 sum v^2`` (:class:`keras_reg.regularizers.L2`) on every trainable variable,
            kernels, biases and batch norm's scale and offset, so that its gradient ``alpha * v``
            is added to the data gradient before the optimizer's scaling. 0: none.
        dropout: drop rate between the two dense layers (the report: 0.3); 0 leaves it out.
        stochastic_depth: survival probability; 1: no stochastic depth (no extra layers).
        sd_blocks: ``"conv1"`` (the report: conv1 survives with ``stochastic_depth``) or ``"all"``
            (every convolution, p_l = 1 - l/3 (1 - stochastic_depth), Huang et al.'s linear rule).
        head_units: width of the hidden dense layer.
        seed: optional integer seed of the initializers, Dropout and StochasticDepth.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` from (batch, 28, 28, 1) images in [0, 1] to (batch, 10) class
        probabilities; a Dense layer ``"logits"`` followed by a ``keras.layers.Softmax`` ``"softmax"``.
    """
    checks.Integer(1, 2**20)("head_units", head_units)
    if seed is not None:
        checks.OPTIONAL_SEED("seed", seed)
    filters = (64, 128, 256)
    survival = [1.0] * len(filters)
    if stochastic_depth < 1.0:
        survival = (
            [stochastic_depth] + [1.0] * (len(filters) - 1)
            if sd_blocks == "conv1"
            else linear_decay(len(filters), stochastic_depth)
        )
    penalty = regularizers.L2(alpha) if alpha > 0 else None
    count = iter(range(1000))

    def torch_init(fan_in):  # torch.nn.Conv2d / Linear: kernel and bias uniform(+-1/sqrt(fan_in))
        layer_seed = None if seed is None else seed * 1000 + next(count)
        bound = fan_in**-0.5
        return {
            "kernel_initializer": keras.initializers.VarianceScaling(1.0 / 3.0, "fan_in", "uniform", seed=layer_seed),
            "bias_initializer": keras.initializers.RandomUniform(
                -bound, bound, seed=None if seed is None else layer_seed + 500
            ),
            "kernel_regularizer": penalty,
            "bias_regularizer": penalty,
        }

    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = inputs
    for index, (channels, p) in enumerate(zip(filters, survival), start=1):
        y = keras.layers.Conv2D(channels, 3, padding="same", name=f"conv{index}", **torch_init(9 * x.shape[-1]))(x)
        y = keras.layers.BatchNormalization(
            momentum=0.9, epsilon=1e-5, gamma_regularizer=penalty, beta_regularizer=penalty, name=f"bn{index}"
        )(y)
        y = keras.layers.ReLU(name=f"relu{index}")(y)  # (batch, h, w, channels)
        if p < 1.0:
            shortcut = PadChannels(channels, name=f"pad{index}")(x)
            residual = keras.layers.Subtract(name=f"conv{index}_minus_pad")([y, shortcut])
            y = StochasticDepth(p, seed=None if seed is None else seed * 1000 + 700 + index, name=f"sd{index}")(
                [shortcut, residual]
            )
        x = keras.layers.MaxPooling2D(2, name=f"pool{index}")(y)
    x = keras.layers.Flatten(name="flatten")(x)  # (batch, 3 * 3 * 256)
    x = keras.layers.Dense(head_units, activation="relu", name="fc1", **torch_init(x.shape[-1]))(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, seed=None if seed is None else seed * 1000 + 900, name="fc_dropout")(x)
    logits = keras.layers.Dense(10, name="logits", **torch_init(head_units))(x)
    outputs = keras.layers.Softmax(name="softmax")(logits)
    return keras.Model(inputs, outputs, name=name or "report_cnn")


register_builder(
    "report_cnn",
    Builder(
        report_cnn,
        PARAMS,
        "The CNN report's network: three conv-BN-ReLU-maxpool layers of 64/128/256 channels and a fully connected head.",
        measurements=(
            ("weights.json", regularizers.weights_measurement),
            ("stochastic_depth.json", lambda model, test: stochastic_depth_check(model, *test)),
        ),
    ),
)
