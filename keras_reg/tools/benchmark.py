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
from keras_reg.tools.ceiling import epoch_flops, matmul_throughput, matrix_products_epoch

__all__ = ["benchmark_case", "side_by_side", "makespan", "run", "table"]


def model_inputs(config, datasets):
    """MNIST as the spec's model is fed (its split), with int32 labels."""

    (x, y), (x_test, y_test) = registry.load_data(config, datasets)
    return (x, np.asarray(y, np.int32)), (x_test, np.asarray(y_test, np.int32))


def both_paths(config, arrays):
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


def plain_epoch(model, x, y, x_test, y_test, batch_size, eval_batch=None):
    """Seconds of ``fit`` for one epoch and ``evaluate`` of both sets (``eval_batch`` None: Keras's 32)."""
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=eval_batch, verbose=0)
    model.evaluate(x_test, y_test, batch_size=eval_batch, verbose=0)
    return time.perf_counter() - start


def alternate(run_plain_epoch, trainer, device_arrays, seed, epochs, label, log):
    """(plain seconds, trainer seconds) per epoch, the two paths' epochs alternated; ``run_plain_epoch()``
    times one epoch of the plain path."""

    (xd, yd), (xtd, ytd) = device_arrays
    plain_times, fast_times = [], []
    for epoch in range(1, epochs + 1):
        plain_times.append(run_plain_epoch())
        start = time.perf_counter()
        trainer.train_epoch(xd, yd, loop.epoch_order(seed, epoch, int(xd.shape[0])))
        trainer.evaluate(xd, yd)
        trainer.evaluate(xtd, ytd)
        fast_times.append(time.perf_counter() - start)
        log(f"  {label} epoch {epoch}: plain {plain_times[-1]:6.2f} s, trainer {fast_times[-1]:6.2f} s")
    return plain_times, fast_times


def benchmark_case(config, datasets, epochs=5, log=print):
    """Alternately timed epochs of both paths for one RunConfig; returns a dict of medians (after the first)."""
    (x, y), (x_test, y_test) = arrays = model_inputs(config, datasets)
    plain, trainer, device_arrays = both_paths(config, arrays)
    label = f"{config.builder_args.get('regularizer', config.model):8s}"
    plain_times, fast_times = alternate(
        lambda: plain_epoch(plain, x, y, x_test, y_test, config.batch_size),
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
