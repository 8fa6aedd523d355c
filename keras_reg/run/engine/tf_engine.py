"""The TensorFlow engine: a ``tf.function`` loops over an epoch's batches; plain SGD updates in place."""

import keras
import numpy as np

from keras_reg.run.engine.base import Engine, EpochResult, step_ranges


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
        def train_steps(x, y, order, start, stop, total, done):
            """Steps start..stop-1 of the epoch, the loss sum and step count carried on."""
            diverged_at = tf.constant(0)
            for i in tf.range(start, stop):
                index = order[i * batch : (i + 1) * batch]
                xb, yb = tf.gather(x, index), tf.gather(y, index)
                data_loss, grads = gradients(xb, yb)
                if not tf.math.is_finite(data_loss):
                    diverged_at = i + 1
                    break
                update(grads)
                total += data_loss
                done = i + 1
            return total, done, diverged_at

        self._train_steps = train_steps

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

    def train_epoch(self, x, y, order, progress=None):
        tf = self._tf
        order = tf.constant(np.asarray(order, np.int32))
        total, done, diverged = tf.constant(0.0), tf.constant(0), 0
        for start, stop in step_ranges(self.steps_per_epoch(len(order)), progress):
            total, done, diverged = self._train_steps(x, y, order, tf.constant(start), tf.constant(stop), total, done)
            diverged = int(diverged)
            if diverged:
                break
            if progress is not None:
                progress(int(done))
        mean = total / tf.cast(tf.maximum(done, 1), tf.float32)
        return EpochResult(float(mean), int(done), diverged or None)

    def _chunk_sums(self):
        return self._eval_chunk
