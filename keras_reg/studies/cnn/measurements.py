"""What a trained network of the CNN report's study is measured for, beside its run:
``stochastic_depth.json`` (:func:`stochastic_depth_check`): for each StochasticDepth layer, its
inference output against the average of its training-time outputs over many gate draws (the
expectation p F(x) + (1 - p) x of the report's formula), the rest of the network in inference
mode; and the test accuracy of the deterministic network against the exact expectation over gates.
"""

import numpy as np

__all__ = ["stochastic_depth_check", "CHECK_KEYS", "LAYER_KEYS"]

# What the artifacts read of stochastic_depth.json, and of each of its layers.
CHECK_KEYS = (
    "layers",
    "examples",
    "draws",
    "draw_examples",
    "max_abs_difference_probabilities_inference_vs_expectation",
    "test_accuracy_inference",
    "test_accuracy_expectation_over_gates",
)
LAYER_KEYS = (
    "name",
    "survival_probability",
    "kept_fraction",
    "kept_fraction_standard_error",
    "max_abs_difference_inference_vs_formula",
    "max_relative_difference_inference_vs_draw_average",
)


def stochastic_depth_check(model, x_test, y_test, draws=200, examples=2000, draw_examples=100):
    """The stochastic-depth measurements of a trained model (JSON-ready dict), or None if it has no
    StochasticDepth layer.

    Per layer, on the first ``examples`` test images: the layer's inputs [shortcut, residual] as
    the trained network computes them at inference, and its inference output against the
    test-time rule shortcut + p * residual. Then the average of ``draws`` training-mode calls of
    the layer on the first ``draw_examples`` of those inputs (each call draws its gate, and a
    few images suffice for a gate per batch; the study's README gives the cost of more). With one gate
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
    report = {
        "layers": [_layer_check(model, layer, x, draws, draw_examples) for layer in sd_layers],
        "draws": draws,
        "examples": len(x),
        "draw_examples": min(draw_examples, len(x)),
    }
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


def _layer_check(model, layer, x, draws, draw_examples):
    """One StochasticDepth layer's inference output against shortcut + p * residual, and the
    average of ``draws`` training-mode calls on the first ``draw_examples`` images."""
    import keras

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
    return {
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
