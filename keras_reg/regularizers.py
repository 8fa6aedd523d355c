"""The paper's weight penalties (its equation (1) and sections 2.1-2.2) as Keras regularizers.

The regularized objective is J~(w) = J(w) + alpha * Omega(w), with

* L1: Omega(w) = ||w||_1 = sum |w|                 -> penalty ``alpha * sum|w|``
* L2: Omega(w) = 1/2 ||w||_2^2 = 1/2 sum w^2       -> penalty ``alpha / 2 * sum w^2``

Keras's built-in ``keras.regularizers.L2(l2)`` computes ``l2 * sum w^2`` (no 1/2), so
``keras.regularizers.L2(l2)`` equals ``keras_reg.regularizers.L2(alpha=2 * l2)``.

Only ``keras.ops`` is used, so the penalties run on every Keras 3 backend.
"""

import keras
import numpy as np
from keras import ops

from keras_reg import checks

__all__ = ["L1", "L2", "validate_alpha", "weight_stats"]


def validate_alpha(alpha):
    """Returns ``alpha`` as a float, or raises a ValueError naming it: a finite number >= 0."""
    return checks.NONNEGATIVE("alpha", alpha)


class _PaperPenalty(keras.regularizers.Regularizer):
    def __init__(self, alpha=0.0005):
        self.alpha = validate_alpha(alpha)

    def get_config(self):
        return {"alpha": self.alpha}

    def __repr__(self):
        return f"{type(self).__name__}(alpha={self.alpha})"


@keras.saving.register_keras_serializable(package="keras_reg")
class L1(_PaperPenalty):
    """Penalty ``alpha * sum|w|`` (paper section 2.1); its (sub)gradient is ``alpha * sign(w)``.

    Args:
        alpha: the penalty coefficient, a finite number >= 0 (the paper uses 0.0005).
    """

    def __call__(self, x):
        return self.alpha * ops.sum(ops.abs(x))


@keras.saving.register_keras_serializable(package="keras_reg")
class L2(_PaperPenalty):
    """Penalty ``alpha / 2 * sum w^2`` (paper section 2.2, Omega = 1/2 ||w||^2).

    Its gradient is ``alpha * w``, so under plain SGD with learning rate ``lr`` the update is
    ``w <- (1 - lr * alpha) w - lr * grad`` (the paper's equation (5)): exactly
    ``keras.optimizers.SGD(weight_decay=alpha)`` without any regularizer.

    Conversion: ``keras.regularizers.L2(l2)`` (penalty ``l2 * sum w^2``) equals ``L2(alpha=2 * l2)``.

    Args:
        alpha: the penalty coefficient, a finite number >= 0 (the paper uses 0.0005).
    """

    def __call__(self, x):
        return (0.5 * self.alpha) * ops.sum(ops.square(x))


THRESHOLDS = (1e-4, 1e-3, 1e-2)

HISTOGRAM_EDGES = np.linspace(-8.0, 1.0, 37)  # log10 |w|, 0.25 decades per bin
# What weight_summary writes: its keys, and those of each of its layers.
WEIGHT_SUMMARY_KEYS = ("layers", "histogram_edges")
WEIGHT_LAYER_KEYS = ("layer", "size", "l1", "l2", "max_abs", "fraction_below", "histogram")


def weight_summary(model):
    """{"layers": [...], "histogram_edges": [...]} for every layer with a kernel (JSON-ready)."""
    layers = []
    for name, w in kernels(model):
        w = w.ravel()
        counts, _ = np.histogram(np.log10(np.maximum(w, 1e-30)), bins=HISTOGRAM_EDGES)
        layers.append(
            {
                **_norms(name, w),
                "fraction_below": {f"{t:g}": float((w < t).mean()) for t in THRESHOLDS},
                "exact_zeros": int((w == 0).sum()),
                "histogram": [int(c) for c in counts],
                "below_histogram": int((w < 10 ** HISTOGRAM_EDGES[0]).sum()),
            }
        )
    return {"layers": layers, "histogram_edges": [float(e) for e in HISTOGRAM_EDGES]}


def weights_measurement(model, test=None):
    """``weights.json`` as a builder's measurement (:attr:`keras_reg.run.registry.Builder.measurements`):
    :func:`weight_summary`; the test set is not needed."""
    return weight_summary(model)


def weight_stats(model, threshold=1e-3):
    """Per-layer shrinkage and sparsity of kernels (the paper's conclusions 1-2).

    Args:
        model: a built Keras model.
        threshold: weights with ``|w| < threshold`` count as (near) zero.

    Returns:
        A list with one dict per layer that has a ``kernel``: ``layer`` (its name), ``size``
        (number of weights), ``l1`` (sum |w|), ``l2`` (the Euclidean norm sqrt(sum w^2)),
        ``max_abs`` and ``fraction_below`` (fraction of weights with |w| < threshold).
    """
    checks.POSITIVE("threshold", threshold)
    return [{**_norms(name, w), "fraction_below": float((w < threshold).mean())} for name, w in kernels(model)]


def kernels(model):
    """(layer name, |kernel| as a float64 array) for every layer of ``model`` that has a kernel."""
    for layer in _walk(model):
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            yield layer.name, np.abs(np.asarray(ops.convert_to_numpy(kernel), dtype=np.float64))


def _norms(name, w):
    return {
        "layer": name,
        "size": int(w.size),
        "l1": float(w.sum()),
        "l2": float(np.sqrt(np.square(w).sum())),
        "max_abs": float(w.max()),
    }


def _walk(model):
    """Every layer of ``model``, descending into nested models, in order."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _walk(layer)
