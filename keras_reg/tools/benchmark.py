"""Seconds per epoch of the plain Keras path and of keras_reg's trainer, and the hardware's limit.

An *epoch* here is what the reproduction does per epoch: one pass of SGD over the protocol's
training images in its batches (55,000 in batches of 64 by default; 60,000 in batches of 100 under
``tf1_init``, the protocol of the committed benchmark files), then inference over the whole
training set and the 10,000 test images.

* The plain path: ``model.fit(x, y, batch_size=100, epochs=1)`` then ``model.evaluate`` on the
  training and the test set, with Keras's defaults (its evaluation batch size is 32).
* The trainer: :mod:`keras_reg.run.engine` (one compiled call per epoch, evaluation in batches of
  10,000), in the config's precision (float32 unless ``mixed_bfloat16`` is asked for; the plain
  path is always Keras's default, float32).

Both train the same model (the paper MLP of the protocol) from the same weights, and their epochs
are timed alternately, so that a drift in the machine's speed touches both. The hardware's limit is
the throughput of one large matrix product in the trainer's compute dtype (float32, or bfloat16
for ``mixed_bfloat16``) on the same backend, measured in the same run;
the fraction of the limit is (the epoch's floating-point work / its seconds) / that throughput.
The same fraction for the epoch's matrix products alone (:func:`matrix_products_epoch`) shows how
much of the gap is the cost of issuing small products one after another rather than the model's
other work.
"""

import time

import numpy as np

from keras_reg.run import engine, loop, registry, rundir
from keras_reg.run.grid import default_workers, run_grid

__all__ = [
    "epoch_flops",
    "matmul_throughput",
    "matrix_products_epoch",
    "benchmark_case",
    "side_by_side",
    "makespan",
    "run",
    "table",
    "compare_curves",
    "curves_summary",
    "cnn_epoch_flops",
    "benchmark_cnn",
    "cnn_table",
]


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

    one_product()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        one_product()
        times.append(time.perf_counter() - start)
    return 2.0 * size**3 / float(np.median(times))


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
    # Each slice starts at a row given by the loop counter, so no product is loop-invariant.
    offsets = 64
    x = rng.random((max(batch, eval_batch) + offsets, units[0]), dtype=np.float32)
    steps, chunks = train_examples // batch, eval_examples // eval_batch
    rate = 1e-6  # keeps the weights bounded; the value does not change the work

    def products(matmul, ws, xb):
        activations = [xb]
        for w in ws:
            activations.append(matmul(activations[-1], w))
        return activations

    def gradients(ws, acts, weight_gradient, input_gradient):
        """(k, gradient of weight k) from the last layer down; each layer's input gradient is taken
        before its weight is handed out, so an in-place update never feeds the layers below."""
        delta = acts[-1]
        for k in reversed(range(len(ws))):
            grad = weight_gradient(acts[k], delta)
            if k:
                delta = input_gradient(delta, ws[k])
            yield k, grad

    if keras.backend.backend() == "jax":
        import jax
        import jax.numpy as jnp

        xd = jnp.asarray(x, dtype)

        def rows(i, n):
            return jax.lax.dynamic_slice_in_dim(xd, i % offsets, n)

        def cast(ws):
            return [w.astype(dtype) for w in ws]

        def train_step(i, ws):
            operands = cast(ws)
            acts = products(jnp.matmul, operands, rows(i, batch))
            new = list(ws)
            for k, grad in gradients(operands, acts, lambda a, d: a.T @ d, lambda d, w: d @ w.T):
                new[k] = ws[k] - rate * grad.astype(jnp.float32)
            return new

        def evaluate(i, total, ws):
            return total + products(jnp.matmul, cast(ws), rows(i, eval_batch))[-1][0, 0].astype(jnp.float32)

        @jax.jit
        def epoch(ws):
            ws = jax.lax.fori_loop(0, steps, train_step, ws)
            return jax.lax.fori_loop(0, chunks, lambda i, t: evaluate(i, t, ws), 0.0)

        def run_once():
            return float(epoch([jnp.asarray(w) for w in weights]))
    else:
        import tensorflow as tf

        variables = [tf.Variable(w) for w in weights]
        xt = tf.cast(tf.constant(x), dtype)

        def cast(ws):  # float32: the variables themselves, read by the products
            return ws if dtype == "float32" else [tf.cast(w, dtype) for w in ws]

        @tf.function
        def epoch():
            for i in tf.range(steps):
                operands = cast(variables)
                acts = products(tf.matmul, operands, xt[i % offsets : i % offsets + batch])
                for k, grad in gradients(
                    operands,
                    acts,
                    lambda a, d: tf.matmul(a, d, transpose_a=True),
                    lambda d, w: tf.matmul(d, w, transpose_b=True),
                ):
                    tf.raw_ops.ResourceApplyGradientDescent(
                        var=variables[k].handle, alpha=rate, delta=tf.cast(grad, tf.float32)
                    )
            total = tf.constant(0.0)
            for i in tf.range(chunks):
                total += tf.cast(products(tf.matmul, cast(variables), xt[i : i + eval_batch])[-1][0, 0], tf.float32)
            return total

        def run_once():
            return float(epoch())

    run_once()  # warm-up (tracing, compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_once()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _model_inputs(config, datasets):
    """MNIST as the spec's model is fed (its split), with int32 labels."""

    (x, y), (x_test, y_test) = registry.load_data(config, datasets)
    return (x, np.asarray(y, np.int32)), (x_test, np.asarray(y_test, np.int32))


