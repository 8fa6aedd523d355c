"""Seeds trained as one vmapped stack (``--vectorize_seeds``, JAX only) equal separate runs,
resume from different epochs, and stop alone when one diverges. On other backends these tests
skip; ``.ci/run`` runs them with ``KERAS_BACKEND=jax`` (``pytest -m backend``)."""

import keras
import numpy as np
import pytest
from helpers import mark_trained_on

from keras_reg import checks
from keras_reg.run import engine, experiment, rundir
from keras_reg.run import grid as grids

pytestmark = [
    pytest.mark.backend,
    pytest.mark.skipif(keras.backend.backend() != "jax", reason="vectorized seeds need KERAS_BACKEND=jax"),
]


def _datasets():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (250, 28, 28)).astype(np.uint8)
    y = (np.arange(250) % 10).astype(np.uint8)
    return (x[:200], y[:200]), (x[200:], y[200:])


def _quiet(line):
    pass


def _grid(seeds, epochs, cases=("standard", "dropout"), **rate):
    settings = dict(epochs=epochs, train_examples=200, test_examples=50, batch_size=50, **rate)
    return experiment.EXPERIMENTS["paper"].grid(cases, seeds, "tf1_init", **settings)


def _compare(a, b):
    # Equal to float32 rounding, not bit for bit: a vmapped matmul may sum in another order than the
    # single network's. The grid trains at rate 0.05: at the paper's 0.5 these random images drive
    # the loss to 40-130 and the rounding grows to 0.5% of a weight in three epochs. Another seed's
    # weights, batch order or masks would move them by far more than 1e-3; atol admits one of the
    # 50 test images (0.02) changing its predicted class.
    for key in _grid((0, 1, 2), 3, learning_rate=0.05):
        ha, hb = rundir.read_history(a / key), rundir.read_history(b / key)
        for column in rundir.HISTORY_COLUMNS[:-1]:  # all but the wall time
            assert np.allclose(ha[column], hb[column], rtol=1e-3, atol=0.021), (key, column, ha[column], hb[column])
        with np.load(a / key / "checkpoint.npz") as ca, np.load(b / key / "checkpoint.npz") as cb:
            names = [n for n in ca.files if n.startswith(("model_", "optimizer_"))]
            assert names and all(np.allclose(ca[n], cb[n], rtol=1e-3, atol=1e-5) for n in names), key
        assert (b / key / "model.keras").exists() and (b / key / "config.json").exists()


def _poison(monkeypatch, when, network):
    """Makes the stack's ``network`` NaN at its ``when``-th epoch call."""
    train_epoch, calls = engine.SeedStack.train_epoch, []

    def poisoned(self, x, y, orders):
        calls.append(1)
        if len(calls) == when:
            kernel = self.engines[network].model.get_layer("hidden_1").kernel
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))
        return train_epoch(self, x, y, orders)

    monkeypatch.setattr(engine.SeedStack, "train_epoch", poisoned)


def test_seed_stacks_equal_separate_runs_from_scratch_and_resumed(tmp_path):
    datasets, grid = _datasets(), _grid((0, 1, 2), 3, learning_rate=0.05)
    grids.run_grid(grid, tmp_path / "separate", datasets, workers=1, log=_quiet)
    grids.run_grid(grid, tmp_path / "stacked", datasets, vectorize_seeds=True, log=_quiet)
    _compare(tmp_path / "separate", tmp_path / "stacked")
    # Resumed from different epochs (seed 0 after epoch 2, seeds 1 and 2 after epoch 1): two stacks per case.
    resumed = tmp_path / "resumed"
    grids.run_grid(_grid((0,), 2, learning_rate=0.05), resumed, datasets, vectorize_seeds=True, log=_quiet)
    grids.run_grid(_grid((1, 2), 1, learning_rate=0.05), resumed, datasets, vectorize_seeds=True, log=_quiet)
    lines = []
    grids.run_grid(grid, resumed, datasets, vectorize_seeds=True, log=lines.append)
    _compare(tmp_path / "separate", resumed)
    assert sum("as one stack" in line for line in lines) == 2, lines
    assert sum("resuming after epoch" in line for line in lines) == 6, lines
    assert sum(line.startswith("[6/6] dropout/seed_2 | epoch 3/3 ") for line in lines) == 1, lines
    with pytest.raises(checks.ConfigError, match="workers"):
        grids.run_grid(_grid((0,), 1), tmp_path / "other", datasets, workers=2, vectorize_seeds=True, log=_quiet)


def test_a_run_that_diverges_in_a_stack_stops_alone(tmp_path, monkeypatch):
    _poison(monkeypatch, when=2, network=1)
    with pytest.raises(rundir.DivergenceError) as info:
        grids.run_grid(_grid((0, 1, 2), 3), tmp_path, _datasets(), vectorize_seeds=True, log=_quiet)
    assert (info.value.epoch, info.value.step) == (2, 1)
    assert len(rundir.read_history(tmp_path / "standard/seed_1")["epoch"]) == 1
    assert (tmp_path / "standard/seed_1/divergence.json").exists()
    for key in ("standard/seed_0", "standard/seed_2"):
        assert len(rundir.read_history(tmp_path / key)["epoch"]) == 3 and (tmp_path / key / "model.keras").exists()
    assert not list((tmp_path / "dropout").rglob("history.csv"))  # the next stack did not start


def test_after_a_divergence_the_next_stack_does_not_begin(tmp_path, monkeypatch):
    # Runs resumed from different epochs form stacks one after another: seed 1 (from scratch)
    # diverges in the first, so the second (seed 0, after epoch 1) does not begin.
    grids.run_grid(_grid((0,), 1, cases=("standard",)), tmp_path, _datasets(), vectorize_seeds=True, log=_quiet)
    _poison(monkeypatch, when=1, network=0)
    with pytest.raises(rundir.DivergenceError) as info:
        grids.run_grid(_grid((0, 1), 3, cases=("standard",)), tmp_path, _datasets(), vectorize_seeds=True, log=_quiet)
    assert (info.value.epoch, info.value.step) == (1, 1)
    assert (tmp_path / "standard/seed_1/divergence.json").exists()
    assert len(rundir.read_history(tmp_path / "standard/seed_0")["epoch"]) == 1


def test_a_stack_resumes_runs_of_another_backend_only_when_asked_and_records_it(tmp_path):
    import json

    datasets = _datasets()
    grids.run_grid(_grid((0, 1), 1, cases=("standard",)), tmp_path, datasets, vectorize_seeds=True, log=_quiet)
    for seed in (0, 1):
        mark_trained_on(tmp_path / "standard" / f"seed_{seed}", "torch")
    longer = _grid((0, 1), 2, cases=("standard",))
    with pytest.raises(rundir.RunDirError, match="--allow_backend_change"):
        grids.run_grid(longer, tmp_path, datasets, vectorize_seeds=True, log=_quiet)
    stats = grids.run_grid(longer, tmp_path, datasets, vectorize_seeds=True, log=_quiet, allow_backend_change=True)
    assert [s["epochs"] for s in stats.values()] == [2, 2]
    for seed in (0, 1):
        record = json.loads((tmp_path / "standard" / f"seed_{seed}" / "config.json").read_text())
        assert record["backend_changes"] == [{"after_epoch": 1, "from": "torch", "to": "jax"}]
