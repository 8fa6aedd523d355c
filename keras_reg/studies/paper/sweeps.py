"""Sweeps of the paper's network (its claims): one setting over a list, each an experiment, and the
``sweep`` artifact kind that draws one (test accuracy and the training-test gap against the value).
"""

import dataclasses
import math
from pathlib import Path

import numpy as np

from keras_reg.artifacts.io import pyplot, save_figure, write_text
from keras_reg.artifacts.registry import register
from keras_reg.artifacts.stats import mean_difference, mean_std, values_at
from keras_reg.run.experiment import Experiment
from keras_reg.run.experiment import register as register_experiment
from keras_reg.studies.paper import reference as paper
from keras_reg.studies.paper.experiment import PAPER_BASE, PAPER_COLORS, PAPER_REFERENCE, PROTOCOLS

__all__ = ["Sweep", "SWEEPS", "ALPHAS"]


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A sweep: ``param`` of ``regularizer`` at each of ``values``; ``off`` is the value without it."""

    name: str
    regularizer: str
    param: str
    values: tuple
    off: float
    title: str
    log: bool = False
    flat: tuple | None = None  # (low, high, who): a published range of values where the optimum is flat

    def case(self, value):
        return "none" if value == self.off else f"{self.regularizer}_{self.param}_{value:g}"

    def cases(self):
        return {
            self.case(v): (
                {"regularizer": "none"} if v == self.off else {"regularizer": self.regularizer, self.param: v}
            )
            for v in self.values
        }

    @property
    def paper_case(self):
        return next(case for case, name in paper.REGULARIZER.items() if name == self.regularizer)


ALPHAS = (0.0, 1e-5, 3e-5, 1e-4, 3e-4, 5e-4, 1e-3, 3e-3)

SWEEPS = {
    sweep.name: sweep
    for sweep in (
        Sweep("sweep_l1", "l1", "alpha", ALPHAS, 0.0, "L1 coefficient alpha", log=True),
        Sweep("sweep_l2", "l2", "alpha", ALPHAS, 0.0, "L2 coefficient alpha", log=True),
        Sweep(
            "sweep_keep",
            "dropout",
            "keep_prob",
            (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
            1.0,
            "Dropout keep probability",
            flat=(0.4, 0.8, "Srivastava et al. 2014 (JMLR 15, Figure 9a: MNIST, the number of units fixed)"),
        ),  # fmt: skip
    )
}


for _sweep in SWEEPS.values():
    register_experiment(
        Experiment(
            name=_sweep.name,
            description=f"The paper's network at 20 epochs, {_sweep.title} over {', '.join(f'{v:g}' for v in _sweep.values)}: test accuracy and the training-test gap.",
            base={**PAPER_BASE, "epochs": 20, "eval_every": 20},
            cases=_sweep.cases(),
            protocols={
                name: diff for name, diff in PROTOCOLS.items() if "cases" not in diff
            },  # a sweep sets what they fit
            reference=PAPER_REFERENCE,
            seeds=(0, 1, 2),
            baseline="none",
            colors={case: PAPER_COLORS[_sweep.paper_case] for case in _sweep.cases()},
            artifacts=(("sweep", {"sweep": _sweep}),),
        )
    )


def _sweep_points(sweep, runs):
    """Per value of the sweep with runs: (value, case, epoch, test, train, gap), arrays over seeds in
    percent at the last epoch every seed of that point reached."""
    points = []
    for value in sweep.values:
        case = sweep.case(value)
        if case not in runs:
            continue
        epoch = int(min(h["epoch"][-1] for h in runs[case].values()))
        test, train = values_at(runs[case], "test", epoch), values_at(runs[case], "train", epoch)
        points.append((value, case, epoch, test, train, train - test))
    return points


def _indistinguishable(points, best):
    """The points whose mean test accuracy is within two standard errors of their difference from the best."""
    close = []
    for point in points:
        difference, se = mean_difference(points[best][3], point[3])
        if difference <= 2 * (se if math.isfinite(se) else 0.0):
            close.append(point[0])
    return close


@register("sweep")
def draw_sweep(experiment, runs, out_dir, sweep, runs_dir=None):
    """``<sweep>.png``/``.pdf`` (test and training accuracy, and their gap, against the swept value:
    mean and one standard deviation over seeds, the paper's printed point marked) and ``<sweep>.md``
    (the numbers, the best point and the points indistinguishable from it)."""
    points = _sweep_points(sweep, runs)
    if not points:
        return []
    epochs = sorted({p[2] for p in points})
    paper_value = experiment.base[sweep.param]
    printed = {}
    if len(epochs) == 1 and epochs[0] in experiment.reference.epochs:
        k = experiment.reference.epochs.index(epochs[0])
        printed = {which: experiment.reference.tables[which][sweep.paper_case][k] for which in ("test", "train", "gap")}
    paths = _sweep_figure(experiment, sweep, points, epochs, printed, paper_value, out_dir)
    path = Path(out_dir) / f"{sweep.name}.md"
    write_text(path, _sweep_markdown(sweep, points, epochs, printed, paper_value))
    return [*paths, path]


def _sweep_figure(experiment, sweep, points, epochs, printed, paper_value, out_dir):
    plt = pyplot()

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
    _mark_collapsed_points(ax, x, points, printed)
    ax.set_ylabel("accuracy (%)")
    gx.set_ylabel("training minus test accuracy (pp)")
    fig.suptitle(f"{sweep.title}: the paper's network after {', '.join(map(str, epochs))} epochs")
    fig.tight_layout()
    return save_figure(fig, out_dir, sweep.name)


def _mark_collapsed_points(ax, x, points, printed):
    """A collapsed point (near chance) would flatten the rest: the axis is kept on the others, and
    each collapsed point marked by an arrow with its value."""
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


def _cell(values):
    mean, std = mean_std(values)
    return f"{mean:.2f} +- {std:.2f}"


def _sweep_markdown(sweep, points, epochs, printed, paper_value):
    lines = [
        f"### {sweep.title}: the paper's network after {', '.join(map(str, epochs))} epochs",
        "",
        f"| {sweep.param} | case | seeds | test accuracy (%) | training accuracy (%) | training minus test (pp) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for value, case, epoch, test, train, gap in points:
        mark = " (the paper's)" if value == paper_value else (" (no regularization)" if value == sweep.off else "")
        lines.append(f"| {value:g}{mark} | {case} | {len(test)} | {_cell(test)} | {_cell(train)} | {_cell(gap)} |")
    if printed:
        lines.append(
            f"| {paper_value:g} | the paper | 1 | {printed['test']:.2f} | {printed['train']:.2f} | {printed['gap']:.2f} |"
        )
    best = max(range(len(points)), key=lambda i: points[i][3].mean())
    close = _indistinguishable(points, best)
    lines += [
        "",
        f"Mean +- standard deviation over seeds. Best test accuracy: {sweep.param} = {points[best][0]:g} ({_cell(points[best][3])}%). "
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
    return "\n".join(lines) + "\n"