def _both_paths(config, arrays):
    """The plain Keras model (float32, Keras's default, whatever the config's precision) and the
    trainer of a copy in the config's precision (same initial weights), with the data already on
    the trainer's device."""
    import dataclasses

    import keras

    keras.utils.set_random_seed(config.seed)
    plain, fast = loop.build_model(dataclasses.replace(config, precision="float32")), loop.build_model(config)
    fast.set_weights(plain.get_weights())
    trainer = engine.make_engine(fast, config.batch_size)
    return plain, trainer, tuple(trainer.put(x, y) for x, y in arrays)


def _plain_epoch(model, x, y, x_test, y_test, batch_size, eval_batch=None):
    """Seconds of ``fit`` for one epoch and ``evaluate`` of both sets (``eval_batch`` None: Keras's 32)."""
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=eval_batch, verbose=0)
    model.evaluate(x_test, y_test, batch_size=eval_batch, verbose=0)
    return time.perf_counter() - start


def _alternate(plain_epoch, trainer, device_arrays, seed, epochs, label, log):
    """(plain seconds, trainer seconds) per epoch, the two paths' epochs alternated."""

    (xd, yd), (xtd, ytd) = device_arrays
    plain_times, fast_times = [], []
    for epoch in range(1, epochs + 1):
        plain_times.append(plain_epoch())
        start = time.perf_counter()
        trainer.train_epoch(xd, yd, loop.epoch_order(seed, epoch, int(xd.shape[0])))
        trainer.evaluate(xd, yd)
        trainer.evaluate(xtd, ytd)
        fast_times.append(time.perf_counter() - start)
        log(f"  {label} epoch {epoch}: plain {plain_times[-1]:6.2f} s, trainer {fast_times[-1]:6.2f} s")
    return plain_times, fast_times


def benchmark_case(config, datasets, epochs=5, log=print):
    """Alternately timed epochs of both paths for one RunConfig; returns a dict of medians (after the first)."""
    (x, y), (x_test, y_test) = arrays = _model_inputs(config, datasets)
    plain, trainer, device_arrays = _both_paths(config, arrays)
    label = f"{config.builder_args.get('regularizer', config.model):8s}"
    plain_times, fast_times = _alternate(
        lambda: _plain_epoch(plain, x, y, x_test, y_test, config.batch_size),
        trainer,
        device_arrays,
        config.seed,
        epochs,
        label,
        log,
    )
    plain_s, fast_s = float(np.median(plain_times[1:])), float(np.median(fast_times[1:]))
    ratios = [p / f for p, f in zip(plain_times[1:], fast_times[1:])]
    return {
        "plain_seconds": plain_s,
        "trainer_seconds": fast_s,
        "speedup": float(np.median(ratios)),
        "plain_epochs": plain_times,
        "trainer_epochs": fast_times,
    }


