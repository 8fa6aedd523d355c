"""train_and_evaluate end to end on a few hundred examples, through the data-injection hook (keras_reg/run/loop.py)."""

import json

import keras
import numpy as np
import pytest
from helpers import make_config, quiet, tiny_config, tiny_datasets

from keras_reg.checks import ConfigError
from keras_reg.run import loop, rundir, stacks


def test_run_directory_holds_config_history_model_and_logs(tmp_path):
    config = tiny_config()
    stats = loop.train_and_evaluate(config, tmp_path, datasets=tiny_datasets(), log=quiet)
    assert stats["epochs"] == 2 and stats["trained"] and stats["resumed_from"] == 0
    history = rundir.read_history(tmp_path)
    assert tuple(history) == rundir.HISTORY_COLUMNS
    assert list(history["epoch"]) == [1, 2]
    for column in ("train_accuracy", "test_accuracy"):
        assert np.all((history[column] >= 0) & (history[column] <= 1))
    assert np.all(history["penalty"] > 0) and np.all(history["seconds"] > 0)
    assert history["train_accuracy"][-1] > 0.5  # it learned
    recorded = json.loads((tmp_path / "config.json").read_text())
    assert rundir.read_spec(tmp_path) == config
    assert recorded["environment"]["backend"] == keras.backend.backend()
    assert recorded["environment"]["versions"]["keras"] == keras.__version__
    assert stats["final"]["test_accuracy"] == history["test_accuracy"][-1]
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert model.count_params() == 1_290_510
    if keras.backend.backend() == "tensorflow":
        # Training and test curves under one tag each in logs/train and logs/validation (they
        # overlay in TensorBoard), and the run's settings as HParams.
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        for part in ("train", "validation"):
            events = EventAccumulator(str(tmp_path / "logs" / part), size_guidance={"tensors": 0})
            events.Reload()
            assert {"epoch_loss", "epoch_accuracy"} <= set(events.Tags()["tensors"]), part
        hparams = EventAccumulator(str(tmp_path / "logs" / "hparams"))
        hparams.Reload()
        from tensorboard.plugins.hparams import plugin_data_pb2

        content = hparams.PluginTagToContent("hparams")
        info = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
        assert info.hparams["learning_rate"].number_value == config.learning_rate
        assert info.hparams["regularizer"].string_value == "l2"


def test_training_accuracy_is_measured_in_inference_mode_on_the_whole_set(tmp_path):
    config = tiny_config(regularizer="dropout", epochs=1)
    datasets = tiny_datasets()
    loop.train_and_evaluate(config, tmp_path, datasets=datasets, log=quiet)
    model = keras.saving.load_model(tmp_path / "model.keras")
    from keras_reg.data import to_mlp_inputs

    (x, y), _ = datasets
    predicted = keras.ops.convert_to_numpy(model(to_mlp_inputs(x), training=False)).argmax(1)
    assert rundir.read_history(tmp_path)["train_accuracy"][0] == pytest.approx(np.mean(predicted == y))


