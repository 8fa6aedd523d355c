"""The library on the JAX backend: its tests pass, and it trains where TensorFlow is not installed."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
needs_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install -e '.[test]' installs it)"
)
LIBRARY_TESTS = ["test_regularizers.py", "test_layers.py", "test_models.py", "test_losses.py", "test_engine.py"]


@needs_jax
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") == "jax", reason="already running on JAX")
def test_library_tests_pass_on_the_jax_backend():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *[str(ROOT / "tests" / t) for t in LIBRARY_TESTS],
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "jax"},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.strip().splitlines()[-1]


@needs_jax
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") == "jax", reason="already running on JAX")
def test_run_directory_faults_and_locks_on_the_jax_backend():
    # The lock, the concurrency and script tests, and the fault matrix of half-finished runs with each
    # file deleted (the whole matrix passes on JAX too, in about 75 s: `KERAS_BACKEND=jax pytest tests/test_files.py`).
    selection = "in_use or killed or grids or script or (delete and half_finished)"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_files.py"), "-k", selection],
        capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "jax"}, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.strip().splitlines()[-1]


NO_TENSORFLOW = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'tensorflow_datasets', 'tf_keras'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import numpy as np, keras, keras_reg
from keras_reg import data, experiments, training
assert keras.backend.backend() == 'jax'
rng = np.random.default_rng(0)
x = rng.integers(0, 255, (200, 28, 28)).astype(np.uint8); y = (np.arange(200) % 10).astype(np.uint8)
c = experiments.EXPERIMENTS['paper'].spec('dropout', protocol='tf1_init', epochs=2, train_examples=150, test_examples=50, batch_size=50)
stats = training.train_and_evaluate(c, sys.argv[1], datasets=((x[:150], y[:150]), (x[150:], y[150:])), log=lambda s: None)
assert stats['epochs'] == 2
assert 'tensorflow' not in sys.modules and 'tensorflow_datasets' not in sys.modules
print('trained without tensorflow')
"""


