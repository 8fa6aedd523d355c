"""Runs that differ only in their seed, trained as one computation (the JAX backend's ``vmap``:
:class:`keras_reg.run.engine.SeedStack`), each into its own run directory with the files and
resumption of :func:`keras_reg.run.loop.train_and_evaluate`.
"""

import dataclasses
import time

import numpy as np

from keras_reg.run import engine
from keras_reg.run.loop import _Run
from keras_reg.run.registry import load_data
from keras_reg.run.rundir import DivergenceError, data_digest

__all__ = ["train_seed_stack", "seed_stack_key"]


def seed_stack_key(config):
    """What the runs of one seed stack share: every setting that decides the run but its seed."""
    return dataclasses.replace(config, seed=0).identity()


def train_seed_stack(configs, run_dirs, datasets=None, log=print, labels=None, metas=None, allow_backend_change=False):
    """Trains runs that differ only in their seed as one computation (:class:`keras_reg.run.engine.SeedStack`,
    JAX backend), each into its own run directory, with the files and resumption of
    :func:`train_and_evaluate`; returns the list of their stats. Each run's lines reach ``log``
    prefixed by its label (default: its run directory); ``allow_backend_change`` as there.

    Runs resumed from different epochs train as separate stacks, one after another; finished runs
    are left as they are. Every run's ``seconds`` column is the wall time of the stack's epoch. A run
    that diverges stops (its history and ``divergence.json`` kept) while the others of its stack
    finish; no further stack begins, and the first :class:`DivergenceError` is raised.
    """
    if len(run_dirs) != len(configs):
        raise ValueError(f"train_seed_stack needs one run directory per config ({len(configs)}); got {len(run_dirs)}")
    if len({seed_stack_key(c) for c in configs}) > 1:
        raise ValueError("train_seed_stack trains configurations that differ only in their seed")
    labels = [str(d) for d in run_dirs] if labels is None else labels
    metas = [None] * len(configs) if metas is None else metas
    runs = [
        _Run(c, d, False, lambda line, label=label: log(f"{label} | {line}"), m, allow_backend_change)
        for c, d, label, m in zip(configs, run_dirs, labels, metas)
    ]
    try:
        stats = {id(run): run.stats(False) for run in runs if run.finished and not run.incomplete}
        waiting = [run for run in runs if id(run) not in stats]
        if waiting:
            data = load_data(waiting[0].config, datasets)
            failures = []
            for start_epoch in sorted({run.state.start_epoch for run in waiting}):
                if failures:  # as in run_grid: after a failure, nothing new begins
                    break
                together = [run for run in waiting if run.state.start_epoch == start_epoch]
                stats.update(_train_together(together, data, failures))
            if failures:
                raise failures[0]
        return [stats[id(run)] for run in runs]
    finally:
        for run in runs:
            run.release()


def _train_together(runs, datasets, failures):
    """{id(run): stats} of ``runs`` (all resuming after the same epoch) trained as one SeedStack;
    the DivergenceError of each run that diverged is appended to ``failures``."""
    (x_train, y_train), (x_test, y_test) = datasets
    stack = engine.SeedStack(
        [run.build(x_train) for run in runs], runs[0].batch_size(len(x_train)), metric=runs[0].config.metric
    )
    digest = data_digest(datasets)  # the stack's runs share the arrays: hashed once
    for run in runs:
        run.check_data(datasets, digest)
        run.begin()
    x, y = stack.put(x_train, y_train)
    xt, yt = stack.put(x_test, y_test)
    live, stats = list(range(len(runs))), {}
    for epoch in runs[0].epochs():
        if not live:
            break
        start = time.perf_counter()
        # A run that diverged stays in the stack (its state is no longer recorded), on any order.
        orders = {k: run.begin_epoch(epoch, len(x_train)) for k, run in enumerate(runs) if k in live}
        idle = np.arange(len(next(iter(orders.values())))) % len(x_train)
        orders = [orders.get(k, idle) for k in range(len(runs))]
        results = stack.train_epoch(x, y, orders)
        # Only the live runs are evaluated: a diverged run's numbers would not be recorded.
        train, test, penalties = stack.evaluate(x, y, live), stack.evaluate(xt, yt, live), stack.penalties(live)
        seconds = time.perf_counter() - start
        for k, train_k, test_k, penalty_k in zip(list(live), train, test, penalties):
            try:
                runs[k].check_steps(epoch, results[k])
                runs[k].end_epoch(epoch, results[k], train_k, test_k, penalty_k, seconds)
            except DivergenceError as error:
                failures.append(error)
                live.remove(k)
    for k in live:
        stats[id(runs[k])] = runs[k].finish((x_test, y_test))
    return stats
