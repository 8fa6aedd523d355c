"""A compiled training epoch and evaluation for a compiled Keras model: the fast path of issue 5.

Keras's ``fit`` pays Python and input-pipeline costs at every batch of 100. Here one call runs a
whole epoch inside the backend's compiler, with the data resident on the device and the batch
order given as an index array:

* TensorFlow: a ``tf.function`` graph loops over the batches. The weight update (gradient of the
  penalty + SGD step) is one XLA cluster per step, so each weight matrix is read and written once
  per step instead of once per elementwise op. The rest is not XLA-compiled: on the CPU, XLA's
  random-number expansion made Dropout about 8x slower, while TensorFlow's own Philox kernel is fast
  (``scripts/benchmark.py`` measures both).
* JAX: ``jax.jit`` over ``lax.scan`` of ``model.stateless_call`` and ``optimizer.stateless_apply``.

The model must be compiled with its optimizer and loss (``model.compile(optimizer, loss)``);
penalties are the ``regularizer`` of each trainable variable (Keras's ``kernel_regularizer``), and
add to the loss exactly as ``model.losses`` would. Batches are ``batch_size`` rows of the given
order; a remainder shorter than a batch is left out of that epoch (documented in the README).
"""

import math

import keras
import numpy as np

__all__ = ["EpochResult", "Engine", "make_engine"]


class EpochResult:
    """What one training epoch did.

    Attributes:
        step_loss: mean minibatch objective (data loss + penalty, training mode) over the steps run.
        steps: number of SGD steps taken.
        diverged_at: 1-based step whose objective was NaN or infinite (its update is not applied),
            or None.
    """

    def __init__(self, step_loss, steps, diverged_at):
        self.step_loss, self.steps, self.diverged_at = step_loss, steps, diverged_at

    def __repr__(self):
        return f"EpochResult(step_loss={self.step_loss}, steps={self.steps}, diverged_at={self.diverged_at})"


class Engine:
    """Backend-neutral interface; :func:`make_engine` returns the implementation for the backend."""

    def __init__(self, model, batch_size, eval_batch_size=10000):
        if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
            raise ValueError("The model must be compiled with an optimizer and a loss before training.")
        self.model = model
        self.batch_size = int(batch_size)
        self.eval_batch_size = int(eval_batch_size)
        self.loss_fn = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
        self.optimizer = model.optimizer
        if not self.optimizer.built:
            self.optimizer.build(model.trainable_variables)

    def steps_per_epoch(self, num_examples):
        return num_examples // self.batch_size

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

    def train_epoch(self, x, y, order):
        """Runs SGD over the batches ``order[i*b:(i+1)*b]`` of (x, y); returns an :class:`EpochResult`."""
        raise NotImplementedError

    def evaluate(self, x, y):
        """Inference-mode (mean data loss, accuracy) over all of (x, y)."""
        raise NotImplementedError