def test_same_seed_gives_identical_histories_with_or_without_the_progress_bar(tmp_path, capsys):
    for name, progress in (("a", False), ("b", True)):
        loop.train_and_evaluate(
            tiny_config(regularizer="dropout", epochs=3),
            tmp_path / name,
            datasets=tiny_datasets(),
            log=quiet,
            progress=progress,
        )
    shown = capsys.readouterr().out
    assert "/6" in shown and shown.count("\r\033[K") == 3  # 6 steps an epoch; each bar erased
    a, b = rundir.read_history(tmp_path / "a"), rundir.read_history(tmp_path / "b")
    for column in rundir.HISTORY_COLUMNS[:-1]:  # all but the wall time
        np.testing.assert_array_equal(a[column], b[column])


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16"])
def test_interrupted_run_resumes_to_the_same_history(tmp_path, precision):
    class StopAfterEpoch2(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    config = tiny_config(regularizer="dropout", epochs=4, precision=precision)
    loop.train_and_evaluate(config, tmp_path / "whole", datasets=tiny_datasets(), log=quiet)
    with pytest.raises(KeyboardInterrupt):
        loop.train_and_evaluate(
            config, tmp_path / "cut", datasets=tiny_datasets(), callbacks=[StopAfterEpoch2()], log=quiet
        )
    assert len(rundir.read_history(tmp_path / "cut")["epoch"]) == 2
    stats = loop.train_and_evaluate(config, tmp_path / "cut", datasets=tiny_datasets(), log=quiet)
    assert stats["resumed_from"] == 2 and stats["epochs"] == 4
    assert rundir.read_spec(tmp_path / "cut").precision == precision
    assert keras.saving.load_model(tmp_path / "cut" / "model.keras").get_layer("hidden_1").compute_dtype == (
        "bfloat16" if precision == "mixed_bfloat16" else "float32"
    )
    whole, cut = rundir.read_history(tmp_path / "whole"), rundir.read_history(tmp_path / "cut")
    for column in rundir.HISTORY_COLUMNS[:-1]:
        np.testing.assert_array_equal(whole[column], cut[column])


def test_a_run_is_reused_under_any_config_that_trains_identically(tmp_path):
    # The protocol's name and settings the regularizer ignores do not decide the training.
    loop.train_and_evaluate(tiny_config(regularizer="none"), tmp_path, datasets=tiny_datasets(), log=quiet)
    same = tiny_config(regularizer="none", keep_prob=0.3, alpha=0.1, data_source="cache")
    assert not loop.train_and_evaluate(same, tmp_path, datasets=None, log=quiet)["trained"]


def test_a_checkpoint_rebuilds_a_lost_config_and_history_and_is_matched_by_its_own_spec(tmp_path):
    loop.train_and_evaluate(tiny_config(epochs=1), tmp_path, datasets=tiny_datasets(), log=quiet)
    before = rundir.read_history(tmp_path)
    (tmp_path / "config.json").unlink()
    (tmp_path / "history.csv").unlink()  # as `git rm` leaves a run directory: ignored files stay
    lines = []
    stats = loop.train_and_evaluate(tiny_config(epochs=1), tmp_path, datasets=None, log=lines.append)  # no data needed
    assert not stats["trained"] and any("rebuilt from the checkpoint" in line for line in lines)
    assert rundir.read_spec(tmp_path) == tiny_config(epochs=1)
    np.testing.assert_array_equal(rundir.read_history(tmp_path)["test_accuracy"], before["test_accuracy"])
    (tmp_path / "config.json").unlink()
    with pytest.raises(rundir.RunDirError, match="different configuration"):
        loop.train_and_evaluate(tiny_config(epochs=1, learning_rate=0.3), tmp_path, datasets=None, log=quiet)


def test_finished_run_is_reused_and_a_longer_one_extends_it(tmp_path):
    loop.train_and_evaluate(tiny_config(epochs=2), tmp_path, datasets=tiny_datasets(), log=quiet)
    again = loop.train_and_evaluate(tiny_config(epochs=2), tmp_path, datasets=None, log=quiet)  # no data needed
    assert not again["trained"] and again["epochs"] == 2
    longer = loop.train_and_evaluate(tiny_config(epochs=3), tmp_path, datasets=tiny_datasets(), log=quiet)
    assert longer["resumed_from"] == 2 and list(rundir.read_history(tmp_path)["epoch"]) == [1, 2, 3]


def test_different_configuration_is_refused_unless_overwrite(tmp_path):
    loop.train_and_evaluate(tiny_config(), tmp_path, datasets=tiny_datasets(), log=quiet)
    with pytest.raises(
        rundir.RunDirError, match=r"different configuration \(learning_rate: 0.1 there, 0.2 here\).*--overwrite"
    ):
        loop.train_and_evaluate(tiny_config(learning_rate=0.2), tmp_path, datasets=tiny_datasets(), log=quiet)
    with pytest.raises(rundir.RunDirError, match="epochs: 2 there, 1 here"):
        loop.train_and_evaluate(tiny_config(epochs=1), tmp_path, datasets=tiny_datasets(), log=quiet)
    stats = loop.train_and_evaluate(
        tiny_config(learning_rate=0.2), tmp_path, datasets=tiny_datasets(), overwrite=True, log=quiet
    )
    assert stats["resumed_from"] == 0 and rundir.read_spec(tmp_path).learning_rate == 0.2


def test_divergence_stops_keeps_history_and_writes_the_reason(tmp_path):
    with pytest.raises(rundir.DivergenceError) as info:
        loop.train_and_evaluate(
            tiny_config(learning_rate=1e10, epochs=3), tmp_path, datasets=tiny_datasets(), log=quiet
        )
    assert info.value.epoch == 1 and "--learning_rate" in str(info.value) and "\n" not in str(info.value)
    reason = json.loads((tmp_path / rundir.DIVERGENCE).read_text())
    assert reason["epoch"] == 1 and reason["step"] >= 1
    assert not (tmp_path / "model.keras").exists()


def test_subset_larger_than_the_data_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="train_examples"):
        loop.train_and_evaluate(tiny_config(train_examples=301), tmp_path, datasets=tiny_datasets(), log=quiet)


