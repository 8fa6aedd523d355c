"""The run spec: one flat namespace routed to the spec, its builder and its data set; identity; records."""

import json

import pytest

from keras_reg.checks import ConfigError
from keras_reg.run import spec
from keras_reg.run.experiment import EXPERIMENTS

MLP = {"model": "paper_mlp", "dataset": "mnist_flat"}  # the spec has no default model or data set


def test_settings_reach_the_spec_the_builder_and_the_data_set():
    run = spec.make_spec(**MLP, regularizer="l2", alpha=0.001, train_split="tf1", learning_rate=0.1, batch_size=64)
    assert (run.model, run.dataset, run.learning_rate, run.batch_size) == ("paper_mlp", "mnist_flat", 0.1, 64)
    assert run.builder_args["regularizer"] == "l2" and run.builder_args["alpha"] == 0.001
    assert run.dataset_args == {"train_split": "tf1"}
    assert spec.make_spec(**run.values()) == run  # values() round-trips


def test_identity_ignores_what_does_not_decide_the_run():
    base = spec.make_spec(**MLP, regularizer="none")
    assert (
        spec.make_spec(**MLP, regularizer="none", alpha=0.1, keep_prob=0.9, l2_form="full").identity()
        == base.identity()
    )
    assert spec.make_spec(**MLP, regularizer="none", epochs=7).identity() == base.identity()  # a run may be extended
    assert (
        spec.make_spec(**MLP, regularizer="none", data_source="cache").identity() == base.identity()
    )  # verified MNIST
    assert spec.make_spec(**MLP, regularizer="none", train_examples=60000).identity() == base.identity()  # "all"
    assert (
        spec.make_spec(**MLP, regularizer="l2", alpha=0.1).identity()
        != spec.make_spec(**MLP, regularizer="l2").identity()
    )
    # alpha decides the Dropout case only with dropout_l2 (the L2 term kept beside Dropout)
    assert (
        spec.make_spec(**MLP, regularizer="dropout", alpha=0.1).identity()
        == spec.make_spec(**MLP, regularizer="dropout").identity()
    )
    assert (
        spec.make_spec(**MLP, regularizer="dropout", dropout_l2=True, alpha=0.1).identity()
        != spec.make_spec(**MLP, regularizer="dropout", dropout_l2=True).identity()
    )
    assert (
        spec.make_spec(**MLP, regularizer="l2", dropout_l2=True).identity()
        == spec.make_spec(**MLP, regularizer="l2").identity()
    )
    assert (
        spec.make_spec(**MLP, regularizer="dropout", dropout_mask="batch").identity()
        != spec.make_spec(**MLP, regularizer="dropout").identity()
    )
    assert (
        spec.make_spec(**MLP, regularizer="l2", dropout_mask="batch").identity()
        == spec.make_spec(**MLP, regularizer="l2").identity()
    )
    assert spec.make_spec(**MLP, regularizer="none", precision="mixed_bfloat16").identity() != base.identity()
    planar = dict(model="planar_mlp", dataset="planar", loss="binary_cross_entropy", metric="binary_accuracy")
    assert (
        spec.make_spec(**planar, data_source="a.mat").identity() != spec.make_spec(**planar).identity()
    )  # not verified


@pytest.mark.parametrize(
    "values, name",
    [
        ({"keep_prob": 0.0}, "keep_prob"),
        ({"alpha": -1.0}, "alpha"),
        ({"learning_rate": True}, "learning_rate"),
        ({"epochs": 2.5}, "epochs"),
        ({"epochs": 10, "eval_every": 3}, "epochs"),
        ({"train_split": "tf1", "train_examples": 55001}, "train_examples"),
        ({"train_examples": 100, "batch_size": 101}, "batch_size"),
        ({"model": "vgg"}, "model"),
        ({"model": "planar_mlp", "dataset": "planar", "precision": "mixed_bfloat16"}, "precision"),
        ({"penalize_biases": 1}, "penalize_biases"),
        ({"model": None, "dataset": None}, "model"),  # no default model: an experiment names it
    ],
)
def test_a_bad_setting_is_one_line_naming_it(values, name):
    with pytest.raises(ConfigError) as info:
        spec.make_spec(**{**MLP, **values})
    assert info.value.name == name and "\n" not in str(info.value) and f"`{name}`" in str(info.value)


def test_an_unknown_setting_names_the_settings_there_are():
    with pytest.raises(ConfigError, match=r"Unknown setting `dropout`.*paper_mlp.*keep_prob"):
        spec.make_spec(**MLP, dropout=0.3)


def test_config_json_of_runs_written_before_specs_is_read_as_the_same_run():
    legacy = {"config": {"alpha": 0.0005, "batch_size": 100, "data_source": "auto", "epochs": 100, "initializer": "tf1_truncated_normal",
                         "keep_prob": 0.5, "l2_form": "half", "learning_rate": 0.5, "loss": "cross_entropy", "protocol": "paper",
                         "regularizer": "l2", "seed": 0, "test_examples": 10000, "train_examples": 60000}}  # fmt: skip
    assert spec.from_record(legacy).identity() == EXPERIMENTS["paper"].spec("l2", protocol="tf1_init").identity()
    run = EXPERIMENTS["planar"].spec("dropout", seed=3)
    assert spec.from_record(json.loads(json.dumps({"spec": run.to_dict()}))) == run
