"""The CNN report's network through the trainer: batch norm state, the step schedule and resumption."""

import json

import keras
import numpy as np
import pytest

from keras_reg.run import loop, rundir
from keras_reg.studies.cnn import measurements as cnn_measurements
from keras_reg.studies.cnn import model as cnn_model


def test_the_cnn_trains_its_batch_norm_state_and_schedule_and_resumes_to_the_same_history(
    tmp_path, fake_mnist, monkeypatch
):
    # The cnn experiment's case with everything on (batch norm, Adam with a step schedule, coupled
    # weight decay, Dropout, stochastic depth), 2 short epochs: straight, and stopped after 1 then resumed.
    import functools

    from keras_reg.run.experiment import EXPERIMENTS

    # The stochastic-depth check's statistics are test_claims.py's; here only that it is written (20 draws, not 200).
    monkeypatch.setattr(
        cnn_model, "stochastic_depth_check", functools.partial(cnn_measurements.stochastic_depth_check, draws=20)
    )
    spec = EXPERIMENTS["cnn"].spec("all", epochs=2, lr_step_epochs=1, train_examples=128, test_examples=64)
    straight = loop.train_and_evaluate(spec, tmp_path / "straight", datasets=fake_mnist, log=lambda line: None)
    loop.train_and_evaluate(spec.replace(epochs=1), tmp_path / "resumed", datasets=fake_mnist, log=lambda line: None)
    resumed = loop.train_and_evaluate(spec, tmp_path / "resumed", datasets=fake_mnist, log=lambda line: None)
    assert straight["epochs"] == resumed["epochs"] == 2 and resumed["resumed_from"] == 1
    a, b = (rundir.read_history(tmp_path / name) for name in ("straight", "resumed"))
    for column in rundir.HISTORY_COLUMNS[1:-1]:  # every column but the wall time
        np.testing.assert_array_equal(a[column], b[column])
    model = keras.saving.load_model(tmp_path / "straight" / "model.keras")
    moving = model.get_layer("bn2").moving_variance.numpy()
    assert not np.allclose(moving, 1.0)  # batch norm's statistics were updated in training
    steps = 128 // 64
    rate = model.optimizer.learning_rate
    rate = float(rate(model.optimizer.iterations)) if callable(rate) else float(rate)
    # StepLR every epoch: the rate at the step after the last one has been cut twice.
    assert model.optimizer.iterations.numpy() == 2 * steps and rate == pytest.approx(1e-3 * 0.1**2)
    check = json.loads((tmp_path / "straight" / "stochastic_depth.json").read_text())
    assert [layer["name"] for layer in check["layers"]] == ["sd1"] and check["layers"][0]["survival_probability"] == 0.8
