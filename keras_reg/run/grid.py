"""Runs grids of run specs into run directories: any experiment's cases and seeds.

Finished run directories are reused and partial ones resumed (see :mod:`keras_reg.run.resume`);
each data set is fetched once for the whole grid. On a CPU the runs train side by side, one process per
core (:func:`default_workers`): the paper MLP's small matrix products keep two threads of one
process well short of busy, and two single-threaded processes train two runs in about 0.71x the
time the two take one after the other (README, Speed), to the same bits.
"""

import os
import queue
import tempfile
import time
from concurrent import futures
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from keras_reg import files
from keras_reg.checks import ConfigError
from keras_reg.run import loop, registry, rundir, stacks

__all__ = ["run_grid", "default_workers", "WorkerError", "fetch_key"]


class WorkerError(RuntimeError):
    """A worker process ended before its run did: killed (out of memory?) or unable to start."""


def fetch_key(spec):
    """Runs whose specs share this share their data set's raw arrays."""

    return (registry.DATASETS[spec.dataset].fetch_key, spec.data_source)


def _fetch_all(specs, datasets):
    """{fetch key: raw arrays} for the specs; ``datasets`` (raw arrays) stands in for every fetch."""

    raws = {}
    for spec in specs:
        key = fetch_key(spec)
        if key not in raws:
            raws[key] = datasets if datasets is not None else registry.DATASETS[spec.dataset].fetch(spec.data_source)
    return raws


