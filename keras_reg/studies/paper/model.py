"""The paper's network (its Figure 9, section 3): 784-1000-500-10, tanh hidden units, softmax output,
and the choices of its reproduction (initialization, the penalty's form, Dropout's form and masks),
registered as the builder ``paper_mlp`` with its measurements (weights.json, dropout.json).

Builders take the paper's *keep probability*; Keras's Dropout takes ``rate = 1 - keep_prob``.
"""

import numbers

import keras

from keras_reg import checks, regularizers
from keras_reg.checks import Param
from keras_reg.run.registry import Builder, register_builder
from keras_reg.studies.paper.measurements import measure_dropout

__all__ = ["paper_mlp", "kernel_initializer", "PARAMS", "PAPER_REGULARIZERS", "INITIALIZERS"]

PAPER_REGULARIZERS = ("none", "l1", "l2", "dropout")


# Named initializations for the paper's MLP (the paper does not state one):
#   glorot_uniform: Keras's default for Dense, biases 0.
#   tf1_truncated_normal: the TensorFlow 1.x MNIST tutorial habit (``tf.truncated_normal(shape,
#       stddev=0.1)`` weights, ``tf.constant(0.1)`` biases) of code written for TF 1.13 as the paper was.
INITIALIZERS = ("glorot_uniform", "tf1_truncated_normal")

L2_FORMS = ("half", "full")

DROPOUT_FORMS = ("inverted", "original")

DROPOUT_MASKS = ("unit", "batch")


def kernel_initializer(name, seed=None):
    """The (kernel, bias) initializers of a named initialization in :data:`INITIALIZERS`."""
    if name == "glorot_uniform":
        return keras.initializers.GlorotUniform(seed=seed), keras.initializers.Zeros()
    if name == "tf1_truncated_normal":
        return (
            keras.initializers.TruncatedNormal(mean=0.0, stddev=0.1, seed=seed),
            keras.initializers.Constant(0.1),
        )
    checks.Choice(INITIALIZERS)("initializer", name)


def _penalty(regularizer, alpha):
    if regularizer == "l1":
        return regularizers.L1(alpha)
    if regularizer == "l2":
        return regularizers.L2(alpha)
    return None


def _dropout(keep_prob, seed, index, dtype=None, mask="unit"):
    # Distinct, reproducible seeds per Dropout layer when a model seed is given. mask="batch": one
    # mask of the layer's units for every example of the batch (Keras's noise_shape (1, units)).
    layer_seed = None if seed is None else seed * 1000 + index
    noise_shape = (1, None) if mask == "batch" else None
    return keras.layers.Dropout(
        rate=1.0 - keep_prob, noise_shape=noise_shape, seed=layer_seed, dtype=dtype, name=f"dropout_{index}"
    )


def _penalty_kind(regularizer, dropout_l2):
    """The penalty paper_mlp puts on its weights: its regularizer's, or L2 beside Dropout."""
    return "l2" if regularizer == "dropout" and dropout_l2 else regularizer


def _penalized(values):
    return _penalty_kind(values["regularizer"], values["dropout_l2"]) in ("l1", "l2")


def _dropped(values):
    return values["regularizer"] == "dropout"


_ALPHA_HELP = (
    "Penalty coefficient alpha of J~ = J + alpha * Omega(w) (dimensionless; the paper: 0.0005); used by l1 and l2."
)


_KEEP_HELP = "Dropout keep probability of each hidden unit, in (0, 1] (the paper: 0.5); used by dropout."


