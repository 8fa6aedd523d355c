"""The paper's Figures 10-11 and Tables 1-3, drawn from run directories only (never trains).

``runs_dir/<case>/seed_<k>/history.csv`` for case in standard, l1, l2, dropout; a case may have
several seeds (shown as mean +- one standard deviation, ``ddof=1``) and any number of epochs (the
tables cover the paper's epochs 20/40/60/80/100 that the runs reached). The paper's printed values
come from :mod:`keras_reg.paper`.
"""

import csv
import io
import math
import re
from pathlib import Path

import numpy as np

from keras_reg import paper

__all__ = [
    "load_runs",
    "table_cells",
    "write_tables",
    "write_figures",
    "summary_markdown",
    "make_all",
    "fidelity_rows",
    "fidelity_markdown",
    "write_text",
]

TABLES = {
    "table1": ("test", "Table 1: test accuracy (%)"),
    "table2": ("train", "Table 2: training accuracy (%)"),
    "table3": ("gap", "Table 3: training minus test accuracy (percentage points)"),
}
FIGURES = {
    "fig10": ("test_accuracy", "test", "Figure 10: test accuracy of the four cases"),
    "fig11": ("train_accuracy", "train", "Figure 11: training accuracy of the four cases"),
}
COLORS = {"standard": "#1f77b4", "l1": "#d62728", "l2": "#2ca02c", "dropout": "#ff7f0e"}


def write_text(path, text):
    """Writes ``text`` to ``path`` atomically (creating its directory)."""
    from keras_reg.files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode())


def _read_history(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {name: np.array([float(r[name]) for r in rows]) for name in (rows[0] if rows else {})}


def load_runs(runs_dir, cases=paper.CASES):
    """{case: {seed: history}} for every ``<case>/seed_<k>/history.csv`` under ``runs_dir``."""
    runs = {}
    for case in cases:
        for path in sorted(Path(runs_dir, case).glob("seed_*/history.csv")):
            match = re.fullmatch(r"seed_(\d+)", path.parent.name)
            history = _read_history(path)
            if match and history and len(history["epoch"]):
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


def table_cells(runs, which):
    """The cells of a table ``which`` in ``"test"``, ``"train"``, ``"gap"``.

    Returns a list of dicts (case, epoch, seeds, ours_mean, ours_std, paper, difference), one per
    case and paper epoch that at least one seed reached; ``difference`` is ours_mean - paper.
    """
    printed = paper.table(which)
    cells = []
    for case in paper.CASES:
        for k, epoch in enumerate(paper.EPOCHS):
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
                    "paper": printed[case][k],
                    "difference": mean - printed[case][k],
                }
            )
    return cells


def _markdown(cells, title):
    epochs = sorted({c["epoch"] for c in cells})
    seeds = sorted({c["seeds"] for c in cells})
    lines = [
        f"### {title}",
        "",
        f"Each cell: ours (mean +- std over {'/'.join(map(str, seeds))} seed(s)) / the paper's printed value / ours minus the paper's.",
        "",
        "| case | " + " | ".join(f"epoch {e}" for e in epochs) + " |",
        "| --- |" + " --- |" * len(epochs),
    ]
    for case in paper.CASES:
        row = {c["epoch"]: c for c in cells if c["case"] == case}
        if not row:
            continue
        parts = [
            f"{row[e]['ours_mean']:.2f} +- {row[e]['ours_std']:.2f} / {row[e]['paper']:.2f} / {row[e]['difference']:+.2f}"
            if e in row
            else "-"
            for e in epochs
        ]
        lines.append(f"| {paper.CASE_LABELS[case]} | " + " | ".join(parts) + " |")
    return "\n".join(lines) + "\n"


def _csv(cells):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["case", "epoch", "seeds", "ours_mean", "ours_std", "paper", "difference"], lineterminator="\n")
    writer.writeheader()
    for cell in cells:
        writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in cell.items()})
    return buffer.getvalue()


