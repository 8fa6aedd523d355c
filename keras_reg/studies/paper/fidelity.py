"""The fidelity study (paper_figures/FIDELITY.md): readings of what the paper left unstated, each a
diff on the ``textbook`` protocol run for the paper's four cases and scored against its Tables 1-2
(a case is ``<candidate>/<paper case>``), and its two artifact kinds: ``fidelity`` (the ranking)
and ``reading`` (one paper case under several readings, side by side).
"""

from pathlib import Path

import numpy as np

from keras_reg.artifacts.io import pyplot, save_figure, write_text
from keras_reg.artifacts.registry import register, text_artifact
from keras_reg.artifacts.stats import expected_distance, mean_std, seed_curves, values_at
from keras_reg.artifacts.tables import table_cells
from keras_reg.run.experiment import PALETTE, Experiment
from keras_reg.run.experiment import register as register_experiment
from keras_reg.studies.paper import reference as paper
from keras_reg.studies.paper.experiment import PAPER_BASE, PAPER_CASES, PAPER_REFERENCE, PROTOCOLS, TF1_CODE

__all__ = ["FIDELITY_CANDIDATES", "FIDELITY_READINGS", "FIDELITY", "fidelity_rows", "fidelity_markdown"]

FIDELITY_CANDIDATES = {
    "textbook": {},
    "tf1_init": {"initializer": "tf1_truncated_normal"},
    "double_softmax": {"loss": "double_softmax"},
    "double_softmax+tf1_init": {"loss": "double_softmax", "initializer": "tf1_truncated_normal"},
    "binary_per_class": {"loss": "binary_per_class"},
    "binary_per_class+tf1_init": {"loss": "binary_per_class", "initializer": "tf1_truncated_normal"},
    "double_softmax+tf1_init+batch50": {
        "loss": "double_softmax",
        "initializer": "tf1_truncated_normal",
        "batch_size": 50,
    },
    "double_softmax+tf1_init+batch128": {
        "loss": "double_softmax",
        "initializer": "tf1_truncated_normal",
        "batch_size": 128,
    },
    "double_softmax+tf1_init+l2_full": {
        "loss": "double_softmax",
        "initializer": "tf1_truncated_normal",
        "l2_form": "full",
    },
    # The public TF 1.x lesson code with the paper's setup, and one change at a time from it.
    "tf1_code": TF1_CODE,
    "tf1_code+softmax_once": {**TF1_CODE, "loss": "cross_entropy"},
    "tf1_code+weights_only": {**TF1_CODE, "penalize_biases": False},
    "tf1_code+eval_dropout": {**TF1_CODE, "eval_dropout": True},
    # L1 diagnostics: the coefficient at which the L1 curve would fit (run with --cases=*/l1).
    "tf1_code+alpha_0.0001": {**TF1_CODE, "alpha": 0.0001},
    "tf1_code+alpha_0.00003": {**TF1_CODE, "alpha": 0.00003},
    "tf1_code+alpha_0.00005": {**TF1_CODE, "alpha": 0.00005},
    # Dropout diagnostic: the keep probability at which the paper's epoch-20 point lies on our sweep.
    "tf1_code+keep_0.4": {**TF1_CODE, "keep_prob": 0.4},
    # Dropout on the inputs as well (run with --cases=*/dropout): Srivastava et al.'s keep 0.8, and
    # the paper's one keep probability 0.5 applied to every layer's input.
    "tf1_code+input_keep_0.8": {**TF1_CODE, "input_keep_prob": 0.8},
    "tf1_code+input_keep_0.5": {**TF1_CODE, "input_keep_prob": 0.5},
    # Dropout as the paper's section 2.3 describes it: no scaling in training, weights times p at test.
    "tf1_code+original_dropout": {**TF1_CODE, "dropout_form": "original"},
    # A public copy of the lesson's L2 file feeds keep_prob 0.5 with the L2 term still in the loss,
    # and the softmax once (tf.losses.categorical_crossentropy on the softmax output): with the
    # lesson's double softmax, and as that copy is written.
    "tf1_code+dropout_l2": {**TF1_CODE, "dropout_l2": True},
    "tf1_code+dropout_l2+softmax_once": {**TF1_CODE, "dropout_l2": True, "loss": "cross_entropy"},
    # Dropout as the paper's section 2.3 tells it: one mask per mini-batch, shared by its examples.
    "tf1_code+batch_masks": {**TF1_CODE, "dropout_mask": "batch"},
    # Dropout with fewer effective updates per epoch (run with --cases=dropout): the paper's Dropout
    # row follows our keep-0.5 mean curve read at about 0.45 of its epoch, so a smaller step at the
    # lesson's batch of 64, or fewer steps per epoch (batches of 100: 550 instead of 859).
    "tf1_code+lr_0.2": {**TF1_CODE, "learning_rate": 0.2},
    "tf1_code+lr_0.25": {**TF1_CODE, "learning_rate": 0.25},
    "tf1_code+lr_0.15": {**TF1_CODE, "learning_rate": 0.15},
    "tf1_code+batch100": {**TF1_CODE, "batch_size": 100},
    # The paper's L1 row as an L2 run: a lesson file with L1 made from the L2 one that still called
    # tf.nn.l2_loss. Its "l1" case is the default's L2 run (the committed paper_figures/runs/l2).
    "l1_as_l2": {**TF1_CODE, "cases": {"l1": {"regularizer": "l2"}}},
}


