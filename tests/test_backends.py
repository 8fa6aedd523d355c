"""The library on the JAX backend: its tests pass, and it trains where TensorFlow is not installed."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install -e '.[test]' installs it)")
LIBRARY_TESTS = ["test_regularizers.py", "test_layers.py", "test_models.py", "test_losses.py", "test_engine.py"]


@needs_jax
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") == "jax", reason="already running on JAX")
def test_library_tests_pass_on_the_jax_backend():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *[str(ROOT / "tests" / t) for t in LIBRARY_TESTS]],
        capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "jax"}, cwd=ROOT,
    )
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
from keras_reg import config, data, training
assert keras.backend.backend() == 'jax'
rng = np.random.default_rng(0)
x = rng.integers(0, 255, (200, 28, 28)).astype(np.uint8); y = (np.arange(200) % 10).astype(np.uint8)
c = config.make_config('paper', regularizer='dropout', epochs=2, train_examples=150, test_examples=50, batch_size=50)
stats = training.train_and_evaluate(c, sys.argv[1], datasets=((x[:150], y[:150]), (x[150:], y[150:])), log=lambda s: None)
assert stats['epochs'] == 2
assert 'tensorflow' not in sys.modules and 'tensorflow_datasets' not in sys.modules
print('trained without tensorflow')
"""


@needs_jax
def test_jax_backend_trains_without_tensorflow(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", NO_TENSORFLOW, str(tmp_path / "run")],
        capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("trained without tensorflow")
    assert (tmp_path / "run" / "history.csv").exists() and (tmp_path / "run" / "model.keras").exists()


def test_layers_regularizers_and_models_use_only_keras():
    import ast

    for module in ("regularizers", "layers", "models", "losses"):
        tree = ast.parse((ROOT / "keras_reg" / f"{module}.py").read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {"tensorflow", "jax", "torch"}, (module, imported)
