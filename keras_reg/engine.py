"""A compiled training epoch and evaluation for a compiled Keras model: the trainer's fast path.

Keras's ``fit`` pays Python and input-pipeline costs at every batch of 100. Here one call runs a
whole epoch inside the backend's compiler, with the data resident on the device and the batch
order given as an index array:

* TensorFlow: a ``tf.function`` graph loops over the batches; each step's forward and backward
  pass runs as TensorFlow's own kernels (oneDNN's where TensorFlow enables them, docs/speed.md).
  An XLA cluster for the step was measured slower on a 2-core CPU (in runs that alternated both in
  one process), and Keras's Dropout under XLA on the CPU draws its random numbers far more slowly
  than TensorFlow's Philox kernel (the 8x slower ``jit_compile`` Dropout run). With plain SGD
  (the paper's) each weight is updated in place by one fused kernel
  (ResourceApplyGradientDescent), the paper's penalties applied in closed form; any other
  optimizer or regularizer goes through ``optimizer.apply`` and autodiff.
* JAX: ``jax.jit`` over ``lax.scan`` of ``model.stateless_call`` and ``optimizer.stateless_apply``.
  :class:`SeedStack` trains several models of one architecture (the seeds of one configuration)
  as one computation: ``jax.vmap`` of that epoch over the models' stacked variables.

The model must be compiled with its optimizer and loss (``model.compile(optimizer, loss)``);
penalties are the ``regularizer`` of each trainable variable (Keras's ``kernel_regularizer``), and
add to the loss exactly as ``model.losses`` would. When the model ends in a softmax layer and the
loss is Keras's sparse cross-entropy on probabilities, the loss is computed from the logits behind
that layer on every backend, as Keras's TensorFlow backend does (:func:`_logits_and_probabilities`).
Batches are ``batch_size`` rows of the given order; a remainder shorter than a batch is left out of
that epoch (documented in the README).
"""

import keras
import numpy as np

__all__ = ["EpochResult", "Engine", "make_engine", "SeedStack"]


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

    def train_epoch(self, x, y, order):
        """Runs SGD over the batches ``order[i*b:(i+1)*b]`` of (x, y); returns an :class:`EpochResult`."""
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


