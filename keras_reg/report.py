"""An experiment's artifacts (figures, tables, summaries), drawn from run directories only (never trains).

``runs_dir/<case>/seed_<k>/history.csv`` for each case of the experiment; a case may have several
seeds (shown as mean +- one standard deviation, ``ddof=1``) and any number of epochs. Cases,
labels, colours and the reference numbers come from the experiment
(:mod:`keras_reg.experiments`); what is drawn is its ``artifacts``, each a kind of
:data:`ARTIFACTS` with its options. For the paper these are its Figures 10-11, Tables 1-3 (at the
paper's epochs 20/40/60/80/100 that the runs reached) and ``summary.md``.
"""

import csv
import io
import math
import re
from pathlib import Path

import numpy as np

from keras_reg.experiments import PALETTE
from keras_reg.outputs import save_figure, write_text

__all__ = [
    "ARTIFACTS",
    "load_runs",
    "table_cells",
    "summary_markdown",
    "make_all",
    "fidelity_rows",
    "fidelity_markdown",
    "final_table",
    "decision_boundaries",
    "write_text",
]


def load_runs(runs_dir, cases):
    """{case: {seed: history}} for every ``<case>/seed_<k>/history.csv`` under ``runs_dir``, in the
    order of ``cases``. A damaged history, or one with a header and no row (the trainer writes
    history.csv only with its first row), raises :class:`keras_reg.training.RunDirError`."""
    from keras_reg.training import RunDirError, read_history

    runs = {}
    for case in cases:
        for path in sorted(Path(runs_dir, case).glob("seed_*/history.csv")):
            match = re.fullmatch(r"seed_(\d+)", path.parent.name)
            if not match:
                continue
            history = read_history(path.parent)
            if not len(history["epoch"]):
                raise RunDirError(
                    f"{path} has no row (the trainer writes none without one); delete it or rerun the run"
                )
            runs.setdefault(case, {})[int(match.group(1))] = history
    return runs


def _values_at(histories, column, epoch):
    """Per-seed values (percent) of ``column`` at ``epoch``, for the seeds that reached it."""
    values = []
    for history in histories.values():
        hit = np.nonzero(history["epoch"] == epoch)[0]
        if len(hit):
            if column == "gap":
                i = hit[0]
                values.append(100.0 * (history["train_accuracy"][i] - history["test_accuracy"][i]))
            else:
                values.append(100.0 * history[f"{column}_accuracy"][hit[0]])
    return np.array(values)


def _mean_std(values):
    if len(values) == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _difference(a, b):
    """(mean(a) - mean(b), its standard error sqrt(s_a^2/n_a + s_b^2/n_b); nan with one seed)."""
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) if len(a) > 1 and len(b) > 1 else math.nan
    return float(a.mean() - b.mean()), se


def table_cells(experiment, runs, which):
    """The cells of the experiment's reference table ``which`` (for the paper ``"test"``,
    ``"train"``, ``"gap"``).

    Returns a list of dicts (case, epoch, seeds, ours_mean, ours_std, paper, difference), one per
    case with a reference row and reference epoch that at least one seed reached; ``difference``
    is ours_mean - the reference.
    """
    reference = experiment.reference
    cells = []
    for case in runs:
        row = reference.tables[which].get(experiment.reference_case(case))
        if row is None:
            continue
        for k, epoch in enumerate(reference.epochs):
            values = _values_at(runs.get(case, {}), which, epoch)
            if len(values) == 0:
                continue
            mean, std = _mean_std(values)
            cells.append(
                {
                    "case": case,
                    "epoch": epoch,
                    "seeds": len(values),
                    "ours_mean": mean,
                    "ours_std": std,
                    "paper": row[k],
                    "difference": mean - row[k],
                }
            )
    return cells


def _reached(runs):
    """'the runs reach epoch N' (or 'epochs N to M' when seeds differ)."""
    last = sorted({int(h["epoch"][-1]) for histories in runs.values() for h in histories.values()})
    return f"epoch {last[0]}" if len(last) == 1 else f"epochs {last[0]} to {last[-1]}"


def _markdown(experiment, cells, title, runs):
    epochs = sorted({c["epoch"] for c in cells})
    seeds = sorted({c["seeds"] for c in cells})
    printed = ", ".join(map(str, experiment.reference.epochs))
    if not cells:
        return f"### {title}\n\nNo cell yet: the runs reach {_reached(runs)}, and the reference is printed at epochs {printed}.\n"
    missing = [e for e in experiment.reference.epochs if e not in epochs]
    lines = [
        f"### {title}",
        "",
        *(
            [
                f"The runs reach {_reached(runs)}: the reference's epochs {', '.join(map(str, missing))} are not shown.",
                "",
            ]
            if missing
            else []
        ),
        f"Each cell: ours (mean +- std over {'/'.join(map(str, seeds))} seed(s)) / the paper's printed value / ours minus the paper's.",
        "",
        "| case | " + " | ".join(f"epoch {e}" for e in epochs) + " |",
        "| --- |" + " --- |" * len(epochs),
    ]
    for case in dict.fromkeys(c["case"] for c in cells):
        row = {c["epoch"]: c for c in cells if c["case"] == case}
        parts = [
            f"{row[e]['ours_mean']:.2f} +- {row[e]['ours_std']:.2f} / {row[e]['paper']:.2f} / {row[e]['difference']:+.2f}"
            if e in row
            else "-"
            for e in epochs
        ]
        lines.append(f"| {experiment.label(case)} | " + " | ".join(parts) + " |")
    return "\n".join(lines) + "\n"