@needs_jax
def test_jax_backend_trains_without_tensorflow(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", NO_TENSORFLOW, str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("trained without tensorflow")
    assert (tmp_path / "run" / "history.csv").exists() and (tmp_path / "run" / "model.keras").exists()


def test_layers_regularizers_and_models_use_only_keras():
    import ast

    for module in ("regularizers", "layers", "models", "losses"):
        tree = ast.parse((ROOT / "keras_reg" / f"{module}.py").read_text())
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {
            node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not imported & {"tensorflow", "jax", "torch"}, (module, imported)


SEED_STACKS = """
import sys
from pathlib import Path
import numpy as np, keras
from keras_reg import checks, engine, experiments, reproduce, training
assert keras.backend.backend() == 'jax'
out = Path(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.integers(0, 255, (250, 28, 28)).astype(np.uint8); y = (np.arange(250) % 10).astype(np.uint8)
datasets = ((x[:200], y[:200]), (x[200:], y[200:]))
quiet = lambda line: None

def grid(seeds, epochs):
    return experiments.EXPERIMENTS['paper'].grid(('standard', 'dropout'), seeds, 'tf1_init', epochs=epochs, train_examples=200, test_examples=50, batch_size=50, learning_rate=0.05)

# Equal to float32 rounding, not bit for bit: a vmapped matmul may sum in another order than the
# single network's (equal bits on the CPUs of earlier sessions, not on an AVX2 EPYC). The grid
# trains at rate 0.05: at the paper's 0.5 these random images drive the loss to 40-130 and the
# rounding grows to 0.5% of a weight in three epochs. Another seed's weights, batch order or
# masks would move them by far more than 1e-3; atol admits one of the 50 test images (0.02)
# changing its predicted class.
def compare(a, b):
    for key in grid((0, 1, 2), 3):
        ha, hb = training.read_history(a / key), training.read_history(b / key)
        for column in training.HISTORY_COLUMNS[:-1]:  # all but the wall time
            assert np.allclose(ha[column], hb[column], rtol=1e-3, atol=0.021), (key, column, ha[column], hb[column])
        with np.load(a / key / 'checkpoint.npz') as ca, np.load(b / key / 'checkpoint.npz') as cb:
            names = [n for n in ca.files if n.startswith(('model_', 'optimizer_'))]
            bad = [(n, float(np.max(np.abs(ca[n].astype(float) - cb[n].astype(float)))), float(np.max(np.abs(ca[n].astype(float))))) for n in names if not np.allclose(ca[n], cb[n], rtol=1e-3, atol=1e-5)]
            assert names and not bad, (key, bad)
        assert (b / key / 'model.keras').exists() and (b / key / 'config.json').exists()

# Separate runs against stacks of seeds: trained from scratch, and resumed from different epochs
# (seed 0 after epoch 2, seeds 1 and 2 after epoch 1: two stacks per case).
reproduce.run_grid(grid((0, 1, 2), 3), out / 'separate', datasets, workers=1, log=quiet)
reproduce.run_grid(grid((0, 1, 2), 3), out / 'stacked', datasets, vectorize_seeds=True, log=quiet)
compare(out / 'separate', out / 'stacked')
reproduce.run_grid(grid((0,), 2), out / 'resumed', datasets, vectorize_seeds=True, log=quiet)
reproduce.run_grid(grid((1, 2), 1), out / 'resumed', datasets, vectorize_seeds=True, log=quiet)
lines = []
reproduce.run_grid(grid((0, 1, 2), 3), out / 'resumed', datasets, vectorize_seeds=True, log=lines.append)
compare(out / 'separate', out / 'resumed')
assert sum('as one stack' in line for line in lines) == 2, lines
assert sum('resuming after epoch' in line for line in lines) == 6, lines
assert sum(line.startswith('[6/6] dropout/seed_2 | epoch 3/3 ') for line in lines) == 1, lines

try:
    reproduce.run_grid(grid((0,), 1), out / 'other', datasets, workers=2, vectorize_seeds=True, log=quiet)
    raise AssertionError('workers=2 with vectorize_seeds was accepted')
except checks.ConfigError as e:
    assert 'workers' in str(e)

# A run of a stack that diverges stops with its history and divergence.json; the others finish.
train_epoch, calls = engine.SeedStack.train_epoch, []
def poisoned(self, x, y, orders):
    calls.append(1)
    if len(calls) == 2:
        kernel = self.engines[1].model.get_layer('hidden_1').kernel
        kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    return train_epoch(self, x, y, orders)
engine.SeedStack.train_epoch = poisoned
try:
    reproduce.run_grid(grid((0, 1, 2), 3), out / 'diverged', datasets, vectorize_seeds=True, log=quiet)
    raise AssertionError('no DivergenceError')
except training.DivergenceError as e:
    assert (e.epoch, e.step) == (2, 1), (e.epoch, e.step)
d = out / 'diverged'
assert len(training.read_history(d / 'standard/seed_1')['epoch']) == 1 and (d / 'standard/seed_1/divergence.json').exists()
for key in ('standard/seed_0', 'standard/seed_2'):
    assert len(training.read_history(d / key)['epoch']) == 3 and (d / key / 'model.keras').exists()
assert not list((d / 'dropout').rglob('history.csv'))  # the next stack did not start

# Runs resumed from different epochs form stacks one after another; after a divergence in the first
# (seed 1, from scratch), the second (seed 0, after epoch 1) does not begin.
def standard(seeds, epochs):
    return experiments.EXPERIMENTS['paper'].grid(('standard',), seeds, 'tf1_init', epochs=epochs, train_examples=200, test_examples=50, batch_size=50)
engine.SeedStack.train_epoch = train_epoch
reproduce.run_grid(standard((0,), 1), out / 'later', datasets, vectorize_seeds=True, log=quiet)
first_call = [True]
def poison_first(self, x, y, orders):
    if first_call:
        first_call.clear()
        kernel = self.engines[0].model.get_layer('hidden_1').kernel
        kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    return train_epoch(self, x, y, orders)
engine.SeedStack.train_epoch = poison_first
try:
    reproduce.run_grid(standard((0, 1), 3), out / 'later', datasets, vectorize_seeds=True, log=quiet)
    raise AssertionError('no DivergenceError')
except training.DivergenceError as e:
    assert (e.epoch, e.step) == (1, 1), (e.epoch, e.step)
assert (out / 'later/standard/seed_1/divergence.json').exists()
assert len(training.read_history(out / 'later/standard/seed_0')['epoch']) == 1
print('seed stacks equal separate runs')
"""


@needs_jax
def test_seed_stacks_train_the_runs_of_separate_processes_resume_and_diverge_alone(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SEED_STACKS, str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("seed stacks equal separate runs")
