"""What a trained network of the paper's study is measured for, beside its run (its builder's
measurements, :attr:`keras_reg.run.registry.Builder.measurements`):

* ``weights.json``: :func:`keras_reg.regularizers.weight_summary` (conclusions 1-2);
* ``dropout.json``: :func:`dropout_check` (conclusion 3: at test time Dropout is the network with
  its weights multiplied by the keep probability): the inverted Dropout Keras trains (units divided
  by p in training, nothing at test) against the paper's form of the same network (weights W / p
  trained without the division, multiplied by p at test), output for output; and the test accuracy
  of the deterministic network against a Monte Carlo average of the predictions over random Dropout
  masks (the "model averaging" the paper describes).
"""

import numpy as np

__all__ = ["dropout_check", "is_mlp", "measure_dropout", "DROPOUT_KEYS"]

# What the artifacts read of dropout.json.
DROPOUT_KEYS = (
    "max_abs_difference_keras_vs_paper_form",
    "test_accuracy_deterministic",
    "test_accuracy_monte_carlo_average",
    "test_accuracy_single_mask_mean",
    "monte_carlo_masks",
)


def is_mlp(model):
    """Whether ``model`` is a plain stack of Dense, Dropout and Softmax layers (what dropout_check reads)."""
    import keras

    kinds = (keras.layers.InputLayer, keras.layers.Dense, keras.layers.Dropout, keras.layers.Softmax)
    return all(isinstance(layer, kinds) for layer in model.layers)


def _dense_stack(model):
    """The Dense layers and, for each, the keep probability of the Dropout just before it (1 if none)."""
    import keras

    stack, keep = [], 1.0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dropout):
            keep = 1.0 - layer.rate
        elif isinstance(layer, keras.layers.Dense):
            stack.append((layer, keep))
            keep = 1.0
    return stack


def dropout_check(model, x_test, y_test, masks=100, seed=0):
    """The conclusion-3 measurements of a trained MLP with Dropout (JSON-ready dict), or None if it has none.

    The paper's form is computed in NumPy from the trained weights: each Dense layer after a Dropout
    keeping p gets weights W / p (what the same training without the inverted division would have
    learned) and is multiplied by p at test, i.e. (W / p) * p.
    """
    import keras

    stack = _dense_stack(model)
    if all(keep == 1.0 for _, keep in stack):
        return None
    x = np.asarray(x_test, np.float32)
    keras_probabilities = np.asarray(model.predict(x, batch_size=len(x), verbose=0), np.float64)
    h = x.astype(np.float64)
    for layer, keep in stack:
        kernel, bias = (np.asarray(keras.ops.convert_to_numpy(v), np.float64) for v in (layer.kernel, layer.bias))
        paper_kernel = kernel / keep  # the unscaled-training weights
        h = h @ (paper_kernel * keep) + bias  # scaled by the keep probability at test
        if layer.activation is not keras.activations.linear:
            h = np.asarray(keras.ops.convert_to_numpy(layer.activation(h.astype(np.float32))), np.float64)
    paper_probabilities = np.exp(h - h.max(axis=1, keepdims=True))
    paper_probabilities /= paper_probabilities.sum(axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    average = np.zeros_like(keras_probabilities)
    single = []
    for _ in range(masks):
        h = x.astype(np.float32)
        for layer, keep in stack:
            if keep < 1.0:
                h = h * (rng.random(h.shape) < keep) / np.float32(keep)
            h = np.asarray(keras.ops.convert_to_numpy(layer(h)), np.float32)
        probabilities = np.asarray(keras.ops.convert_to_numpy(keras.activations.softmax(h)), np.float64)
        average += probabilities / masks
        single.append(float(np.mean(probabilities.argmax(axis=1) == y_test)))
    y = np.asarray(y_test)
    return {
        "keep_probabilities": [keep for _, keep in stack],
        "max_abs_difference_keras_vs_paper_form": float(np.abs(keras_probabilities - paper_probabilities).max()),
        "test_accuracy_deterministic": float(np.mean(keras_probabilities.argmax(axis=1) == y)),
        "test_accuracy_paper_form": float(np.mean(paper_probabilities.argmax(axis=1) == y)),
        "test_accuracy_monte_carlo_average": float(np.mean(average.argmax(axis=1) == y)),
        "monte_carlo_masks": masks,
        "test_accuracy_single_mask_mean": float(np.mean(single)),
        "test_accuracy_single_mask_std": float(np.std(single, ddof=1)),
    }


def measure_dropout(model, test):
    """``dropout.json``: :func:`dropout_check` on the test set, for a plain MLP with Dropout (None otherwise)."""
    return dropout_check(model, *test) if is_mlp(model) else None
