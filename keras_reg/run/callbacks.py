"""What the trainer hands Keras callbacks: a history row under Keras's own log names, and the
TensorBoard callback that overlays the training and test curves, with the run's settings as HParams.
"""

from pathlib import Path

from keras_reg.run.rundir import HISTORY_COLUMNS

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


def callback_list(run_dir, model, extra, log, hparams):
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
