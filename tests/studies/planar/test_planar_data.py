"""The planar data set: the seeded stand-in and the tutorial's data.mat."""

import numpy as np
import pytest

from keras_reg import data
from keras_reg.run import registry, rundir
from keras_reg.studies.planar import data as planar_data


def _planar_mat(path, **changes):
    import scipy.io

    rng = np.random.default_rng(0)
    arrays = {
        "X": rng.uniform(-0.7, 0.7, (211, 2)), "y": np.repeat([0, 1], [105, 106]).reshape(-1, 1),
        "Xval": rng.uniform(-0.7, 0.7, (200, 2)), "yval": np.repeat([0, 1], [113, 87]).reshape(-1, 1),
    }  # fmt: skip
    arrays.update(changes)
    scipy.io.savemat(path, {k: v for k, v in arrays.items() if v is not None})
    return arrays


def test_planar_dataset_is_seeded_noisy_and_not_linearly_separable():
    (x, y), (xt, yt) = planar_data.planar_dataset(seed=1)
    assert x.shape == (211, 2) and xt.shape == (200, 2) and x.dtype == np.float32
    assert set(np.unique(y)) == {0, 1} and 0.3 < y.mean() < 0.7
    again = planar_data.planar_dataset(seed=1)
    np.testing.assert_array_equal(again[0][0], x)
    assert not np.array_equal(planar_data.planar_dataset(seed=2)[0][0], x)
    # The best linear classifier (least squares on [x, 1]) misclassifies well over the label noise.
    features = np.c_[np.r_[x, xt], np.ones(len(x) + len(xt))]
    labels = np.r_[y, yt]
    w, *_ = np.linalg.lstsq(features, 2.0 * labels - 1.0, rcond=None)
    assert np.mean((features @ w > 0) != labels) > 0.12


def test_planar_dataset_refuses_bad_arguments():
    with pytest.raises(ValueError, match="`n_train`"):
        planar_data.planar_dataset(n_train=0)
    with pytest.raises(ValueError, match="`label_noise`"):
        planar_data.planar_dataset(label_noise=0.5)


def test_the_planar_tutorials_data_mat_is_read_and_anything_else_refused_in_one_line(tmp_path):
    arrays = _planar_mat(tmp_path / "data.mat")
    (x, y), (xt, yt) = planar_data.load_planar_mat(tmp_path / "data.mat")
    assert x.shape == (211, 2) and x.dtype == np.float32 and np.allclose(x, arrays["X"])
    assert (np.bincount(y).tolist(), np.bincount(yt).tolist()) == ([105, 106], [113, 87])
    for name, changes, text in [
        ("missing.mat", {"Xval": None}, "no key 'Xval'"),
        ("shape.mat", {"X": np.zeros((2, 211))}, "X has shape (2, 211)"),
        ("counts.mat", {"y": np.zeros((211, 1))}, "y has 211 labels 0 and 0 labels 1"),
    ]:
        _planar_mat(tmp_path / name, **changes)
        with pytest.raises(data.VerificationError) as info:
            planar_data.load_planar_mat(tmp_path / name)
        assert text in str(info.value) and "\n" not in str(info.value)
    (tmp_path / "garbage.mat").write_bytes(b"not a mat file")
    with pytest.raises(data.DataError, match="not a readable MATLAB file"):
        planar_data.load_planar_mat(tmp_path / "garbage.mat")


def test_the_planar_stand_in_has_the_tutorials_shape_and_differs_by_seed():
    (x, y), (xt, yt) = planar_data.planar_dataset(seed=0)
    assert (x.shape, xt.shape, x.dtype) == ((211, 2), (200, 2), np.float32)
    assert set(np.unique(y)) == {0, 1} and 0.3 < y.mean() < 0.7  # two classes of comparable size
    assert np.abs(x).max() <= 0.75
    assert not np.array_equal(planar_data.planar_dataset(seed=1)[0][0], x)


def test_the_planar_experiment_runs_on_a_users_data_mat(tmp_path, capsys):
    from absl import flags

    from keras_reg import cli

    arrays = _planar_mat(tmp_path / "data.mat")
    fv = flags.FlagValues()
    cli.define_train_flags(fv)
    argv = ["--experiment=planar", "--case=l2", "--epochs=1000", f"--data_source={tmp_path / 'data.mat'}"]
    fv(["train.py", *argv, f"--out_dir={tmp_path / 'run'}"])
    assert cli.run_train(fv, ["train.py"]) == 0
    spec = rundir.read_spec(tmp_path / "run")
    (x, y), _ = registry.load_data(spec)
    assert spec.data_source.endswith("data.mat") and np.allclose(x, arrays["X"])
    (tmp_path / "bad.mat").write_bytes(b"garbage")
    bad = flags.FlagValues()
    cli.define_train_flags(bad)
    bad(
        [
            "train.py",
            "--experiment=planar",
            "--epochs=1000",
            f"--data_source={tmp_path / 'bad.mat'}",
            f"--out_dir={tmp_path / 'bad'}",
        ]
    )
    assert cli.run_train(bad, ["train.py"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable MATLAB file" in err