def _csv(cells):
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, ["case", "epoch", "seeds", "ours_mean", "ours_std", "paper", "difference"], lineterminator="\n"
    )
    writer.writeheader()
    for cell in cells:
        writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in cell.items()})
    return buffer.getvalue()


def reference_tables(experiment, runs, out_dir, tables, runs_dir=None):
    """Writes each reference table (``tables``: file name -> reference table) as .md and .csv."""
    paths = []
    for name, which in tables.items():
        cells = table_cells(experiment, runs, which)
        title = experiment.reference.labels.get(which, which)
        for suffix, text in ((".md", _markdown(experiment, cells, title, runs)), (".csv", _csv(cells))):
            path = Path(out_dir) / f"{name}{suffix}"
            write_text(path, text)
            paths.append(path)
    return paths


def _column(history, column):
    """A history column, or ``"objective"``: the training-mode loss of the steps since the last row
    plus the penalty, the cost a training loop prints (the planar tutorial's)."""
    return history["step_loss"] + history["penalty"] if column == "objective" else history[column]


def _curves(histories, column, scale=100.0):
    """(epochs, per-seed curves times ``scale``) over the epochs every seed reached."""
    length = min(len(h["epoch"]) for h in histories.values())
    epochs = next(iter(histories.values()))["epoch"][:length]
    return epochs, scale * np.array([_column(h, column)[:length] for h in histories.values()])