class _RetracingFilter:
    """Drops TensorFlow's warning that a tf.function retraced: each Engine traces its own functions once."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


class _TensorFlowEngine(Engine):
    def __init__(
        self, model, batch_size, eval_batch_size=10000, eval_training=False, metric="sparse_categorical_accuracy"
    ):
        super().__init__(model, batch_size, eval_batch_size, eval_training, metric)
        import tensorflow as tf

        logger = tf.get_logger()
        if not any(isinstance(f, _RetracingFilter) for f in logger.filters):
            logger.addFilter(_RetracingFilter())
        self._tf = tf
        variables = model.trainable_variables
        net, split, loss_fn, batch = self.net, self.loss_input_and_probabilities, self.loss_fn, self.batch_size
        eval_training, correct_fn = self.eval_training, self.correct
        update = self._sgd_update(tf, variables) or self._generic_update(tf, variables)

        def gradients(xb, yb):
            with tf.GradientTape() as tape:
                data_loss = loss_fn(yb, split(net(xb, training=True))[0])
            return data_loss, tape.gradient(data_loss, variables)

        @tf.function
        def train_epoch(x, y, order, steps):
            total = tf.constant(0.0)
            diverged_at = tf.constant(0)
            done = tf.constant(0)
            for i in tf.range(steps):
                index = order[i * batch : (i + 1) * batch]
                xb, yb = tf.gather(x, index), tf.gather(y, index)
                data_loss, grads = gradients(xb, yb)
                if not tf.math.is_finite(data_loss):
                    diverged_at = i + 1
                    break
                update(grads)
                total += data_loss
                done = i + 1
            return total / tf.cast(tf.maximum(done, 1), tf.float32), done, diverged_at

        self._train_epoch = train_epoch

        @tf.function
        def eval_chunk(xc, yc):
            loss_input, probabilities = split(net(xc, training=eval_training))
            losses = loss_fn.call(yc, loss_input)  # per example
            correct = correct_fn(probabilities, yc)
            return tf.reduce_sum(losses), tf.reduce_sum(tf.cast(correct, tf.float32))

        self._eval_chunk = eval_chunk

    def _sgd_update(self, tf, variables):
        """In-place plain SGD for keras.optimizers.SGD without momentum at a constant rate, with the
        paper's penalties applied in closed form; None when the optimizer or a penalty is other.

        Each weight is updated by one fused ResourceApplyGradientDescent (read w and g, write w). The
        L2 penalty's gradient alpha*w is applied as the decay w <- (1 - lr*alpha) w before it (the
        same arithmetic as the paper's equation (5) and as SGD(weight_decay)); L1 adds
        alpha*sign(w) to the gradient.
        """
        import keras

        from keras_reg import regularizers

        optimizer = self.optimizer
        rate = optimizer.learning_rate
        plain = (
            type(optimizer) is keras.optimizers.SGD
            and optimizer.momentum == 0
            and optimizer.weight_decay is None
            and optimizer.clipnorm is None
            and optimizer.clipvalue is None
            and optimizer.global_clipnorm is None
            and not isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule)
        )
        penalties = [getattr(v, "regularizer", None) for v in variables]
        if not plain or any(p is not None and type(p) not in (regularizers.L1, regularizers.L2) for p in penalties):
            return None

        def update(grads):
            lr = tf.cast(rate, tf.float32)
            for v, g, penalty in zip(variables, grads, penalties):
                if isinstance(penalty, regularizers.L2) and penalty.alpha > 0:
                    v.assign(v.value * (1.0 - lr * penalty.alpha))
                elif isinstance(penalty, regularizers.L1) and penalty.alpha > 0:
                    sign = tf.sign(v.value)  # of the weights before this step
                    tf.raw_ops.ResourceApplyGradientDescent(var=v.handle, alpha=lr * penalty.alpha, delta=sign)
                tf.raw_ops.ResourceApplyGradientDescent(var=v.handle, alpha=lr, delta=g)
            optimizer.iterations.assign_add(1)

        return update

    def _generic_update(self, tf, variables):
        """Any Keras optimizer and regularizer: penalty gradients by autodiff, then optimizer.apply."""
        optimizer = self.optimizer
        penalties = [getattr(v, "regularizer", None) for v in variables]

        def update(grads):
            full = []
            for v, g, penalty in zip(variables, grads, penalties):
                if penalty is not None:
                    with tf.GradientTape() as tape:
                        tape.watch(v.value)
                        value = penalty(v.value)
                    g = g + tape.gradient(value, v.value)
                full.append(g)
            optimizer.apply(full, variables)

        # Its own function: optimizer.apply's cross-replica reduction refuses tensors of a loop body.
        return tf.function(update)

    def put(self, x, y):
        tf = self._tf
        return tf.constant(np.asarray(x, np.float32)), tf.constant(self._labels(y))

    def train_epoch(self, x, y, order):
        tf = self._tf
        steps = self.steps_per_epoch(len(order))
        mean, done, diverged = self._train_epoch(x, y, tf.constant(np.asarray(order, np.int32)), tf.constant(steps))
        diverged = int(diverged)
        return EpochResult(float(mean), int(done), diverged or None)

    def _chunk_sums(self):
        return self._eval_chunk


class _JaxEngine(Engine):
    def __init__(
        self, model, batch_size, eval_batch_size=10000, eval_training=False, metric="sparse_categorical_accuracy"
    ):
        super().__init__(model, batch_size, eval_batch_size, eval_training, metric)
        import jax
        import jax.numpy as jnp

        self._jnp = jnp
        optimizer, net, split, loss_fn = self.optimizer, self.net, self.loss_input_and_probabilities, self.loss_fn

        def objective(trainable, non_trainable, xb, yb):
            outputs, non_trainable, losses = net.stateless_call(
                trainable, non_trainable, xb, training=True, return_losses=True
            )
            data_loss = loss_fn(yb, split(outputs)[0])
            return data_loss + sum(losses), (non_trainable, data_loss)

        grad_fn = jax.value_and_grad(objective, has_aux=True)

        def train_epoch(state, x, y, batches):
            def step(carry, index):
                trainable, non_trainable, opt_vars, total, done, diverged_at = carry
                (value, (new_non_trainable, data_loss)), grads = grad_fn(trainable, non_trainable, x[index], y[index])
                ok = jnp.isfinite(value) & (diverged_at == 0)
                new_trainable, new_opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)

                def keep_if_ok(new, old):  # after a non-finite step, nothing changes any more
                    return jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, old)

                diverged_at = jnp.where((diverged_at == 0) & ~jnp.isfinite(value), done + 1, diverged_at)
                carry = (
                    keep_if_ok(new_trainable, trainable),
                    keep_if_ok(new_non_trainable, non_trainable),
                    keep_if_ok(new_opt_vars, opt_vars),
                    total + jnp.where(ok, data_loss, 0.0),
                    done + ok.astype(jnp.int32),
                    diverged_at,
                )
                return carry, None

            carry = (*state, jnp.float32(0.0), jnp.int32(0), jnp.int32(0))
            carry, _ = jax.lax.scan(step, carry, batches)
            return carry

        def eval_chunk(trainable, non_trainable, xc, yc):
            outputs, _ = net.stateless_call(trainable, non_trainable, xc, training=self.eval_training)
            loss_input, probabilities = split(outputs)
            losses = loss_fn.call(yc, loss_input)
            correct = self.correct(probabilities, yc)
            return jnp.sum(losses), jnp.sum(correct.astype(jnp.float32))

        self._epoch_fn = train_epoch  # a pure function, for SeedStack's vmap
        self._train_epoch = jax.jit(train_epoch, donate_argnums=(0,))
        self._eval_chunk = jax.jit(eval_chunk)

    def _state(self):
        return (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.model.non_trainable_variables],
            [v.value for v in self.optimizer.variables],
        )

    def _set_state(self, trainable, non_trainable, opt_vars):
        for variables, values in (
            (self.model.trainable_variables, trainable),
            (self.model.non_trainable_variables, non_trainable),
            (self.optimizer.variables, opt_vars),
        ):
            for v, value in zip(variables, values):
                v.assign(value)

    def put(self, x, y):
        jnp = self._jnp
        return jnp.asarray(np.asarray(x, np.float32)), jnp.asarray(self._labels(y))

    def _batches(self, x, order):
        steps = self.steps_per_epoch(len(order))
        return np.asarray(order[: steps * self.batch_size], np.int32).reshape(steps, self.batch_size)

    def train_epoch(self, x, y, order):
        trainable, non_trainable, opt_vars, total, done, diverged_at = self._train_epoch(
            self._state(), x, y, self._jnp.asarray(self._batches(x, order))
        )
        self._set_state(trainable, non_trainable, opt_vars)
        return _epoch_result(total, done, diverged_at)

    def _chunk_sums(self):
        trainable, non_trainable, _ = self._state()
        return lambda xc, yc: self._eval_chunk(trainable, non_trainable, xc, yc)


def _epoch_result(total, done, diverged_at):
    done = int(done)
    return EpochResult(float(total) / max(done, 1), done, int(diverged_at) or None)


class SeedStack:
    """Several compiled models of one architecture trained as one computation (JAX backend).

    The models' variables are stacked along a new leading axis and one ``jax.jit(jax.vmap(...))``
    of :class:`Engine`'s epoch trains them all, each on its own batch order, with its own Dropout
    generator. Each model's arithmetic is that of its own engine (on a CPU the weights come out bit
    for bit equal to separate runs, tested). It is meant for a GPU, which one model's small products
    should leave mostly idle (on a 2-core CPU it was no faster than separate runs; README, Backends
    and GPUs). Evaluation, whose batches of 10,000 rows need no such help, is each model's own
    engine's: its numbers are a separate run's. A model whose loss becomes NaN or infinite stops
    changing (as in :class:`Engine`) while the others train on. The models' Keras variables hold
    the state between calls.
    """

    def __init__(self, models, batch_size, eval_batch_size=10000, metric="sparse_categorical_accuracy"):
        if keras.backend.backend() != "jax":
            raise NotImplementedError(
                f"SeedStack needs the 'jax' backend (jax.vmap); KERAS_BACKEND is {keras.backend.backend()!r}."
            )
        import jax

        self.engines = [_JaxEngine(m, batch_size, eval_batch_size, metric=metric) for m in models]
        if not self.engines:
            raise ValueError("SeedStack needs at least one model.")
        first = self.engines[0]

        def layout(engine):
            return [(tuple(v.shape), str(v.dtype)) for part in engine._state() for v in part]

        if any(layout(e) != layout(first) or e.reads_logits != first.reads_logits for e in self.engines[1:]):
            raise ValueError("SeedStack's models must have the same variables (shapes and dtypes) and loss.")
        self._jax = jax
        self._train_epoch = jax.jit(jax.vmap(first._epoch_fn, in_axes=(0, None, None, 0)), donate_argnums=(0,))

    def _stacked_state(self):
        jnp = self._jax.numpy
        return self._jax.tree_util.tree_map(lambda *values: jnp.stack(values), *(e._state() for e in self.engines))

    def put(self, x, y):
        return self.engines[0].put(x, y)

    def penalties(self, which=None):
        """The current penalty of every model (or of the models at the indices ``which``)."""
        return [self.engines[k].penalty() for k in self._indices(which)]

    def _indices(self, which):
        return range(len(self.engines)) if which is None else which

    def train_epoch(self, x, y, orders):
        """One epoch of every model, model k on the batches of ``orders[k]``; a list of :class:`EpochResult`."""
        if len(orders) != len(self.engines):
            raise ValueError(
                f"SeedStack.train_epoch needs one order per model ({len(self.engines)}); got {len(orders)}."
            )
        batches = np.stack([e._batches(x, order) for e, order in zip(self.engines, orders)])
        trainable, non_trainable, opt_vars, totals, done, diverged_at = self._train_epoch(
            self._stacked_state(), x, y, self._jax.numpy.asarray(batches)
        )
        results = []
        for k, engine in enumerate(self.engines):
            engine._set_state(
                *(self._jax.tree_util.tree_map(lambda a: a[k], part) for part in (trainable, non_trainable, opt_vars))
            )
            results.append(_epoch_result(totals[k], done[k], diverged_at[k]))
        return results

    def evaluate(self, x, y, which=None):
        """Inference-mode [(mean data loss, accuracy)] over all of (x, y) of every model (or of the
        models at the indices ``which``)."""
        return [self.engines[k].evaluate(x, y) for k in self._indices(which)]


def make_engine(model, batch_size, eval_batch_size=10000, eval_training=False, metric="sparse_categorical_accuracy"):
    """The compiled-epoch engine for the current Keras backend (TensorFlow or JAX)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _TensorFlowEngine(model, batch_size, eval_batch_size, eval_training, metric)
    if backend == "jax":
        return _JaxEngine(model, batch_size, eval_batch_size, eval_training, metric)
    raise NotImplementedError(
        f"keras_reg's trainer supports the 'tensorflow' and 'jax' backends; KERAS_BACKEND is {backend!r}."
    )
