"""Measurements of a trained network that test the paper's conclusions (section 4), saved beside its run.

* :func:`weight_summary` (conclusions 1-2: L1 makes weights sparse, L2 keeps them all small): per
  layer, the fraction of kernel weights with |w| below 1e-4, 1e-3 and 1e-2, the L1 and L2 norms, and
  a histogram of log10 |w|. Plain SGD on alpha |w| steps by lr * alpha every update and so oscillates
  around zero instead of landing on it: the fractions count weights that are *near* zero at those
  scales, not exact zeros (there are next to none).
* :func:`dropout_check` (conclusion 3: at test time Dropout is the network with its weights
  multiplied by the keep probability): the inverted Dropout Keras trains (units divided by p in
  training, nothing at test) against the paper's form of the same network (weights W / p trained
  without the division, multiplied by p at test), output for output; and the test accuracy of the
  deterministic network against a Monte Carlo average of the predictions over random Dropout masks
  (the "model averaging" the paper describes).

* :func:`stochastic_depth_check` (the CNN report's stochastic depth on the trained network): for each
  StochasticDepth layer, its inference output against the average of its training-time outputs
  over many gate draws (the expectation p F(x) + (1 - p) x of the report's formula), the rest of
  the network in inference mode; and the test accuracy of the deterministic network against a
  Monte Carlo average over gate draws.

The trainer writes them at the end of a run (``weights.json``; ``dropout.json`` for an MLP with
Dropout layers; ``stochastic_depth.json`` for a model with StochasticDepth layers); the report
draws from those files only.
"""

import numpy as np

__all__ = ["THRESHOLDS", "weight_summary", "dropout_check", "stochastic_depth_check", "is_mlp"]

THRESHOLDS = (1e-4, 1e-3, 1e-2)
HISTOGRAM_EDGES = np.linspace(-8.0, 1.0, 37)  # log10 |w|, 0.25 decades per bin


def weight_summary(model):
    """{"layers": [...], "histogram_edges": [...]} for every layer with a kernel (JSON-ready)."""
    from keras_reg.regularizers import _norms, kernels

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


def stochastic_depth_check(model, x_test, y_test, draws=200, examples=2000, draw_examples=100):
    """The stochastic-depth measurements of a trained model (JSON-ready dict), or None if it has no
    StochasticDepth layer.

    Per layer, on the first ``examples`` test images: the layer's inputs [shortcut, residual] as
    the trained network computes them at inference, and its inference output against the
    test-time rule shortcut + p * residual. Then the average of ``draws`` training-mode calls of
    the layer on the first ``draw_examples`` of those inputs (each call draws its gate, and a
    few images suffice for a gate per batch; docs/cnn.md gives the cost of more). With one gate
    per call the average is shortcut + (kept fraction) * residual, so the two agree up to
    (kept fraction - p) * residual: the check reports the kept fraction beside p and its binomial
    standard error, and the largest difference relative to the largest |residual| of those images.

    Network level: the class probabilities at inference against their exact expectation over the
    training-time gates: every pattern of kept and skipped layers (2^k for k layers with one gate
    per batch, the CNN report's and Huang et al.'s form), weighted by its probability, the rest of
    the network (batch norm, Dropout) in inference mode. The two differ because the layers after a
    gated one are not linear; the check says by how much, and in test accuracy.
    """
    import itertools

    import keras

    from keras_reg.layers import StochasticDepth

    sd_layers = [layer for layer in model.layers if isinstance(layer, StochasticDepth)]
    if not sd_layers:
        return None
    x = np.asarray(x_test[:examples], np.float32)
    y = np.asarray(y_test[:examples])
    report = {"layers": [], "draws": draws, "examples": len(x), "draw_examples": min(draw_examples, len(x))}
    for layer in sd_layers:
        probe = keras.Model(model.input, [*layer.input, layer.output])
        shortcut, residual, output = (
            np.asarray(keras.ops.convert_to_numpy(t), np.float64) for t in probe(x, training=False)
        )
        p = layer.survival_probability
        formula = float(np.abs(output - (shortcut + p * residual)).max())
        shortcut, residual, output = shortcut[:draw_examples], residual[:draw_examples], output[:draw_examples]
        inputs = [shortcut.astype(np.float32), residual.astype(np.float32)]
        total, kept = np.zeros_like(output), 0.0
        scale = float(np.abs(residual).max())
        for _ in range(draws):
            drawn = np.asarray(keras.ops.convert_to_numpy(layer(inputs, training=True)), np.float64)
            total += drawn / draws
            kept += float(np.abs(drawn - shortcut).max() > 1e-6 * max(1.0, scale)) / draws
        report["layers"].append(
            {
                "name": layer.name,
                "mode": layer.mode,
                "survival_probability": p,
                "kept_fraction": kept,
                "kept_fraction_standard_error": float(np.sqrt(p * (1 - p) / draws)),
                "max_abs_residual": scale,
                "max_abs_difference_inference_vs_formula": formula,
                "max_relative_difference_inference_vs_draw_average": float(np.abs(output - total).max() / scale)
                if scale
                else 0.0,
            }
        )
    deterministic = np.asarray(model.predict(x, batch_size=len(x), verbose=0), np.float64)
    expectation = np.zeros_like(deterministic)
    for pattern in itertools.product((1.0, 0.0), repeat=len(sd_layers)):
        gates = {id(layer): g for layer, g in zip(sd_layers, pattern)}
        weight = float(
            np.prod(
                [
                    layer.survival_probability if g else 1.0 - layer.survival_probability
                    for layer, g in zip(sd_layers, pattern)
                ]
            )
        )
        if weight > 0:
            expectation += weight * np.asarray(keras.ops.convert_to_numpy(_call_gated(model, x, gates)), np.float64)
    report["max_abs_difference_probabilities_inference_vs_expectation"] = float(
        np.abs(deterministic - expectation).max()
    )
    report["test_accuracy_inference"] = float(np.mean(deterministic.argmax(axis=1) == y))
    report["test_accuracy_expectation_over_gates"] = float(np.mean(expectation.argmax(axis=1) == y))
    return report


def _call_gated(model, x, gates):
    """``model``'s output on ``x`` at inference, except that each StochasticDepth layer in ``gates``
    (by id) gives shortcut + gate * residual: its training-time output for that gate."""
    values = {id(model.input): x}
    for layer in model.layers[1:]:
        node = layer._inbound_nodes[0]
        args = [values[id(t)] for t in node.input_tensors]
        if id(layer) in gates:
            out = args[0] + gates[id(layer)] * args[1]
        else:
            out = layer(args if len(args) > 1 else args[0], training=False)
        values[id(node.output_tensors[0])] = out
    return values[id(model.output)]
