"""The statistics every artifact uses: a history's values at an epoch, mean +- std over seeds
(``ddof=1``), the difference of two means with its standard error, and the distance one more seed
would be expected to have from a reference.
"""

import math

import numpy as np


def values_at(histories, column, epoch):
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


def mean_std(values):
    if len(values) == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def mean_difference(a, b):
    """(mean(a) - mean(b), its standard error sqrt(s_a^2/n_a + s_b^2/n_b); nan with one seed)."""
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) if len(a) > 1 and len(b) > 1 else math.nan
    return float(a.mean() - b.mean()), se


def span(values, sign=""):
    return f"{min(values):{sign}.2f} to {max(values):{sign}.2f}"


def c4(n):
    """E[s] / sigma for the sample standard deviation of n normal values."""
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2.0) - math.lgamma((n - 1) / 2.0))


def expected_distance(cells):
    """The mean |difference| over ``cells`` (of :func:`table_cells`) expected if the reference were
    one more seed of the same runs: for normal runs E|X - mean of n| = sigma sqrt(2/pi) sqrt(1 + 1/n),
    with sigma estimated without bias from each cell's standard deviation over seeds as s / c4(n)
    (E[s] = c4(n) sigma; c4(3) = 0.886). NaN with fewer than two seeds in a cell."""
    values = [
        c["ours_std"] / c4(c["seeds"]) * math.sqrt(2.0 / math.pi) * math.sqrt(1.0 + 1.0 / c["seeds"])
        if c["seeds"] > 1
        else math.nan
        for c in cells
    ]
    return float(np.mean(values)) if values else math.nan


def roughness(history, column):
    """The mean absolute change of ``column`` from one evaluation to the next: how jagged its curve is."""
    values = np.asarray(history[column], dtype=float)
    return float(np.mean(np.abs(np.diff(values)))) if len(values) > 1 else math.nan


def last_values(histories, column, scale=1.0):
    """Per seed, ``column`` (times ``scale``) at the last epoch every seed reached."""
    last = min(int(h["epoch"][-1]) for h in histories.values())
    return np.array([scale * h[column][h["epoch"] == last][0] for h in histories.values()])


def column_of(history, column):
    """A history column, or ``"objective"``: the training-mode loss of the steps since the last row
    plus the penalty, the cost a training loop prints (the planar tutorial's)."""
    return history["step_loss"] + history["penalty"] if column == "objective" else history[column]


def seed_curves(histories, column, scale=100.0):
    """(epochs, per-seed curves times ``scale``) over the epochs every seed reached."""
    length = min(len(h["epoch"]) for h in histories.values())
    epochs = next(iter(histories.values()))["epoch"][:length]
    return epochs, scale * np.array([column_of(h, column)[:length] for h in histories.values()])


def within(diff, se):
    """The caveat on a claim's verdict when its deciding gap is under two standard errors."""
    return "" if not math.isfinite(se) or abs(diff) > 2 * se else ", but by less than two standard errors"