def curves(
    experiment,
    runs,
    out_dir,
    name,
    column,
    title,
    reference=None,
    scale=100.0,
    unit="accuracy (%)",
    xlabel="epoch",
    runs_dir=None,
):
    """Draws ``column`` of every case against the epoch (mean and a band of one standard deviation
    over seeds), with the reference's printed values as circles if a reference table is named;
    PNG and PDF. Accuracies are drawn in percent (``scale``), losses as they are (scale 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if column.endswith("loss") or column == "objective":
        scale, unit = 1.0, {"objective": "cost (training-mode loss + penalty)"}.get(column, column.replace("_", " "))
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    lowest = []
    for case, histories in runs.items():
        epochs, values = _curves(histories, column, scale)
        mean, color, label = values.mean(axis=0), experiment.color(case), experiment.label(case)
        ax.plot(
            epochs,
            mean,
            color=color,
            lw=1.4,
            label=f"{label} (ours, {len(histories)} seed{'s' if len(histories) > 1 else ''})",
        )
        if len(histories) > 1:
            std = values.std(axis=0, ddof=1)
            ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.2, lw=0)
        lowest += list(mean[min(4, len(epochs) - 1) :])
        printed = experiment.reference.tables[reference].get(experiment.reference_case(case)) if reference else None
        if printed is not None:
            ax.plot(
                experiment.reference.epochs,
                printed,
                "o",
                mfc="none",
                mec=color,
                mew=1.6,
                ms=7,
                label=f"{label} ({experiment.reference.source.split(' (')[0]})",
            )
            lowest += list(printed)
    if lowest and scale == 100.0:
        ax.set_ylim(max(0.0, min(lowest) - 0.5), 100.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    _legend(fig, ax, loc="lower right" if scale == 100.0 else "upper right")
    fig.tight_layout()
    return save_figure(fig, out_dir, name)


def _legend(fig, ax, loc):
    """Two columns at ``loc`` inside the axes; with long labels (the CNN's cases), which would run off
    the figure that way, one column below the axes, the figure made taller to hold it."""
    labels = ax.get_legend_handles_labels()[1]
    if max(map(len, labels)) > 45:
        fig.set_figheight(fig.get_figheight() + 0.17 * len(labels))
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    else:
        ax.legend(fontsize=8, ncol=2, loc=loc)


def _span(values, sign=""):
    return f"{min(values):{sign}.2f} to {max(values):{sign}.2f}"


def _c4(n):
    """E[s] / sigma for the sample standard deviation of n normal values."""
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2.0) - math.lgamma((n - 1) / 2.0))


def expected_distance(cells):
    """The mean |difference| over ``cells`` (of :func:`table_cells`) expected if the reference were
    one more seed of the same runs: for normal runs E|X - mean of n| = sigma sqrt(2/pi) sqrt(1 + 1/n),
    with sigma estimated without bias from each cell's standard deviation over seeds as s / c4(n)
    (E[s] = c4(n) sigma; c4(3) = 0.886). NaN with fewer than two seeds in a cell."""
    values = [
        c["ours_std"] / _c4(c["seeds"]) * math.sqrt(2.0 / math.pi) * math.sqrt(1.0 + 1.0 / c["seeds"])
        if c["seeds"] > 1
        else math.nan
        for c in cells
    ]
    return float(np.mean(values)) if values else math.nan


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
                f"| {experiment.label(case)} | {np.mean(np.abs(test_diff + train_diff)):.2f} | {expected_distance(mine[0] + mine[1]):.2f} | {_span(test_diff, '+')} | {_span(train_diff, '+')} | "
                f"{_span([c['ours_mean'] for c in mine[2]])} | {_span([c['paper'] for c in mine[2]])} |"
            )
    lines += [
        "",
        "One more seed's expected distance: what the distance would be, on average, if the reference were a "
        "single run of this very protocol (one more seed), from the seeds' spread: the mean over the cells of "
        "E|X - mean of n| = sigma sqrt(2/pi) sqrt(1 + 1/n), sigma estimated as s / c4(n). "
        "A distance near it is as close as any protocol can be expected to come to one run.",
    ]
    if experiment.baseline in runs:
        base = _curves(runs[experiment.baseline], "test_accuracy")[1].mean(axis=0)
        lines += [
            "",
            f"Test accuracy of the seed means against the {experiment.label(experiment.baseline)} case's:",
            "",
        ]
        for case in runs:
            if case == experiment.baseline:
                continue
            curve = _curves(runs[case], "test_accuracy")[1].mean(axis=0)
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


def summary(experiment, runs, out_dir, runs_dir=None):
    path = Path(out_dir) / "summary.md"
    write_text(path, summary_markdown(experiment, runs))
    return [path]


_FINAL_COLUMNS = (
    ("test_accuracy", 100.0, "test acc. (%)"),
    ("train_accuracy", 100.0, "train acc. (%)"),
    ("test_loss", 1.0, "test loss"),
    ("train_loss", 1.0, "train loss"),
)


def _roughness(history, column):
    """The mean absolute change of ``column`` from one evaluation to the next: how jagged its curve is."""
    values = np.asarray(history[column], dtype=float)
    return float(np.mean(np.abs(np.diff(values)))) if len(values) > 1 else math.nan


def final_table(experiment, runs, out_dir, runs_dir=None, stability=None):
    """``final.md`` and ``final.csv``: per case the last row's accuracies and losses, mean +- std over
    seeds, beside the reference's printed values (the last of each of its tables); with
    ``stability`` (a history column), the mean absolute change of that column from one evaluation to
    the next (lower: a smoother curve); and each case against the baseline: the difference of mean
    accuracies with its standard error."""
    last = {case: min(int(h["epoch"][-1]) for h in histories.values()) for case, histories in runs.items()}
    values = {
        case: {
            column: np.array([scale * h[column][h["epoch"] == last[case]][0] for h in histories.values()])
            for column, scale, _ in _FINAL_COLUMNS
        }
        for case, histories in runs.items()
    }
    columns = [(column, label) for column, _, label in _FINAL_COLUMNS]
    if stability:
        for case, histories in runs.items():
            values[case]["stability"] = np.array([_roughness(h, stability) for h in histories.values()])
        columns.append(("stability", f"mean abs. change of the {stability.replace('_', ' ')} per evaluation"))
    reference = experiment.reference
    printed = list(reference.tables) if reference else []
    extra = [reference.labels.get(name, f"reference {name}") for name in printed]
    lines = [
        "| case | seeds | epochs | " + " | ".join([label for _, label in columns] + extra) + " |",
        "| --- |" + " --- |" * (2 + len(columns) + len(extra)),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["case", "seeds", "epochs"]
        + [f"{c}_{k}" for c, _ in columns for k in ("mean", "std")]
        + [f"reference_{name}" for name in printed]
    )
    for case, histories in runs.items():
        stats = [_mean_std(values[case][column]) for column, _ in columns]
        ref = [reference.tables[name].get(experiment.reference_case(case), (math.nan,))[-1] for name in printed]
        lines.append(
            f"| {experiment.label(case)} | {len(histories)} | {last[case]} | "
            + " | ".join(
                [f"{m:.4g} +- {sd:.2g}" for m, sd in stats] + [f"{v:g}" if math.isfinite(v) else "-" for v in ref]
            )
            + " |"
        )
        writer.writerow(
            [case, len(histories), last[case]] + [f"{v:.6g}" for pair in stats for v in pair] + [f"{v:g}" for v in ref]
        )
    if reference:
        lines += ["", f"Reference: {reference.source}."]
    base = experiment.baseline
    if base in runs and len(runs) > 1:
        lines += [
            "",
            f"Against the {experiment.label(base)} case (difference of means, +- its standard error, sqrt(s1^2/n1 + s2^2/n2)):",
            "",
        ]
        for case in runs:
            if case != base:
                parts = []
                for column, label in (("train_accuracy", "training accuracy"), ("test_accuracy", "test accuracy")):
                    difference, se = _difference(values[case][column], values[base][column])
                    parts.append(f"{label} {difference:+.2f} +- {se:.2f} pp")
                lines.append(f"- {experiment.label(case)}: " + "; ".join(parts))
        for column, word in (("train_accuracy", "training"), ("test_accuracy", "test")):
            means = {case: values[case][column].mean() for case in runs}
            lines.append(
                f"- Highest mean {word} accuracy: {experiment.label(max(means, key=means.get))}; lowest: {experiment.label(min(means, key=means.get))}."
            )
    md, table = Path(out_dir) / "final.md", Path(out_dir) / "final.csv"
    write_text(md, "\n".join(lines) + "\n")
    write_text(table, buffer.getvalue())
    return [md, table]


def decision_boundaries(experiment, runs, out_dir, name="boundaries", title="Decision boundaries", runs_dir=None):
    """One panel per case: the first seed's trained model (its ``model.keras``) as a filled contour of
    its class-1 region over the plane, with the training (dots) and test (crosses) points; PNG and PDF."""
    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import keras_reg  # noqa: F401  (the models' custom layers)
    from keras_reg import training

    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.2), squeeze=False)
    for ax, (case, histories) in zip(axes[0], runs.items()):
        seed = min(histories)
        run_dir = Path(runs_dir) / case / f"seed_{seed}"
        if not (run_dir / "model.keras").exists():
            raise FileNotFoundError(
                f"{run_dir / 'model.keras'} is missing: the decision boundary is drawn from the trained model (train the run again with --overwrite)"
            )
        try:
            model = keras.saving.load_model(run_dir / "model.keras")
        except Exception as e:  # a damaged zip or a foreign file: Keras raises several kinds
            raise training.RunDirError(
                f"{run_dir / 'model.keras'} is damaged ({type(e).__name__}); train the run again with --overwrite"
            ) from e
        spec = training.read_spec(run_dir)
        if spec is None:
            raise FileNotFoundError(
                f"{run_dir / 'config.json'} is missing: the points are drawn from the run's spec (run the case again: a checkpoint rebuilds it)"
            )
        (x_train, y_train), (x_test, y_test) = training.load_data(spec)
        if tuple(model.input_shape[1:]) != tuple(x_train.shape[1:]) or tuple(model.output_shape[1:]) != (1,):
            raise training.RunDirError(
                f"{run_dir / 'model.keras'} is not this run's model (inputs {model.input_shape[1:]}, outputs "
                f"{model.output_shape[1:]}; the run's points are {x_train.shape[1:]} with one output); "
                "train the run again with --overwrite"
            )
        points = np.concatenate([x_train, x_test])
        low, high = points.min(axis=0) - 0.1, points.max(axis=0) + 0.1
        xx, yy = np.meshgrid(np.linspace(low[0], high[0], 300), np.linspace(low[1], high[1], 300))
        grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
        p = model.predict(grid, batch_size=len(grid), verbose=0).reshape(xx.shape)
        ax.contourf(xx, yy, (p > 0.5).astype(float), levels=[-0.5, 0.5, 1.5], colors=["#f4b6b6", "#b6cdf4"], alpha=0.8)
        for x, y, marker, what in ((x_train, y_train, "o", "training"), (x_test, y_test, "x", "test")):
            for label, color in ((0, "#c0392b"), (1, "#1f4e9c")):
                chosen = y == label
                style = (
                    {"s": 14, "edgecolors": "k", "linewidths": 0.3} if marker == "o" else {"s": 18, "linewidths": 0.9}
                )
                ax.scatter(x[chosen, 0], x[chosen, 1], marker=marker, c=color, **style)
        final = {k: v[-1] for k, v in histories[seed].items()}
        ax.set_title(
            f"{experiment.label(case)} (seed {seed}): train {100 * final['train_accuracy']:.1f}%, test {100 * final['test_accuracy']:.1f}%",
            fontsize=9,
        )
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_aspect("equal")
    fig.suptitle(f"{title} (dots: training points, crosses: test points)", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_dir, name)


# --------------------------------------------------------------------------------------------------
# Protocol fidelity (paper_figures/FIDELITY.md): cases "<candidate>/<paper case>"


def _per_seed_distance(experiment, histories_by_case):
    """Per seed: the mean |ours - reference| over the test and training cells that seed reached."""
    per_seed = {}
    for case, histories in histories_by_case.items():
        ref = experiment.reference_case(case)
        for seed, history in histories.items():
            for which in ("test", "train"):
                row = experiment.reference.tables[which][ref]
                for k, epoch in enumerate(experiment.reference.epochs):
                    hit = np.nonzero(history["epoch"] == epoch)[0]
                    if len(hit):
                        per_seed.setdefault(seed, []).append(abs(100.0 * history[f"{which}_accuracy"][hit[0]] - row[k]))
    return np.array([np.mean(v) for v in per_seed.values()])


def fidelity_rows(experiment, runs):
    """Per candidate: the mean |ours - paper| over the Table 1-2 cells its runs cover, overall
    (of the seed means, and as mean +- std of each seed's own distance) and per case."""
    groups = {}
    for case, histories in runs.items():
        groups.setdefault(case.rsplit("/", 1)[0], {})[case] = histories
    rows = []
    for name, group in groups.items():
        test_cells = table_cells(experiment, group, "test")
        cells = test_cells + table_cells(experiment, group, "train")
        if not cells:
            continue
        per_case = {experiment.reference_case(c["case"]): [] for c in cells}
        for c in cells:
            per_case[experiment.reference_case(c["case"])].append(abs(c["difference"]))
        seed_distances = _per_seed_distance(experiment, group)
        rows.append(
            {
                "candidate": name,
                "distance": float(np.mean([abs(c["difference"]) for c in cells])),
                "seed_distance": _mean_std(seed_distances),
                # The first stage's measure, comparable across candidates run for 20 or 100 epochs.
                "distance_at_20": float(np.mean([abs(c["difference"]) for c in cells if c["epoch"] == 20])),
                "cells": len(cells),
                "per_case": {k: float(np.mean(v)) for k, v in per_case.items()},
                "epochs": sorted({c["epoch"] for c in cells}),
                "seeds": max(c["seeds"] for c in cells),
                "test_at_20": {
                    experiment.reference_case(c["case"]): (c["ours_mean"], c["ours_std"])
                    for c in test_cells
                    if c["epoch"] == 20
                },
            }
        )
    return sorted(rows, key=lambda r: r["distance"])


def fidelity_markdown(experiment, runs):
    """A Markdown table ranking the candidates by distance to the paper's Tables 1-2."""
    rows = fidelity_rows(experiment, runs)
    cases = [c for c in experiment.reference.tables["test"]]
    labels = " / ".join(cases)
    lines = [
        "| candidate | seeds | distance (pp) | per-seed distance (pp) | "
        + " | ".join(cases)
        + f" | cells | distance at epoch 20 (pp) | test acc. at epoch 20: {labels} |",
        "| --- |" + " --- |" * (6 + len(cases)),
    ]
    for r in rows:
        at20 = r["test_at_20"]
        mean, std = r["seed_distance"]
        lines.append(
            f"| {r['candidate']} | {r['seeds']} | {r['distance']:.2f} | {mean:.2f} +- {std:.2f} | "
            + " | ".join(f"{r['per_case'][case]:.2f}" if case in r["per_case"] else "-" for case in cases)
            + f" | {r['cells']} | {r['distance_at_20']:.2f} | "
            + " / ".join(f"{at20[case][0]:.2f} +- {at20[case][1]:.2f}" if case in at20 else "-" for case in cases)
            + " |"
        )
    printed = " / ".join(f"{experiment.reference.tables['test'][case][0]:.2f}" for case in cases)
    lines.append("| *the paper* | | 0 | | " + " | " * len(cases) + f" | 0 | {printed} |")
    return "\n".join(lines) + "\n"


def fidelity(experiment, runs, out_dir, runs_dir=None):
    path = Path(out_dir) / "fidelity.md"
    write_text(path, fidelity_markdown(experiment, runs))
    return [path]


def reading(experiment, runs, out_dir, case, candidates, epochs, runs_dir=None):
    """One paper case under several readings, side by side (``reading_<case>.md`` and ``.png``):
    per candidate, each seed's distance to the paper's row of that case (over the Table 1-2 cells
    the seed reached), their mean +- std, one more seed's expected distance (:func:`expected_distance`),
    the distance at the first printed epoch alone (where a 20-epoch screen and 100-epoch runs
    compare alike), and the test and training accuracy of the first ``epochs`` epochs the runs
    reach (mean and one std over seeds), the part of the paper's Figures 10-11 where readings
    differ in shape.
    Drawn when at least two of the candidates have runs of the case."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = {name: runs[f"{name}/{case}"] for name in candidates if runs.get(f"{name}/{case}")}
    if len(present) < 2:
        return []
    label = experiment.label(f"{candidates[0]}/{case}").rsplit(" ", 1)[-1]
    first = experiment.reference.epochs[0]
    lines = [
        f"### The paper's {label} row under {len(present)} readings",
        "",
        "Distance: mean |ours - the paper| over the cells of Tables 1-2 (test and training accuracy) that a seed "
        f"reached, in pp; at epoch {first}: over that epoch's two cells alone. One more seed's expected distance: "
        "what the distance would be if the paper's run were one more seed of these runs.",
        "",
        "| reading | seeds | epochs | distance per seed (pp) | mean +- std (pp) | one more seed's expected distance (pp) | "
        f"distance at epoch {first} (pp) | "
        + " | ".join(f"test acc. epoch {e} (%)" for e in (5, 10, min(epochs, first)))
        + " |",
        "| --- |" + " --- |" * 9,
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    shown_epochs = 0
    for k, (name, histories) in enumerate(present.items()):
        key = f"{name}/{case}"
        per_seed = {seed: _per_seed_distance(experiment, {key: {seed: h}})[0] for seed, h in histories.items()}
        cells = table_cells(experiment, {key: histories}, "test") + table_cells(experiment, {key: histories}, "train")
        at_first = _mean_std(
            np.array(
                [
                    _per_seed_distance(experiment, {key: {seed: {c: v[h["epoch"] <= first] for c, v in h.items()}}})[0]
                    for seed, h in histories.items()
                ]
            )
        )
        mean, std = _mean_std(np.array(list(per_seed.values())))
        early = [_mean_std(np.array(_values_at(histories, "test", e))) for e in (5, 10, min(epochs, first))]
        lines.append(
            f"| {name} | {len(histories)} | {max(len(h['epoch']) for h in histories.values())} | "
            + ", ".join(f"{d:.2f} (seed {seed})" for seed, d in per_seed.items())
            + f" | {mean:.2f} +- {std:.2f} | {expected_distance(cells):.2f} | {at_first[0]:.2f} +- {at_first[1]:.2f} | "
            + " | ".join(f"{m:.2f} +- {sd:.2f}" for m, sd in early)
            + " |"
        )
        for ax, column in zip(axes, ("test_accuracy", "train_accuracy")):
            shown = {seed: {c: v[:epochs] for c, v in h.items()} for seed, h in histories.items()}
            shown_epochs = max(shown_epochs, min(len(h["epoch"]) for h in shown.values()))
            x, values = _curves(shown, column)
            ax.plot(
                x,
                values.mean(axis=0),
                color=PALETTE[k % len(PALETTE)],
                lw=1.4,
                label=f"{name} ({len(histories)} seeds)",
            )
            if len(histories) > 1:
                sd = values.std(axis=0, ddof=1)
                ax.fill_between(
                    x,
                    values.mean(axis=0) - sd,
                    values.mean(axis=0) + sd,
                    color=PALETTE[k % len(PALETTE)],
                    alpha=0.2,
                    lw=0,
                )
    for ax, what in zip(axes, ("test", "training")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{what} accuracy (%)")
        ax.set_title(f"{label}: {what} accuracy, the first {shown_epochs} epochs")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path = Path(out_dir) / f"reading_{case}.md"
    write_text(path, "\n".join(lines) + "\n")
    return [path] + save_figure(fig, out_dir, f"reading_{case}")


def _measurements(runs_dir, runs, name):
    """{case: [the JSON file ``name`` of each seed's run directory that has it]}."""
    import json

    found = {}
    for case, histories in runs.items():
        for seed in histories:
            path = Path(runs_dir) / case / f"seed_{seed}" / name
            if path.exists():
                try:
                    found.setdefault(case, []).append(json.loads(path.read_text()))
                except ValueError as e:
                    from keras_reg.training import RunDirError

                    raise RunDirError(
                        f"{path} is damaged ({e}); delete it (the trained model rebuilds it) or retrain with --overwrite"
                    ) from e
    return found


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


def weights(experiment, runs, out_dir, runs_dir=None):
    """``weights.md`` (per case and layer: the fraction of |w| below 1e-4, 1e-3, 1e-2 and the norms,
    mean over seeds) and ``weights.png``/``.pdf`` (histograms of log10 |w|, the cases overlaid),
    from each run's ``weights.json``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = _measurements(runs_dir, runs, "weights.json")
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


def _final(histories, column, epoch):
    return np.array([100.0 * h[column][h["epoch"] == epoch][0] for h in histories.values() if epoch in h["epoch"]])


def paper_claims(experiment, runs, out_dir, runs_dir=None):
    """``claims.md``: each of the paper's conclusions 1-4, the number that tests it, and whether it holds."""
    weights_found = _measurements(runs_dir, runs, "weights.json")
    dropout_found = _measurements(runs_dir, runs, "dropout.json")
    last = 100
    lines = [
        "### The paper's conclusions, checked against the runs",
        "",
        "| conclusion (section 4) | what tests it | ours | holds? |",
        "| --- | --- | --- | --- |",
    ]
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
    test = {case: _final(h, "test_accuracy", last) for case, h in runs.items()}
    test = {
        case: values for case, values in test.items() if len(values)
    }  # the runs that reached the last printed epoch
    if "dropout" in test and experiment.baseline in test:
        gap = {case: _final(runs[case], "train_accuracy", last) - test[case] for case in test}
        regularized = [c for c in test if c != experiment.baseline]
        best = max(regularized, key=lambda c: test[c].mean())
        d_test, d_gap = test["dropout"], gap["dropout"]
        lines.append(
            f"| 4. Dropout regularizes best; final accuracy about 97% with a gap of 0.65% | epoch {last}: test accuracy and training minus test, mean +- std over seeds | "
            + "; ".join(
                f"{experiment.label(c)} {test[c].mean():.2f} +- {test[c].std(ddof=1) if len(test[c]) > 1 else 0:.2f}% (gap {gap[c].mean():.2f} +- {gap[c].std(ddof=1) if len(gap[c]) > 1 else 0:.2f})"
                for c in test
            )
            + f" | best regularizer by test accuracy: {experiment.label(best)}; Dropout's accuracy {d_test.mean():.2f}% is {d_test.mean() - 97:+.2f} pp from 97%, its gap {d_gap.mean():.2f} pp is {d_gap.mean() - 0.65:+.2f} from 0.65 |"
        )
    path = Path(out_dir) / "claims.md"
    write_text(path, "\n".join(lines) + "\n")
    return [path]


def penalty_geometry(experiment, runs, out_dir, runs_dir=None):
    """The paper's Figures 1-2, computed (:mod:`keras_reg.geometry`); they need no runs."""
    from keras_reg import geometry

    return geometry.draw(out_dir)


# --------------------------------------------------------------------------------------------------
# The registry of artifact kinds an experiment can ask for: kind -> function(experiment, runs,
# out_dir, **options) returning the paths it wrote.


def _sweep_points(sweep, runs):
    """Per value of the sweep with runs: (value, case, epoch, test, train, gap), arrays over seeds in
    percent at the last epoch every seed of that point reached."""
    points = []
    for value in sweep.values:
        case = sweep.case(value)
        if case not in runs:
            continue
        epoch = int(min(h["epoch"][-1] for h in runs[case].values()))
        test, train = _values_at(runs[case], "test", epoch), _values_at(runs[case], "train", epoch)
        points.append((value, case, epoch, test, train, train - test))
    return points


def _indistinguishable(points, best):
    """The points whose mean test accuracy is within two standard errors of their difference from the best."""
    close = []
    for point in points:
        difference, se = _difference(points[best][3], point[3])
        if difference <= 2 * (se if math.isfinite(se) else 0.0):
            close.append(point[0])
    return close


def sweep(experiment, runs, out_dir, sweep, runs_dir=None):
    """``<sweep>.png``/``.pdf`` (test and training accuracy, and their gap, against the swept value:
    mean and one standard deviation over seeds, the paper's printed point marked) and ``<sweep>.md``
    (the numbers, the best point and the points indistinguishable from it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keras_reg.experiments import SWEEPS

    sweep = SWEEPS[sweep]
    points = _sweep_points(sweep, runs)
    if not points:
        return []
    epochs = sorted({p[2] for p in points})
    paper_value = experiment.base[sweep.param]
    printed = {}
    if len(epochs) == 1 and epochs[0] in experiment.reference.epochs:
        k = experiment.reference.epochs.index(epochs[0])
        printed = {which: experiment.reference.tables[which][sweep.paper_case][k] for which in ("test", "train", "gap")}
    fig, (ax, gx) = plt.subplots(1, 2, figsize=(11, 4.3))
    x = np.array([p[0] for p in points])
    color = experiment.color(points[0][1])
    stars = {"test": ("*", "k", 11), "train": ("X", "0.45", 8), "gap": ("*", "k", 11)}
    for axis, series in ((ax, (("test", 3, "o-"), ("train", 4, "s--"))), (gx, (("gap", 5, "o-"),))):
        for which, column, style in series:
            mean = np.array([p[column].mean() for p in points])
            std = np.array([p[column].std(ddof=1) if len(p[column]) > 1 else 0.0 for p in points])
            axis.errorbar(
                x,
                mean,
                yerr=std,
                fmt=style,
                color=color,
                capsize=3,
                ms=4,
                label=f"{which} (ours, mean +- std over seeds)",
            )
            if which in printed:
                marker, shade, size = stars[which]
                axis.plot(
                    [paper_value],
                    [printed[which]],
                    marker,
                    color=shade,
                    ms=size,
                    label=f"{which}, the paper (epoch {epochs[0]})",
                )
        if sweep.log:
            axis.set_xscale("symlog", linthresh=min(v for v in sweep.values if v > 0))
        axis.set_xlabel(sweep.param.replace("_", " "))
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    # A collapsed point (near chance) would flatten the rest: keep the axis on the others, mark it.
    means = np.array([p[3].mean() for p in points])
    if (means < 50).any() and (means >= 50).any():
        low = (
            min(
                min(
                    p[c].mean() - p[c].std(ddof=1) for p in points if p[3].mean() >= 50 for c in (3, 4) if len(p[c]) > 1
                ),
                printed.get("test", 100),
            )
            - 1
        )
        ax.set_ylim(low, 100.2)
        for value, mean in zip(x, means):
            if mean < low:
                ax.annotate(
                    f"{mean:.1f}%",
                    (value, low),
                    xytext=(0, 18),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                    arrowprops={"arrowstyle": "->"},
                )
    ax.set_ylabel("accuracy (%)")
    gx.set_ylabel("training minus test accuracy (pp)")
    fig.suptitle(f"{sweep.title}: the paper's network after {', '.join(map(str, epochs))} epochs")
    fig.tight_layout()
    paths = save_figure(fig, out_dir, sweep.name)

    def cell(values):
        mean, std = _mean_std(values)
        return f"{mean:.2f} +- {std:.2f}"

    lines = [
        f"### {sweep.title}: the paper's network after {', '.join(map(str, epochs))} epochs",
        "",
        f"| {sweep.param} | case | seeds | test accuracy (%) | training accuracy (%) | training minus test (pp) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for value, case, epoch, test, train, gap in points:
        mark = " (the paper's)" if value == paper_value else (" (no regularization)" if value == sweep.off else "")
        lines.append(f"| {value:g}{mark} | {case} | {len(test)} | {cell(test)} | {cell(train)} | {cell(gap)} |")
    if printed:
        lines.append(
            f"| {paper_value:g} | the paper | 1 | {printed['test']:.2f} | {printed['train']:.2f} | {printed['gap']:.2f} |"
        )
    best = max(range(len(points)), key=lambda i: points[i][3].mean())
    close = _indistinguishable(points, best)
    lines += [
        "",
        f"Mean +- standard deviation over seeds. Best test accuracy: {sweep.param} = {points[best][0]:g} ({cell(points[best][3])}%). "
        f"Within two standard errors of the difference from it: {sweep.param} = {', '.join(f'{v:g}' for v in close)}.",
    ]
    if sweep.flat:
        low, high, who = sweep.flat
        inside = [p[0] for p in points if low <= p[0] <= high]
        holds = all(v in close for v in inside)
        lines.append(
            f"{who} report the test error flat for {sweep.param} from about {low:g} to {high:g}: "
            + (
                f"here too, every point from {low:g} to {high:g} is within two standard errors of the best."
                if holds
                else f"here not: of the points from {low:g} to {high:g}, {', '.join(f'{v:g}' for v in inside if v not in close)} fall more than two standard errors below the best."
            )
        )
    path = Path(out_dir) / f"{sweep.name}.md"
    write_text(path, "\n".join(lines) + "\n")
    return [*paths, path]


def lesson_code(experiment, runs, out_dir, runs_dir=None):
    """``lesson_code.md``: the runs at the epochs the public TF 1.x lesson code logged, beside its
    logged accuracies (:data:`keras_reg.paper.LESSON_CODE_LOGS`): whether the protocol reproduces
    that code, a separate question from whether it reproduces the paper."""
    from keras_reg.paper import LESSON_CODE_LOGS

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
            values = _values_at(runs[case], column, epoch)
            if not len(values):
                break
            mean, std = _mean_std(values)
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


def _last_values(histories, column, scale=1.0):
    """Per seed, ``column`` (times ``scale``) at the last epoch every seed reached."""
    last = min(int(h["epoch"][-1]) for h in histories.values())
    return np.array([scale * h[column][h["epoch"] == last][0] for h in histories.values()])


_REPORT_CNN_CASES = ("baseline", "weight_decay", "dropout", "stochastic_depth")


def _within(diff, se):
    """The caveat on a claim's verdict when its deciding gap is under two standard errors."""
    return "" if not math.isfinite(se) or abs(diff) > 2 * se else ", but by less than two standard errors"


def cnn_claims(experiment, runs, out_dir, runs_dir=None):
    """``claims.md`` of the CNN report: each of its claims, the numbers that test it (last epoch,
    mean over seeds, standard errors of differences), and whether it holds, or which cases it still
    needs; each case against the report's printed accuracy; and, from each stochastic-depth run's
    ``stochastic_depth.json``, the gated layers of the trained network at inference against their
    training-time expectation."""
    if not any(case in runs for case in _REPORT_CNN_CASES):
        return []
    test_acc = {c: _last_values(runs[c], "test_accuracy", 100.0) for c in _REPORT_CNN_CASES if c in runs}
    test_loss = {c: _last_values(runs[c], "test_loss") for c in test_acc}
    rough = {c: np.array([_roughness(h, "test_loss") for h in runs[c].values()]) for c in test_acc}
    label = experiment.label

    def missing(needed):
        absent = [c for c in needed if c not in runs]
        names = " and ".join([", ".join(absent[:-1]), absent[-1]] if len(absent) > 1 else absent)
        return f"not yet tested: needs the {names} case{'s' if len(absent) > 1 else ''}" if absent else None

    def ranking(values, best):
        order = sorted(values, key=lambda c: values[c].mean(), reverse=best == "max")
        return order, "; ".join(f"{label(c)} {values[c].mean():.4g}" for c in order)

    waiting = missing(_REPORT_CNN_CASES)  # the rankings need all four of the report's cases
    lines = [
        "### The CNN report's claims, checked against the runs",
        "",
        "| claim | what tests it | ours | holds? |",
        "| --- | --- | --- | --- |",
    ]
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
            _difference(values[behind], values[ahead]) if best == "min" else _difference(values[ahead], values[behind])
        )
        holds = "yes" if ahead == "stochastic_depth" else "no"
        margin = f"{label(ahead)} ahead of {label(behind)} by {abs(diff):.4g}{unit} +- {se:.2g}"
        lines.append(f"| {claim} | {what} | {text} ({margin}) | {holds}{_within(diff, se)} |")
    what = "mean absolute change of the test loss per epoch, ranked (lower: smoother)"
    if waiting:
        lines.append(f"| Dropout and stochastic depth give the smoothest curves | {what} | - | {waiting} |")
    else:
        order, text = ranking(rough, "min")
        # the deciding gap: the rougher of the two named cases against the smoother of the other two
        named = max(("dropout", "stochastic_depth"), key=lambda c: rough[c].mean())
        other = min((c for c in order if c not in ("dropout", "stochastic_depth")), key=lambda c: rough[c].mean())
        diff, se = _difference(rough[other], rough[named])
        margin = f"{label(other)} minus {label(named)}: {diff:+.2g} +- {se:.2g}"
        lines.append(
            f"| Dropout and stochastic depth give the smoothest curves | {what} | {text} ({margin}) | {'yes' if diff > 0 else 'no'}{_within(diff, se)} |"
        )
    what, pair_waiting = "test accuracy, weight decay minus baseline", missing(("baseline", "weight_decay"))
    if pair_waiting:
        lines.append(f"| Weight decay does not help here | {what} | - | {pair_waiting} |")
    else:
        diff, se = _difference(test_acc["weight_decay"], test_acc["baseline"])
        helps = math.isfinite(se) and diff > 2 * se
        lines.append(
            f"| Weight decay does not help here | {what} | {diff:+.2f} +- {se:.2f} pp | {'no' if helps else 'yes'} |"
        )
    lines += [
        "",
        "| case | seeds | test acc., ours (%) | the report's (%) | ours minus the report's (pp) |",
        "| --- | --- | --- | --- | --- |",
    ]
    printed = experiment.reference.tables["test"]
    for case in runs:
        if case in printed:
            values = _last_values(runs[case], "test_accuracy", 100.0)
            se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
            lines.append(
                f"| {label(case)} | {len(values)} | {values.mean():.2f} +- {values.std(ddof=1) if len(values) > 1 else 0:.2f} | {printed[case][-1]:.2f} | {values.mean() - printed[case][-1]:+.2f} +- {se:.2f} (standard error of our mean) |"
            )
    lines += _stochastic_depth_lines(
        experiment, _measurements(runs_dir, runs, "stochastic_depth.json") if runs_dir else {}
    )
    path = Path(out_dir) / "claims.md"
    write_text(path, "\n".join(lines) + "\n")
    return [path]


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
            _mean_std(np.array([100 * check[key] for check in checks]))
            for key in ("test_accuracy_inference", "test_accuracy_expectation_over_gates")
        ]
        lines.append(
            f"| {experiment.label(case)} | {len(checks)} | {difference:.3g} (largest over seeds) | "
            + " | ".join(f"{m:.2f} +- {sd:.2f}" for m, sd in accuracies)
            + " |"
        )
    return lines


ARTIFACTS = {
    "curves": curves,
    "reference_tables": reference_tables,
    "summary": summary,
    "final_table": final_table,
    "fidelity": fidelity,
    "reading": reading,
    "decision_boundaries": decision_boundaries,
    "penalty_geometry": penalty_geometry,
    "weights": weights,
    "paper_claims": paper_claims,
    "sweep": sweep,
    "lesson_code": lesson_code,
    "cnn_claims": cnn_claims,
}


def _check_cases(experiment, runs_dir, runs):
    """Raises RunDirError (one line) for a run directory whose config.json is not a run of the case
    its folder names (a setting the case defines differs): an L2 run under ``dropout/`` is never
    drawn as Dropout. Settings the case leaves open (epochs, data size, ...) may differ."""
    from keras_reg.training import RunDirError, read_spec

    for case, histories in runs.items():
        for seed in histories:
            run_dir = Path(runs_dir) / case / f"seed_{seed}"
            spec = read_spec(run_dir)
            if spec is None:
                continue
            values = spec.values()
            wrong = {k: v for k, v in experiment.cases[case].items() if k in values and values[k] != v}
            if wrong:
                found = ", ".join(f"{k}={values[k]!r} (the case: {v!r})" for k, v in wrong.items())
                raise RunDirError(
                    f"{run_dir} holds another run than case {case} of experiment {experiment.name} ({found}); "
                    "move it to its own case's folder or delete it"
                )


def make_all(experiment, runs_dir, out_dir, cases=None):
    """Every artifact of ``experiment`` from the runs under ``runs_dir`` into ``out_dir``; returns the paths.

    Raises:
        FileNotFoundError: no run of the experiment has a history yet.
        keras_reg.training.RunDirError: a history.csv is damaged (named in the message).
    """
    runs = load_runs(runs_dir, experiment.cases if cases is None else cases)
    _check_cases(experiment, runs_dir, runs)
    if not runs:
        raise FileNotFoundError(
            f"no run directories (<case>/seed_<k>/history.csv) of experiment {experiment.name} under {runs_dir}"
        )
    paths = []
    for kind, options in experiment.artifacts:
        paths += ARTIFACTS[kind](experiment, runs, out_dir, runs_dir=runs_dir, **options)
    return paths