def side_by_side(configs, datasets, epochs=5, log=print):
    """The cases trained as the reproduction trains them on a CPU: :func:`keras_reg.run.run_grid`
    in :func:`~keras_reg.run.default_workers` processes, ``epochs`` each.

    Returns None when that is one process (the per-case timings are then the reproduction's), else
    a dict: workers, wall seconds of the whole grid, each case's median epoch after the first (timed
    with the other runs beside it), and the projected reproduction: 100 epochs of each case at
    those medians, handed to the workers in order as the reproduction hands them.
    """
    import dataclasses
    import tempfile

    workers = default_workers(len(configs))
    if workers <= 1:
        return None
    grid = {case: dataclasses.replace(config, epochs=epochs) for case, config in configs.items()}
    with tempfile.TemporaryDirectory() as runs_dir:
        start = time.perf_counter()
        run_grid(grid, runs_dir, datasets=datasets, workers=workers, log=lambda line: None)
        wall = time.perf_counter() - start
        medians = {case: float(np.median(rundir.read_history(f"{runs_dir}/{case}")["seconds"][1:])) for case in grid}
    log(f"side by side in {workers} processes: " + ", ".join(f"{c} {s:.2f} s/epoch" for c, s in medians.items()))
    projected = makespan([100 * seconds for seconds in medians.values()], workers)
    return {
        "workers": workers,
        "wall_seconds": wall,
        "epoch_seconds": medians,
        "projected_reproduction_seconds": projected,
    }


def makespan(durations, workers):
    """When the last of the jobs ``durations`` ends if each, in order, goes to the first worker free."""
    finish = [0.0] * workers
    for seconds in durations:
        finish[int(np.argmin(finish))] += seconds
    return max(finish)


def run(configs, datasets, epochs=5, matmul_size=2048, log=print):
    """Benchmarks {case: RunConfig}; returns a JSON-ready dict (limit, per-case results, projection)."""
    import os
    import platform

    import keras

    precisions = {config.precision for config in configs.values()}
    if len(precisions) != 1:
        raise ValueError(
            f"Benchmarked configs must share one precision (the limit is measured in it); got {sorted(precisions)}"
        )
    precision = precisions.pop()
    dtype = keras.DTypePolicy(precision).compute_dtype
    first = next(iter(configs.values()))

    n_train, n_test = registry.DATASETS[first.dataset].sizes(first.dataset_args)  # the protocol's split
    n_train, n_test = first.train_examples or n_train, first.test_examples or n_test
    train_flops, eval_flops = epoch_flops(
        train_examples=n_train // first.batch_size * first.batch_size, eval_examples=n_train + n_test
    )
    limit_before = matmul_throughput(matmul_size, dtype=dtype)
    log(f"matmul throughput {limit_before / 1e9:.1f} GFLOP/s ({matmul_size}^3 {dtype}, {keras.backend.backend()})")
    products_seconds = matrix_products_epoch(
        batch=first.batch_size, train_examples=n_train, eval_examples=n_train + n_test, dtype=dtype
    )
    log(f"the epoch's matrix products alone: {products_seconds:.2f} s")
    cases = {}
    for case, config in configs.items():
        result = benchmark_case(config, datasets, epochs, log)
        cases[case] = result
    parallel = side_by_side(configs, datasets, epochs, log=log)
    limit_after = matmul_throughput(matmul_size, dtype=dtype)
    limit = max(limit_before, limit_after)  # the conservative choice: the higher limit
    for result in cases.values():
        achieved = (train_flops + eval_flops) / result["trainer_seconds"]
        result["trainer_gflops"] = achieved / 1e9
        result["fraction_of_limit"] = achieved / limit
    total = sum(100 * r["trainer_seconds"] for r in cases.values())
    if parallel is not None:
        # The grid's whole work over its projected time, as a fraction of the limit of the whole machine.
        parallel["fraction_of_limit"] = (
            100 * len(cases) * (train_flops + eval_flops) / parallel["projected_reproduction_seconds"] / limit
        )
    return {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count()},
        "backend": keras.backend.backend(),
        "precision": precision,
        "matmul": {"size": matmul_size, "dtype": dtype},
        "epoch_flops": {"train": train_flops, "eval": eval_flops},
        "matmul_gflops": {"before": limit_before / 1e9, "after": limit_after / 1e9, "limit": limit / 1e9},
        "epochs_timed": epochs,
        "matrix_products_epoch": {
            "seconds": products_seconds,
            "fraction_of_limit": (train_flops + eval_flops) / products_seconds / limit,
        },
        "cases": cases,
        "projected_reproduction_seconds": total,
        "side_by_side": parallel,
    }


