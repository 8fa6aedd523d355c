"""Run directories that cannot be corrupted: the lock, and every file damaged in every way.

For each file of a finished and of a half-finished run directory, each fault (truncated, garbage,
deleted) is followed by the figures, the resume and the figures again: each command either
succeeds with a consistent directory or ends in one line naming the file and what to do, and the
other run's files are untouched. Tiny planar runs keep it fast.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keras_reg import cli, files
from keras_reg.run import rundir

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
FILES = ("config.json", "history.csv", "checkpoint.npz", "model.keras", ".lock")
FAULTS = ("truncate", "garbage", "delete")


def _run(out_dir, epochs, capsys, case="none"):
    status = cli.run_train(_flags_for(out_dir, epochs, case), ["train.py"])
    return status, capsys.readouterr().err


def _figures(runs_dir, out_dir, capsys):
    from absl import flags

    fv = flags.FlagValues()
    cli.define_figures_flags(fv)
    fv(["make_figures.py", "--experiment=planar", f"--runs_dir={runs_dir}", f"--out_dir={out_dir}"])
    status = cli.run_figures(fv, ["make_figures.py"])
    return status, capsys.readouterr().err


def _damage(path, fault):
    if fault == "delete":
        path.unlink(missing_ok=True)
    elif fault == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(os.urandom(300))


def _digest(run_dir):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run_dir.iterdir())
        if p.is_file() and p.name != ".lock"
    }


def _one_line_or_ok(status, err, program):
    assert status in (0, 2), (status, err)
    if status:
        assert err.count("\n") == 1 and err.startswith(f"{program}: error: ") and "Traceback" not in err, err


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """runs/none/seed_0 finished (1000 steps), runs/l2/seed_0 another finished run, and a half-finished
    copy of the first (asked for 2000 steps: its checkpoint is after 1000)."""
    base = tmp_path_factory.mktemp("template")
    for case in ("none", "l2"):
        assert cli.run_train(_flags_for(base / "runs" / case / "seed_0", 1000, case), ["train.py"]) == 0
    return base


def _flags_for(out_dir, epochs, case):
    from absl import flags

    fv = flags.FlagValues()
    cli.define_train_flags(fv)
    fv(
        [
            "train.py",
            "--experiment=planar",
            f"--case={case}",
            f"--epochs={epochs}",
            "--eval_every=500",
            f"--out_dir={out_dir}",
        ]
    )
    return fv


@pytest.mark.parametrize("state", ["finished", "half_finished"])
@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("fault", FAULTS)
def test_every_damaged_file_is_rebuilt_or_refused_in_one_line(template, tmp_path, capsys, state, name, fault):
    import shutil

    shutil.copytree(template, tmp_path / "t", symlinks=True)
    runs = tmp_path / "t" / "runs"
    run_dir, other = runs / "none" / "seed_0", runs / "l2" / "seed_0"
    epochs = 1000 if state == "finished" else 2000
    other_before = _digest(other)
    _damage(run_dir / name, fault)
    if name == "history.csv" and fault != "delete":  # a damaged history is never drawn from
        status, err = _figures(runs, tmp_path / "figs", capsys)
        assert status == 2 and "history.csv" in err and err.count("\n") == 1
    _one_line_or_ok(*_figures(runs, tmp_path / "figs", capsys), "make_figures.py")
    status, err = _run(run_dir, epochs, capsys)
    _one_line_or_ok(status, err, "train.py")
    if status == 0:  # then the directory is consistent: a spec, a history to its last epoch, figures
        assert rundir.read_spec(run_dir).epochs == epochs
        assert rundir.read_history(run_dir)["epoch"][-1] == epochs
        _one_line_or_ok(*_figures(runs, tmp_path / "figs", capsys), "make_figures.py")
    else:
        assert any(word in err for word in ("--overwrite", "delete")), err
    assert _digest(other) == other_before


@pytest.mark.backend
def test_a_damaged_config_json_is_one_line_from_the_script_not_a_traceback(tmp_path, capsys):
    run_dir = tmp_path / "run"
    args = [
        str(SCRIPTS / "train.py"),
        "--experiment=planar",
        "--epochs=500",
        "--eval_every=500",
        f"--out_dir={run_dir}",
    ]
    assert _run(run_dir, 500, capsys)[0] == 0  # the first run in this process; the script's exit matters below
    (run_dir / "checkpoint.npz").unlink()  # as in a committed run directory: no checkpoint to rebuild from
    (run_dir / "config.json").write_text("{not json")
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "config.json is damaged" in result.stderr and "--overwrite" in result.stderr


@pytest.mark.backend
def test_a_write_that_fills_the_disk_names_its_file_and_leaves_no_temporary_copy(tmp_path, monkeypatch):
    import errno

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")  # as fsync or write raise it: no file named

    monkeypatch.setattr(files.os, "fsync", full)
    (tmp_path / "history.csv").write_text("kept")
    with pytest.raises(OSError) as info:
        files.atomic_write(tmp_path / "history.csv", b"new")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(tmp_path / "history.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]
    assert (tmp_path / "history.csv").read_text() == "kept"


def test_a_run_directory_in_use_is_refused_at_once_naming_the_holder(tmp_path, monkeypatch, capsys):
    from keras_reg.studies.planar import data as planar_data

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    fd = files.acquire_lock(run_dir / rundir.LOCK)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(planar_data, "planar_dataset", lambda *a, **k: pytest.fail("data was loaded"))
            status, err = _run(run_dir, 500, capsys)
        assert status == 2 and err.count("\n") == 1 and f"in use by process {os.getpid()}" in err
    finally:
        files.release_lock(fd)
    assert _run(run_dir, 500, capsys)[0] == 0  # released: usable again


@pytest.mark.backend
def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    path = tmp_path / ".lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from keras_reg import files; import time; files.acquire_lock({str(path)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(files.Locked) as info:
        files.acquire_lock(path)
    assert info.value.holder == holder.pid
    holder.kill()
    holder.wait()
    files.release_lock(files.acquire_lock(path))


@pytest.mark.backend
def test_two_grids_into_one_folder_share_the_runs_and_train_each_once(tmp_path):
    args = [
        str(SCRIPTS / "run_experiment.py"),
        "--experiment=planar",
        "--seeds=0,1",
        "--epochs=3000",
        "--eval_every=500",
        f"--out_dir={tmp_path}",
        "--workers=1",
        "--train_only",
    ]
    first, second = (
        subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    )
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [o[1][-2000:] for o in outputs]
    logs = "".join(o[0] for o in outputs)
    for case in ("none", "l2", "dropout", "dropout_fixed_mask"):
        for seed in (0, 1):
            assert rundir.read_history(tmp_path / "runs" / case / f"seed_{seed}")["epoch"][-1] == 3000
    trained = sum("epoch 3000/3000" in line for line in logs.splitlines())
    assert trained == 8, logs[-3000:]  # each of the 8 runs trained once, by one grid or the other


@pytest.mark.backend
def test_the_workers_of_a_killed_grid_stop_and_free_their_runs(tmp_path):
    import signal
    import time

    args = [
        str(SCRIPTS / "run_experiment.py"),
        "--experiment=planar",
        "--cases=none,l2",
        "--seeds=0",
        "--epochs=3000000",
        "--eval_every=1000",
        f"--out_dir={tmp_path}",
        "--workers=2",
        "--train_only",
    ]
    grid = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 240
        histories = [tmp_path / "runs" / case / "seed_0" / "history.csv" for case in ("none", "l2")]
        while not all(h.exists() for h in histories):  # both workers are training
            assert time.monotonic() < deadline and grid.poll() is None, (
                grid.stdout.read() if grid.poll() is not None else "no history after 240 s"
            )
            time.sleep(0.5)
        grid.kill()  # the grid's process only, as a scheduler or the OOM killer would
        grid.wait()
        deadline = time.monotonic() + 30
        while True:  # the workers notice and exit
            try:
                os.killpg(grid.pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, "the workers of the killed grid still run after 30 s"
            time.sleep(0.5)
    finally:
        try:
            os.killpg(grid.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for history in histories:  # their locks are free: another grid can take the runs up
        files.release_lock(files.acquire_lock(history.parent / ".lock"))
