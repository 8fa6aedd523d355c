"""The plain Keras path and the trainer trained side by side for whole runs: their accuracy curves compared,
so that the trainer's speed is not bought with other numbers."""

import numpy as np

from keras_reg.run import loop
from keras_reg.tools.benchmark import both_paths, model_inputs

__all__ = ["compare_curves", "curves_summary"]


def compare_curves(configs, datasets, seeds, epochs, log=print):
    """Per-epoch test and training accuracy of both paths over seeds, to show they agree within noise.

    Returns rows (case, path, seed, epoch, train_accuracy, test_accuracy) for ``configs``
    ({case: RunConfig}); each seed builds the same initial weights for both paths. The plain path
    is float32; the trainer runs in each config's precision, so with ``mixed_bfloat16`` this
    compares the labelled bfloat16 option with the float32 reference.
    """
    import dataclasses

    rows = []
    for case, base in configs.items():
        for seed in seeds:
            config = dataclasses.replace(base, seed=seed)
            (x, y), (x_test, y_test) = arrays = model_inputs(config, datasets)
            plain, trainer, ((xd, yd), (xtd, ytd)) = both_paths(config, arrays)
            for epoch in range(1, epochs + 1):
                plain.fit(x, y, batch_size=config.batch_size, epochs=1, verbose=0)
                plain_train, plain_test = _accuracy(plain, x, y), _accuracy(plain, x_test, y_test)
                trainer.train_epoch(xd, yd, loop.epoch_order(seed, epoch, len(x)))
                _, fast_train = trainer.evaluate(xd, yd)
                _, fast_test = trainer.evaluate(xtd, ytd)
                rows.append((case, "plain", seed, epoch, plain_train, plain_test))
                rows.append((case, "trainer", seed, epoch, fast_train, fast_test))
            log(
                f"  {case} seed {seed}: test accuracy after {epochs} epochs: plain {100 * plain_test:.2f}%, trainer {100 * fast_test:.2f}%"
            )
    return rows


def _accuracy(model, x, y):
    probabilities = model.predict(x, batch_size=10000, verbose=0)
    return float(np.mean(probabilities.argmax(axis=1) == y))


def curves_summary(rows):
    """Markdown: per case and path, the final accuracies (mean +- std over seeds), the largest
    per-epoch gap between the two paths' seed means, the seed-to-seed standard deviation, and the
    largest gap in standard errors of a difference of two means (sqrt(s1^2/n + s2^2/n))."""
    lines = [
        "| case | path | final test acc. (%) | final train acc. (%) | max over epochs of abs(mean gap) in test acc. (pp) "
        "| median seed std of test acc. (pp) | max over epochs of abs(gap) / its standard error |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    cases = sorted({r[0] for r in rows}, key=[r[0] for r in rows].index)
    for case in cases:
        mine = [r for r in rows if r[0] == case]
        epochs = sorted({r[3] for r in mine})
        seeds = sorted({r[2] for r in mine})
        test = {
            p: np.array([[100 * r[5] for r in mine if r[1] == p and r[2] == s] for s in seeds])
            for p in ("plain", "trainer")
        }
        train = {
            p: np.array([[100 * r[4] for r in mine if r[1] == p and r[2] == s] for s in seeds])
            for p in ("plain", "trainer")
        }
        gaps = np.abs(test["plain"].mean(0) - test["trainer"].mean(0))
        gap = gaps.max()
        if len(seeds) > 1:
            error = np.sqrt((test["plain"].var(0, ddof=1) + test["trainer"].var(0, ddof=1)) / len(seeds))
            z = f"{(gaps / np.maximum(error, 1e-12)).max():.1f}"
        else:
            z = "-"
        for p in ("plain", "trainer"):
            std = test[p].std(0, ddof=1) if len(seeds) > 1 else np.zeros(len(epochs))
            lines.append(
                f"| {case} | {p} | {test[p][:, -1].mean():.2f} +- {test[p][:, -1].std(ddof=1) if len(seeds) > 1 else 0:.2f} | "
                f"{train[p][:, -1].mean():.2f} +- {train[p][:, -1].std(ddof=1) if len(seeds) > 1 else 0:.2f} | "
                f"{gap:.2f} | {np.median(std):.2f} | {z} |"
            )
    return "\n".join(lines) + "\n"