# The builder's arguments, declared once: default, check, help, and when each decides the run.
PARAMS = {
    "regularizer": Param(
        "none",
        checks.Choice(PAPER_REGULARIZERS),
        "Regularization: none (the paper's standard network), l1, l2 or dropout.",
    ),
    "alpha": Param(0.0005, checks.NONNEGATIVE, _ALPHA_HELP, _penalized),
    "keep_prob": Param(0.5, checks.KEEP_PROB, _KEEP_HELP, _dropped),
    "initializer": Param(
        "glorot_uniform",
        checks.Choice(INITIALIZERS),
        "The initialization: glorot_uniform (Keras's) or tf1_truncated_normal (std 0.1, biases 0.1: the TF 1.x habit).",
    ),
    "l2_form": Param(
        "half",
        checks.Choice(L2_FORMS),
        "The L2 penalty: half = alpha/2 sum w^2 (the paper's), full = alpha sum w^2.",
        lambda v: _penalty_kind(v["regularizer"], v["dropout_l2"]) == "l2",
    ),
    "penalize_biases": Param(False, checks.Boolean(), "L1/L2 penalize the biases as well as the weights.", _penalized),
    "dropout_form": Param(
        "inverted",
        checks.Choice(DROPOUT_FORMS),
        "Dropout as TF and Keras do it (inverted: kept units times 1/p in training) or as the paper describes it (original: unscaled in training, times p at test); used by dropout.",
        _dropped,
    ),
    "input_keep_prob": Param(
        1.0,
        checks.KEEP_PROB,
        "Dropout on the input pixels too, keeping each with this probability (1: none, as the paper); used by dropout.",
        _dropped,
    ),
    "dropout_l2": Param(
        False,
        checks.Boolean(),
        "In the Dropout case, the L2 penalty (alpha, l2_form, penalize_biases) as well, as the TF 1.x lesson code's L2 file does when run with keep_prob 0.5; used by dropout.",
        _dropped,
    ),
    "dropout_mask": Param(
        "unit",
        checks.Choice(DROPOUT_MASKS),
        "Dropout masks: unit (each unit of each example on its own, as tf.nn.dropout) or batch (one mask per mini-batch, shared by its examples, as the paper's section 2.3 tells it); used by dropout.",
        _dropped,
    ),
}


