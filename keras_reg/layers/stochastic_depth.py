"""StochasticDepth (Huang et al. 2016, "Deep Networks with Stochastic Depth"; the CNN report).

A residual block computes ``shortcut + residual``. StochasticDepth keeps the residual branch with
the *survival probability* p and drops it (the block becomes the identity) otherwise:

* ``scale="test"`` (Huang et al.): training gives ``shortcut + gate * residual`` with
  gate ~ Bernoulli(p); inference gives ``shortcut + p * residual``, the expectation of training.
* ``scale="train"`` (the inverted convention of timm's DropPath and of Keras Dropout): training
  gives ``shortcut + gate / p * residual``; inference gives ``shortcut + residual``.

``mode="batch"`` draws one gate per call (the whole batch skips the block together, as in
Huang et al. and the CNN report); ``mode="row"`` draws one gate per example (DropPath).

Only ``keras.ops`` and ``keras.random`` are used, so the layer runs on every Keras 3 backend,
under ``jit_compile`` too.
"""

import keras
import numpy as np
from keras import ops

from keras_reg import checks

__all__ = ["StochasticDepth", "linear_decay", "MODES", "SCALES", "DECAY_RULES"]

MODES = ("batch", "row")


SCALES = ("test", "train")


DECAY_RULES = ("huang", "linspace")


def _check_probability(name, value):
    return checks.PROBABILITY(name, value)


def _check_choice(name, value, allowed):
    return checks.Choice(allowed)(name, value)


@keras.saving.register_keras_serializable(package="keras_reg")
class StochasticDepth(keras.layers.Layer):
    """Randomly skips a residual branch: ``shortcut + gate * residual``.

    Args:
        survival_probability: probability p in [0, 1] that the residual branch is kept in
            training. p = 1 always keeps it; p = 0 always skips it (both exact, no division).
        mode: ``"batch"`` (one gate per call) or ``"row"`` (one gate per example).
        scale: ``"test"`` (multiply the residual by p at inference, Huang et al.) or
            ``"train"`` (divide the kept residual by p in training, timm/Keras-Dropout style).
        seed: optional integer seed of the layer's ``keras.random.SeedGenerator``.

    Call arguments:
        inputs: a list ``[shortcut, residual]`` of tensors of the same shape.
        training: whether to draw gates (training) or use the deterministic inference rule.
    """

    def __init__(self, survival_probability=0.5, mode="batch", scale="test", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.survival_probability = _check_probability("survival_probability", survival_probability)
        self.mode = _check_choice("mode", mode, MODES)
        self.scale = _check_choice("scale", scale, SCALES)
        if seed is not None:
            checks.Integer(-(2**31), 2**31 - 1, "an integer or None")("seed", seed)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape):
        if not (isinstance(input_shape, (list, tuple)) and len(input_shape) == 2):
            raise ValueError(
                "StochasticDepth expects a list of two inputs [shortcut, residual]. "
                f"Received: input_shape={input_shape}"
            )
        shortcut, residual = (tuple(s) for s in input_shape)
        if len(shortcut) != len(residual) or any(
            a is not None and b is not None and a != b for a, b in zip(shortcut, residual)
        ):
            raise ValueError(
                "StochasticDepth expects `shortcut` and `residual` of the same shape. "
                f"Received: shortcut={shortcut}, residual={residual}"
            )
        self.built = True

    def call(self, inputs, training=False):
        shortcut, residual = inputs
        p = self.survival_probability
        if not training:
            if self.scale == "test" and p != 1.0:
                return shortcut + ops.cast(p, residual.dtype) * residual
            return shortcut + residual
        if p == 1.0:
            return shortcut + residual
        if p == 0.0:
            return shortcut + ops.zeros_like(residual)
        if self.mode == "batch":
            gate_shape = (1,) * len(residual.shape)
        else:
            gate_shape = (ops.shape(residual)[0],) + (1,) * (len(residual.shape) - 1)
        uniform = keras.random.uniform(gate_shape, seed=self.seed_generator, dtype="float32")
        gate = ops.cast(uniform < p, residual.dtype)
        if self.scale == "train":
            gate = gate / ops.cast(p, residual.dtype)
        return shortcut + gate * residual

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        base_config = super().get_config()
        config = {
            "survival_probability": self.survival_probability,
            "mode": self.mode,
            "scale": self.scale,
            "seed": self.seed,
        }
        return {**base_config, **config}


def linear_decay(num_blocks, final_survival=0.5, rule="huang"):
    """Survival probabilities of ``num_blocks`` residual blocks that fall linearly with depth.

    * ``rule="huang"`` (Huang et al. 2016, eq. (4); the CNN report): p_l = 1 - (l / L) (1 - p_L) for
      l = 1..L, so the input (l = 0) is never dropped and even the first block has p_1 < 1.
    * ``rule="linspace"`` (timm's ``drop_path_rate`` and Keras's ConvNeXt): evenly spaced from
      exactly 1 for the first block to p_L for the last, ``numpy.linspace(1, p_L, L)``.

    Both end at ``final_survival``; they differ by one step of (1 - p_L) / L at the shallow end.

    Returns:
        A list of ``num_blocks`` Python floats, shallow to deep.
    """
    checks.Integer(1, 10**6, "an integer >= 1")("num_blocks", num_blocks)
    final_survival = _check_probability("final_survival", final_survival)
    _check_choice("rule", rule, DECAY_RULES)
    if rule == "huang":
        return [1.0 - (block / num_blocks) * (1.0 - final_survival) for block in range(1, num_blocks + 1)]
    return [float(p) for p in np.linspace(1.0, final_survival, num_blocks)]
