"""The JAX engine: ``jax.jit`` over ``lax.scan`` of an epoch's steps; :class:`SeedStack` ``vmap``s it over seeds."""

import keras
import numpy as np

from keras_reg.run.engine.base import Engine, _epoch_result, step_ranges


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

        def train_steps(carry, x, y, batches):
            """Scans the steps of ``batches``, the loss sum, step count and divergence carried on."""

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

            carry, _ = jax.lax.scan(step, carry, batches)
            return carry

        def train_epoch(state, x, y, batches):
            return train_steps((*state, jnp.float32(0.0), jnp.int32(0), jnp.int32(0)), x, y, batches)

        def eval_chunk(trainable, non_trainable, xc, yc):
            outputs, _ = net.stateless_call(trainable, non_trainable, xc, training=self.eval_training)
            loss_input, probabilities = split(outputs)
            losses = loss_fn.call(yc, loss_input)
            correct = self.correct(probabilities, yc)
            return jnp.sum(losses), jnp.sum(correct.astype(jnp.float32))

        self._epoch_fn = train_epoch  # a pure function, for SeedStack's vmap
        self._train_epoch = jax.jit(train_epoch, donate_argnums=(0,))
        self._train_steps = jax.jit(train_steps, donate_argnums=(0,))
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

    def train_epoch(self, x, y, order, progress=None):
        batches, jnp = self._batches(x, order), self._jnp
        if progress is None:
            carry = self._train_epoch(self._state(), x, y, jnp.asarray(batches))
        else:  # the same scan in parts (each length compiled once)
            carry = (*self._state(), jnp.float32(0.0), jnp.int32(0), jnp.int32(0))
            for start, stop in step_ranges(len(batches), progress):
                carry = self._train_steps(carry, x, y, jnp.asarray(batches[start:stop]))
                if int(carry[5]):
                    break
                progress(int(carry[4]))
        trainable, non_trainable, opt_vars, total, done, diverged_at = carry
        self._set_state(trainable, non_trainable, opt_vars)
        return _epoch_result(total, done, diverged_at)

    def _chunk_sums(self):
        trainable, non_trainable, _ = self._state()
        return lambda xc, yc: self._eval_chunk(trainable, non_trainable, xc, yc)


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
