"""One training run: a :class:`~keras_reg.run.spec.RunSpec` in, a run directory
(:mod:`keras_reg.run.rundir`) out, for every experiment; resumed from its checkpoint to the same
history after a kill (:mod:`keras_reg.run.resume`). The epochs run in the compiled engine
(:mod:`keras_reg.run.engine`); at the end the model is saved and its builder's measurements
written.
"""

import math
import sys
import time
from pathlib import Path

import numpy as np

from keras_reg.checks import ConfigError
from keras_reg.run import engine, registry, rundir
from keras_reg.run.callbacks import callback_list, epoch_logs, hparams_of
from keras_reg.run.registry import load_data
from keras_reg.run.resume import prepare
from keras_reg.run.rundir import (
    DIVERGENCE,
    HISTORY_COLUMNS,
    MODEL,
    PARTIAL_MODEL,
    STOPPED,
    DivergenceError,
    RunDirError,
    check_writable,
    data_digest,
    environment,
    restore,
    save_checkpoint,
    save_model,
    write_history,
    write_json,
)

__all__ = ["train_and_evaluate", "build_model", "epoch_order", "load_data"]


def epoch_order(seed, epoch, num_examples):
    """The order of the training examples in ``epoch`` (1-based): a function of (seed, epoch) only."""
    return np.random.default_rng([seed, epoch]).permutation(num_examples).astype(np.int32)


def build_model(spec, steps_per_epoch=1):
    """The compiled model of a run spec: its builder's model, optimizer, schedule and loss."""
    import keras

    from keras_reg import losses

    model = registry.BUILDERS[spec.model].build(spec.builder_args, spec.seed, spec.precision)
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


def _progress(config, row):
    epoch, train_loss, train_acc, test_loss, test_acc, penalty, _, seconds = row
    width = len(str(config.epochs))
    return (
        f"epoch {int(epoch):{width}d}/{config.epochs}  train loss {train_loss:.4f} acc {100 * train_acc:6.2f}%  "
        f"test loss {test_loss:.4f} acc {100 * test_acc:6.2f}%  penalty {penalty:.4f}  {seconds:5.2f} s"
    )


class _EpochProgress:
    """A Keras Progbar of an epoch's steps on the terminal, erased before the epoch's line."""

    def __init__(self, steps):
        import keras

        self.bar = keras.utils.Progbar(steps, unit_name="step")

    def __call__(self, done):
        self.bar.update(done, finalize=False)

    def close(self):
        sys.stdout.write("\r\033[K")  # the line the bar was drawn on, erased
        sys.stdout.flush()


def _shows_progress(progress, log):
    """Whether epochs show their progress: as asked, or (None) where lines go to print on a terminal."""
    if progress is not None:
        return bool(progress)
    return log is print and hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


def _divergence(run_dir, config, epoch, step, what):
    message = (
        f"training diverged at epoch {epoch}, step {step}: {what}. The {epoch - 1} completed epoch(s) are kept "
        f"in {run_dir}. Try a smaller --learning_rate (now {config.learning_rate})"
        + (f" or a smaller --alpha (now {config.builder_args['alpha']})" if config.builder_args.get("alpha") else "")
        + "."
    )
    write_json(Path(run_dir) / DIVERGENCE, {"epoch": epoch, "step": step, "reason": what, "message": message})
    return DivergenceError(message, epoch, step)


