"""The paper's experiment and its protocols (keras_reg/studies/paper/experiment.py)."""

import pytest

from keras_reg.checks import ConfigError
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.studies.paper import experiment as paper_experiment
from keras_reg.studies.paper import reference


def test_the_paper_cases_differ_only_in_the_regularizer_and_follow_the_paper():
    paper_exp = EXPERIMENTS["paper"]
    runs = {case: paper_exp.spec(case) for case in reference.CASES}
    assert {r.builder_args["regularizer"] for r in runs.values()} == {"none", "l1", "l2", "dropout"}
    base = runs["standard"].values()
    for run in runs.values():
        assert {k for k, v in run.values().items() if base[k] != v} <= {"regularizer"}
    r = runs["l2"]
    assert (
        r.learning_rate,
        r.epochs,
        r.builder_args["alpha"],
        runs["dropout"].builder_args["keep_prob"],
        r.optimizer,
    ) == (0.5, 100, 0.0005, 0.5, "sgd")


def test_the_default_protocol_is_the_tf1_lesson_code_and_others_are_named():
    r = EXPERIMENTS["paper"].spec("l2")
    assert (r.loss, r.batch_size, r.dataset_args["train_split"], r.builder_args["penalize_biases"], r.builder_args["initializer"]) == (
        "double_softmax", 64, "tf1", True, "tf1_truncated_normal")  # fmt: skip
    old = EXPERIMENTS["paper"].spec("l2", protocol="tf1_init")
    assert (old.loss, old.batch_size, old.dataset_args["train_split"], old.builder_args["penalize_biases"]) == (
        "cross_entropy",
        100,
        "full",
        False,
    )
    with pytest.raises(ConfigError, match="`protocol`"):
        EXPERIMENTS["paper"].spec("l2", protocol="tf2")


def test_the_fitted_protocol_changes_only_l1s_alpha_and_dropouts_keep_probability():
    paper_exp = EXPERIMENTS["paper"]
    fitted = {case: paper_exp.spec(case, protocol="fitted") for case in reference.CASES}
    for case in ("standard", "l2"):
        assert fitted[case].identity() == paper_exp.spec(case).identity()
    assert paper_experiment.FITTED["l1"].keys() == {"alpha"} and paper_experiment.FITTED["dropout"].keys() == {
        "keep_prob"
    }
    for case in ("l1", "dropout"):
        assert (
            fitted[case].identity()
            == paper_exp.spec(case, **paper_experiment.FITTED[case]).identity()
            != paper_exp.spec(case).identity()
        )
    # A setting given by the user still wins over the protocol's per-case value.
    assert paper_exp.spec("l1", protocol="fitted", alpha=0.001).builder_args["alpha"] == 0.001
    # A sweep varies those very settings, so it does not offer the protocol that fits them.
    with pytest.raises(ConfigError, match="`protocol`"):
        EXPERIMENTS["sweep_l1"].spec("none", protocol="fitted")
