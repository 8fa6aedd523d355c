"""The CNN study's artifact kind ``cnn_claims``: each of the report's claims checked against the runs,
each case against its printed accuracy, and the stochastic-depth checks of the trained networks.
"""

import math
from pathlib import Path

import numpy as np

from keras_reg.artifacts.io import read_measurements, write_text
from keras_reg.artifacts.registry import register
from keras_reg.artifacts.stats import (
    last_values,
    mean_difference,
    mean_std,
    roughness,
    within,
)
from keras_reg.studies.cnn.measurements import CHECK_KEYS, LAYER_KEYS


@register("cnn_claims")
def cnn_claims(experiment, runs, out_dir, runs_dir=None):
    """``claims.md`` of the CNN report: each of its claims, the numbers that test it (last epoch,
    mean over seeds, standard errors of differences), and whether it holds, or which cases it still
    needs; each case against the report's printed accuracy; and, from each stochastic-depth run's
    ``stochastic_depth.json``, the gated layers of the trained network at inference against their
    training-time expectation."""
    reported = tuple(experiment.reference.tables["test"])  # the report's four cases
    if not any(case in runs for case in reported):
        return []
    lines = [
        "### The CNN report's claims, checked against the runs",
        "",
        "| claim | what tests it | ours | holds? |",
        "| --- | --- | --- | --- |",
        *_claim_rows(experiment, runs, reported),
        *_against_the_report(experiment, runs),
    ]
    lines += _stochastic_depth_lines(
        experiment,
        read_measurements(runs_dir, runs, "stochastic_depth.json", CHECK_KEYS, LAYER_KEYS) if runs_dir else {},
    )
    path = Path(out_dir) / "claims.md"
    write_text(path, "\n".join(lines) + "\n")
    return [path]


def _claim_rows(experiment, runs, reported):
    """One row per claim of the report: the numbers that test it and whether it holds (or what it waits for)."""
    test_acc = {c: last_values(runs[c], "test_accuracy", 100.0) for c in reported if c in runs}
    test_loss = {c: last_values(runs[c], "test_loss") for c in test_acc}
    rough = {c: np.array([roughness(h, "test_loss") for h in runs[c].values()]) for c in test_acc}
    label = experiment.label

    def missing(needed):
        absent = [c for c in needed if c not in runs]
        names = " and ".join([", ".join(absent[:-1]), absent[-1]] if len(absent) > 1 else absent)
        return f"not yet tested: needs the {names} case{'s' if len(absent) > 1 else ''}" if absent else None

    def ranking(values, best):
        order = sorted(values, key=lambda c: values[c].mean(), reverse=best == "max")
        return order, "; ".join(f"{label(c)} {values[c].mean():.4g}" for c in order)

    waiting = missing(reported)  # the rankings need all four of the report's cases
    lines = []
    for claim, values, best, unit in (
        ("Stochastic depth has the lowest test loss", test_loss, "min", ""),
        ("Stochastic depth has the best test accuracy", test_acc, "max", " pp"),
    ):
        what = "last epoch, mean over seeds, the report's four cases ranked"
        if waiting:
            lines.append(f"| {claim} | {what} | - | {waiting} |")
            continue
        order, text = ranking(values, best)
        # the deciding gap: stochastic depth against the best of the other cases
        ahead, behind = (order[0], order[1]) if order[0] == "stochastic_depth" else (order[0], "stochastic_depth")
        diff, se = (
            mean_difference(values[behind], values[ahead])
            if best == "min"
            else mean_difference(values[ahead], values[behind])
        )
        holds = "yes" if ahead == "stochastic_depth" else "no"
        margin = f"{label(ahead)} ahead of {label(behind)} by {abs(diff):.4g}{unit} +- {se:.2g}"
        lines.append(f"| {claim} | {what} | {text} ({margin}) | {holds}{within(diff, se)} |")
    what = "mean absolute change of the test loss per epoch, ranked (lower: smoother)"
    if waiting:
        lines.append(f"| Dropout and stochastic depth give the smoothest curves | {what} | - | {waiting} |")
    else:
        order, text = ranking(rough, "min")
        # the deciding gap: the rougher of the two named cases against the smoother of the other two
        named = max(("dropout", "stochastic_depth"), key=lambda c: rough[c].mean())
        other = min((c for c in order if c not in ("dropout", "stochastic_depth")), key=lambda c: rough[c].mean())
        diff, se = mean_difference(rough[other], rough[named])
        margin = f"{label(other)} minus {label(named)}: {diff:+.2g} +- {se:.2g}"
        lines.append(
            f"| Dropout and stochastic depth give the smoothest curves | {what} | {text} ({margin}) | {'yes' if diff > 0 else 'no'}{within(diff, se)} |"
        )
    what, pair_waiting = "test accuracy, weight decay minus baseline", missing(("baseline", "weight_decay"))
    if pair_waiting:
        lines.append(f"| Weight decay does not help here | {what} | - | {pair_waiting} |")
    else:
        diff, se = mean_difference(test_acc["weight_decay"], test_acc["baseline"])
        helps = math.isfinite(se) and diff > 2 * se
        lines.append(
            f"| Weight decay does not help here | {what} | {diff:+.2f} +- {se:.2f} pp | {'no' if helps else 'yes'} |"
        )
    return lines


