"""The run directory: its files, how each is written and read back, and its lock.

A run directory holds:

* ``config.json``: the run spec (``"spec"``), the experiment, case and protocol it came from (if
  any), and the environment (library versions, backend, devices).
* ``history.csv``: one row per evaluation, after every ``eval_every`` epochs (columns
  :data:`HISTORY_COLUMNS`; accuracies as fractions): the training and test loss and accuracy
  measured in inference mode on the whole training and test sets (as the paper's Tables 1-2
  imply), the penalty alpha * Omega(w), the mean minibatch objective seen since the last row
  (``step_loss``), and the wall time since the last row including its evaluation (``seconds``).
* ``checkpoint.npz``: every model and optimizer variable (the random-generator states of Dropout
  included) and the history, written atomically after each epoch. It is the single source of
  truth for resuming: a run killed at any moment restarts from its last completed epoch, and, as
  the data order of each epoch is a function of (seed, epoch), ends with the same history.
* ``model.keras`` (the trained model), ``logs/`` (TensorBoard) and the measurements its builder
  declares (:attr:`keras_reg.run.registry.Builder.measurements`), at the end.

Every file is written to a temporary name and renamed, so a kill never leaves half a file.
"""

import csv
import io
import json
import math
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

from keras_reg import files
from keras_reg.files import atomic_write
from keras_reg.run import spec as run_spec

__all__ = [
    "HISTORY_COLUMNS",
    "RunDirError",
    "RunLockedError",
    "DivergenceError",
    "read_history",
    "read_spec",
    "check_writable",
    "lock",
    "data_digest",
]

HISTORY_COLUMNS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "penalty",
    "step_loss",
    "seconds",
)

CHECKPOINT = "checkpoint.npz"

DIVERGENCE = "divergence.json"

PARTIAL_MODEL = ".model.partial.keras"

MODEL = "model.keras"  # the trained model, written after the last epoch
STOPPED = "stopped.json"  # a callback stopped the run (model.stop_training): when, and which callbacks ran

LOCK = ".lock"


class RunDirError(ValueError):
    """The run directory cannot be used (unwritable, in use, damaged, or it holds a different run)."""


