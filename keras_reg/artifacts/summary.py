"""The ``summary`` kind: the runs against the reference in a few numbers (``summary.md``)."""

import numpy as np

from keras_reg.artifacts.registry import text_artifact
from keras_reg.artifacts.stats import expected_distance, seed_curves, span
from keras_reg.artifacts.tables import _reached, table_cells


def summary_markdown(experiment, runs):
    """The runs against the experiment's reference in a few numbers, each computed here from the runs.

    The mean absolute difference over the cells of the reference's test and training tables,
    overall and per case; per case the range of differences in each table and of its train-test
    gap; and, from the seed-mean curves, at which epochs each case's test accuracy beats the
    baseline's (in the paper: never at a printed epoch).
    """
    test, train, gap = (table_cells(experiment, runs, which) for which in ("test", "train", "gap"))
    both = test + train
    seeds = sorted({c["seeds"] for c in both}) or sorted({len(histories) for histories in runs.values()})
    first = experiment.reference.epochs[0]
    distance = (
        f"Mean absolute difference from the reference over the {len(both)} cells of its test and training tables: "
        f"{np.mean([abs(c['difference']) for c in both]):.2f} pp."
        if both
        else f"No run reached a printed epoch (the runs reach {_reached(runs)}; the first printed is {first}), so there is nothing to compare yet."
    )
    lines = [
        f"### The runs against {experiment.reference.source}",
        "",
        f"Seeds per case: {'/'.join(map(str, seeds))}. {distance}",
        "",
        "| case | distance (pp) | one more seed's expected distance (pp) | test acc. minus reference (pp) | train acc. minus reference (pp) | train-test gap, ours (pp) | gap, reference (pp) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case in runs:
        mine = [[c for c in cells if c["case"] == case] for cells in (test, train, gap)]
        if all(mine):
            test_diff, train_diff = ([c["difference"] for c in cells] for cells in mine[:2])
            lines.append(
                f"| {experiment.label(case)} | {np.mean(np.abs(test_diff + train_diff)):.2f} | {expected_distance(mine[0] + mine[1]):.2f} | {span(test_diff, '+')} | {span(train_diff, '+')} | "
                f"{span([c['ours_mean'] for c in mine[2]])} | {span([c['paper'] for c in mine[2]])} |"
            )
    lines += [
        "",
        "One more seed's expected distance: what the distance would be, on average, if the reference were a "
        "single run of this very protocol (one more seed), from the seeds' spread: the mean over the cells of "
        "E|X - mean of n| = sigma sqrt(2/pi) sqrt(1 + 1/n), sigma estimated as s / c4(n). "
        "A distance near it is as close as any protocol can be expected to come to one run.",
    ]
    if experiment.baseline in runs:
        base = seed_curves(runs[experiment.baseline], "test_accuracy")[1].mean(axis=0)
        lines += [
            "",
            f"Test accuracy of the seed means against the {experiment.label(experiment.baseline)} case's:",
            "",
        ]
        for case in runs:
            if case == experiment.baseline:
                continue
            curve = seed_curves(runs[case], "test_accuracy")[1].mean(axis=0)
            n = min(len(curve), len(base))
            better = curve[:n] > base[:n]
            later = better[first - 1 :]
            always_from = next((e + 1 for e in range(n) if better[e:].all()), None)
            lines.append(
                f"- {experiment.label(case)}: above it at {int(later.sum())} of the {len(later)} epochs from {first} on"
                + (
                    f"; at every epoch from {always_from} on."
                    if always_from is not None
                    else "; not at the last epoch."
                )
            )
    return "\n".join(lines) + "\n"


summary = text_artifact("summary", "summary.md", summary_markdown)
