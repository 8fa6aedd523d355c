"""Model builders for the paper's MLP (its Figure 9) and the two companion experiments, and their registry.

* :func:`paper_mlp`: 784-1000-500-10, tanh hidden units, softmax output (paper section 3).
* :func:`report_cnn`: the CNN report's MNIST network (three 3x3 convolutions of 64/128/256
  channels, batch norm, 2x2 max pooling, a fully connected head), StochasticDepth on its convolutions.
* :func:`deeper_cnn`: the same stages with a residual block each (about 7 times the compute).
* :func:`planar_mlp`: the planar tutorial's [2, 20, 3, 1] ReLU/sigmoid network.

Builders take the paper's *keep probability*; Keras's Dropout takes ``rate = 1 - keep_prob``.
:data:`BUILDERS` maps a run spec's ``model`` to its builder and declares each builder's arguments
(default, check, help, when it matters) once: the run spec validates them and the scripts' flags
are made from them.
"""

import dataclasses
import numbers

import keras

from keras_reg import checks, regularizers
from keras_reg import layers as kr_layers
from keras_reg.checks import Param

__all__ = [
    "PAPER_REGULARIZERS",
    "INITIALIZERS",
    "paper_mlp",
    "report_cnn",
    "deeper_cnn",
    "planar_mlp",
    "kernel_initializer",
    "Builder",
    "BUILDERS",
]

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


def _check_common(regularizer, allowed, alpha, keep_prob, seed):
    """The validated (alpha, keep_prob) of a builder whose ``regularizer`` must be one of ``allowed``."""
    checks.Choice(allowed)("regularizer", regularizer)
    alpha, keep_prob = checks.NONNEGATIVE("alpha", alpha), checks.KEEP_PROB("keep_prob", keep_prob)
    _check_seed(seed)
    return alpha, keep_prob


def _check_seed(seed):
    if seed is not None:
        checks.Integer(-(2**31), 2**31 - 1, "an integer or None")("seed", seed)


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


