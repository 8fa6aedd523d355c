"""The hardware's limit for the paper's MLP: an epoch's floating-point work, one large matrix
product's throughput, and the seconds of an epoch's matrix products alone issued as the trainer issues them."""

import time

import numpy as np

__all__ = ["epoch_flops", "matmul_throughput", "matrix_products_epoch"]


def epoch_flops(units=(784, 1000, 500, 10), train_examples=60000, eval_examples=70000):
    """(training, evaluation) floating-point operations of one epoch of an MLP with these widths.

    Per example, the forward pass costs 2 * sum(n_in * n_out); training adds the weight gradients
    (as much again) and the input gradients of every layer but the first.
    """
    macs = [a * b for a, b in zip(units[:-1], units[1:])]
    forward = 2 * sum(macs)
    train = forward + 2 * sum(macs) + 2 * sum(macs[1:])
    return train * train_examples, forward * eval_examples


def matmul_throughput(size=2048, repeats=12, dtype="float32"):
    """Median FLOP/s of a (size x size) @ (size x size) product in ``dtype`` on the current backend."""
    import keras
    from keras import ops

    rng = np.random.default_rng(0)
    a = ops.convert_to_tensor(rng.random((size, size), dtype=np.float32), dtype=dtype)
    b = ops.convert_to_tensor(rng.random((size, size), dtype=np.float32), dtype=dtype)
    if keras.backend.backend() == "jax":
        import jax

        product = jax.jit(lambda p, q: p @ q)
    else:
        product = ops.matmul

    def one_product():  # bfloat16 scalars do not convert to NumPy directly
        return ops.convert_to_numpy(ops.cast(product(a, b)[0, 0], "float32"))

    return 2.0 * size**3 / _median_seconds(one_product, repeats)


def _median_seconds(run_once, repeats):
    """Median seconds of ``repeats`` calls of ``run_once`` after a warm-up (tracing, compilation)."""
    run_once()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_once()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def matrix_products_epoch(
    units=(784, 1000, 500, 10),
    batch=100,
    train_examples=60000,
    eval_examples=70000,
    eval_batch=10000,
    repeats=3,
    dtype="float32",
):
    """Seconds of an epoch's matrix products alone, issued from a compiled loop as the trainer issues them.

    Per step of ``batch`` rows: the forward products, the weight-gradient and input-gradient products
    of :func:`epoch_flops` and an in-place update of each weight; then the forward products of the
    evaluation in chunks of ``eval_batch``. No activation, loss, gather or random numbers: what is
    left is the cost of the products and of issuing them one by one, the ceiling of this way of
    training on the machine. Median of ``repeats`` after a warm-up. With ``dtype="bfloat16"`` the
    products take bfloat16 operands (the weights cast from float32 at each step, as Keras's mixed
    precision does) and the updates stay float32.
    """
    import keras

    rng = np.random.default_rng(0)
    weights = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32) for a, b in zip(units[:-1], units[1:])]
    x = rng.random((max(batch, eval_batch) + _OFFSETS, units[0]), dtype=np.float32)
    work = dict(batch=batch, eval_batch=eval_batch, steps=train_examples // batch, chunks=eval_examples // eval_batch)
    make = _jax_epoch if keras.backend.backend() == "jax" else _tensorflow_epoch
    return _median_seconds(make(weights, x, dtype, **work), repeats)


_OFFSETS = 64  # each slice starts at a row given by the loop counter, so no product is loop-invariant
_RATE = 1e-6  # keeps the weights bounded; the value does not change the work


def _products(matmul, ws, xb):
    activations = [xb]
    for w in ws:
        activations.append(matmul(activations[-1], w))
    return activations


def _gradients(ws, acts, weight_gradient, input_gradient):
    """(k, gradient of weight k) from the last layer down; each layer's input gradient is taken
    before its weight is handed out, so an in-place update never feeds the layers below."""
    delta = acts[-1]
    for k in reversed(range(len(ws))):
        grad = weight_gradient(acts[k], delta)
        if k:
            delta = input_gradient(delta, ws[k])
        yield k, grad


def _jax_epoch(weights, x, dtype, batch, eval_batch, steps, chunks):
    """A function that runs :func:`matrix_products_epoch`'s epoch once on JAX."""
    import jax
    import jax.numpy as jnp

    xd = jnp.asarray(x, dtype)

    def rows(i, n):
        return jax.lax.dynamic_slice_in_dim(xd, i % _OFFSETS, n)

    def cast(ws):
        return [w.astype(dtype) for w in ws]

    def train_step(i, ws):
        operands = cast(ws)
        acts = _products(jnp.matmul, operands, rows(i, batch))
        new = list(ws)
        for k, grad in _gradients(operands, acts, lambda a, d: a.T @ d, lambda d, w: d @ w.T):
            new[k] = ws[k] - _RATE * grad.astype(jnp.float32)
        return new

    def evaluate(i, total, ws):
        return total + _products(jnp.matmul, cast(ws), rows(i, eval_batch))[-1][0, 0].astype(jnp.float32)

    @jax.jit
    def epoch(ws):
        ws = jax.lax.fori_loop(0, steps, train_step, ws)
        return jax.lax.fori_loop(0, chunks, lambda i, t: evaluate(i, t, ws), 0.0)

    return lambda: float(epoch([jnp.asarray(w) for w in weights]))


def _tensorflow_epoch(weights, x, dtype, batch, eval_batch, steps, chunks):
    """A function that runs :func:`matrix_products_epoch`'s epoch once on TensorFlow."""
    import tensorflow as tf

    variables = [tf.Variable(w) for w in weights]
    xt = tf.cast(tf.constant(x), dtype)

    def cast(ws):  # float32: the variables themselves, read by the products
        return ws if dtype == "float32" else [tf.cast(w, dtype) for w in ws]

    @tf.function
    def epoch():
        for i in tf.range(steps):
            operands = cast(variables)
            acts = _products(tf.matmul, operands, xt[i % _OFFSETS : i % _OFFSETS + batch])
            for k, grad in _gradients(
                operands,
                acts,
                lambda a, d: tf.matmul(a, d, transpose_a=True),
                lambda d, w: tf.matmul(d, w, transpose_b=True),
            ):
                tf.raw_ops.ResourceApplyGradientDescent(
                    var=variables[k].handle, alpha=_RATE, delta=tf.cast(grad, tf.float32)
                )
        total = tf.constant(0.0)
        for i in tf.range(chunks):
            total += tf.cast(_products(tf.matmul, cast(variables), xt[i : i + eval_batch])[-1][0, 0], tf.float32)
        return total

    return lambda: float(epoch())
