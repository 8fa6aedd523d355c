"""What every backend's engine shares: the loss read from the logits, batch means, an epoch's result."""

import keras
import numpy as np


class _BatchMean:
    """A per-example loss function as a Loss-like object: ``call`` per example, ``__call__`` the mean."""

    def __init__(self, fn):
        self.call = fn

    def __call__(self, y_true, y_pred):
        return keras.ops.mean(self.call(y_true, y_pred))


def _logits_and_probabilities(model, loss):
    """(a model with outputs [logits, probabilities] sharing ``model``'s layers, the loss on logits),
    or None unless ``model`` ends in a softmax layer and ``loss`` is Keras's sparse cross-entropy on
    probabilities, or ends in a sigmoid layer and ``loss`` is Keras's binary cross-entropy.

    Keras's TensorFlow backend computes those losses from the logits behind the softmax or sigmoid
    (a tensor attribute only that backend has). Its JAX backend clips the probabilities to
    [1e-7, 1 - 1e-7] instead, and the clip's gradient is zero: a network whose softmax saturates in
    its first steps stops learning (the paper's standard network, seed 0, stayed at 20% accuracy on
    JAX). Reading the logits here gives every backend TensorFlow's loss and gradient.
    """
    last = model.layers[-1] if getattr(model, "layers", None) else None
    activation = getattr(last, "activation", None) if isinstance(last, keras.layers.Activation) else None
    is_softmax = (isinstance(last, keras.layers.Softmax) and last.axis == -1) or activation is keras.activations.softmax
    pairs = {
        keras.losses.SparseCategoricalCrossentropy: is_softmax,
        keras.losses.BinaryCrossentropy: activation is keras.activations.sigmoid,
    }
    if not pairs.get(type(loss), False):
        return None
    config = loss.get_config()
    if config.get("from_logits") or config.get("ignore_class") is not None or config.get("label_smoothing"):
        return None
    if len(getattr(model, "outputs", None) or ()) != 1:  # a subclassed model has no graph to cut
        return None
    heads = keras.Model(model.inputs, [last.input, model.outputs[0]])
    for mine, theirs in (
        (heads.trainable_variables, model.trainable_variables),
        (heads.non_trainable_variables, model.non_trainable_variables),
    ):
        if len(mine) != len(theirs) or any(a is not b for a, b in zip(mine, theirs)):
            return None  # the engine's state is the model's variables, in the model's order
    return heads, type(loss).from_config({**config, "from_logits": True})


class EpochResult:
    """What one training epoch did.

    Attributes:
        step_loss: mean minibatch data loss (training mode, so with Dropout on) over the steps run.
        steps: number of SGD steps taken.
        diverged_at: 1-based step whose loss was NaN or infinite (its update is not applied), or None.
    """

    def __init__(self, step_loss, steps, diverged_at):
        self.step_loss, self.steps, self.diverged_at = step_loss, steps, diverged_at

    def __repr__(self):
        return f"EpochResult(step_loss={self.step_loss}, steps={self.steps}, diverged_at={self.diverged_at})"


class Engine:
    """Backend-neutral interface; :func:`make_engine` returns the implementation for the backend."""

    def __init__(
        self, model, batch_size, eval_batch_size=10000, eval_training=False, metric="sparse_categorical_accuracy"
    ):
        if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
            raise ValueError("The model must be compiled with an optimizer and a loss before training.")
        self.model = model
        self.batch_size = int(batch_size)
        self.eval_batch_size = int(eval_batch_size)
        self.eval_training = bool(eval_training)  # evaluate with Dropout on (a diagnostic)
        self.binary = {"sparse_categorical_accuracy": False, "binary_accuracy": True}[metric]
        loss = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
        # A loss given by name is a per-example function; wrap it to average over the batch.
        loss_fn = loss if isinstance(loss, keras.losses.Loss) else _BatchMean(loss)
        # What the step calls: the model, or the model with its logits as a second output.
        heads = _logits_and_probabilities(model, loss)
        self.net, self.loss_fn = heads or (model, loss_fn)
        self.reads_logits = heads is not None
        self.optimizer = model.optimizer
        if not self.optimizer.built:
            self.optimizer.build(model.trainable_variables)

    def loss_input_and_probabilities(self, outputs):
        """What the loss reads and the probabilities, from the outputs of :attr:`net`."""
        return tuple(outputs) if self.reads_logits else (outputs, outputs)

    def steps_per_epoch(self, num_examples):
        return num_examples // self.batch_size

    def correct(self, probabilities, labels):
        """Per example, whether the prediction is right (a bool tensor): the argmax of class
        probabilities, or one sigmoid output thresholded at 0.5."""
        ops = keras.ops
        if self.binary:
            return ops.equal(ops.cast(probabilities > 0.5, "float32"), labels)[:, 0]
        return ops.equal(ops.cast(ops.argmax(probabilities, axis=-1), "int32"), labels)

    def _labels(self, y):
        """Labels as the loss reads them: int32 classes, or float32 (N, 1) targets of one sigmoid."""
        return np.asarray(y, np.float32).reshape(-1, 1) if self.binary else np.asarray(y, np.int32)

    def penalty(self):
        """The current penalty sum_v regularizer(v) over the trainable variables, a float."""
        total = 0.0
        for v in self.model.trainable_variables:
            if getattr(v, "regularizer", None) is not None:
                total += float(keras.ops.convert_to_numpy(v.regularizer(v.value)))
        return total

    def put(self, x, y):
        """Places arrays on the device once: float32 inputs and int32 labels."""
        raise NotImplementedError

    def train_epoch(self, x, y, order, progress=None):
        """Runs SGD over the batches ``order[i*b:(i+1)*b]`` of (x, y); returns an :class:`EpochResult`.

        ``progress``: None (the epoch is one compiled call), or a function called with the number
        of steps done after each of about :data:`PROGRESS_UPDATES` parts of the epoch, each a
        compiled call that carries the running loss sum on: the same arithmetic, step for step
        (tested).
        """
        raise NotImplementedError

    def evaluate(self, x, y):
        """Inference-mode (mean data loss, accuracy) over all of (x, y), in chunks of ``eval_batch_size`` rows."""
        chunk_sums, chunk, n = self._chunk_sums(), self.eval_batch_size, int(x.shape[0])
        loss_sum = correct = 0.0
        for start in range(0, n, chunk):
            chunk_loss, chunk_correct = chunk_sums(x[start : start + chunk], y[start : start + chunk])
            loss_sum, correct = loss_sum + float(chunk_loss), correct + float(chunk_correct)
        return loss_sum / n, correct / n

    def _chunk_sums(self):
        """A function (x chunk, y chunk) -> (sum of losses, number correct) for the current weights."""
        raise NotImplementedError


PROGRESS_UPDATES = 50  # the parts of an epoch whose progress is shown


def step_ranges(steps, progress):
    """[(start, stop)] of an epoch's steps: the whole epoch, or about PROGRESS_UPDATES parts."""
    if progress is None or steps == 0:
        return [(0, steps)]
    size = -(-steps // PROGRESS_UPDATES)
    return [(start, min(start + size, steps)) for start in range(0, steps, size)]


def _epoch_result(total, done, diverged_at):
    done = int(done)
    return EpochResult(float(total) / max(done, 1), done, int(diverged_at) or None)
