"""The paper study's own artifact kinds: ``weights`` (conclusions 1-2, from each run's weights.json),
``paper_claims`` (its conclusions 1-4 checked), ``penalty_geometry`` (its Figures 1-2) and
``lesson_code`` (the runs against the public TF 1.x lesson code's logs).
"""

from pathlib import Path

import numpy as np

from keras_reg.artifacts.io import pyplot, read_measurements, save_figure, write_text
from keras_reg.artifacts.registry import register
from keras_reg.artifacts.stats import (
    mean_std,
    values_at,
)
from keras_reg.regularizers import WEIGHT_LAYER_KEYS, WEIGHT_SUMMARY_KEYS
from keras_reg.studies.paper import geometry
from keras_reg.studies.paper.measurements import DROPOUT_KEYS
from keras_reg.studies.paper.reference import CONCLUSION_4, LESSON_CODE_LOGS


def _pooled(summary):
    """Over all layers of one run's weights.json: fractions below each threshold, the L2 norm, the counts."""
    sizes = np.array([layer["size"] for layer in summary["layers"]], float)
    fractions = {
        t: float(sum(layer["fraction_below"][t] * layer["size"] for layer in summary["layers"]) / sizes.sum())
        for t in summary["layers"][0]["fraction_below"]
    }
    return (
        fractions,
        float(np.sqrt(sum(layer["l2"] ** 2 for layer in summary["layers"]))),
        np.sum([layer["histogram"] for layer in summary["layers"]], axis=0),
        max(layer["max_abs"] for layer in summary["layers"]),
    )


