"""A run directory trusts only what it can prove is its own: the checkpoint, config.json,
history.csv and the data a run resumes on must all be the same run's (issue: nothing mixed)."""

import shutil

import numpy as np
import pytest
from helpers import mark_trained_on, quiet, tiny_config, tiny_datasets

from keras_reg.artifacts import io as artifact_io
from keras_reg.artifacts import registry as artifact_registry
from keras_reg.run import experiment, loop, registry, rundir


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A standard run and an L2 run, each cut after epoch 1 of 2 (their checkpoints kept)."""
    root = tmp_path_factory.mktemp("runs")
    for name, regularizer in (("standard", "none"), ("l2", "l2")):
        loop.train_and_evaluate(
            tiny_config(regularizer=regularizer, epochs=1), root / name, datasets=tiny_datasets(), log=quiet
        )
    return root


def _copy(two_runs, tmp_path, name):
    shutil.copytree(two_runs / name, tmp_path / name)
    (tmp_path / name / rundir.LOCK).unlink(missing_ok=True)
    return tmp_path / name


def test_a_checkpoint_of_another_run_is_refused(two_runs, tmp_path):
    run = _copy(two_runs, tmp_path, "standard")
    shutil.copy(two_runs / "l2" / rundir.CHECKPOINT, run / rundir.CHECKPOINT)
    with pytest.raises(rundir.RunDirError) as info:
        loop.train_and_evaluate(tiny_config(regularizer="none", epochs=2), run, datasets=tiny_datasets(), log=quiet)
    assert "checkpoint belongs to another run" in _one_line(info) and "regularizer" in str(info.value)


def test_a_config_edited_by_hand_beside_its_checkpoint_is_refused(two_runs, tmp_path):
    run = _copy(two_runs, tmp_path, "standard")
    text = (run / "config.json").read_text()
    (run / "config.json").write_text(text.replace('"learning_rate": 0.1', '"learning_rate": 0.3'))
    with pytest.raises(rundir.RunDirError) as info:
        loop.train_and_evaluate(
            tiny_config(regularizer="none", epochs=2, learning_rate=0.3), run, datasets=tiny_datasets(), log=quiet
        )
    assert "learning_rate" in _one_line(info)


@pytest.mark.parametrize("damage", ["one_value", "nan", "reversed"])
def test_a_history_that_differs_from_its_checkpoint_is_rebuilt_from_it(two_runs, tmp_path, damage):
    run = _copy(two_runs, tmp_path, "l2")
    before = rundir.read_history(run)
    lines = (run / "history.csv").read_text().splitlines()
    header, row = lines[0], lines[1].split(",")
    if damage == "one_value":
        row[4] = "0.123"
        lines[1] = ",".join(row)
    elif damage == "nan":
        row[2] = "nan"
        lines[1] = ",".join(row)
    else:
        lines = [header, lines[1], lines[1]]
    (run / "history.csv").write_text("\n".join(lines) + "\n")
    log = []
    stats = loop.train_and_evaluate(tiny_config(regularizer="l2", epochs=1), run, datasets=None, log=log.append)
    assert not stats["trained"] and any("rebuilt from the checkpoint" in line for line in log)
    after = rundir.read_history(run)
    for column in rundir.HISTORY_COLUMNS:
        np.testing.assert_array_equal(after[column], before[column])


@pytest.mark.parametrize("value, what", [("nan", "not finite"), ("7.5", "accuracy"), ("-1.0", "loss")])
def test_a_history_with_impossible_values_is_refused_in_one_line(tmp_path, value, what):
    run = tmp_path / "run"
    run.mkdir()
    columns = {"nan": 4, "7.5": 2, "-1.0": 1}[value]
    row = ["1", "0.5", "0.9", "0.5", "0.9", "0.0", "0.5", "1.0"]
    row[columns] = value
    (run / "history.csv").write_text(",".join(rundir.HISTORY_COLUMNS) + "\n" + ",".join(row) + "\n")
    with pytest.raises(rundir.RunDirError) as info:
        rundir.read_history(run)
    message = _one_line(info)
    assert str(run / "history.csv") in message and (value in message or "nan" in message)


def test_epochs_must_increase(tmp_path):
    row = lambda epoch: ",".join([str(epoch), "0.5", "0.9", "0.5", "0.9", "0.0", "0.5", "1.0"])  # noqa: E731
    (tmp_path / "history.csv").write_text(",".join(rundir.HISTORY_COLUMNS) + f"\n{row(2)}\n{row(1)}\n")
    with pytest.raises(rundir.RunDirError, match="epochs"):
        rundir.read_history(tmp_path)


def test_resuming_on_other_data_or_another_backend_is_refused(two_runs, tmp_path):
    run = _copy(two_runs, tmp_path, "l2")
    (x, y), test = tiny_datasets()
    order = np.random.default_rng(0).permutation(len(x))
    with pytest.raises(rundir.RunDirError) as info:
        loop.train_and_evaluate(
            tiny_config(regularizer="l2", epochs=2), run, datasets=((x[order], y[order]), test), log=quiet
        )
    assert "other data" in _one_line(info)
    mark_trained_on(run, "torch")
    with pytest.raises(rundir.RunDirError) as info:
        loop.train_and_evaluate(tiny_config(regularizer="l2", epochs=2), run, datasets=tiny_datasets(), log=quiet)
    assert "KERAS_BACKEND=torch" in _one_line(info) and "--allow_backend_change" in str(info.value)


def test_a_backend_change_asked_for_is_resumed_and_recorded(two_runs, tmp_path):
    import json

    import keras

    run = _copy(two_runs, tmp_path, "l2")
    mark_trained_on(run, "torch")
    log = []
    stats = loop.train_and_evaluate(
        tiny_config(regularizer="l2", epochs=2),
        run,
        datasets=tiny_datasets(),
        log=log.append,
        allow_backend_change=True,
    )
    assert stats["resumed_from"] == 1 and stats["epochs"] == 2 and any("going on with" in line for line in log)
    change = {"after_epoch": 1, "from": "torch", "to": keras.backend.backend()}
    assert json.loads((run / "config.json").read_text())["backend_changes"] == [change]
    # Kept when the run goes on on its new backend, which needs no permission.
    loop.train_and_evaluate(tiny_config(regularizer="l2", epochs=3), run, datasets=tiny_datasets(), log=quiet)
    assert json.loads((run / "config.json").read_text())["backend_changes"] == [change]


def test_the_data_a_run_trained_on_is_recorded(two_runs):
    import json

    recorded = json.loads((two_runs / "l2" / "config.json").read_text())["data"]
    assert recorded["sha256"] == rundir.data_digest(registry.load_data(tiny_config(regularizer="l2"), tiny_datasets()))


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo"])
def test_a_lock_that_is_not_a_plain_file_is_refused_and_never_followed(tmp_path, kind):
    import os

    run = tmp_path / "run"
    run.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    lock = run / rundir.LOCK
    {"symlink": lambda: lock.symlink_to(victim), "directory": lock.mkdir, "fifo": lambda: os.mkfifo(lock)}[kind]()
    with pytest.raises(rundir.RunDirError) as info:
        loop.train_and_evaluate(tiny_config(epochs=1), run, datasets=tiny_datasets(), log=quiet)
    assert "not a lock file" in _one_line(info) and str(lock) in str(info.value)
    assert victim.read_text() == "not yours\n"


def test_disk_full_mid_run_is_one_line_and_the_run_resumes(tmp_path, capsys, monkeypatch):
    import errno

    from absl import flags

    from keras_reg import cli

    write, calls = rundir.write_history, []

    def full(run_dir, rows):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(run_dir / "history.csv"))
        write(run_dir, rows)

    monkeypatch.setattr(loop, "write_history", full)
    fv = flags.FlagValues()
    cli.define_train_flags(fv)
    fv(["train.py", "--experiment=planar", "--epochs=1500", "--eval_every=500", f"--out_dir={tmp_path / 'run'}"])
    assert cli.run_train(fv, ["train.py"]) == cli.EXIT["os"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "history.csv" in err
    monkeypatch.setattr(loop, "write_history", write)
    assert cli.run_train(fv, ["train.py"]) == 0
    assert "resuming after epoch 1000" in capsys.readouterr().out  # the checkpoint of epoch 1000 was kept
    assert list(rundir.read_history(tmp_path / "run")["epoch"]) == [500, 1000, 1500]


def test_a_kill_while_the_model_was_saved_is_completed_by_the_rerun(two_runs, tmp_path):
    run = _copy(two_runs, tmp_path, "l2")
    before = rundir.read_history(run)
    (run / "model.keras").unlink()
    (run / "weights.json").unlink()
    (run / ".model.partial.keras").write_bytes(b"half a zip")  # what a kill mid-save leaves
    (run / ".checkpoint.npz.abc.tmp").write_bytes(b"half a checkpoint")
    log = []
    loop.train_and_evaluate(tiny_config(regularizer="l2", epochs=1), run, datasets=tiny_datasets(), log=log.append)
    assert any("completing them" in line for line in log) and not any("already finished" in line for line in log)
    assert (run / "model.keras").exists() and (run / "weights.json").exists()
    assert not list(run.glob(".*.tmp")) and not (run / ".model.partial.keras").exists()
    after = rundir.read_history(run)
    for column in rundir.HISTORY_COLUMNS:
        np.testing.assert_array_equal(after[column], before[column])


def test_the_report_refuses_a_run_of_another_case_in_a_cases_folder(two_runs, tmp_path):
    from keras_reg.run import rundir

    runs_dir = tmp_path / "runs"
    shutil.copytree(two_runs / "l2", runs_dir / "dropout" / "seed_0")  # an L2 run under dropout/
    shutil.copytree(two_runs / "standard", runs_dir / "standard" / "seed_0")
    with pytest.raises(rundir.RunDirError) as info:
        artifact_registry.make_all(experiment.EXPERIMENTS["paper"], runs_dir, tmp_path / "out")
    message = _one_line(info)
    assert "dropout/seed_0 holds another run than case dropout" in message and "regularizer='l2'" in message
    assert not (tmp_path / "out").exists()  # nothing drawn from it


def test_a_header_only_history_is_refused_not_silently_dropped(two_runs, tmp_path):
    from keras_reg.run import rundir

    runs_dir = tmp_path / "runs"
    shutil.copytree(two_runs / "standard", runs_dir / "standard" / "seed_0")
    (runs_dir / "standard" / "seed_1").mkdir()
    (runs_dir / "standard" / "seed_1" / "history.csv").write_text(",".join(rundir.HISTORY_COLUMNS) + "\n")
    with pytest.raises(rundir.RunDirError) as info:
        artifact_io.load_runs(runs_dir, experiment.EXPERIMENTS["paper"].cases)
    assert "seed_1/history.csv has no row" in _one_line(info)