class _RetracingFilter:
    """Drops TensorFlow's warning that a tf.function retraced: each Engine traces its own functions once."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


class _TensorFlowEngine(Engine):
    def __init__(self, model, batch_size, eval_batch_size=10000, jit_update=True):
        super().__init__(model, batch_size, eval_batch_size)
        import tensorflow as tf

        logger = tf.get_logger()
        if not any(isinstance(f, _RetracingFilter) for f in logger.filters):
            logger.addFilter(_RetracingFilter())

        self._tf = tf
        variables = model.trainable_variables
        regularizers = [getattr(v, "regularizer", None) for v in variables]
        optimizer, loss_fn, batch = self.optimizer, self.loss_fn, self.batch_size

        def update(grads):
            # The penalty's gradient is added here rather than through the tape so that XLA fuses
            # it with the SGD step: one read and one write of each weight matrix per step. Returns
            # the penalty of the weights before the step.
            full, penalties = [], []
            for v, g, reg in zip(variables, grads, regularizers):
                if reg is not None:
                    with tf.GradientTape() as tape:
                        tape.watch(v.value)
                        penalty = reg(v.value)
                    g = g + tape.gradient(penalty, v.value)
                    penalties.append(penalty)
                full.append(g)
            optimizer.apply(full, variables)
            return tf.add_n(penalties) if penalties else tf.constant(0.0)

        self._update = tf.function(update, jit_compile=jit_update)

        @tf.function
        def train_epoch(x, y, order, steps):
            total = tf.constant(0.0)
            diverged_at = tf.constant(0)
            done = tf.constant(0)
            for i in tf.range(steps):
                index = order[i * batch : (i + 1) * batch]
                xb, yb = tf.gather(x, index), tf.gather(y, index)
                with tf.GradientTape() as tape:
                    data_loss = loss_fn(yb, model(xb, training=True))
                if not tf.math.is_finite(data_loss):
                    diverged_at = i + 1
                    break
                objective = data_loss + self._update(tape.gradient(data_loss, variables))
                if not tf.math.is_finite(objective):  # finite data loss, overflowing weights
                    diverged_at = i + 1
                    break
                total += objective
                done = i + 1
            return total / tf.cast(tf.maximum(done, 1), tf.float32), done, diverged_at

        self._train_epoch = train_epoch

        @tf.function
        def eval_chunk(xc, yc):
            probabilities = model(xc, training=False)
            losses = loss_fn.call(yc, probabilities)  # per example
            correct = tf.equal(tf.argmax(probabilities, axis=-1, output_type=tf.int32), yc)
            return tf.reduce_sum(losses), tf.reduce_sum(tf.cast(correct, tf.float32))

        self._eval_chunk = eval_chunk

    def put(self, x, y):
        tf = self._tf
        return tf.constant(np.asarray(x, np.float32)), tf.constant(np.asarray(y, np.int32))

    def train_epoch(self, x, y, order):
        tf = self._tf
        steps = self.steps_per_epoch(int(x.shape[0]))
        mean, done, diverged = self._train_epoch(x, y, tf.constant(np.asarray(order, np.int32)), tf.constant(steps))
        diverged = int(diverged)
        return EpochResult(float(mean), int(done), diverged or None)

    def evaluate(self, x, y):
        n = int(x.shape[0])
        loss_sum = correct = 0.0
        for start in range(0, n, self.eval_batch_size):
            l, c = self._eval_chunk(x[start : start + self.eval_batch_size], y[start : start + self.eval_batch_size])
            loss_sum += float(l)
            correct += float(c)
        return loss_sum / n, correct / n


class _JaxEngine(Engine):
    def __init__(self, model, batch_size, eval_batch_size=10000):
        super().__init__(model, batch_size, eval_batch_size)
        import jax
        import jax.numpy as jnp

        self._jnp = jnp
        optimizer, loss_fn, batch = self.optimizer, self.loss_fn, self.batch_size

        def objective(trainable, non_trainable, xb, yb):
            probabilities, non_trainable, losses = model.stateless_call(
                trainable, non_trainable, xb, training=True, return_losses=True
            )
            data_loss = loss_fn(yb, probabilities)
            return data_loss + sum(losses), non_trainable

        grad_fn = jax.value_and_grad(objective, has_aux=True)

        def train_epoch(state, x, y, batches):
            def step(carry, index):
                trainable, non_trainable, opt_vars, total, done, diverged_at = carry
                (value, new_non_trainable), grads = grad_fn(trainable, non_trainable, x[index], y[index])
                ok = jnp.isfinite(value) & (diverged_at == 0)
                new_trainable, new_opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)

                def keep_if_ok(new, old):  # after a non-finite step, nothing changes any more
                    return jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, old)

                diverged_at = jnp.where((diverged_at == 0) & ~jnp.isfinite(value), done + 1, diverged_at)
                carry = (
                    keep_if_ok(new_trainable, trainable),
                    keep_if_ok(new_non_trainable, non_trainable),
                    keep_if_ok(new_opt_vars, opt_vars),
                    total + jnp.where(ok, value, 0.0),
                    done + ok.astype(jnp.int32),
                    diverged_at,
                )
                return carry, None

            carry = (*state, jnp.float32(0.0), jnp.int32(0), jnp.int32(0))
            carry, _ = jax.lax.scan(step, carry, batches)
            return carry

        self._train_epoch = jax.jit(train_epoch, donate_argnums=(0,))

        def eval_chunk(trainable, non_trainable, xc, yc):
            probabilities, _ = model.stateless_call(trainable, non_trainable, xc, training=False)
            losses = loss_fn.call(yc, probabilities)
            correct = jnp.argmax(probabilities, axis=-1) == yc
            return jnp.sum(losses), jnp.sum(correct.astype(jnp.float32))

        self._eval_chunk = jax.jit(eval_chunk)

    def _state(self):
        return (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.model.non_trainable_variables],
            [v.value for v in self.optimizer.variables],
        )

    def put(self, x, y):
        jnp = self._jnp
        return jnp.asarray(np.asarray(x, np.float32)), jnp.asarray(np.asarray(y, np.int32))

    def train_epoch(self, x, y, order):
        steps = self.steps_per_epoch(int(x.shape[0]))
        batches = self._jnp.asarray(np.asarray(order[: steps * self.batch_size], np.int32).reshape(steps, self.batch_size))
        trainable, non_trainable, opt_vars, total, done, diverged_at = self._train_epoch(self._state(), x, y, batches)
        for variables, values in (
            (self.model.trainable_variables, trainable),
            (self.model.non_trainable_variables, non_trainable),
            (self.optimizer.variables, opt_vars),
        ):
            for v, value in zip(variables, values):
                v.assign(value)
        done = int(done)
        return EpochResult(float(total) / max(done, 1), done, int(diverged_at) or None)

    def evaluate(self, x, y):
        trainable, non_trainable, _ = self._state()
        n = int(x.shape[0])
        loss_sum = correct = 0.0
        for start in range(0, n, self.eval_batch_size):
            l, c = self._eval_chunk(trainable, non_trainable, x[start : start + self.eval_batch_size], y[start : start + self.eval_batch_size])
            loss_sum += float(l)
            correct += float(c)
        return loss_sum / n, correct / n


def make_engine(model, batch_size, eval_batch_size=10000):
    """The compiled-epoch engine for the current Keras backend (TensorFlow or JAX)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _TensorFlowEngine(model, batch_size, eval_batch_size)
    if backend == "jax":
        return _JaxEngine(model, batch_size, eval_batch_size)
    raise NotImplementedError(
        f"keras_reg's trainer supports the 'tensorflow' and 'jax' backends; KERAS_BACKEND is {backend!r}."
    )