@register("weights")
def weights(experiment, runs, out_dir, runs_dir=None):
    """``weights.md`` (per case and layer: the fraction of |w| below 1e-4, 1e-3, 1e-2 and the norms,
    mean over seeds) and ``weights.png``/``.pdf`` (histograms of log10 |w|, the cases overlaid),
    from each run's ``weights.json``."""
    plt = pyplot()

    found = read_measurements(runs_dir, runs, "weights.json", WEIGHT_SUMMARY_KEYS, WEIGHT_LAYER_KEYS)
    if not found:  # runs trained before the trainer wrote it: nothing to draw
        return []
    lines = [
        "### Weights of the trained networks (conclusions 1-2)",
        "",
        "Per case and layer, mean over seeds: the fraction of kernel weights with |w| below each threshold, and the norms. "
        "Plain SGD on alpha |w| moves each weight by lr * alpha at every step, so L1's weights oscillate around zero instead of landing on it: "
        "the fractions count weights *near* zero at that scale, not exact zeros.",
        "",
        "| case | seeds | layer | |w| < 1e-4 | |w| < 1e-3 | |w| < 1e-2 | L1 norm | L2 norm | max |w| |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    edges = np.asarray(next(iter(found.values()))[0]["histogram_edges"])
    for case, summaries in found.items():
        for k, layer in enumerate(summaries[0]["layers"]):
            per_seed = [s["layers"][k] for s in summaries]
            mean = lambda key: np.mean([layer[key] for layer in per_seed])  # noqa: E731
            fractions = [np.mean([layer["fraction_below"][t] for layer in per_seed]) for t in layer["fraction_below"]]
            lines.append(
                f"| {experiment.label(case)} | {len(summaries)} | {layer['layer']} | "
                + " | ".join(f"{100 * f:.2f}%" for f in fractions)
                + f" | {mean('l1'):.1f} | {mean('l2'):.2f} | {mean('max_abs'):.3f} |"
            )
        counts = np.sum([_pooled(s)[2] for s in summaries], axis=0)
        ax.step(
            edges[:-1],
            counts / counts.sum(),
            where="post",
            color=experiment.color(case),
            lw=1.4,
            label=f"{experiment.label(case)} ({len(summaries)} seed{'s' * (len(summaries) > 1)})",
        )
    ax.set_xlabel("log10 |w| (all kernels)")
    ax.set_ylabel("fraction of weights per 0.25 decade")
    ax.set_title("Weights of the trained networks")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    write_text(Path(out_dir) / "weights.md", "\n".join(lines) + "\n")
    return [Path(out_dir) / "weights.md"] + save_figure(fig, out_dir, "weights")


@register("paper_claims")
def paper_claims(experiment, runs, out_dir, runs_dir=None):
    """``claims.md``: each of the paper's conclusions 1-4, the number that tests it, and whether it holds."""
    weights_found = read_measurements(runs_dir, runs, "weights.json", WEIGHT_SUMMARY_KEYS, WEIGHT_LAYER_KEYS)
    dropout_found = read_measurements(runs_dir, runs, "dropout.json", DROPOUT_KEYS)
    lines = [
        "### The paper's conclusions, checked against the runs",
        "",
        "| conclusion (section 4) | what tests it | ours | holds? |",
        "| --- | --- | --- | --- |",
        *_weight_claims(experiment, weights_found),
        *_dropout_claim(dropout_found),
        *_conclusion_4(experiment, runs),
    ]
    path = Path(out_dir) / "claims.md"
    write_text(path, "\n".join(lines) + "\n")
    return [path]


def _weight_claims(experiment, weights_found):
    """Conclusions 1-2 (L1 sparse; L2 small but not zero), from the runs' weights.json."""
    lines = []
    pooled = {case: [_pooled(s) for s in summaries] for case, summaries in weights_found.items()}
    if "l1" in pooled and len(pooled) > 1:
        by_threshold = {
            t: {case: np.mean([p[0][t] for p in runs_]) for case, runs_ in pooled.items()}
            for t in ("0.0001", "0.001", "0.01")
        }
        near = by_threshold["0.001"]
        largest = all(max(v, key=v.get) == "l1" for v in by_threshold.values())
        ours = "; ".join(
            f"below {t}: " + ", ".join(f"{experiment.label(c)} {100 * v:.2f}%" for c, v in fractions.items())
            for t, fractions in by_threshold.items()
        )
        lines.append(
            f"| 1. L1 makes the weights sparse | fraction of all kernel weights with abs(w) below 1e-4, 1e-3, 1e-2 | {ours} | {'yes' if largest else 'no'}: L1 has the most near-zero weights at {'every' if largest else 'not every'} threshold |"
        )
        if "l2" in pooled and experiment.baseline in pooled:
            norm = {case: np.mean([p[1] for p in runs_]) for case, runs_ in pooled.items()}
            biggest = {case: np.mean([p[3] for p in runs_]) for case, runs_ in pooled.items()}
            holds = near["l2"] < near["l1"] and norm["l2"] < norm[experiment.baseline]
            lines.append(
                f"| 2. L2 keeps more weights than L1, all of them small | abs(w) < 1e-3 (L2 against L1); L2 norm and max abs(w) of all kernels (L2 against the standard network) | "
                f"{100 * near['l2']:.2f}% vs {100 * near['l1']:.2f}%; norm {norm['l2']:.1f} vs {norm[experiment.baseline]:.1f}; max {biggest['l2']:.2f} vs {biggest[experiment.baseline]:.2f} | {'yes' if holds else 'no'} |"
            )
    return lines


def _dropout_claim(dropout_found):
    """Conclusion 3 (Dropout at test time is the network with its weights times p), from dropout.json."""
    lines = []
    if "dropout" in dropout_found:
        checks_ = dropout_found["dropout"]
        diff = max(c["max_abs_difference_keras_vs_paper_form"] for c in checks_)
        det = np.array([100 * c["test_accuracy_deterministic"] for c in checks_])
        mc = np.array([100 * c["test_accuracy_monte_carlo_average"] for c in checks_])
        single = np.array([100 * c["test_accuracy_single_mask_mean"] for c in checks_])
        lines.append(
            f"| 3. At test time Dropout is the network with its weights multiplied by p | the trained network in Keras's inverted form against the paper's (weights W/p, times p at test); its accuracy against a Monte Carlo average over {checks_[0]['monte_carlo_masks']} masks | "
            f"largest difference of the class probabilities {diff:.1e}; test accuracy {det.mean():.2f}% (deterministic) vs {mc.mean():.2f}% (average over masks) vs {single.mean():.2f}% (one mask), mean of {len(checks_)} seeds | "
            f"yes: the two forms are one network (float32 rounding), and the weight scaling is within {abs(det.mean() - mc.mean()):.2f} pp of the model average |"
        )
    return lines


def _conclusion_4(experiment, runs):
    """Conclusion 4 (Dropout regularizes best, about the printed accuracy and gap), at the last printed epoch."""
    last = experiment.reference.epochs[-1]
    accuracy, printed_gap = CONCLUSION_4["test_accuracy"], CONCLUSION_4["gap"]
    lines = []
    test = {case: values_at(h, "test", last) for case, h in runs.items()}
    test = {
        case: values for case, values in test.items() if len(values)
    }  # the runs that reached the last printed epoch
    if "dropout" in test and experiment.baseline in test:
        gap = {case: values_at(runs[case], "train", last) - test[case] for case in test}
        regularized = [c for c in test if c != experiment.baseline]
        best = max(regularized, key=lambda c: test[c].mean())
        d_test, d_gap = test["dropout"], gap["dropout"]
        lines.append(
            f"| 4. Dropout regularizes best; final accuracy about {accuracy:g}% with a gap of {printed_gap:g}% | epoch {last}: test accuracy and training minus test, mean +- std over seeds | "
            + "; ".join(
                f"{experiment.label(c)} {test[c].mean():.2f} +- {test[c].std(ddof=1) if len(test[c]) > 1 else 0:.2f}% (gap {gap[c].mean():.2f} +- {gap[c].std(ddof=1) if len(gap[c]) > 1 else 0:.2f})"
                for c in test
            )
            + f" | best regularizer by test accuracy: {experiment.label(best)}; Dropout's accuracy {d_test.mean():.2f}% is {d_test.mean() - accuracy:+.2f} pp from {accuracy:g}%, its gap {d_gap.mean():.2f} pp is {d_gap.mean() - printed_gap:+.2f} from {printed_gap:g} |"
        )
    return lines


@register("penalty_geometry")
def penalty_geometry(experiment, runs, out_dir, runs_dir=None):
    """The paper's Figures 1-2, computed (:mod:`keras_reg.studies.paper.geometry`); they need no runs."""
    return geometry.draw(out_dir)


@register("lesson_code")
def lesson_code(experiment, runs, out_dir, runs_dir=None):
    """``lesson_code.md``: the runs at the epochs the public TF 1.x lesson code logged, beside its
    logged accuracies (:data:`keras_reg.studies.paper.reference.LESSON_CODE_LOGS`): whether the protocol reproduces
    that code, a separate question from whether it reproduces the paper."""
    lines = [
        "### The runs against the public TF 1.x lesson code's logged outputs",
        "",
        "| case | epoch | test acc., ours (%) | test acc., lesson log (%) | difference (pp) | train acc., ours (%) | train acc., lesson log (%) | difference (pp) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case, (epoch, test, train) in LESSON_CODE_LOGS.items():
        if case not in runs:
            continue
        cells = []
        for column, logged in (("test", test), ("train", train)):
            values = values_at(runs[case], column, epoch)
            if not len(values):
                break
            mean, std = mean_std(values)
            cells += [f"{mean:.2f} +- {std:.2f}", f"{logged:.2f}", f"{mean - logged:+.2f}"]
        else:
            lines.append(f"| {experiment.label(case)} | {epoch} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f'Ours: mean +- std over seeds ({", ".join(f"{experiment.label(c)} {len(runs[c])}" for c in LESSON_CODE_LOGS if c in runs)}); the lesson\'s: one unseeded run each. "Iter k" of its log is epoch k + 1.',
    ]
    path = Path(out_dir) / "lesson_code.md"
    write_text(path, "\n".join(lines) + "\n")
    return [path]
