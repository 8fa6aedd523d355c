"""One training run: a :class:`~keras_reg.spec.RunSpec` in, a run directory out, for every experiment.

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
* ``model.keras`` (the trained model) and ``logs/`` (TensorBoard), at the end.

Every file is written to a temporary name and renamed, so a kill never leaves half a file.
"""

import csv
import dataclasses
import io
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from keras_reg import files
from keras_reg import spec as run_spec
from keras_reg.checks import ConfigError
from keras_reg.files import atomic_write

__all__ = [
    "HISTORY_COLUMNS",
    "RunDirError",
    "DivergenceError",
    "train_and_evaluate",
    "train_seed_stack",
    "seed_stack_key",
    "read_history",
    "read_spec",
    "epoch_order",
    "build_model",
    "check_writable",
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
END_OF_RUN = ("model.keras", "weights.json")  # written after the last epoch, from the trained model
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


# --------------------------------------------------------------------------------------------------
# Files


def _write_json(path, payload):
    atomic_write(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())


def _write_history(run_dir, rows):
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


def check_writable(run_dir):
    """Raises :class:`RunDirError` unless ``run_dir`` can be created and written to."""
    run_dir = Path(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=run_dir, prefix=".write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise RunDirError(f"cannot write to the output directory {run_dir}: {e.strerror or e}") from e


def _environment():
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


# --------------------------------------------------------------------------------------------------
# The run directory's state


@dataclasses.dataclass
class _State:
    rows: list
    start_epoch: int
    checkpoint: dict | None


def _differences(mine, theirs):
    """'name: theirs there, mine here' for each setting that decides the run and differs."""
    a, b = json.loads(mine.identity()), json.loads(theirs.identity())
    flat = lambda parts: {k: v for part in parts.values() for k, v in part.items()}  # noqa: E731
    a, b = flat(a), flat(b)
    return [f"{k}: {b.get(k)!r} there, {a.get(k)!r} here" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _spec_of_checkpoint(checkpoint):
    """The spec a checkpoint recorded (None for checkpoints written before they recorded it)."""
    if checkpoint is None or "spec" not in checkpoint:
        return None
    try:
        return run_spec.from_record(json.loads(str(checkpoint["spec"])))
    except (ValueError, KeyError, TypeError):
        return None


def _clear(run_dir):
    for name in (
        "history.csv",
        CHECKPOINT,
        DIVERGENCE,
        STOPPED,
        "model.keras",
        "config.json",
        "weights.json",
        "dropout.json",
        "stochastic_depth.json",
    ):
        (run_dir / name).unlink(missing_ok=True)
    shutil.rmtree(run_dir / "logs", ignore_errors=True)


def _load_checkpoint(path):
    try:
        with np.load(path, allow_pickle=False) as f:
            checkpoint = {name: f[name] for name in f.files}
        int(checkpoint["epoch"]), checkpoint["history"].reshape(-1, len(HISTORY_COLUMNS))
        return checkpoint
    except Exception as e:  # written atomically, so damage came from outside: any failure to read counts
        raise RunDirError(
            f"the checkpoint {path} is damaged ({type(e).__name__}); delete it to start the run again at epoch 1, or pass --overwrite"
        ) from e


def _rows(array):
    return [list(r) for r in np.asarray(array).reshape(-1, len(HISTORY_COLUMNS))]


def _prepare(run_dir, config, overwrite, log):
    """The state the run starts from. Every file read is checked: a damaged one is rebuilt from an
    intact checkpoint where it can be (config.json, history.csv) and otherwise reported in one line
    naming it and what to do. The caller has checked that ``run_dir`` is writable and locked it."""
    checkpoint_path = run_dir / CHECKPOINT
    if overwrite:
        _clear(run_dir)
        return _State([], 0, None)
    checkpoint = _load_checkpoint(checkpoint_path) if checkpoint_path.exists() else None
    in_checkpoint = _spec_of_checkpoint(checkpoint)
    try:
        existing = read_spec(run_dir)
    except RunDirError:
        if in_checkpoint is None:
            raise
        log(f"{run_dir}: config.json is damaged; rebuilt from the checkpoint")
        existing = in_checkpoint
        _write_json(run_dir / "config.json", {"spec": existing.to_dict(), "environment": _environment()})
    if existing is None and in_checkpoint is not None:
        log(f"{run_dir}: config.json is missing; rebuilt from the checkpoint")
        existing = in_checkpoint
        _write_json(run_dir / "config.json", {"spec": existing.to_dict(), "environment": _environment()})
    if existing is not None and in_checkpoint is not None and in_checkpoint.identity() != existing.identity():
        raise RunDirError(
            f"{run_dir}: its checkpoint belongs to another run than its config.json "
            f"({'; '.join(_differences(existing, in_checkpoint))}; checkpoint there, config.json here); "
            "delete the one that is not this run's, or pass --overwrite to start again"
        )
    if checkpoint is not None and "backend" in checkpoint and str(checkpoint["backend"]) != _backend():
        raise RunDirError(
            f"{run_dir} was trained on the {checkpoint['backend']} backend and this process runs {_backend()}; "
            f"resume it with KERAS_BACKEND={checkpoint['backend']}, or pass --overwrite to start again"
        )
    if existing is not None:
        diffs = _differences(config, existing)
        if existing.epochs > config.epochs:
            diffs.append(f"epochs: {existing.epochs} there, {config.epochs} here")
        if diffs:
            raise RunDirError(
                f"{run_dir} holds a run with a different configuration ({'; '.join(diffs)}); "
                "choose another directory or pass --overwrite to replace it"
            )
    elif checkpoint is not None:
        # Without config.json (and a checkpoint of the time before it recorded its spec) nothing
        # shows that the checkpoint belongs to this configuration, so it is not resumed.
        log(
            f"{run_dir}: a checkpoint without config.json cannot be matched to this configuration; starting again at epoch 1"
        )
        _clear(run_dir)
        checkpoint = None
    if checkpoint is not None:
        rows = _rows(checkpoint["history"])
        try:  # the checkpoint is the truth: the history must be its rows, value for value
            history = read_history(run_dir)
            intact = len(history["epoch"]) == len(rows) and all(
                np.array_equal(history[c], [r[i] for r in rows]) for i, c in enumerate(HISTORY_COLUMNS)
            )
        except RunDirError:
            intact = False
        if not intact:
            log(
                f"{run_dir}: history.csv is damaged, missing or differs from the checkpoint; rebuilt from the checkpoint"
            )
            _write_history(run_dir, rows)
        return _State(rows, int(checkpoint["epoch"]), checkpoint)
    history = read_history(run_dir)
    rows = [list(r) for r in zip(*(history[c] for c in HISTORY_COLUMNS))] if len(history["epoch"]) else []
    if rows and existing is None:
        raise RunDirError(
            f"{run_dir / 'history.csv'} has no config.json beside it, so nothing shows which run it records; delete it or pass --overwrite"
        )
    rows = [r for r in rows if r[0] <= config.epochs]
    if rows and rows[-1][0] >= config.epochs:
        return _State(rows, config.epochs, None)  # finished (e.g. committed results)
    if rows:
        log(f"{run_dir}: {len(rows)} epochs of history but no checkpoint to resume from; starting again at epoch 1")
    return _State([], 0, None)


# --------------------------------------------------------------------------------------------------
# Training


def epoch_order(seed, epoch, num_examples):
    """The order of the training examples in ``epoch`` (1-based): a function of (seed, epoch) only."""
    return np.random.default_rng([seed, epoch]).permutation(num_examples).astype(np.int32)


def build_model(spec, steps_per_epoch=1):
    """The compiled model of a run spec: its builder's model, optimizer, schedule and loss."""
    import keras

    from keras_reg import losses, models

    model = models.BUILDERS[spec.model].build(spec.builder_args, spec.seed, spec.precision)
    rate = spec.learning_rate
    if spec.schedule == "step":  # PyTorch's StepLR, in steps
        rate = keras.optimizers.schedules.ExponentialDecay(
            rate, spec.lr_step_epochs * steps_per_epoch, spec.lr_gamma, staircase=True
        )
    decay = {"weight_decay": spec.weight_decay} if spec.weight_decay > 0 else {}
    optimizer = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[spec.optimizer](
        learning_rate=rate, **decay
    )
    model.compile(optimizer=optimizer, loss=losses.get(spec.loss))
    return model


def _restore(model, checkpoint):
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


def _backend():
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


def _save_checkpoint(run_dir, model, epoch, rows, spec, data_sha256=None):
    import keras

    arrays = {
        "epoch": np.int64(epoch),
        "history": np.array(rows, dtype=np.float64).reshape(len(rows), len(HISTORY_COLUMNS)),
    }
    arrays["spec"] = np.array(json.dumps({"spec": spec.to_dict()}))  # so that a damaged config.json can be rebuilt
    arrays["backend"] = np.array(_backend())
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


def _save_model(run_dir, model):
    partial = Path(run_dir) / PARTIAL_MODEL
    model.save(partial)
    os.replace(partial, Path(run_dir) / "model.keras")


# A history row as Keras's own fit() names its logs: the training set's as loss/accuracy, the
# test set's as val_loss/val_accuracy, so that EarlyStopping's default monitor and TensorBoard's
# train/validation charts work as they do with fit().
KERAS_LOGS = {
    "train_loss": "loss",
    "train_accuracy": "accuracy",
    "test_loss": "val_loss",
    "test_accuracy": "val_accuracy",
}


def epoch_logs(row):
    """The logs a callback's ``on_epoch_end`` gets: the history row (:data:`HISTORY_COLUMNS` but
    the epoch) and the same values under Keras's names (:data:`KERAS_LOGS`)."""
    logs = dict(zip(HISTORY_COLUMNS[1:], (float(v) for v in row[1:])))
    return {**logs, **{keras_name: logs[name] for name, keras_name in KERAS_LOGS.items()}}


def hparams_of(config, meta=None):
    """A run's settings as flat scalars (the spec, its model and data arguments, the experiment,
    case and protocol), as TensorBoard's HParams dashboard takes them."""
    record = config.to_dict()
    flat = {k: v for k, v in record.items() if not isinstance(v, dict)}
    for part in ("model_args", "data_args"):
        flat.update(record.get(part, {}))
    flat.update({k: v for k, v in (meta or {}).items() if k in ("experiment", "case", "protocol")})
    return {k: v for k, v in flat.items() if isinstance(v, (bool, int, float, str))}


def _write_hparams(log_dir, hparams):
    """The run's settings for TensorBoard's HParams dashboard, so a sweep's runs can be compared."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    with tf.summary.create_file_writer(str(log_dir / "hparams")).as_default():
        hp.hparams(hparams)


def _callbacks(run_dir, model, extra, log, hparams):
    import keras

    callbacks = list(extra)
    try:
        import tensorflow  # noqa: F401  (TensorBoard's event files are written with tf.summary)

        callbacks.append(
            _keras_names_only(keras.callbacks.TensorBoard(log_dir=str(Path(run_dir) / "logs"), write_graph=False))
        )
        _write_hparams(Path(run_dir) / "logs", hparams)
    except ImportError:
        log("TensorFlow is not installed: no TensorBoard logs for this run")
    return keras.callbacks.CallbackList(callbacks, model=model)


def _keras_names_only(callback):
    """``callback`` fed only Keras's names and the penalty (TensorBoard: ``logs/train`` and
    ``logs/validation`` hold the same tags, so each chart overlays the training and test curves)."""
    import keras

    class KerasNamesOnly(keras.callbacks.Callback):
        def set_model(self, model):
            callback.set_model(model)

        def on_train_begin(self, logs=None):
            callback.on_train_begin(logs)

        def on_epoch_begin(self, epoch, logs=None):
            callback.on_epoch_begin(epoch, logs)

        def on_epoch_end(self, epoch, logs=None):
            keep = set(KERAS_LOGS.values()) | {"penalty"}
            callback.on_epoch_end(epoch, {k: v for k, v in (logs or {}).items() if k in keep})

        def on_train_end(self, logs=None):
            callback.on_train_end(logs)

    return KerasNamesOnly()


def _subset(datasets, config):
    (x_train, y_train), (x_test, y_test) = datasets
    for name, wanted, available in (
        ("train_examples", config.train_examples, len(x_train)),
        ("test_examples", config.test_examples, len(x_test)),
    ):
        if wanted is not None and wanted > available:
            raise ConfigError(name, wanted, f"at most the {available} examples available")
    n, m = config.train_examples or len(x_train), config.test_examples or len(x_test)
    return (x_train[:n], np.asarray(y_train[:n])), (x_test[:m], np.asarray(y_test[:m]))


def _progress(config, row):
    epoch, train_loss, train_acc, test_loss, test_acc, penalty, _, seconds = row
    width = len(str(config.epochs))
    return (
        f"epoch {int(epoch):{width}d}/{config.epochs}  train loss {train_loss:.4f} acc {100 * train_acc:6.2f}%  "
        f"test loss {test_loss:.4f} acc {100 * test_acc:6.2f}%  penalty {penalty:.4f}  {seconds:5.2f} s"
    )


def _divergence(run_dir, config, epoch, step, what):
    message = (
        f"training diverged at epoch {epoch}, step {step}: {what}. The {epoch - 1} completed epoch(s) are kept "
        f"in {run_dir}. Try a smaller --learning_rate (now {config.learning_rate})"
        + (f" or a smaller --alpha (now {config.builder_args['alpha']})" if config.builder_args.get("alpha") else "")
        + "."
    )
    _write_json(Path(run_dir) / DIVERGENCE, {"epoch": epoch, "step": step, "reason": what, "message": message})
    return DivergenceError(message, epoch, step)


class _Run:
    """One run directory being trained: its state, model and callbacks, and what an epoch records."""

    def __init__(self, config, run_dir, overwrite, log, meta=None):
        self.config, self.run_dir, self.log, self.meta = config, Path(run_dir), log, dict(meta or {})
        self.data_sha256 = None
        check_writable(self.run_dir)
        try:  # held until release(): a second process refused at once, before any data is loaded
            self.lock = files.acquire_lock(self.run_dir / LOCK)
        except files.NotALock as e:
            raise RunDirError(str(e)) from None
        except files.Locked as e:
            raise RunLockedError(
                f"{self.run_dir} is in use by process {e.holder or '(unknown)'}, which is training there; wait for it to finish or choose another directory",
                e.holder,
            ) from None
        try:
            self.state = _prepare(self.run_dir, self.config, overwrite, log)
        except BaseException:
            self.release()
            raise
        self.stopped, self.user_callbacks = None, []
        for leftover in [*self.run_dir.glob(".*.tmp"), self.run_dir / PARTIAL_MODEL]:  # from a kill mid-write
            leftover.unlink(missing_ok=True)
        self.finished = self.state.start_epoch >= self.config.epochs or (self.run_dir / STOPPED).exists()
        # Finished means every end-of-run file is there: a kill while the model or the measurements
        # were written leaves the checkpoint, from which the rerun completes them.
        self.incomplete = (
            self.finished
            and self.state.checkpoint is not None
            and not all((self.run_dir / name).exists() for name in END_OF_RUN)
        )
        if self.incomplete:
            log(f"{self.run_dir}: trained, but its {' and '.join(END_OF_RUN)} were not all written; completing them")
        elif self.state.start_epoch >= self.config.epochs:
            log(f"{self.run_dir}: already finished ({self.config.epochs} epochs)")
        elif self.finished:
            log(
                f"{self.run_dir}: stopped early by a callback after epoch {self.state.start_epoch} ({STOPPED}); "
                "delete that file to train on, or pass --overwrite to start again"
            )

    def release(self):
        files.release_lock(self.lock)
        self.lock = None

    def stats(self, trained):
        rows = self.state.rows
        final = dict(zip(HISTORY_COLUMNS, rows[-1])) if rows else {}
        stopped = (self.run_dir / STOPPED).exists()
        return {
            "run_dir": str(self.run_dir),
            "epochs": int(rows[-1][0]) if rows else 0,
            "resumed_from": self.state.start_epoch,
            "trained": trained,
            "stopped": stopped,
            "final": final,
        }

    def build(self, x_train):
        """The run's model, built under its seed (:meth:`begin` restores its checkpoint)."""
        import keras

        keras.utils.set_random_seed(self.config.seed)
        self.model = build_model(self.config, len(x_train) // self.batch_size(len(x_train)))
        wanted, given = tuple(self.model.input_shape[1:]), tuple(x_train.shape[1:])
        if wanted != given:
            raise ConfigError(
                "dataset",
                self.config.dataset,
                f"a data set of inputs {wanted} for model {self.config.model} (it gives {given})",
            )
        return self.model

    def batch_size(self, num_examples):
        return self.config.batch_size or num_examples  # 0: full batch

    def check_data(self, datasets, digest=None):
        """Records the digest of the run's arrays (config.json, checkpoint); refuses to resume a
        checkpoint that recorded other data (another copy, order or subset)."""
        self.data_sha256 = digest or data_digest(datasets)
        self.meta["data"] = {"sha256": self.data_sha256, "source": self.config.data_source}
        checkpoint = self.state.checkpoint
        if (
            checkpoint is not None
            and "data_sha256" in checkpoint
            and str(checkpoint["data_sha256"]) != self.data_sha256
        ):
            raise RunDirError(
                f"{self.run_dir} was trained on other data than this run is given (sha256 {str(checkpoint['data_sha256'])[:12]}... "
                f"there, {self.data_sha256[:12]}... here: another copy or order of the data set); give it the data it "
                "was trained on, or pass --overwrite to start again"
            )

    def begin(self, callbacks=()):
        if self.state.checkpoint is not None:
            _restore(self.model, self.state.checkpoint)
            self.log(f"{self.run_dir}: resuming after epoch {self.state.start_epoch}")
        _write_json(
            self.run_dir / "config.json", {"spec": self.config.to_dict(), **self.meta, "environment": _environment()}
        )
        (self.run_dir / DIVERGENCE).unlink(missing_ok=True)
        self.model.stop_training = False
        self.user_callbacks = [type(c).__name__ for c in callbacks]
        self.callbacks = _callbacks(self.run_dir, self.model, callbacks, self.log, hparams_of(self.config, self.meta))
        self.callbacks.on_train_begin()

    def epochs(self):
        """The epochs after which a row is recorded, from where the run stands."""
        every = self.config.eval_every
        if self.finished:  # only its end-of-run files to complete
            return range(0)
        return range(self.state.start_epoch + every, self.config.epochs + 1, every)

    def begin_epoch(self, epoch, num_examples):
        """Tells the callbacks; returns the order of the training examples of the epochs up to
        ``epoch`` since the last row (each epoch's a function of (seed, epoch), cut to whole batches)."""
        self.callbacks.on_epoch_begin(epoch - 1)
        passes = range(epoch - self.config.eval_every + 1, epoch + 1)
        if self.config.batch_size == 0:  # full-batch gradient descent: every step sees the set in its order
            return np.tile(np.arange(num_examples, dtype=np.int32), len(passes))
        # Each pass its own whole batches, as with an evaluation after every pass: how often the run
        # is evaluated does not change what it trains on.
        usable = num_examples // self.config.batch_size * self.config.batch_size
        return np.concatenate([epoch_order(self.config.seed, p, num_examples)[:usable] for p in passes])

    def check_steps(self, epoch, result):
        """Raises DivergenceError (and writes divergence.json) if the epoch's steps diverged."""
        if result.diverged_at is not None:
            raise _divergence(
                self.run_dir, self.config, epoch, result.diverged_at, "the minibatch loss became NaN or infinite"
            )

    def end_epoch(self, epoch, result, train, test, penalty, seconds):
        """Records the epoch (checkpoint, history, callbacks, progress line); raises DivergenceError
        if a loss after it is NaN or infinite."""
        row = [epoch, *train, *test, penalty, result.step_loss, seconds]
        if not all(math.isfinite(v) for v in row):
            raise _divergence(
                self.run_dir, self.config, epoch, result.steps, "the loss after the epoch is NaN or infinite"
            )
        self.state.rows.append(row)
        _save_checkpoint(self.run_dir, self.model, epoch, self.state.rows, self.config, self.data_sha256)
        _write_history(self.run_dir, self.state.rows)
        self.callbacks.on_epoch_end(epoch - 1, epoch_logs(row))
        self.log(_progress(self.config, row))
        if getattr(self.model, "stop_training", False):
            self.stopped = {
                "epoch": int(epoch),
                "reason": "a callback set model.stop_training",
                "callbacks": self.user_callbacks,
            }
            _write_json(self.run_dir / STOPPED, self.stopped)
            self.log(
                f"{self.run_dir}: a callback ({', '.join(self.user_callbacks)}) stopped the run after epoch {epoch} of {self.config.epochs}"
            )
        return self.stopped is None

    def finish(self, test=None):
        """Saves the model and the measurements of the paper's conclusions (``weights.json``; and
        ``dropout.json`` for an MLP with Dropout and ``stochastic_depth.json`` for a model with
        StochasticDepth, on the test set ``test``)."""
        from keras_reg import claims

        _save_model(self.run_dir, self.model)
        _write_json(self.run_dir / "weights.json", claims.weight_summary(self.model))
        if test is not None and self.config.metric == "sparse_categorical_accuracy" and claims.is_mlp(self.model):
            check = claims.dropout_check(self.model, *test)
            if check is not None:
                _write_json(self.run_dir / "dropout.json", check)
        if test is not None and self.config.metric == "sparse_categorical_accuracy":
            check = claims.stochastic_depth_check(self.model, *test)
            if check is not None:
                _write_json(self.run_dir / "stochastic_depth.json", check)
        self.callbacks.on_train_end()
        return self.stats(True)


def load_data(spec, raw=None):
    """The prepared (x, y) arrays of a spec's data set, cut to its train/test examples; ``raw``
    (the data set's fetched arrays, e.g. MNIST in the layout of ``keras.datasets.mnist``) skips
    the fetch."""
    from keras_reg import data

    return _subset(data.DATASETS[spec.dataset].load(spec.data_source, spec.dataset_args, raw, spec.seed), spec)


def train_and_evaluate(config, run_dir, datasets=None, overwrite=False, callbacks=(), log=print, meta=None):
    """Trains the run of a spec and records it in ``run_dir``; resumes a partial run.

    Args:
        config: a :class:`~keras_reg.spec.RunSpec`.
        run_dir: the run directory (created if needed).
        datasets: optional raw arrays of the spec's data set (for MNIST ``(x_train, y_train),
            (x_test, y_test)`` in the layout of ``keras.datasets.mnist``) to use instead of
            fetching them (a hook for tests and your own data).
        meta: what to record beside the spec in config.json (experiment, case, protocol).
        overwrite: replace a run directory that holds a run with another configuration.
        callbacks: extra Keras callbacks. The trainer calls ``on_train_begin``, then per epoch
            ``on_epoch_begin(epoch)`` and ``on_epoch_end(epoch, logs)`` (0-based epochs, as in
            ``fit``), then ``on_train_end``; no batch hooks (an epoch's steps run as one compiled
            loop). ``logs`` is the history row (train_loss, train_accuracy, test_loss,
            test_accuracy, penalty, step_loss, seconds) and the same values under Keras's names
            (loss, accuracy, val_loss, val_accuracy), so ``EarlyStopping()`` monitors the test
            loss. A callback that sets ``model.stop_training`` ends the run after that epoch:
            ``stopped.json`` records when, the model is saved, and a rerun keeps it stopped.
            (A NaN or infinite loss needs no callback: the trainer stops with DivergenceError.)
        log: where progress lines go.

    Returns:
        A dict: ``run_dir``, ``epochs`` (completed), ``resumed_from`` (the epoch training started
        after), ``trained`` (whether any epoch ran now) and ``final`` (the last history row as a dict).

    Raises:
        ConfigError: a setting is out of range (before anything is loaded or built).
        RunDirError: the directory is unwritable or holds a different run.
        DivergenceError: the loss became NaN or infinite.
        keras_reg.data.DataError: MNIST could not be had.
    """
    run = _Run(config, run_dir, overwrite, log, meta)
    try:
        return _train(run, datasets, callbacks)
    finally:
        run.release()


def _train(run, datasets, callbacks):
    if run.finished and not run.incomplete:
        return run.stats(False)
    (x_train, y_train), (x_test, y_test) = load_data(run.config, datasets)
    run.check_data(((x_train, y_train), (x_test, y_test)))

    from keras_reg import engine

    model = run.build(x_train)
    trainer = engine.make_engine(
        model, run.batch_size(len(x_train)), metric=run.config.metric, eval_training=run.config.eval_dropout
    )
    run.begin(callbacks)
    x, y = trainer.put(x_train, y_train)
    xt, yt = trainer.put(x_test, y_test)
    for epoch in run.epochs():
        start = time.perf_counter()
        result = trainer.train_epoch(x, y, run.begin_epoch(epoch, len(x_train)))
        run.check_steps(epoch, result)
        train, test, penalty = trainer.evaluate(x, y), trainer.evaluate(xt, yt), trainer.penalty()
        if not run.end_epoch(epoch, result, train, test, penalty, time.perf_counter() - start):
            break
    return run.finish((x_test, y_test))


def seed_stack_key(config):
    """What the runs of one seed stack share: every setting that decides the run but its seed."""
    return dataclasses.replace(config, seed=0).identity()


def train_seed_stack(configs, run_dirs, datasets=None, log=print, labels=None, metas=None):
    """Trains runs that differ only in their seed as one computation (:class:`keras_reg.engine.SeedStack`,
    JAX backend), each into its own run directory, with the files and resumption of
    :func:`train_and_evaluate`; returns the list of their stats. Each run's lines reach ``log``
    prefixed by its label (default: its run directory).

    Runs resumed from different epochs train as separate stacks, one after another; finished runs
    are left as they are. Every run's ``seconds`` column is the wall time of the stack's epoch. A run
    that diverges stops (its history and ``divergence.json`` kept) while the others of its stack
    finish; no further stack begins, and the first :class:`DivergenceError` is raised.
    """
    if len(run_dirs) != len(configs):
        raise ValueError(f"train_seed_stack needs one run directory per config ({len(configs)}); got {len(run_dirs)}")
    if len({seed_stack_key(c) for c in configs}) > 1:
        raise ValueError("train_seed_stack trains configurations that differ only in their seed")
    labels = [str(d) for d in run_dirs] if labels is None else labels
    metas = [None] * len(configs) if metas is None else metas
    runs = [
        _Run(c, d, False, lambda line, label=label: log(f"{label} | {line}"), m)
        for c, d, label, m in zip(configs, run_dirs, labels, metas)
    ]
    try:
        stats = {id(run): run.stats(False) for run in runs if run.finished and not run.incomplete}
        waiting = [run for run in runs if id(run) not in stats]
        if waiting:
            data = load_data(waiting[0].config, datasets)
            failures = []
            for start_epoch in sorted({run.state.start_epoch for run in waiting}):
                if failures:  # as in run_grid: after a failure, nothing new begins
                    break
                together = [run for run in waiting if run.state.start_epoch == start_epoch]
                stats.update(_train_together(together, data, failures))
            if failures:
                raise failures[0]
        return [stats[id(run)] for run in runs]
    finally:
        for run in runs:
            run.release()


def _train_together(runs, datasets, failures):
    """{id(run): stats} of ``runs`` (all resuming after the same epoch) trained as one SeedStack;
    the DivergenceError of each run that diverged is appended to ``failures``."""
    from keras_reg import engine

    (x_train, y_train), (x_test, y_test) = datasets
    stack = engine.SeedStack(
        [run.build(x_train) for run in runs], runs[0].batch_size(len(x_train)), metric=runs[0].config.metric
    )
    digest = data_digest(datasets)  # the stack's runs share the arrays: hashed once
    for run in runs:
        run.check_data(datasets, digest)
        run.begin()
    x, y = stack.put(x_train, y_train)
    xt, yt = stack.put(x_test, y_test)
    live, stats = list(range(len(runs))), {}
    for epoch in runs[0].epochs():
        if not live:
            break
        start = time.perf_counter()
        # A run that diverged stays in the stack (its state is no longer recorded), on any order.
        orders = {k: run.begin_epoch(epoch, len(x_train)) for k, run in enumerate(runs) if k in live}
        idle = np.arange(len(next(iter(orders.values())))) % len(x_train)
        orders = [orders.get(k, idle) for k in range(len(runs))]
        results = stack.train_epoch(x, y, orders)
        # Only the live runs are evaluated: a diverged run's numbers would not be recorded.
        train, test, penalties = stack.evaluate(x, y, live), stack.evaluate(xt, yt, live), stack.penalties(live)
        seconds = time.perf_counter() - start
        for k, train_k, test_k, penalty_k in zip(list(live), train, test, penalties):
            try:
                runs[k].check_steps(epoch, results[k])
                runs[k].end_epoch(epoch, results[k], train_k, test_k, penalty_k, seconds)
            except DivergenceError as error:
                failures.append(error)
                live.remove(k)
    for k in live:
        stats[id(runs[k])] = runs[k].finish((x_test, y_test))
    return stats