def _against_the_report(experiment, runs):
    """Each case with a printed accuracy against it, with the standard error of our mean."""
    label = experiment.label
    lines = [
        "",
        "| case | seeds | test acc., ours (%) | the report's (%) | ours minus the report's (pp) |",
        "| --- | --- | --- | --- | --- |",
    ]
    printed = experiment.reference.tables["test"]
    for case in runs:
        if case in printed:
            values = last_values(runs[case], "test_accuracy", 100.0)
            se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
            lines.append(
                f"| {label(case)} | {len(values)} | {values.mean():.2f} +- {values.std(ddof=1) if len(values) > 1 else 0:.2f} | {printed[case][-1]:.2f} | {values.mean() - printed[case][-1]:+.2f} +- {se:.2f} (standard error of our mean) |"
            )
    return lines


def _stochastic_depth_lines(experiment, found):
    """The ``stochastic_depth.json`` checks of the trained networks, one row per case and gated layer
    (seeds pooled), then the network-level comparison per case."""
    if not found:
        return []
    first = next(iter(found.values()))[0]
    lines = [
        "",
        "### Stochastic depth on the trained networks",
        "",
        f"Per gated layer, on the first {first['examples']} test images: the inference output against p F(x) + (1 - p) pad(x) (the report's "
        f"test-time rule; float32 rounding), and on the first {first['draw_examples']} against the average of "
        f"{first['draws']} training-mode calls, which differs from it by (kept fraction - p) times the "
        "residual, so that difference is given relative to the largest |residual| beside the kept fraction and its binomial standard "
        "error. Network level: the class probabilities at inference against their exact expectation over every pattern of kept and "
        "skipped layers (they differ because what follows a gated layer is not linear), and the test accuracy of each.",
        "",
        f"| case | layer | p | seeds | kept fraction in {first['draws']} draws (binomial s.e.) | max abs. difference, inference vs p F + (1 - p) pad | max difference vs the draws' average / max abs. residual |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case, checks in found.items():
        for index, layer in enumerate(checks[0]["layers"]):
            rows = [check["layers"][index] for check in checks]
            kept = ", ".join(f"{row['kept_fraction']:.3f}" for row in rows)
            formula = max(row["max_abs_difference_inference_vs_formula"] for row in rows)
            relative = ", ".join(f"{row['max_relative_difference_inference_vs_draw_average']:.3f}" for row in rows)
            lines.append(
                f"| {experiment.label(case)} | {layer['name']} | {layer['survival_probability']:.3g} | {len(rows)} | {kept} (+- {layer['kept_fraction_standard_error']:.3f}) | {formula:.2g} | {relative} |"
            )
    lines += [
        "",
        "| case | seeds | max abs. difference of the class probabilities, inference vs expectation over the gates | test acc. at inference (%) | test acc. of the expectation (%) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case, checks in found.items():
        difference = max(check["max_abs_difference_probabilities_inference_vs_expectation"] for check in checks)
        accuracies = [
            mean_std(np.array([100 * check[key] for check in checks]))
            for key in ("test_accuracy_inference", "test_accuracy_expectation_over_gates")
        ]
        lines.append(
            f"| {experiment.label(case)} | {len(checks)} | {difference:.3g} (largest over seeds) | "
            + " | ".join(f"{m:.2f} +- {sd:.2f}" for m, sd in accuracies)
            + " |"
        )
    return lines
