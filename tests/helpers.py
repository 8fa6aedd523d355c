"""Helpers shared by the tests of several modules: tiny data and specs, fake run directories."""

from pathlib import Path

import numpy as np

from keras_reg.run.rundir import CHECKPOINT, write_history


def make_config(protocol="tf1_init", **values):
    """A spec of the paper's experiment; the tests' small data sets need a protocol of the 60,000-image split."""
    from keras_reg.run.experiment import EXPERIMENTS

    return EXPERIMENTS["paper"].spec("standard", protocol=protocol, **values)


def tiny_datasets(n_train=300, n_test=100, seed=0):
    """MNIST-shaped uint8 arrays a small net learns from: each image has the row of its label lit."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n_train + n_test).astype(np.uint8)
    x = rng.integers(0, 40, (n_train + n_test, 28, 28)).astype(np.uint8)
    x[np.arange(len(y)), y, :] = 255  # row y lit
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def tiny_config(**overrides):
    """An L2 run of the paper's MLP on tiny_datasets: 2 epochs of 300 images."""
    values = dict(
        regularizer="l2", epochs=2, train_examples=300, test_examples=100, batch_size=50, learning_rate=0.1, seed=1
    )
    return make_config("tf1_init", **{**values, **overrides})


def quiet(*args):
    pass


def layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def fake_run(runs_dir, case, seed, train, test, epochs=100):
    """A history whose accuracy at every epoch is ``train`` / ``test`` (fractions) plus epoch/1e5."""
    rows = []
    for epoch in range(1, epochs + 1):
        bump = epoch / 1e5
        rows.append([epoch, 0.1, train + bump, 0.2, test + bump, 0.0, 0.3, 1.0])
    run_dir = Path(runs_dir) / case / f"seed_{seed}"
    run_dir.mkdir(parents=True)
    write_history(run_dir, rows)


def mark_trained_on(run_dir, backend):
    """Rewrites the run's checkpoint as if it had been written on ``backend``."""
    with np.load(Path(run_dir) / CHECKPOINT) as f:
        arrays = {k: f[k] for k in f.files}
    np.savez(Path(run_dir) / CHECKPOINT, **{**arrays, "backend": np.array(backend)})
