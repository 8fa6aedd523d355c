"""run_grid: the runs of a grid trained one after another or side by side in worker processes."""

import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from concurrent import futures

import keras
import numpy as np
import pytest
from helpers import mark_trained_on

from keras_reg.checks import ConfigError
from keras_reg.run import grid as grids
from keras_reg.run import loop, rundir


def make_config(protocol="tf1_init", **values):
    """A spec of the paper's experiment; the tests' small data sets need a protocol of the 60,000-image split."""
    from keras_reg.run.experiment import EXPERIMENTS

    return EXPERIMENTS["paper"].spec("standard", protocol=protocol, **values)


def _grid(**overrides):
    values = dict(epochs=2, train_examples=300, test_examples=100, batch_size=50, learning_rate=0.1, seed=3)
    return {
        f"{case}/seed_3": make_config("tf1_init", **{**values, "regularizer": case, **overrides.get(case, {})})
        for case in ("none", "l2", "dropout")
    }


def _histories(runs_dir, grid):
    # Every column but the wall time of each epoch.
    return {key: {k: v for k, v in rundir.read_history(runs_dir / key).items() if k != "seconds"} for key in grid}


def _intra_op_threads():
    import tensorflow as tf

    return (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )


def _worker_data():
    (x_train, y_train), (x_test, y_test) = grids._WORKER["raws"]["key"]
    return x_train.tolist(), y_train.tolist(), x_test.tolist(), y_test.tolist()


def test_workers_train_the_same_runs_as_one_process_and_report_by_key(tmp_path, fake_mnist):
    grid = _grid()
    grids.run_grid(grid, tmp_path / "one", datasets=fake_mnist, workers=1, log=lambda line: None)
    lines = []
    stats = grids.run_grid(grid, tmp_path / "two", datasets=fake_mnist, workers=2, log=lines.append)
    assert list(stats) == list(grid) and all(s["trained"] and s["epochs"] == 2 for s in stats.values())
    one, two = _histories(tmp_path / "one", grid), _histories(tmp_path / "two", grid)
    for key in grid:
        assert set(two[key]) == set(one[key])
        for column in one[key]:
            # The workers run one thread each, the single process two. Bit for bit on the CPUs of
            # earlier sessions; on an AVX2 EPYC the threads split float32 sums otherwise (4e-8 in a
            # step loss of 0.195).
            # Another run's spec or seed would differ by far more than 1e-3; atol admits one of the
            # 100 test images (0.01) changing its predicted class.
            assert np.allclose(two[key][column], one[key][column], rtol=1e-3, atol=0.011), (
                key,
                column,
                two[key][column],
                one[key][column],
            )
    assert lines[0].startswith("training 3 runs in 2 processes of ")
    for i, key in enumerate(grid, start=1):
        assert sum(line.startswith(f"[{i}/3] {key} | epoch") for line in lines) == 2
    again = grids.run_grid(grid, tmp_path / "two", datasets=None, workers=2, log=lines.append)
    assert not any(s["trained"] for s in again.values())  # finished runs are reused, no data needed


def test_a_failed_worker_run_is_raised_after_the_runs_in_progress_finish(tmp_path, fake_mnist):
    grid = {
        key: config for key, config in sorted(_grid(none={"epochs": 20}).items(), key=lambda item: "l2" not in item[0])
    }
    other = dataclasses.replace(grid["l2/seed_3"], epochs=1, learning_rate=0.2)
    loop.train_and_evaluate(other, tmp_path / "l2/seed_3", datasets=fake_mnist, log=lambda line: None)
    # l2 (first) finds another run in its directory and fails as it opens it, long before none's 20
    # epochs end; dropout waits for a free worker, and none comes before the failure is known.
    with pytest.raises(rundir.RunDirError, match="learning_rate: 0.2 there, 0.1 here"):
        grids.run_grid(grid, tmp_path, datasets=fake_mnist, workers=2, log=lambda line: None)
    assert len(rundir.read_history(tmp_path / "none/seed_3")["epoch"]) == 20  # finished, not lost
    assert rundir.read_spec(tmp_path / "l2/seed_3") == other  # untouched
    assert not (tmp_path / "dropout/seed_3" / "config.json").exists()  # not begun after the failure


def test_errors_keep_their_fields_across_a_process_boundary():
    config_error = pickle.loads(pickle.dumps(ConfigError("alpha", -1.0, "a value >= 0")))
    assert (config_error.name, config_error.value, str(config_error)) == (
        "alpha",
        -1.0,
        str(ConfigError("alpha", -1.0, "a value >= 0")),
    )
    divergence = pickle.loads(pickle.dumps(rundir.DivergenceError("loss is NaN", 4, 17)))
    assert (str(divergence), divergence.epoch, divergence.step) == ("loss is NaN", 4, 17)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the thread limit is TensorFlow's")