# The readings compared case by case (paper_figures/FIDELITY.md): the paper case, the candidates
# whose runs of it are set side by side, and the epochs whose curves are drawn.
FIDELITY_READINGS = {
    "l1": (("l1_as_l2", "tf1_code+alpha_0.00005", "tf1_code"), 15),
    "dropout": (
        (
            "tf1_code+lr_0.15",
            "tf1_code+lr_0.2",
            "tf1_code+lr_0.25",
            "tf1_code+batch100",
            "tf1_code+keep_0.4",
            "tf1_code",
        ),
        100,
    ),
}


def _fidelity_case(candidate, case):
    """A candidate's diff on the base for one paper case: its own settings, the case's, then its
    per-case settings (``"cases"``), which may change what the case runs."""
    diff = dict(FIDELITY_CANDIDATES[candidate])
    own = diff.pop("cases", {}).get(case, {})
    return {**diff, **PAPER_CASES[case], **own}


FIDELITY = register_experiment(
    Experiment(
        name="fidelity",
        description="Candidate readings of the paper's unstated choices, each run for its four cases and scored against Tables 1-2.",
        base={**PAPER_BASE, **PROTOCOLS["textbook"], "epochs": 20},
        cases={f"{name}/{case}": _fidelity_case(name, case) for name in FIDELITY_CANDIDATES for case in PAPER_CASES},
        reference=PAPER_REFERENCE,
        labels={
            f"{name}/{case}": f"{name} {paper.CASE_LABELS[case]}"
            for name in FIDELITY_CANDIDATES
            for case in PAPER_CASES
        },
        artifacts=(("fidelity", {}),)
        + tuple(
            ("reading", {"case": case, "candidates": names, "epochs": epochs})
            for case, (names, epochs) in FIDELITY_READINGS.items()
        ),
    )
)


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
                "seed_distance": mean_std(seed_distances),
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


fidelity = text_artifact("fidelity", "fidelity.md", fidelity_markdown)


@register("reading")
def reading(experiment, runs, out_dir, case, candidates, epochs, runs_dir=None):
    """One paper case under several readings, side by side (``reading_<case>.md`` and ``.png``):
    per candidate, each seed's distance to the paper's row of that case (over the Table 1-2 cells
    the seed reached), their mean +- std, one more seed's expected distance (:func:`expected_distance`),
    the distance at the first printed epoch alone (where a 20-epoch screen and 100-epoch runs
    compare alike), and the test and training accuracy of the first ``epochs`` epochs the runs
    reach (mean and one std over seeds), the part of the paper's Figures 10-11 where readings
    differ in shape.
    Drawn when at least two of the candidates have runs of the case."""
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
    lines += [
        _reading_row(experiment, f"{name}/{case}", name, histories, epochs) for name, histories in present.items()
    ]
    path = Path(out_dir) / f"reading_{case}.md"
    write_text(path, "\n".join(lines) + "\n")
    return [path] + _reading_figure(present, label, epochs, out_dir, f"reading_{case}")


def _reading_row(experiment, key, name, histories, epochs):
    """One reading's row: its per-seed distances, their mean, one more seed's, at the first printed epoch, early accuracies."""
    first = experiment.reference.epochs[0]
    per_seed = {seed: _per_seed_distance(experiment, {key: {seed: h}})[0] for seed, h in histories.items()}
    cells = table_cells(experiment, {key: histories}, "test") + table_cells(experiment, {key: histories}, "train")
    at_first = mean_std(
        np.array(
            [
                _per_seed_distance(experiment, {key: {seed: {c: v[h["epoch"] <= first] for c, v in h.items()}}})[0]
                for seed, h in histories.items()
            ]
        )
    )
    mean, std = mean_std(np.array(list(per_seed.values())))
    early = [mean_std(np.array(values_at(histories, "test", e))) for e in (5, 10, min(epochs, first))]
    return (
        f"| {name} | {len(histories)} | {max(len(h['epoch']) for h in histories.values())} | "
        + ", ".join(f"{d:.2f} (seed {seed})" for seed, d in per_seed.items())
        + f" | {mean:.2f} +- {std:.2f} | {expected_distance(cells):.2f} | {at_first[0]:.2f} +- {at_first[1]:.2f} | "
        + " | ".join(f"{m:.2f} +- {sd:.2f}" for m, sd in early)
        + " |"
    )


def _reading_figure(present, label, epochs, out_dir, name):
    """Test and training accuracy of the first ``epochs`` epochs, each reading's mean and one std over seeds."""
    plt = pyplot()

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    shown_epochs = 0
    for k, (reading_name, histories) in enumerate(present.items()):
        color = PALETTE[k % len(PALETTE)]
        for ax, column in zip(axes, ("test_accuracy", "train_accuracy")):
            shown = {seed: {c: v[:epochs] for c, v in h.items()} for seed, h in histories.items()}
            shown_epochs = max(shown_epochs, min(len(h["epoch"]) for h in shown.values()))
            x, values = seed_curves(shown, column)
            ax.plot(x, values.mean(axis=0), color=color, lw=1.4, label=f"{reading_name} ({len(histories)} seeds)")
            if len(histories) > 1:
                sd = values.std(axis=0, ddof=1)
                ax.fill_between(x, values.mean(axis=0) - sd, values.mean(axis=0) + sd, color=color, alpha=0.2, lw=0)
    for ax, what in zip(axes, ("test", "training")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{what} accuracy (%)")
        ax.set_title(f"{label}: {what} accuracy, the first {shown_epochs} epochs")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return save_figure(fig, out_dir, name)
