"""The library without TensorFlow: it imports and trains on JAX where TensorFlow is blocked, and
``import keras_reg`` loads no TensorFlow on JAX.

The backend-dependent tests (``pytest.mark.backend``) run on whichever backend the session has;
``.ci/run`` runs them a second time with ``KERAS_BACKEND=jax`` (docs/testing.md).
"""

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


NO_TENSORFLOW = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'tensorflow_datasets', 'tf_keras'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import numpy as np, keras, keras_reg
from keras_reg import data
from keras_reg.run import experiment
from keras_reg.run import loop
assert keras.backend.backend() == 'jax'
rng = np.random.default_rng(0)
x = rng.integers(0, 255, (200, 28, 28)).astype(np.uint8); y = (np.arange(200) % 10).astype(np.uint8)
c = experiment.EXPERIMENTS['paper'].spec('dropout', protocol='tf1_init', epochs=2, train_examples=150, test_examples=50, batch_size=50)
stats = loop.train_and_evaluate(c, sys.argv[1], datasets=((x[:150], y[:150]), (x[150:], y[150:])), log=lambda s: None)
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

    package = ROOT / "keras_reg"
    library = [package / "regularizers.py", package / "losses.py", *(package / "layers").glob("*.py")]
    library += [path for path in (package / "studies").glob("*/model.py")]  # the builders
    for module in library:
        tree = ast.parse(module.read_text())
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {
            node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not imported & {"tensorflow", "jax", "torch"}, (module, imported)


@needs_jax
def test_import_keras_reg_loads_no_tensorflow_on_jax():
    code = "import sys, keras_reg; print('tensorflow' in sys.modules, 'keras_reg.layers' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "jax"}
    )
    assert result.stdout.split() == ["False", "True"], result.stderr[-2000:]


def test_a_backend_keras_does_not_have_or_that_is_not_installed_is_one_clear_line(monkeypatch):
    from keras_reg import _quiet

    monkeypatch.setenv("KERAS_BACKEND", "nope")
    with pytest.raises(ImportError, match="KERAS_BACKEND='nope' is not a Keras backend; use one of tensorflow, jax"):
        _quiet.check_backend()
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.setattr(_quiet.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="KERAS_BACKEND=torch needs the torch package, which is not installed"):
        _quiet.check_backend()


@pytest.mark.parametrize("backend", ["nope", "torch"])
def test_a_keras_reg_program_given_a_bad_backend_says_so_in_one_line_with_status_2(backend):
    env = {**os.environ, "KERAS_BACKEND": backend}
    if backend == "torch" and importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed here")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), "--epochs=1"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("train.py: KERAS_BACKEND=")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr and backend in result.stderr
    # In a user's Python it stays an ImportError (a library does not exit the interpreter).
    library = subprocess.run([sys.executable, "-c", "import keras_reg"], capture_output=True, text=True, env=env)
    assert library.returncode == 1 and "ImportError: KERAS_BACKEND" in library.stderr