def default_workers(runs):
    """How many of ``runs`` runs train at once when not told: one per CPU core (at most one per
    2 GiB of memory) with TensorFlow on a CPU; 1 on a GPU or another backend (not measured there)."""
    import keras

    if runs <= 1 or keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return 1
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    return max(1, min(runs, _cores(), memory // 2**31 or runs))


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_grid(
    grid, runs_dir, datasets=None, workers=1, vectorize_seeds=False, log=print, meta=None, allow_backend_change=False
):
    """Trains every run spec of ``grid`` into ``runs_dir/<key>``; returns {key: stats}.

    A key whose spec trains identically to an earlier key's (same ``identity()``; training is
    deterministic) becomes a symbolic link to that run directory. ``datasets``: raw arrays to use
    for every run instead of fetching (a hook for tests); ``meta``: {key: what config.json records
    beside the spec}; ``allow_backend_change``: resume runs trained on another Keras backend (as
    :func:`~keras_reg.run.loop.train_and_evaluate`). With
    ``workers`` > 1 (0: :func:`default_workers`) the runs to train go to that many processes,
    each limited to its share of the CPU cores; their progress lines reach ``log`` prefixed by the
    key. If a run fails, the runs in progress still finish and the runs not begun are not begun;
    then the first failure is raised. If a worker process dies, every worker stops and
    :class:`WorkerError` names the runs stopped; each resumes from its last completed epoch.

    With ``vectorize_seeds`` (JAX backend, one process) the runs that differ only in their seed
    train as one computation (:func:`keras_reg.run.stacks.train_seed_stack`), one stack after another.
    """

    if vectorize_seeds:
        import keras

        if keras.backend.backend() != "jax":
            raise ConfigError(
                "vectorize_seeds",
                True,
                f"False unless KERAS_BACKEND=jax (it vectorizes with jax.vmap; the backend is {keras.backend.backend()!r})",
            )
        if workers not in (0, 1):
            raise ConfigError("workers", workers, "0 or 1 with vectorize_seeds (one process trains the stacks)")
    meta = meta or {}

    def train(key, config, datasets=None):
        return loop.train_and_evaluate(
            config,
            Path(runs_dir) / key,
            datasets=datasets,
            log=log,
            meta=meta.get(key),
            allow_backend_change=allow_backend_change,
        )

    first_key = {}
    plan = [(key, config, first_key.setdefault(config.identity(), key)) for key, config in grid.items()]
    for key, config, same in plan:  # every directory is checked before anything trains
        rundir.check_writable(Path(runs_dir) / key if same == key else (Path(runs_dir) / key).parent)
    results, to_train = {}, []
    for i, (key, config, same) in enumerate(plan, start=1):
        run_dir = Path(runs_dir) / key
        if same != key:
            if run_dir.is_dir() and not run_dir.is_symlink() and not any(run_dir.iterdir()):
                run_dir.rmdir()
            if not run_dir.exists():
                run_dir.symlink_to(
                    Path(os.path.relpath(Path(runs_dir) / same, run_dir.parent)), target_is_directory=True
                )
            log(f"[{i}/{len(grid)}] {key}: same configuration as {same}")
        elif _finished(run_dir, config):
            log(f"[{i}/{len(grid)}] {key}")
            results[key] = train(key, config, datasets)  # loads data only to complete a killed run's end
        else:
            to_train.append((i, key, config))
    raws = _fetch_all([c for _, _, c in to_train], datasets)
    workers = min(default_workers(len(to_train)) if workers == 0 else workers, len(to_train))
    if vectorize_seeds:
        results.update(_train_stacks(to_train, runs_dir, raws, len(grid), log, meta, allow_backend_change))
    elif workers > 1:
        results.update(_train_in_workers(to_train, runs_dir, raws, workers, len(grid), log, meta, allow_backend_change))
    else:
        for i, key, config in to_train:
            log(f"[{i}/{len(grid)}] {key}")
            try:
                results[key] = train(key, config, raws[fetch_key(config)])
            except rundir.RunLockedError as e:
                log(f"[{i}/{len(grid)}] {key}: {e}; going on with the others")
    # Runs another process was training (a second grid into the same folder): wait for each, then
    # take it as it stands (finished, or resumed here if that process stopped short).
    for i, key, config in to_train:
        if key not in results:
            log(f"[{i}/{len(grid)}] {key}: waiting for the other process to finish it")
            files.wait_for_lock(Path(runs_dir) / key / rundir.LOCK)
            results[key] = train(key, config, raws[fetch_key(config)])
    return {key: results[same] for key, _, same in plan}


def _train_stacks(to_train, runs_dir, raws, total, log, meta, allow_backend_change):
    """{key: stats} of the runs ``to_train`` (index, key, config), the seeds of each configuration
    trained as one stack."""

    groups = {}
    for item in to_train:
        groups.setdefault(stacks.seed_stack_key(item[2]), []).append(item)
    results = {}
    for members in groups.values():
        labels = [f"[{i}/{total}] {key}" for i, key, _ in members]
        log(f"training {', '.join(labels)} as one stack")
        config = members[0][2]
        stats = stacks.train_seed_stack(
            [c for _, _, c in members],
            [Path(runs_dir) / key for _, key, _ in members],
            raws[fetch_key(config)],
            log,
            labels,
            [meta.get(key) for _, key, _ in members],
            allow_backend_change,
        )
        results.update(zip((key for _, key, _ in members), stats))
    return results


def _train_in_workers(to_train, runs_dir, raws, workers, total, log, meta, allow_backend_change):
    """{key: stats} of the runs ``to_train`` (index, key, config), trained by ``workers`` processes;
    a run another process holds is left out (run_grid waits for it)."""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # A spawned worker imports the main module again; unguarded, that module would start a pool
        # of its own, which multiprocessing refuses in a way that leaves the first pool waiting forever.
        raise RuntimeError(
            "run_grid(workers > 1) was called while a worker process imported the main module: "
            "put the code that calls it under `if __name__ == '__main__':`"
        )
    threads = max(1, _cores() // workers)
    log(f"training {len(to_train)} runs in {workers} processes of {threads} thread{'s' * (threads > 1)} each")
    context = multiprocessing.get_context("spawn")  # a fork would copy the parent's TensorFlow runtime
    lines = context.Queue()
    results, failure, stopped, waiting, running = {}, None, [], iter(to_train), {}
    _remove_stale_shared_data(log)
    with (
        tempfile.TemporaryDirectory(prefix=f"{SHARED_PREFIX}{os.getpid()}_") as shared,
        futures.ProcessPoolExecutor(workers, context, _start_worker, (_share(raws, shared), threads, lines)) as pool,
    ):

        def start_next():  # one run per free worker, so that after a failure nothing new begins
            item = next(waiting, None)
            if item is not None:
                i, key, config = item
                running[
                    pool.submit(
                        _train_one,
                        f"[{i}/{total}] {key}",
                        config,
                        str(Path(runs_dir) / key),
                        meta.get(key),
                        allow_backend_change,
                    )
                ] = key

        for _ in range(workers):
            start_next()
        while running:
            finished, _ = futures.wait(running, timeout=0.5, return_when=futures.FIRST_COMPLETED)
            _drain(lines, log)
            for future in finished:
                key = running.pop(future)
                try:
                    results[key] = future.result()
                except rundir.RunLockedError as e:  # another grid trains it: taken up at the end
                    log(f"{key}: {e}; going on with the others")
                except BrokenProcessPool:  # the pool stops every worker; no telling whose process died
                    stopped.append(key)
                except Exception as error:  # noqa: BLE001  (raised below, after the others finish)
                    if failure is None:
                        failure = error
                        log(f"{key} failed: {error}; the runs in progress finish, the others do not start")
            if failure is None and not stopped:  # a failure among them stops new runs
                for _ in finished:
                    start_next()
    _drain(lines, log)
    if failure is None and stopped:
        failure = WorkerError(
            "a worker process ended abruptly (killed, out of memory, or unable to start, as in a script that "
            f"calls run_grid outside `if __name__ == '__main__':`); {', '.join(k for _, k, _ in to_train if k in stopped)} "
            "stopped at the last completed epoch: run the same command again to resume"
        )
    if failure is not None:
        raise failure
    return results


SHARED_PREFIX = "keras_reg_data_"  # + the grid's process id: the raw arrays its workers load


def _remove_stale_shared_data(log):
    """Removes the shared data of grids whose process is gone (a grid killed with SIGKILL cannot
    remove its own: about 50 MB of MNIST each)."""
    import shutil

    for path in Path(tempfile.gettempdir()).glob(f"{SHARED_PREFIX}*_*"):
        pid = path.name[len(SHARED_PREFIX) :].split("_", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # gone: its data is nobody's
            shutil.rmtree(path, ignore_errors=True)
            log(f"removed {path}, the shared data of a grid that was killed (process {pid})")
        except PermissionError:  # alive, another user's
            pass


_WORKER = {}


def _share(raws, directory):
    """{fetch key: the paths of its raw arrays saved as .npy files in ``directory``}, for the workers.

    Not the arrays themselves: a worker that dies as it starts (a script without a main guard)
    would leave a parent still writing a large pickle to it waiting forever (CPython holds the
    pipe's read end open while it writes).
    """
    shared = {}
    for k, (key, raw) in enumerate(raws.items()):
        if raw is None:  # generated from the spec by the data set itself
            shared[key] = None
            continue
        (x_train, y_train), (x_test, y_test) = raw
        paths = [str(Path(directory) / f"{k}_{name}.npy") for name in ("x_train", "y_train", "x_test", "y_test")]
        for path, array in zip(paths, (x_train, y_train, x_test, y_test)):
            np.save(path, np.asarray(array))
        shared[key] = paths
    return shared


def _watch_parent():
    """Ends this worker when the process that started it is gone (killed, say): an orphan would go on
    training unobserved and hold its run's lock, so that the same command run again waits for it.
    Stopping at any moment is safe: run directories resume from their last completed epoch."""
    import threading

    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(3)

    threading.Thread(target=watch, name="keras_reg-watch-parent", daemon=True).start()


def _start_worker(shared, threads, lines):
    """Runs in each worker process before its first run: the data, the thread limit, the log queue,
    and a watch on the parent (:func:`_watch_parent`)."""
    import keras

    _watch_parent()

    raws = {}
    for key, paths in shared.items():
        arrays = None if paths is None else [np.load(path) for path in paths]
        raws[key] = None if arrays is None else ((arrays[0], arrays[1]), (arrays[2], arrays[3]))
    _WORKER.update(raws=raws, lines=lines)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def _train_one(label, config, run_dir, meta, allow_backend_change):

    def log(line):
        _WORKER["lines"].put(f"{label} | {line}")

    log("started")
    raws = _WORKER["raws"][fetch_key(config)]
    return loop.train_and_evaluate(
        config, run_dir, datasets=raws, log=log, meta=meta, allow_backend_change=allow_backend_change
    )


def _drain(lines, log):
    while True:
        try:
            log(lines.get_nowait())
        except queue.Empty:
            return


def _finished(run_dir, config):

    try:
        history, recorded = rundir.read_history(run_dir), rundir.read_spec(run_dir)
    except rundir.RunDirError:  # damaged: train_and_evaluate rebuilds it from the checkpoint or says what to do
        return False
    done = len(history["epoch"]) and history["epoch"][-1] >= config.epochs
    return bool(recorded is not None and recorded.identity() == config.identity() and done)