def write_tables(runs, out_dir):
    """Writes table1/2/3 as .md and .csv into ``out_dir``; returns the paths."""
    paths = []
    for name, (which, title) in TABLES.items():
        cells = table_cells(runs, which)
        for suffix, text in ((".md", _markdown(cells, title)), (".csv", _csv(cells))):
            path = Path(out_dir) / f"{name}{suffix}"
            write_text(path, text)
            paths.append(path)
    return paths


def _curves(histories, column):
    """(epochs, per-seed curves in percent) over the epochs every seed reached."""
    length = min(len(h["epoch"]) for h in histories.values())
    epochs = next(iter(histories.values()))["epoch"][:length]
    return epochs, 100.0 * np.array([h[column][:length] for h in histories.values()])


def write_figures(runs, out_dir):
    """Draws fig10 (test accuracy) and fig11 (training accuracy) as PNG and PDF; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for name, (column, which, title) in FIGURES.items():
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        lowest = []
        for case in paper.CASES:
            histories = runs.get(case)
            if not histories:
                continue
            epochs, curves = _curves(histories, column)
            length = len(epochs)
            mean = curves.mean(axis=0)
            label = f"{paper.CASE_LABELS[case]} (ours, {len(histories)} seed{'s' if len(histories) > 1 else ''})"
            ax.plot(epochs, mean, color=COLORS[case], lw=1.4, label=label)
            if len(histories) > 1:
                std = curves.std(axis=0, ddof=1)
                ax.fill_between(epochs, mean - std, mean + std, color=COLORS[case], alpha=0.2, lw=0)
            printed = paper.table(which)[case]
            ax.plot(paper.EPOCHS, printed, "o", mfc="none", mec=COLORS[case], mew=1.6, ms=7, label=f"{paper.CASE_LABELS[case]} (paper)")
            lowest += list(printed) + list(mean[min(4, length - 1) :])
        if lowest:
            ax.set_ylim(max(0.0, min(lowest) - 0.5), 100.05)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (%)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, ncol=2, loc="lower right")
        fig.tight_layout()
        for suffix in (".png", ".pdf"):
            path = Path(out_dir) / f"{name}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=150, metadata={"CreationDate": None} if suffix == ".pdf" else None)
            paths.append(path)
        plt.close(fig)
    return paths


def _span(values, sign=""):
    return f"{min(values):{sign}.2f} to {max(values):{sign}.2f}"


def summary_markdown(runs):
    """The reproduction against the paper in a few numbers, each computed here from the runs.

    The mean absolute difference over the cells of Tables 1-2; per case the range of differences in
    each table and of its train-test gap; and, from the seed-mean curves, at which epochs each
    regularizer's test accuracy beats the standard network's (the paper: never at a printed epoch).
    """
    test, train, gap = (table_cells(runs, which) for which in ("test", "train", "gap"))
    both = test + train
    seeds = sorted({c["seeds"] for c in both})
    distance = (
        f"Mean absolute difference from the paper over the {len(both)} cells of Tables 1-2: "
        f"{np.mean([abs(c['difference']) for c in both]):.2f} pp."
        if both
        else f"No run reached a printed epoch ({paper.EPOCHS[0]}), so there is nothing to compare yet."
    )
    lines = [
        "### The reproduction against the paper",
        "",
        f"Seeds per case: {'/'.join(map(str, seeds))}. {distance}",
        "",
        "| case | test acc. minus paper (pp) | train acc. minus paper (pp) | train-test gap, ours (pp) | gap, paper (pp) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case in paper.CASES:
        mine = [[c for c in cells if c["case"] == case] for cells in (test, train, gap)]
        if all(mine):
            test_diff, train_diff = ([c["difference"] for c in cells] for cells in mine[:2])
            lines.append(
                f"| {paper.CASE_LABELS[case]} | {_span(test_diff, '+')} | {_span(train_diff, '+')} | "
                f"{_span([c['ours_mean'] for c in mine[2]])} | {_span([c['paper'] for c in mine[2]])} |"
            )
    if "standard" in runs:
        standard = _curves(runs["standard"], "test_accuracy")[1].mean(axis=0)
        lines += ["", "Test accuracy of the seed means against the standard network's:", ""]
        for case in ("l1", "l2", "dropout"):
            if case not in runs:
                continue
            curve = _curves(runs[case], "test_accuracy")[1].mean(axis=0)
            n = min(len(curve), len(standard))
            better = curve[:n] > standard[:n]
            from_20 = better[19:]
            always_from = next((e + 1 for e in range(n) if better[e:].all()), None)
            lines.append(
                f"- {paper.CASE_LABELS[case]}: above it at {int(from_20.sum())} of the {len(from_20)} epochs from 20 on"
                + (f"; at every epoch from {always_from} on." if always_from is not None else "; not at the last epoch.")
            )
    return "\n".join(lines) + "\n"


def make_all(runs_dir, out_dir):
    """Figures 10-11, Tables 1-3 and ``summary.md`` from ``runs_dir`` into ``out_dir``; returns the paths."""
    runs = load_runs(runs_dir)
    if not runs:
        raise FileNotFoundError(f"no run directories (<case>/seed_<k>/history.csv) under {runs_dir}")
    summary = Path(out_dir) / "summary.md"
    write_text(summary, summary_markdown(runs))
    return write_tables(runs, out_dir) + write_figures(runs, out_dir) + [summary]


# --------------------------------------------------------------------------------------------------
# Protocol fidelity (paper_figures/FIDELITY.md)


def fidelity_rows(out_dir, candidates):
    """Per candidate: the mean |ours - paper| over the Table 1-2 cells its runs cover, overall and per case."""
    rows = []
    for name in candidates:
        runs = load_runs(Path(out_dir) / name)
        if not runs:
            continue
        test_cells = table_cells(runs, "test")
        cells = test_cells + table_cells(runs, "train")
        if not cells:
            continue
        per_case = {
            case: float(np.mean([abs(c["difference"]) for c in cells if c["case"] == case]))
            for case in paper.CASES
            if any(c["case"] == case for c in cells)
        }
        rows.append(
            {
                "candidate": name,
                "distance": float(np.mean([abs(c["difference"]) for c in cells])),
                # The first stage's measure, comparable across candidates run for 20 or 100 epochs.
                "distance_at_20": float(np.mean([abs(c["difference"]) for c in cells if c["epoch"] == 20])),
                "cells": len(cells),
                "per_case": per_case,
                "epochs": sorted({c["epoch"] for c in cells}),
                "seeds": max(c["seeds"] for c in cells),
                "test_at_20": {c["case"]: c["ours_mean"] for c in test_cells if c["epoch"] == 20},
            }
        )
    return sorted(rows, key=lambda r: r["distance"])


def fidelity_markdown(out_dir, candidates):
    """A Markdown table ranking the candidates by distance to the paper's Tables 1-2."""
    rows = fidelity_rows(out_dir, candidates)
    lines = [
        "| candidate | distance (pp) | standard | L1 | L2 | Dropout | cells | distance at epoch 20 (pp) | test acc. at epoch 20: std / L1 / L2 / Dropout |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        at20 = r["test_at_20"]
        lines.append(
            f"| {r['candidate']} | {r['distance']:.2f} | "
            + " | ".join(f"{r['per_case'].get(case, math.nan):.2f}" for case in paper.CASES)
            + f" | {r['cells']} | {r['distance_at_20']:.2f} | "
            + " / ".join(f"{at20.get(case, math.nan):.2f}" for case in paper.CASES)
            + " |"
        )
    paper20 = " / ".join(f"{paper.TEST_ACCURACY[case][0]:.2f}" for case in paper.CASES)
    lines.append(f"| *the paper* | 0 | | | | | | 0 | {paper20} |")
    return "\n".join(lines) + "\n"