def table(results):
    """The benchmark as a Markdown table."""
    matmul = results.get("matmul", {"size": 2048, "dtype": "float32"})  # JSON written before these were recorded
    lines = [
        f"Backend {results['backend']}; trainer precision {results.get('precision', 'float32')} (plain Keras: float32); "
        f"matmul limit {results['matmul_gflops']['limit']:.1f} GFLOP/s "
        f"({matmul['size']}^3 {matmul['dtype']}, before/after {results['matmul_gflops']['before']:.1f}/{results['matmul_gflops']['after']:.1f}); "
        f"epoch work {results['epoch_flops']['train'] / 1e12:.3f} + {results['epoch_flops']['eval'] / 1e12:.3f} TFLOP "
        f"(training + evaluation); medians of {results['epochs_timed'] - 1} epochs after the first.",
        "",
        "| case | plain Keras (s/epoch) | keras_reg trainer (s/epoch) | speed-up | trainer GFLOP/s | fraction of limit |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case, r in results["cases"].items():
        lines.append(
            f"| {case} | {r['plain_seconds']:.2f} | {r['trainer_seconds']:.2f} | {r['speedup']:.2f}x | "
            f"{r['trainer_gflops']:.1f} | {100 * r['fraction_of_limit']:.0f}% |"
        )
    minutes = results["projected_reproduction_seconds"] / 60
    products = results["matrix_products_epoch"]
    lines += [
        "",
        f"The epoch's matrix products alone, issued one by one from a compiled loop (no activation, loss, gather "
        f"or Dropout): {products['seconds']:.2f} s, {100 * products['fraction_of_limit']:.0f}% of the limit.",
        "",
        f"Projected reproduction of the {len(results['cases'])} case(s) timed here (100 epochs each), one after another: {minutes:.1f} minutes.",
    ]
    parallel = results.get("side_by_side")
    if parallel:
        epochs = ", ".join(f"{case} {seconds:.2f}" for case, seconds in parallel["epoch_seconds"].items())
        lines += [
            "",
            f"Side by side as the reproduction runs them here ({parallel['workers']} processes; "
            f"s/epoch with the other runs beside: {epochs}): projected {parallel['projected_reproduction_seconds'] / 60:.1f} minutes, "
            f"the whole machine at {100 * parallel['fraction_of_limit']:.0f}% of the limit.",
        ]
    return "\n".join(lines) + "\n"


def compare_curves(configs, datasets, seeds, epochs, log=print):
    """Per-epoch test and training accuracy of both paths over seeds, to show they agree within noise.

    Returns rows (case, path, seed, epoch, train_accuracy, test_accuracy) for ``configs``
    ({case: RunConfig}); each seed builds the same initial weights for both paths. The plain path
    is float32; the trainer runs in each config's precision, so with ``mixed_bfloat16`` this
    compares the labelled bfloat16 option with the float32 reference.
    """
    import dataclasses

    rows = []
    for case, base in configs.items():
        for seed in seeds:
            config = dataclasses.replace(base, seed=seed)
            (x, y), (x_test, y_test) = arrays = _model_inputs(config, datasets)
            plain, trainer, ((xd, yd), (xtd, ytd)) = _both_paths(config, arrays)
            for epoch in range(1, epochs + 1):
                plain.fit(x, y, batch_size=config.batch_size, epochs=1, verbose=0)
                plain_train, plain_test = _accuracy(plain, x, y), _accuracy(plain, x_test, y_test)
                trainer.train_epoch(xd, yd, loop.epoch_order(seed, epoch, len(x)))
                _, fast_train = trainer.evaluate(xd, yd)
                _, fast_test = trainer.evaluate(xtd, ytd)
                rows.append((case, "plain", seed, epoch, plain_train, plain_test))
                rows.append((case, "trainer", seed, epoch, fast_train, fast_test))
            log(
                f"  {case} seed {seed}: test accuracy after {epochs} epochs: plain {100 * plain_test:.2f}%, trainer {100 * fast_test:.2f}%"
            )
    return rows


def _accuracy(model, x, y):
    probabilities = model.predict(x, batch_size=10000, verbose=0)
    return float(np.mean(probabilities.argmax(axis=1) == y))


def curves_summary(rows):
    """Markdown: per case and path, the final accuracies (mean +- std over seeds), the largest
    per-epoch gap between the two paths' seed means, the seed-to-seed standard deviation, and the
    largest gap in standard errors of a difference of two means (sqrt(s1^2/n + s2^2/n))."""
    lines = [
        "| case | path | final test acc. (%) | final train acc. (%) | max over epochs of abs(mean gap) in test acc. (pp) "
        "| median seed std of test acc. (pp) | max over epochs of abs(gap) / its standard error |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    cases = sorted({r[0] for r in rows}, key=[r[0] for r in rows].index)
    for case in cases:
        mine = [r for r in rows if r[0] == case]
        epochs = sorted({r[3] for r in mine})
        seeds = sorted({r[2] for r in mine})
        test = {
            p: np.array([[100 * r[5] for r in mine if r[1] == p and r[2] == s] for s in seeds])
            for p in ("plain", "trainer")
        }
        train = {
            p: np.array([[100 * r[4] for r in mine if r[1] == p and r[2] == s] for s in seeds])
            for p in ("plain", "trainer")
        }
        gaps = np.abs(test["plain"].mean(0) - test["trainer"].mean(0))
        gap = gaps.max()
        if len(seeds) > 1:
            error = np.sqrt((test["plain"].var(0, ddof=1) + test["trainer"].var(0, ddof=1)) / len(seeds))
            z = f"{(gaps / np.maximum(error, 1e-12)).max():.1f}"
        else:
            z = "-"
        for p in ("plain", "trainer"):
            std = test[p].std(0, ddof=1) if len(seeds) > 1 else np.zeros(len(epochs))
            lines.append(
                f"| {case} | {p} | {test[p][:, -1].mean():.2f} +- {test[p][:, -1].std(ddof=1) if len(seeds) > 1 else 0:.2f} | "
                f"{train[p][:, -1].mean():.2f} +- {train[p][:, -1].std(ddof=1) if len(seeds) > 1 else 0:.2f} | "
                f"{gap:.2f} | {np.median(std):.2f} | {z} |"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# The CNN report's network: the trainer against the best plain-Keras path a user would write.


def cnn_epoch_flops(model, train_examples, eval_examples):
    """(training, evaluation) floating-point operations of an epoch of a network of Conv2D and Dense
    layers: 2 multiply-adds per weight use forward; training adds the weight gradients and the input
    gradients (as much again each) except the first layer's input gradient."""
    import keras

    macs = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            macs.append(int(np.prod(layer.output.shape[1:3])) * int(np.prod(layer.kernel.shape)))
        elif isinstance(layer, keras.layers.Dense):
            macs.append(int(np.prod(layer.kernel.shape)))
    forward = 2 * sum(macs)
    return (forward + 2 * sum(macs) + 2 * sum(macs[1:])) * train_examples, forward * eval_examples


def _tuned_plain(spec, steps_per_epoch, steps_per_execution):
    """The spec's model compiled as a user who tuned plain Keras would: XLA and many steps per call."""
    import keras

    keras.utils.set_random_seed(spec.seed)
    model = loop.build_model(spec, steps_per_epoch)
    model.compile(optimizer=model.optimizer, loss=model.loss, jit_compile=True, steps_per_execution=steps_per_execution)
    return model


def benchmark_cnn(spec, datasets, epochs=3, steps_per_execution=100, eval_batch=1000, log=print):
    """Alternately timed epochs of the tuned plain path (``fit`` with ``jit_compile=True`` and
    ``steps_per_execution``, ``evaluate`` of the training and test sets in batches of ``eval_batch``)
    and the trainer, for one CNN spec (its ``train_examples`` cut the epoch); medians after the first."""

    (x, y), (x_test, y_test) = _model_inputs(spec, datasets)
    steps = len(x) // spec.batch_size
    plain = _tuned_plain(spec, steps, steps_per_execution)
    fast = loop.build_model(spec, steps)
    fast.set_weights(plain.get_weights())
    trainer = engine.make_engine(fast, spec.batch_size)
    device_arrays = trainer.put(x, y), trainer.put(x_test, y_test)

    def plain_epoch():
        return _plain_epoch(plain, x, y, x_test, y_test, spec.batch_size, eval_batch)

    plain_times, fast_times = _alternate(
        plain_epoch, trainer, device_arrays, spec.seed, epochs, f"cnn ({len(x)} training images)", log
    )
    train_flops, eval_flops = cnn_epoch_flops(fast, steps * spec.batch_size, len(x) + len(x_test))
    plain_s, fast_s = float(np.median(plain_times[1:])), float(np.median(fast_times[1:]))
    return {
        "train_examples": len(x),
        "test_examples": len(x_test),
        "batch_size": spec.batch_size,
        "steps_per_execution": steps_per_execution,
        "eval_batch": eval_batch,
        "epoch_flops": {"train": train_flops, "eval": eval_flops},
        "plain_seconds": plain_s,
        "trainer_seconds": fast_s,
        "speedup": float(np.median([p / f for p, f in zip(plain_times[1:], fast_times[1:])])),
        "trainer_gflops": (train_flops + eval_flops) / fast_s / 1e9,
        "plain_epochs": plain_times,
        "trainer_epochs": fast_times,
    }


def cnn_table(result, full_train=60000, full_test=10000):
    """The CNN benchmark as Markdown, with the full epoch projected from the timed one by its FLOPs."""
    work = result["epoch_flops"]["train"] + result["epoch_flops"]["eval"]
    scale = (full_train * 3 + full_train + full_test) / (
        result["train_examples"] * 3 + result["train_examples"] + result["test_examples"]
    )
    lines = [
        f"The CNN report's network, {result['train_examples']} training and {result['test_examples']} test images per timed epoch "
        f"(batches of {result['batch_size']}; {work / 1e12:.2f} TFLOP), medians of {len(result['plain_epochs']) - 1} epochs after the first.",
        "",
        "| path | s/epoch (timed) | full epoch, projected (s) | GFLOP/s |",
        "| --- | --- | --- | --- |",
        f"| plain Keras: fit(jit_compile=True, steps_per_execution={result['steps_per_execution']}), evaluate(batch_size={result['eval_batch']}) | "
        f"{result['plain_seconds']:.2f} | {result['plain_seconds'] * scale:.0f} | {work / result['plain_seconds'] / 1e9:.1f} |",
        f"| keras_reg trainer | {result['trainer_seconds']:.2f} | {result['trainer_seconds'] * scale:.0f} | {result['trainer_gflops']:.1f} |",
        "",
        f"Speed-up of the trainer (median of the paired epochs): {result['speedup']:.2f}x. The projection scales by the epoch's "
        "work in forward-pass units (training images x 3 + evaluated images).",
    ]
    return "\n".join(lines) + "\n"
