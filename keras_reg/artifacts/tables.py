"""The table kinds: ``reference_tables`` (the runs beside a reference's printed tables, cell by cell)
and ``final_table`` (the last evaluation of every case, and each against the baseline).
"""

import csv
import io
import math
from pathlib import Path

import numpy as np

from keras_reg.artifacts.io import write_text
from keras_reg.artifacts.registry import register
from keras_reg.artifacts.stats import last_values, mean_difference, mean_std, roughness, values_at


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
            values = values_at(runs.get(case, {}), which, epoch)
            if len(values) == 0:
                continue
            mean, std = mean_std(values)
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


@register("reference_tables")
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


_FINAL_COLUMNS = (
    ("test_accuracy", 100.0, "test acc. (%)"),
    ("train_accuracy", 100.0, "train acc. (%)"),
    ("test_loss", 1.0, "test loss"),
    ("train_loss", 1.0, "train loss"),
)


def _against_baseline(experiment, runs, values):
    """final.md's lines comparing each case's mean accuracies with the baseline case's."""
    base = experiment.baseline
    if base not in runs or len(runs) < 2:
        return []
    lines = [
        "",
        f"Against the {experiment.label(base)} case (difference of means, +- its standard error, sqrt(s1^2/n1 + s2^2/n2)):",
        "",
    ]
    for case in runs:
        if case != base:
            parts = []
            for column, label in (("train_accuracy", "training accuracy"), ("test_accuracy", "test accuracy")):
                difference, se = mean_difference(values[case][column], values[base][column])
                parts.append(f"{label} {difference:+.2f} +- {se:.2f} pp")
            lines.append(f"- {experiment.label(case)}: " + "; ".join(parts))
    for column, word in (("train_accuracy", "training"), ("test_accuracy", "test")):
        means = {case: values[case][column].mean() for case in runs}
        lines.append(
            f"- Highest mean {word} accuracy: {experiment.label(max(means, key=means.get))}; lowest: {experiment.label(min(means, key=means.get))}."
        )
    return lines


@register("final_table")
def final_table(experiment, runs, out_dir, runs_dir=None, stability=None):
    """``final.md`` and ``final.csv``: per case the last row's accuracies and losses, mean +- std over
    seeds, beside the reference's printed values (the last of each of its tables); with
    ``stability`` (a history column), the mean absolute change of that column from one evaluation to
    the next (lower: a smoother curve); and each case against the baseline: the difference of mean
    accuracies with its standard error."""
    last = {case: min(int(h["epoch"][-1]) for h in histories.values()) for case, histories in runs.items()}
    values = {
        case: {column: last_values(histories, column, scale) for column, scale, _ in _FINAL_COLUMNS}
        for case, histories in runs.items()
    }
    columns = [(column, label) for column, _, label in _FINAL_COLUMNS]
    if stability:
        for case, histories in runs.items():
            values[case]["stability"] = np.array([roughness(h, stability) for h in histories.values()])
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
        stats = [mean_std(values[case][column]) for column, _ in columns]
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
    lines += _against_baseline(experiment, runs, values)
    md, table = Path(out_dir) / "final.md", Path(out_dir) / "final.csv"
    write_text(md, "\n".join(lines) + "\n")
    write_text(table, buffer.getvalue())
    return [md, table]