class RunLockedError(RunDirError):
    """Another process is training in the run directory."""

    def __init__(self, message, holder=None):
        super().__init__(message)
        self.holder = holder

    def __reduce__(self):  # rebuilt from its fields when it crosses a process boundary
        return type(self), (str(self), self.holder)


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite; the history up to the previous epoch is kept."""

    def __init__(self, message, epoch, step):
        super().__init__(message)
        self.epoch, self.step = epoch, step

    def __reduce__(self):  # rebuilt from its fields when it crosses a process boundary
        return type(self), (str(self), self.epoch, self.step)


def write_json(path, payload):
    atomic_write(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())


def write_history(run_dir, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for row in rows:
        writer.writerow([int(row[0])] + [repr(float(v)) for v in row[1:]])
    atomic_write(Path(run_dir) / "history.csv", buffer.getvalue().encode())


def read_history(run_dir):
    """The history of a run directory as a dict of column name -> numpy array (empty if none).

    Raises:
        RunDirError: the file lacks a column of :data:`HISTORY_COLUMNS` or holds a value that is
            not a number (the message names the file and what to do).
    """
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return {name: np.zeros(0) for name in HISTORY_COLUMNS}
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            rows, columns = list(reader), reader.fieldnames or []
        missing = [c for c in HISTORY_COLUMNS if c not in columns]
        if missing:
            raise ValueError(f"it lacks the column(s) {', '.join(missing)}")
        history = {name: np.array([float(r[name]) for r in rows]) for name in HISTORY_COLUMNS}
        _check_history(history)
        return history
    except (ValueError, TypeError, OSError, csv.Error) as e:
        raise RunDirError(
            f"{path} cannot be read ({e}); delete it (a checkpoint, if any, rebuilds it) or rerun with --overwrite"
        ) from e


def _check_history(history):
    """Raises ValueError naming the first value no training writes: a value that is not finite, an
    accuracy outside [0, 1], a negative loss, penalty or time, epochs that do not increase."""
    for name, values in history.items():
        bad = np.nonzero(~np.isfinite(values))[0]
        if len(bad):
            raise ValueError(f"{name} is {values[bad[0]]} in row {bad[0] + 1}")
    ranges = {"train_accuracy": (0.0, 1.0), "test_accuracy": (0.0, 1.0)}
    for name in HISTORY_COLUMNS[1:]:
        low, high = ranges.get(name, (0.0, math.inf))
        bad = np.nonzero((history[name] < low) | (history[name] > high))[0]
        if len(bad):
            raise ValueError(f"{name} is {history[name][bad[0]]} in row {bad[0] + 1}, outside [{low:g}, {high:g}]")
    epochs = history["epoch"]
    if len(epochs) and (epochs[0] < 1 or np.any(np.diff(epochs) <= 0) or np.any(epochs != np.round(epochs))):
        raise ValueError("its epochs are not whole numbers increasing from 1 or more")


def read_spec(run_dir):
    """The :class:`~keras_reg.spec.RunSpec` recorded in a run directory, or None if it has no config.json.

    Raises:
        RunDirError: config.json is damaged or not a keras_reg run's (the message says what to do).
    """
    path = Path(run_dir) / "config.json"
    if not path.exists():
        return None
    try:
        return run_spec.from_record(json.loads(path.read_text()))
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OSError,
    ) as e:  # JSONDecodeError and ConfigError are ValueErrors
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise RunDirError(
            f"{path} is damaged or not a keras_reg run's ({reason}); delete it (an intact checkpoint.npz rebuilds it) or pass --overwrite"
        ) from e


def read_record(run_dir):
    """config.json as a dict ({} if it is missing or unreadable: :func:`read_spec` is the check)."""
    try:
        record = json.loads((Path(run_dir) / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def check_not_a_file(out_dir):
    """Raises :class:`RunDirError` if the output directory ``out_dir`` is a file (creates nothing)."""
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise RunDirError(f"cannot write to the output directory {out_dir}: it is a file, not a folder")


def check_writable(run_dir):
    """Raises :class:`RunDirError` unless ``run_dir`` can be created and written to."""
    run_dir = Path(run_dir)
    check_not_a_file(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=run_dir, prefix=".write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise RunDirError(f"cannot write to the output directory {run_dir}: {e.strerror or e}") from e


def environment():
    import keras

    backend = keras.backend.backend()
    versions = {"python": platform.python_version(), "numpy": np.__version__, "keras": keras.__version__}
    for name in ("tensorflow", "jax", "torch"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    import keras_reg

    versions["keras_reg"] = keras_reg.__version__
    try:
        devices = [str(d) for d in keras.distribution.list_devices()]
    except Exception:  # a backend without the distribution API
        devices = []
    return {
        "backend": backend,
        "devices": devices,
        "versions": versions,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def lock(run_dir):
    """Locks ``run_dir`` for this process (:func:`keras_reg.files.acquire_lock`); raises
    :class:`RunLockedError` at once if another process holds it, :class:`RunDirError` if the lock
    is not a plain file."""
    try:
        return files.acquire_lock(Path(run_dir) / LOCK)
    except files.NotALock as e:
        raise RunDirError(str(e)) from None
    except files.Locked as e:
        raise RunLockedError(
            f"{run_dir} is in use by process {e.holder or '(unknown)'}, which is training there; wait for it to finish or choose another directory",
            e.holder,
        ) from None


def unlock(fd):
    files.release_lock(fd)


def current_backend():
    import keras

    return keras.backend.backend()


def data_digest(datasets):
    """The sha256 of the arrays a run trains and is tested on, in their order (x_train, y_train,
    x_test, y_test): two runs with equal digests saw the same examples in the same order."""
    import hashlib

    digest = hashlib.sha256()
    for pair in datasets:
        for array in pair:
            array = np.ascontiguousarray(array)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def save_checkpoint(run_dir, model, epoch, rows, spec, data_sha256=None):
    import keras

    arrays = {
        "epoch": np.int64(epoch),
        "history": np.array(rows, dtype=np.float64).reshape(len(rows), len(HISTORY_COLUMNS)),
    }
    arrays["spec"] = np.array(json.dumps({"spec": spec.to_dict()}))  # so that a damaged config.json can be rebuilt
    arrays["backend"] = np.array(current_backend())
    if data_sha256 is not None:
        arrays["data_sha256"] = np.array(data_sha256)
    model_vars, opt_vars = model.variables, model.optimizer.variables
    arrays["num_model"], arrays["num_optimizer"] = np.int64(len(model_vars)), np.int64(len(opt_vars))
    for prefix, variables in (("model", model_vars), ("optimizer", opt_vars)):
        for i, v in enumerate(variables):
            arrays[f"{prefix}_{i}"] = keras.ops.convert_to_numpy(v.value)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(Path(run_dir) / CHECKPOINT, buffer.getvalue())


def load_checkpoint(path):
    try:
        with np.load(path, allow_pickle=False) as f:
            checkpoint = {name: f[name] for name in f.files}
        int(checkpoint["epoch"]), checkpoint["history"].reshape(-1, len(HISTORY_COLUMNS))
        return checkpoint
    except Exception as e:  # written atomically, so damage came from outside: any failure to read counts
        raise RunDirError(
            f"the checkpoint {path} is damaged ({type(e).__name__}); delete it to start the run again at epoch 1, or pass --overwrite"
        ) from e


def checkpoint_rows(array):
    return [list(r) for r in np.asarray(array).reshape(-1, len(HISTORY_COLUMNS))]


def restore(model, checkpoint):
    model_vars, opt_vars = model.variables, model.optimizer.variables
    saved_model = [checkpoint[f"model_{i}"] for i in range(int(checkpoint["num_model"]))]
    saved_opt = [checkpoint[f"optimizer_{i}"] for i in range(int(checkpoint["num_optimizer"]))]
    if len(saved_model) != len(model_vars) or any(
        tuple(a.shape) != tuple(v.shape) for a, v in zip(saved_model, model_vars)
    ):
        raise RunDirError("the checkpoint does not fit this model; pass --overwrite to start again")
    for v, value in zip(model_vars, saved_model):
        v.assign(value)
    for v, value in zip(opt_vars, saved_opt):
        v.assign(value)


def save_model(run_dir, model):
    partial = Path(run_dir) / PARTIAL_MODEL
    model.save(partial)
    os.replace(partial, Path(run_dir) / MODEL)