@checks.declared(PARAMS)
def paper_mlp(
    regularizer,
    alpha,
    keep_prob,
    initializer,
    l2_form,
    penalize_biases,
    dropout_form,
    input_keep_prob,
    dropout_l2,
    dropout_mask,
    hidden_units=(1000, 500),
    seed=None,
    name=None,
    dtype=None,
):
    """The paper's 784-1000-500-10 network: tanh hidden units, softmax output (paper Figure 9).

    Args:
        regularizer: one of ``"none"``, ``"l1"``, ``"l2"``, ``"dropout"`` (the paper's four cases).
            L1 and L2 penalize the kernels of all three Dense layers (not the biases) with
            :class:`keras_reg.regularizers.L1` / :class:`~keras_reg.regularizers.L2`; ``"dropout"``
            puts a Dropout layer after each hidden layer.
        alpha: penalty coefficient of L1/L2 (paper: 0.0005); unused otherwise.
        keep_prob: probability of keeping a hidden unit in the Dropout case (paper: 0.5).
        hidden_units: widths of the hidden layers (paper: 1000 and 500).
        initializer: a name from :data:`INITIALIZERS`. The paper does not state its
            initialization; the default is Keras's (Glorot-uniform kernels, zero biases).
        seed: optional integer seed for the initializers and Dropout layers.
        name: the model's name (default ``paper_mlp_<regularizer>``).
        dtype: the dtype policy of the hidden layers (and their Dropout), e.g. ``"mixed_bfloat16"``
            to compute them in bfloat16 with float32 weights; the output layers (logits and softmax)
            then compute in the policy's variable dtype (float32), so the logits, probabilities and
            loss keep full precision.
            None: Keras's global policy for every layer.
        penalize_biases: L1/L2 penalize the biases too (``bias_regularizer``), as the TF 1.x code
            that matches the paper's setup does (``0.0005 * (l2_loss(W1) + l2_loss(b1) + ...)``).
        l2_form: ``"half"``: the L2 penalty is the paper's alpha/2 sum w^2; ``"full"``: alpha sum w^2.
        input_keep_prob: in the Dropout case, the probability of keeping an input pixel (a Dropout
            layer on the input, as Srivastava et al. 2014 drop inputs with keep 0.8); 1: none, as in
            the paper's section 2.3 ("the input and output layers stay unchanged") and the TF 1.x
            lesson code.
        dropout_form: ``"inverted"``: kept units are scaled by 1/p in training and nothing changes
            at test (``tf.nn.dropout``, Keras's ``Dropout``); ``"original"``: the paper's
            description (section 2.3, Figures 7-8, after Srivastava et al.): kept units unscaled in
            training, the weights times p at test. The two give the same network at test, but not
            the same training: with SGD the original form is the inverted one with the next layer's
            learning rate times p^2 and its initial weights times p. Built as Keras's ``Dropout``
            followed by ``Rescaling(p)``.
        dropout_l2: in the Dropout case, the L2 penalty (``alpha``, ``l2_form``,
            ``penalize_biases``) as well: the TF 1.x lesson code's L2 file run with ``keep_prob`` fed
            0.5, as a public copy of it does (``paper_figures/FIDELITY.md``).
        dropout_mask: ``"unit"``: every unit of every example is dropped independently
            (``tf.nn.dropout``, Keras's ``Dropout``); ``"batch"``: one mask per mini-batch, shared
            by all its examples, as the paper's section 2.3 tells it (delete hidden units, run the
            mini-batch through the thinned network, update the kept units' parameters, restore, draw
            again). Keras's ``Dropout`` with ``noise_shape=(1, units)``.

    Returns:
        An uncompiled ``keras.Model`` mapping (batch, 784) pixels in [0, 1] to (batch, 10) class
        probabilities; 1,290,510 parameters with the paper's sizes. The output layer is a linear
        Dense layer ``"logits"`` followed by a ``keras.layers.Softmax`` layer ``"softmax"``.
    """
    if seed is not None:
        checks.OPTIONAL_SEED("seed", seed)
    penalty_kind = _penalty_kind(regularizer, dropout_l2)
    if penalty_kind == "l2" and l2_form == "full":
        alpha = 2.0 * alpha
    if not hidden_units or any(
        not isinstance(u, numbers.Integral) or isinstance(u, bool) or u < 1 for u in hidden_units
    ):
        raise checks.ConfigError("hidden_units", hidden_units, "a non-empty sequence of positive integers")
    penalty = _penalty(penalty_kind, alpha)
    bias_penalty = penalty if penalize_biases else None
    output_dtype = None if dtype is None else keras.DTypePolicy(dtype).variable_dtype

    def drop(keep, index, x):
        x = _dropout(keep, seed, index, dtype, dropout_mask)(x)
        if dropout_form == "original":  # x * mask in training, x * p at test: the paper's Figures 7-8
            x = keras.layers.Rescaling(keep, dtype=dtype, name=f"keep_scale_{index}")(x)
        return x

    inputs = keras.Input(shape=(784,), name="pixels")  # (batch, 784), pixels in [0, 1]
    x = inputs
    if regularizer == "dropout" and input_keep_prob < 1.0:
        x = drop(input_keep_prob, 0, x)  # index 0: the hidden layers' are 1, 2, ...
    for i, units in enumerate(hidden_units):
        k_init, b_init = kernel_initializer(initializer, None if seed is None else seed + i)
        x = keras.layers.Dense(
            units,
            activation="tanh",
            kernel_initializer=k_init,
            bias_initializer=b_init,
            kernel_regularizer=penalty,
            bias_regularizer=bias_penalty,
            dtype=dtype,
            name=f"hidden_{i + 1}",
        )(x)
        if regularizer == "dropout":
            x = drop(keep_prob, i + 1, x)
    k_init, b_init = kernel_initializer(initializer, None if seed is None else seed + len(hidden_units))
    logits = keras.layers.Dense(
        10,
        kernel_initializer=k_init,
        bias_initializer=b_init,
        kernel_regularizer=penalty,
        bias_regularizer=bias_penalty,
        dtype=output_dtype,
        name="logits",
    )(x)  # (batch, 10)
    # Its own layer, so that a trainer can read the logits behind it (keras_reg.run.engine).
    outputs = keras.layers.Softmax(dtype=output_dtype, name="softmax")(logits)
    return keras.Model(inputs, outputs, name=name or f"paper_mlp_{regularizer}")


register_builder(
    "paper_mlp",
    Builder(
        paper_mlp,
        PARAMS,
        "The paper's 784-1000-500-10 tanh MLP with a softmax output.",
        precisions=("float32", "mixed_bfloat16"),
        measurements=(
            ("weights.json", regularizers.weights_measurement),
            ("dropout.json", measure_dropout),
        ),
    ),
)