class _Run:
    """One run directory being trained: its state, model and callbacks, and what an epoch records."""

    def __init__(self, config, run_dir, overwrite, log, meta=None, allow_backend_change=False):
        self.config, self.run_dir, self.log, self.meta = config, Path(run_dir), log, dict(meta or {})
        self.data_sha256 = None
        check_writable(self.run_dir)
        self.lock = rundir.lock(self.run_dir)  # held until release(): a second process is refused at once
        try:
            self.state = prepare(self.run_dir, self.config, overwrite, log, allow_backend_change)
        except BaseException:
            self.release()
            raise
        changes = rundir.read_record(self.run_dir).get("backend_changes", [])
        changes += [self.state.backend_change] if self.state.backend_change else []
        if changes:  # every change of backend this run has had, kept by each rewrite of config.json
            self.meta["backend_changes"] = changes
        self.stopped, self.user_callbacks = None, []
        for leftover in [*self.run_dir.glob(".*.tmp"), self.run_dir / PARTIAL_MODEL]:  # from a kill mid-write
            leftover.unlink(missing_ok=True)
        self.finished = self.state.start_epoch >= self.config.epochs or (self.run_dir / STOPPED).exists()
        # Finished means the model is saved, which the end of a run does last: a kill while the
        # measurements or the model were written leaves the checkpoint, from which the rerun completes them.
        self.incomplete = self.finished and self.state.checkpoint is not None and not (self.run_dir / MODEL).exists()
        if self.incomplete:
            log(f"{self.run_dir}: trained, but its measurements and {MODEL} were not all written; completing them")
        elif self.state.start_epoch >= self.config.epochs:
            log(f"{self.run_dir}: already finished ({self.config.epochs} epochs)")
        elif self.finished:
            log(
                f"{self.run_dir}: stopped early by a callback after epoch {self.state.start_epoch} ({STOPPED}); "
                "delete that file to train on, or pass --overwrite to start again"
            )

    def release(self):
        rundir.unlock(self.lock)
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
            restore(self.model, self.state.checkpoint)
            self.log(f"{self.run_dir}: resuming after epoch {self.state.start_epoch}")
        write_json(
            self.run_dir / "config.json", {"spec": self.config.to_dict(), **self.meta, "environment": environment()}
        )
        (self.run_dir / DIVERGENCE).unlink(missing_ok=True)
        self.model.stop_training = False
        self.user_callbacks = [type(c).__name__ for c in callbacks]
        self.callbacks = callback_list(
            self.run_dir, self.model, callbacks, self.log, hparams_of(self.config, self.meta)
        )
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
        save_checkpoint(self.run_dir, self.model, epoch, self.state.rows, self.config, self.data_sha256)
        write_history(self.run_dir, self.state.rows)
        self.callbacks.on_epoch_end(epoch - 1, epoch_logs(row))
        self.log(_progress(self.config, row))
        if getattr(self.model, "stop_training", False):
            self.stopped = {
                "epoch": int(epoch),
                "reason": "a callback set model.stop_training",
                "callbacks": self.user_callbacks,
            }
            write_json(self.run_dir / STOPPED, self.stopped)
            self.log(
                f"{self.run_dir}: a callback ({', '.join(self.user_callbacks)}) stopped the run after epoch {epoch} of {self.config.epochs}"
            )
        return self.stopped is None

    def finish(self, test=None):
        """Writes the measurements its builder declares (on the test set ``test``), then the model."""
        if test is not None:
            for name, measure in registry.BUILDERS[self.config.model].measurements:
                result = measure(self.model, test)
                if result is not None:
                    write_json(self.run_dir / name, result)
        save_model(self.run_dir, self.model)
        self.callbacks.on_train_end()
        return self.stats(True)


def train_and_evaluate(
    config,
    run_dir,
    datasets=None,
    overwrite=False,
    callbacks=(),
    log=print,
    meta=None,
    allow_backend_change=False,
    progress=None,
):
    """Trains the run of a spec and records it in ``run_dir``; resumes a partial run.

    Args:
        config: a :class:`~keras_reg.spec.RunSpec`.
        run_dir: the run directory (created if needed).
        datasets: optional raw arrays of the spec's data set (for MNIST ``(x_train, y_train),
            (x_test, y_test)`` in the layout of ``keras.datasets.mnist``) to use instead of
            fetching them (a hook for tests and your own data).
        meta: what to record beside the spec in config.json (experiment, case, protocol).
        overwrite: replace a run directory that holds a run with another configuration.
        allow_backend_change: resume a checkpoint written on another Keras backend (refused
            otherwise); config.json's ``backend_changes`` records after which epoch it changed.
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
        progress: a progress bar of each epoch's steps (Keras's Progbar): None shows it where
            ``log`` is ``print`` and standard output is a terminal. The epoch then runs as about
            50 compiled calls instead of one, with the same arithmetic (tested).

    Returns:
        A dict: ``run_dir``, ``epochs`` (completed), ``resumed_from`` (the epoch training started
        after), ``trained`` (whether any epoch ran now) and ``final`` (the last history row as a dict).

    Raises:
        ConfigError: a setting is out of range (before anything is loaded or built).
        RunDirError: the directory is unwritable or holds a different run.
        DivergenceError: the loss became NaN or infinite.
        keras_reg.data.DataError: MNIST could not be had.
    """
    run = _Run(config, run_dir, overwrite, log, meta, allow_backend_change)
    try:
        return _train(run, datasets, callbacks, _shows_progress(progress, log))
    finally:
        run.release()


def _train(run, datasets, callbacks, show_progress):
    if run.finished and not run.incomplete:
        return run.stats(False)
    (x_train, y_train), (x_test, y_test) = load_data(run.config, datasets)
    run.check_data(((x_train, y_train), (x_test, y_test)))

    model = run.build(x_train)
    trainer = engine.make_engine(
        model, run.batch_size(len(x_train)), metric=run.config.metric, eval_training=run.config.eval_dropout
    )
    run.begin(callbacks)
    x, y = trainer.put(x_train, y_train)
    xt, yt = trainer.put(x_test, y_test)
    for epoch in run.epochs():
        start = time.perf_counter()
        order = run.begin_epoch(epoch, len(x_train))
        bar = _EpochProgress(trainer.steps_per_epoch(len(order))) if show_progress else None
        try:
            result = trainer.train_epoch(x, y, order, bar)
        finally:
            if bar is not None:
                bar.close()
        run.check_steps(epoch, result)
        train, test, penalty = trainer.evaluate(x, y), trainer.evaluate(xt, yt), trainer.penalty()
        if not run.end_epoch(epoch, result, train, test, penalty, time.perf_counter() - start):
            break
    return run.finish((x_test, y_test))
