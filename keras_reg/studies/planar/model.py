"""The planar tutorial's [2, 20, 3, 1] network, registered as the builder ``planar_mlp``."""

import keras

from keras_reg import checks, regularizers
from keras_reg.checks import Param
from keras_reg.layers import FixedMaskDropout
from keras_reg.run.registry import Builder, register_builder

__all__ = ["planar_mlp", "PARAMS"]

# The builder's arguments, declared once.
PARAMS = {
    "regularizer": Param(
        "none",
        checks.Choice(("none", "l2", "dropout")),
        "Regularization of the planar network: none, l2 or dropout.",
    ),
    "alpha": Param(
        0.0,
        checks.NONNEGATIVE,
        "L2 coefficient (alpha/2 sum W^2; the planar tutorial's lambd/(2m) sum W^2 is alpha = lambd/m).",
        lambda v: v["regularizer"] == "l2",
    ),
    "keep_prob": Param(
        1.0,
        checks.KEEP_PROB,
        "Dropout keep probability after each hidden layer (the planar tutorial: 0.86).",
        lambda v: v["regularizer"] == "dropout",
    ),
    "fixed_mask": Param(
        False,
        checks.Boolean(),
        "The planar tutorial's Dropout: the same mask at every step (it reseeds numpy in each forward pass).",
        lambda v: v["regularizer"] == "dropout",
    ),
}


@checks.declared(PARAMS)
def planar_mlp(regularizer, alpha, keep_prob, fixed_mask, seed=None, name=None):
    """The planar tutorial's [2, 20, 3, 1] network: ReLU hidden units, a sigmoid output.

    Initialized as the tutorial's course does: weights ``randn(n_l, n_{l-1}) / sqrt(n_{l-1})`` (a
    normal of variance 1 / fan-in, not truncated), biases zero.

    Args:
        regularizer: ``"none"``, ``"l2"`` or ``"dropout"`` (the tutorial's three models).
        alpha: L2 coefficient of :class:`keras_reg.regularizers.L2` on the kernels. The tutorial's
            cost adds ``lambd / (2 m) * sum W^2`` to a cross-entropy averaged over m examples,
            which is ``alpha = lambd / m`` here.
        keep_prob: keep probability of the inverted Dropout after each hidden layer (the tutorial: 0.86).
        fixed_mask: use the tutorial's mask, the same at every step
            (:class:`keras_reg.layers.FixedMaskDropout`), instead of a fresh one (Keras's Dropout).
        seed: optional integer seed for the initializers and Dropout layers.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` from (batch, 2) points to (batch, 1) probabilities of class 1.
    """
    if seed is not None:
        checks.OPTIONAL_SEED("seed", seed)
    penalty = regularizers.L2(alpha) if regularizer == "l2" else None

    def init(offset):  # randn / sqrt(fan_in)
        return keras.initializers.VarianceScaling(
            1.0, "fan_in", "untruncated_normal", seed=None if seed is None else seed + offset
        )

    inputs = keras.Input(shape=(2,), name="point")
    x = inputs
    for i, units in enumerate((20, 3), start=1):
        x = keras.layers.Dense(
            units, activation="relu", kernel_initializer=init(i), kernel_regularizer=penalty, name=f"hidden_{i}"
        )(x)
        if regularizer == "dropout" and keep_prob < 1.0:
            if fixed_mask:
                x = FixedMaskDropout(keep_prob, seed=(0 if seed is None else seed) * 1000 + i, name=f"dropout_{i}")(x)
            else:
                # As paper_mlp seeds its Dropout layers: distinct, reproducible per layer.
                layer_seed = None if seed is None else seed * 1000 + i
                x = keras.layers.Dropout(rate=1.0 - keep_prob, seed=layer_seed, name=f"dropout_{i}")(x)
    logit = keras.layers.Dense(1, kernel_initializer=init(3), kernel_regularizer=penalty, name="logit")(x)
    # Its own layer, so that a trainer can read the logit behind it (keras_reg.run.engine).
    outputs = keras.layers.Activation("sigmoid", name="sigmoid")(logit)
    return keras.Model(inputs, outputs, name=name or f"planar_mlp_{regularizer}")


register_builder(
    "planar_mlp",
    Builder(
        planar_mlp,
        PARAMS,
        "The planar tutorial's [2, 20, 3, 1] ReLU network with a sigmoid output.",
        measurements=(("weights.json", regularizers.weights_measurement),),
    ),
)
