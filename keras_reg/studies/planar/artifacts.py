"""The planar study's artifact kind ``decision_boundaries``: each case's trained model over the plane."""

from pathlib import Path

import numpy as np

from keras_reg.artifacts.io import pyplot, save_figure
from keras_reg.artifacts.registry import register
from keras_reg.run.registry import load_data
from keras_reg.run.rundir import RunDirError, read_spec


@register("decision_boundaries")
def decision_boundaries(experiment, runs, out_dir, name="boundaries", title="Decision boundaries", runs_dir=None):
    """One panel per case: the first seed's trained model (its ``model.keras``) as a filled contour of
    its class-1 region over the plane, with the training (dots) and test (crosses) points; PNG and PDF."""
    import keras

    plt = pyplot()

    import keras_reg  # noqa: F401  (the models' custom layers)

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
            raise RunDirError(
                f"{run_dir / 'model.keras'} is damaged ({type(e).__name__}); train the run again with --overwrite"
            ) from e
        spec = read_spec(run_dir)
        if spec is None:
            raise FileNotFoundError(
                f"{run_dir / 'config.json'} is missing: the points are drawn from the run's spec (run the case again: a checkpoint rebuilds it)"
            )
        (x_train, y_train), (x_test, y_test) = load_data(spec)
        if tuple(model.input_shape[1:]) != tuple(x_train.shape[1:]) or tuple(model.output_shape[1:]) != (1,):
            raise RunDirError(
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
