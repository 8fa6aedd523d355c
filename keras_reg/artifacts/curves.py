"""The ``curves`` kind: a history column against the epoch for every case, with the reference's points."""

from keras_reg.artifacts.io import pyplot, save_figure
from keras_reg.artifacts.registry import register
from keras_reg.artifacts.stats import seed_curves


@register("curves")
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
    plt = pyplot()

    if column.endswith("loss") or column == "objective":
        scale, unit = 1.0, {"objective": "cost (training-mode loss + penalty)"}.get(column, column.replace("_", " "))
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    lowest = []
    for case, histories in runs.items():
        epochs, values = seed_curves(histories, column, scale)
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