def paper_mlp(
    regularizer="none",
    alpha=0.0005,
    keep_prob=0.5,
    hidden_units=(1000, 500),
    initializer="glorot_uniform",
    seed=None,
    name=None,
    dtype=None,
    penalize_biases=False,
    l2_form="half",
    input_keep_prob=1.0,
    dropout_form="inverted",
    dropout_l2=False,
    dropout_mask="unit",
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
    alpha, keep_prob = _check_common(regularizer, PAPER_REGULARIZERS, alpha, keep_prob, seed)
    input_keep_prob = checks.KEEP_PROB("input_keep_prob", input_keep_prob)
    checks.Choice(DROPOUT_FORMS)("dropout_form", dropout_form)
    checks.Choice(L2_FORMS)("l2_form", l2_form)
    checks.Boolean()("penalize_biases", penalize_biases)
    checks.Boolean()("dropout_l2", dropout_l2)
    checks.Choice(DROPOUT_MASKS)("dropout_mask", dropout_mask)
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
    # Its own layer, so that a trainer can read the logits behind it (keras_reg.engine).
    outputs = keras.layers.Softmax(dtype=output_dtype, name="softmax")(logits)
    return keras.Model(inputs, outputs, name=name or f"paper_mlp_{regularizer}")


SD_BLOCKS = ("conv1", "all")


def report_cnn(
    weight_decay=0.0, dropout=0.0, stochastic_depth=1.0, sd_blocks="conv1", head_units=512, seed=None, name=None
):
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
        weight_decay: coupled weight decay, PyTorch's ``Adam(weight_decay=...)``: the L2 penalty
            ``weight_decay/2 sum v^2`` (:class:`keras_reg.regularizers.L2`) on every trainable variable,
            kernels, biases and batch norm's scale and offset, so that its gradient ``weight_decay * v``
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
    weight_decay = checks.NONNEGATIVE("weight_decay", weight_decay)
    dropout = checks.Number(0.0, 1.0, high_open=True, expected="a drop rate in [0, 1)")("dropout", dropout)
    stochastic_depth = checks.KEEP_PROB("stochastic_depth", stochastic_depth)
    checks.Choice(SD_BLOCKS)("sd_blocks", sd_blocks)
    checks.Integer(1, 2**20)("head_units", head_units)
    _check_seed(seed)
    filters = (64, 128, 256)
    survival = [1.0] * len(filters)
    if stochastic_depth < 1.0:
        survival = (
            [stochastic_depth] + [1.0] * (len(filters) - 1)
            if sd_blocks == "conv1"
            else kr_layers.linear_decay(len(filters), stochastic_depth)
        )
    penalty = regularizers.L2(weight_decay) if weight_decay > 0 else None
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
            shortcut = kr_layers.PadChannels(channels, name=f"pad{index}")(x)
            residual = keras.layers.Subtract(name=f"conv{index}_minus_pad")([y, shortcut])
            y = kr_layers.StochasticDepth(
                p, seed=None if seed is None else seed * 1000 + 700 + index, name=f"sd{index}"
            )([shortcut, residual])
        x = keras.layers.MaxPooling2D(2, name=f"pool{index}")(y)
    x = keras.layers.Flatten(name="flatten")(x)  # (batch, 3 * 3 * 256)
    x = keras.layers.Dense(head_units, activation="relu", name="fc1", **torch_init(x.shape[-1]))(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, seed=None if seed is None else seed * 1000 + 900, name="fc_dropout")(x)
    logits = keras.layers.Dense(10, name="logits", **torch_init(head_units))(x)
    outputs = keras.layers.Softmax(name="softmax")(logits)
    return keras.Model(inputs, outputs, name=name or "report_cnn")


def _conv_bn_relu(x, filters, penalty, name):
    x = keras.layers.Conv2D(
        filters, 3, padding="same", use_bias=False, kernel_regularizer=penalty, name=f"{name}_conv"
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def deeper_cnn(
    weight_decay=0.0,
    dropout=0.0,
    stochastic_depth=None,
    decay_rule="huang",
    filters=(64, 128, 256),
    head_units=256,
    seed=None,
    name=None,
):
    """The CNN report's DeeperCNN, with residual blocks so that StochasticDepth can skip them.

    The report stacks three 3x3 convolutions (64/128/256 channels, padding 1, batch norm, 2x2 max
    pooling after each) and a fully connected head, and "skips conv1 with probability 0.2". A
    convolution that changes the number of channels cannot fall back to the identity, so each
    stage here is: a 3x3 conv that sets the channels (conv-BN-ReLU, never skipped), then a residual
    block ``x + F(x)`` with F = conv-BN-ReLU-conv-BN of the same channels, then ReLU and 2x2 max
    pooling. StochasticDepth gates F, so a skipped block is exactly the identity.

    Args:
        weight_decay: coefficient of :class:`keras_reg.regularizers.L2` on every conv and dense
            kernel; with plain SGD this equals the ``weight_decay`` of the report's optimizer (coupled).
        dropout: drop rate of the Dropout layer between the two dense layers of the head
            (the report: 0.3); 0 leaves it out.
        stochastic_depth: ``None`` (residual blocks always on) or the survival probability of the
            deepest residual block; shallower blocks follow :func:`keras_reg.layers.linear_decay`.
            The report's "skip with probability 0.2" is ``stochastic_depth=0.8``.
        decay_rule: ``"huang"`` or ``"linspace"``, see :func:`keras_reg.layers.linear_decay`.
        filters: channels of the three stages.
        head_units: width of the hidden dense layer of the head.
        seed: optional integer seed for Dropout and StochasticDepth.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` from (batch, 28, 28, 1) images in [0, 1] to (batch, 10)
        class probabilities.
    """
    weight_decay = checks.NONNEGATIVE("weight_decay", weight_decay)
    dropout = checks.Number(0.0, 1.0, high_open=True, expected="a drop rate in [0, 1)")("dropout", dropout)
    _check_seed(seed)
    survival = [1.0] * len(filters)
    if stochastic_depth is not None:
        checks.KEEP_PROB("stochastic_depth", stochastic_depth)
        survival = kr_layers.linear_decay(len(filters), stochastic_depth, decay_rule)
    penalty = regularizers.L2(weight_decay) if weight_decay > 0 else None

    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = inputs
    for stage, (channels, p) in enumerate(zip(filters, survival), start=1):
        x = _conv_bn_relu(x, channels, penalty, f"stage{stage}_in")  # (batch, h, w, channels)
        residual = _conv_bn_relu(x, channels, penalty, f"stage{stage}_res_a")
        residual = keras.layers.Conv2D(
            channels,
            3,
            padding="same",
            use_bias=False,
            kernel_regularizer=penalty,
            name=f"stage{stage}_res_b_conv",
        )(residual)
        residual = keras.layers.BatchNormalization(name=f"stage{stage}_res_b_bn")(residual)
        if stochastic_depth is None:
            x = keras.layers.Add(name=f"stage{stage}_add")([x, residual])
        else:
            x = kr_layers.StochasticDepth(
                p, seed=None if seed is None else seed * 1000 + 100 + stage, name=f"stage{stage}_sd"
            )([x, residual])
        x = keras.layers.ReLU(name=f"stage{stage}_out_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)  # 28 -> 14 -> 7 -> 3
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(head_units, activation="relu", kernel_regularizer=penalty, name="head")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, seed=None if seed is None else seed * 1000 + 200, name="head_dropout")(x)
    outputs = keras.layers.Dense(10, activation="softmax", kernel_regularizer=penalty, name="softmax")(x)
    return keras.Model(inputs, outputs, name=name or "deeper_cnn")


def planar_mlp(regularizer="none", alpha=0.0, keep_prob=1.0, fixed_mask=False, seed=None, name=None):
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
    alpha, keep_prob = _check_common(regularizer, ("none", "l2", "dropout"), alpha, keep_prob, seed)
    checks.Boolean()("fixed_mask", fixed_mask)
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
                x = kr_layers.FixedMaskDropout(
                    keep_prob, seed=(0 if seed is None else seed) * 1000 + i, name=f"dropout_{i}"
                )(x)
            else:
                x = _dropout(keep_prob, seed, i)(x)
    logit = keras.layers.Dense(1, kernel_initializer=init(3), kernel_regularizer=penalty, name="logit")(x)
    # Its own layer, so that a trainer can read the logit behind it (keras_reg.engine).
    outputs = keras.layers.Activation("sigmoid", name="sigmoid")(logit)
    return keras.Model(inputs, outputs, name=name or f"planar_mlp_{regularizer}")


# --------------------------------------------------------------------------------------------------
# The registry


@dataclasses.dataclass(frozen=True)
class Builder:
    """A model builder as a run spec names it.

    Attributes:
        build_fn: called with the spec's builder arguments and ``seed`` (and ``dtype``, the
            precision, if the builder supports more than float32); returns an uncompiled model.
        params: the builder's arguments: name -> :class:`keras_reg.checks.Param`.
        description: one line.
        precisions: the precisions it supports.
    """

    build_fn: object
    params: dict
    description: str
    precisions: tuple = ("float32",)

    def build(self, args, seed, precision="float32"):
        extra = {"dtype": precision} if len(self.precisions) > 1 else {}
        return self.build_fn(**args, seed=seed, **extra)


def _penalty_kind(regularizer, dropout_l2):
    """The penalty paper_mlp puts on its weights: its regularizer's, or L2 beside Dropout."""
    return "l2" if regularizer == "dropout" and dropout_l2 else regularizer


def _penalized(values):
    return _penalty_kind(values["regularizer"], values["dropout_l2"]) in ("l1", "l2")


def _dropped(values):
    return values["regularizer"] == "dropout"


def _report_cnn(alpha, dropout, stochastic_depth, sd_blocks, seed):
    return report_cnn(
        weight_decay=alpha, dropout=dropout, stochastic_depth=stochastic_depth, sd_blocks=sd_blocks, seed=seed
    )


def _residual_cnn(alpha, dropout, stochastic_depth, decay_rule, seed):
    # stochastic_depth = 1 keeps every block: plain residual additions, no StochasticDepth layers.
    return deeper_cnn(
        weight_decay=alpha,
        dropout=dropout,
        stochastic_depth=None if stochastic_depth == 1.0 else stochastic_depth,
        decay_rule=decay_rule,
        seed=seed,
    )


_ALPHA_HELP = (
    "Penalty coefficient alpha of J~ = J + alpha * Omega(w) (dimensionless; the paper: 0.0005); used by l1 and l2."
)
_KEEP_HELP = "Dropout keep probability of each hidden unit, in (0, 1] (the paper: 0.5); used by dropout."

BUILDERS = {
    "paper_mlp": Builder(
        paper_mlp,
        {
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
            "penalize_biases": Param(
                False, checks.Boolean(), "L1/L2 penalize the biases as well as the weights.", _penalized
            ),
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
        },
        "The paper's 784-1000-500-10 tanh MLP with a softmax output.",
        precisions=("float32", "mixed_bfloat16"),
    ),
    "report_cnn": Builder(
        _report_cnn,
        {
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
        },
        "The CNN report's network: three conv-BN-ReLU-maxpool layers of 64/128/256 channels and a fully connected head.",
    ),
    "residual_cnn": Builder(
        _residual_cnn,
        {
            "alpha": Param(
                0.0,
                checks.NONNEGATIVE,
                "L2 penalty coefficient on every kernel (alpha/2 sum w^2; its gradient alpha*w is coupled weight decay, PyTorch's weight_decay).",
            ),
            "dropout": Param(
                0.0,
                checks.Number(0.0, 1.0, high_open=True, expected="a drop rate in [0, 1)"),
                "Drop rate between the two dense layers of the head; 0 for none.",
            ),
            "stochastic_depth": Param(
                1.0,
                checks.KEEP_PROB,
                "Survival probability of the deepest residual block (shallower blocks by decay_rule); 1 keeps every block.",
            ),
            "decay_rule": Param(
                "huang",
                checks.Choice(kr_layers.DECAY_RULES),
                "How survival falls with depth: huang (p_l = 1 - l/L (1 - p_L)) or linspace.",
                lambda v: v["stochastic_depth"] < 1.0,
            ),
        },
        "The CNN report's 64/128/256-channel MNIST network, each stage a residual block (StochasticDepth can skip it).",
    ),
    "planar_mlp": Builder(
        planar_mlp,
        {
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
                _dropped,
            ),
            "fixed_mask": Param(
                False,
                checks.Boolean(),
                "The planar tutorial's Dropout: the same mask at every step (it reseeds numpy in each forward pass).",
                _dropped,
            ),
        },
        "The planar tutorial's [2, 20, 3, 1] ReLU network with a sigmoid output.",
    ),
}