def test_unwritable_directory_is_refused_before_any_data_is_loaded(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(rundir.RunDirError, match="cannot write"):
        loop.train_and_evaluate(tiny_config(), blocker / "run", datasets=None, log=quiet)


def test_epoch_order_depends_on_seed_and_epoch_only():
    a = loop.epoch_order(3, 5, 1000)
    np.testing.assert_array_equal(a, loop.epoch_order(3, 5, 1000))
    assert sorted(a) == list(range(1000))
    assert not np.array_equal(a, loop.epoch_order(3, 6, 1000))
    assert not np.array_equal(a, loop.epoch_order(4, 5, 1000))


def test_a_seed_stack_refuses_runs_that_differ_in_more_than_their_seed(tmp_path):
    a, b = make_config("tf1_init", regularizer="l2", seed=0), make_config("tf1_init", regularizer="l2", seed=1)
    with pytest.raises(ValueError, match="differ only in their seed"):
        stacks.train_seed_stack(
            [a, make_config("tf1_init", regularizer="l1", seed=1)], [tmp_path / "a", tmp_path / "b"]
        )
    with pytest.raises(ValueError, match="one run directory per config"):
        stacks.train_seed_stack([a, b], [tmp_path / "a"])
    assert (
        stacks.seed_stack_key(a)
        == stacks.seed_stack_key(b)
        != stacks.seed_stack_key(make_config("tf1_init", regularizer="l2", seed=1, alpha=0.001))
    )
    assert not list(tmp_path.iterdir())  # refused before any directory was made


def test_evaluating_less_often_does_not_change_what_is_trained(tmp_path, fake_mnist):
    # eval_every only decides when a row is written: each pass keeps its own whole batches.
    (x, y), (xt, yt) = fake_mnist
    rng = np.random.default_rng(0)
    varied = (
        (rng.permuted(x.reshape(len(x), -1), axis=1).reshape(x.shape), rng.permutation(y)),
        (xt, yt),
    )  # same pixel statistics and label counts
    spec = make_config(regularizer="dropout", epochs=4, train_examples=1000, test_examples=200, batch_size=64)
    for every in (1, 4):
        loop.train_and_evaluate(
            spec.replace(eval_every=every), tmp_path / str(every), datasets=varied, log=lambda line: None
        )
    every_pass, every_fourth = rundir.read_history(tmp_path / "1"), rundir.read_history(tmp_path / "4")
    assert list(every_fourth["epoch"]) == [4]
    for column in ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "penalty"):
        assert every_fourth[column][0] == every_pass[column][3], column


def test_a_callback_that_sets_stop_training_ends_the_run_and_a_rerun_keeps_it_stopped(tmp_path):
    # EarlyStopping's default monitor is val_loss: the logs carry Keras's names beside the row's.
    stop = keras.callbacks.EarlyStopping(min_delta=10.0, patience=0)
    lines = []
    stats = loop.train_and_evaluate(
        tiny_config(epochs=4), tmp_path, datasets=tiny_datasets(), callbacks=[stop], log=lines.append
    )
    assert stats["stopped"] and stats["epochs"] == 2 and list(rundir.read_history(tmp_path)["epoch"]) == [1, 2]
    recorded = json.loads((tmp_path / rundir.STOPPED).read_text())
    assert recorded["epoch"] == 2 and recorded["callbacks"] == ["EarlyStopping"]
    assert (tmp_path / "model.keras").exists() and any("EarlyStopping" in line and "stopped" in line for line in lines)
    again = loop.train_and_evaluate(tiny_config(epochs=4), tmp_path, datasets=tiny_datasets(), log=lines.append)
    assert not again["trained"] and again["epochs"] == 2 and "stopped early" in lines[-1]
    (tmp_path / rundir.STOPPED).unlink()  # asked to go on
    assert loop.train_and_evaluate(tiny_config(epochs=4), tmp_path, datasets=tiny_datasets(), log=quiet)["epochs"] == 4


def test_callbacks_see_the_hooks_and_logs_the_docstring_names(tmp_path):
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(("epoch_begin", epoch))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            seen.append("train_end")

    loop.train_and_evaluate(
        tiny_config(epochs=2), tmp_path, datasets=tiny_datasets(), callbacks=[Recorder()], log=quiet
    )
    keys = sorted(set(rundir.HISTORY_COLUMNS[1:]) | {"loss", "accuracy", "val_loss", "val_accuracy"})
    assert seen == [
        "train_begin",
        ("epoch_begin", 0),
        ("epoch_end", 0, keys),
        ("epoch_begin", 1),
        ("epoch_end", 1, keys),
        "train_end",
    ]