def test_a_worker_process_is_limited_to_its_share_of_the_cores_and_gets_the_data(tmp_path):
    import multiprocessing

    import numpy as np

    datasets = (
        (np.arange(6, dtype=np.uint8).reshape(2, 3), np.array([1, 2], np.uint8)),
        (np.zeros((1, 3), np.uint8), np.array([7], np.uint8)),
    )
    context = multiprocessing.get_context("spawn")
    initargs = (grids._share({"key": datasets}, tmp_path), 1, context.Queue())
    with futures.ProcessPoolExecutor(1, context, grids._start_worker, initargs) as pool:
        assert pool.submit(_intra_op_threads).result() == (1, 1)
        assert pool.submit(_worker_data).result() == ([[0, 1, 2], [3, 4, 5]], [1, 2], [[0, 0, 0]], [7])


def test_default_workers_is_one_per_core_within_memory(monkeypatch):
    monkeypatch.setattr(grids, "_cores", lambda: 3)
    if keras.backend.backend() != "tensorflow":
        assert grids.default_workers(10) == 1  # side by side is measured with TensorFlow only
        return
    page, pages = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_PHYS_PAGES")
    assert grids.default_workers(1) == 1
    assert grids.default_workers(2) == min(2, page * pages // 2**31)
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 2 * 2**31 // 4096}[name])
    assert grids.default_workers(10) == 2  # 4 GiB: two processes, not three


def test_a_script_without_a_main_guard_fails_at_once_instead_of_waiting_for_its_workers(tmp_path):
    # Spawned workers import the main module again; unguarded, it used to leave the pool waiting forever.
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(f"""
        import numpy as np
        from keras_reg.run import grid as grids
        from keras_reg.run import loop
        from keras_reg.run import rundir
        from keras_reg.run.experiment import EXPERIMENTS
        grid = {{f"none/seed_{{s}}": EXPERIMENTS["paper"].spec("standard", protocol="tf1_init", epochs=1, train_examples=100,
                                                test_examples=100, batch_size=50, seed=s) for s in (0, 1)}}
        x, y = np.zeros((100, 28, 28), np.uint8), np.zeros(100, np.uint8)
        grids.run_grid(grid, {str(tmp_path / "runs")!r}, datasets=((x, y), (x, y)), workers=2)
    """)
    )
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the workers too
        process.communicate()
        pytest.fail("the script still waited for its workers after 300 s")
    assert process.returncode != 0
    assert "WorkerError: a worker process ended abruptly" in stderr and "none/seed_0" in stderr
    assert "put the code that calls it under `if __name__ == '__main__':`" in stderr  # the worker's own error


def test_the_shared_data_of_a_killed_grid_is_removed_by_the_next(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process id that no longer runs
    stale = tmp_path / f"{grids.SHARED_PREFIX}{dead.pid}_abc"
    mine = tmp_path / f"{grids.SHARED_PREFIX}{os.getpid()}_def"
    other = tmp_path / f"{grids.SHARED_PREFIX}1_ghi"  # process 1 runs
    for path in (stale, mine, other):
        path.mkdir()
        (path / "0_x_train.npy").write_bytes(b"x" * 1000)
    lines = []
    grids._remove_stale_shared_data(lines.append)
    assert not stale.exists() and mine.exists() and other.exists()
    assert len(lines) == 1 and str(dead.pid) in lines[0]


def test_a_grid_resumes_on_another_backend_only_when_asked_and_records_it(tmp_path, fake_mnist):
    import json

    grid = {"none/seed_3": _grid(none={"epochs": 1})["none/seed_3"]}
    grids.run_grid(grid, tmp_path, datasets=fake_mnist, log=lambda line: None)
    run = tmp_path / "none" / "seed_3"
    mark_trained_on(run, "torch")
    longer = {key: dataclasses.replace(config, epochs=2) for key, config in grid.items()}
    with pytest.raises(rundir.RunDirError, match="--allow_backend_change"):
        grids.run_grid(longer, tmp_path, datasets=fake_mnist, log=lambda line: None)
    stats = grids.run_grid(longer, tmp_path, datasets=fake_mnist, log=lambda line: None, allow_backend_change=True)
    assert stats["none/seed_3"]["resumed_from"] == 1 and stats["none/seed_3"]["epochs"] == 2
    change = {"after_epoch": 1, "from": "torch", "to": keras.backend.backend()}
    assert json.loads((run / "config.json").read_text())["backend_changes"] == [change]


def test_a_run_the_grid_completes_keeps_what_config_json_records_beside_the_spec(tmp_path, fake_mnist):
    import json

    grid = {"none/seed_3": _grid(none={"epochs": 1})["none/seed_3"]}
    meta = {"none/seed_3": {"experiment": "paper", "case": "none", "protocol": "tf1_init"}}
    grids.run_grid(grid, tmp_path, datasets=fake_mnist, log=lambda line: None, meta=meta)
    run = tmp_path / "none" / "seed_3"
    (run / "model.keras").unlink()  # as if killed while the end-of-run files were written
    lines = []
    grids.run_grid(grid, tmp_path, datasets=fake_mnist, log=lines.append, meta=meta)
    assert (run / "model.keras").exists() and any("completing them" in line for line in lines)
    assert json.loads((run / "config.json").read_text())["case"] == "none"
