"""The experiment registry: every entry's cases are valid specs, and cases are small diffs on a base."""

import pytest

from keras_reg import regularizers
from keras_reg.artifacts import registry as artifact_registry
from keras_reg.checks import ConfigError
from keras_reg.run import experiment
from keras_reg.run.experiment import EXPERIMENTS, Experiment
from keras_reg.studies.paper import experiment as paper_experiment
from keras_reg.studies.paper import fidelity, reference, sweeps
from keras_reg.studies.planar import model as planar_model


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


def test_every_registered_experiment_has_valid_cases_a_description_and_known_artifacts():
    for exp in EXPERIMENTS.values():
        assert exp.description and exp.cases
        grid = exp.grid()
        assert len(grid) == len(exp.cases) * len(exp.seeds)
        assert all(kind in artifact_registry.ARTIFACTS for kind, _ in exp.artifacts)
        if exp.baseline is not None:
            assert exp.baseline in exp.cases


def test_fidelity_cases_are_candidate_diffs_compared_with_the_paper_case():
    fid = EXPERIMENTS["fidelity"]
    assert len(fid.cases) == 4 * len(fidelity.FIDELITY_CANDIDATES)
    assert fid.reference_case("tf1_code+weights_only/l1") == "l1"
    assert fid.spec("tf1_code/l2").identity() == EXPERIMENTS["paper"].spec("l2", epochs=20).identity()


def test_planar_l2_is_the_tutorials_lambd_over_m():
    # The planar tutorial's cost adds lambd/(2m) sum W^2 to a mean over m = 211 points; L2(alpha) is
    # alpha/2 sum W^2, so alpha = lambd / m.
    import numpy as np

    alpha = EXPERIMENTS["planar"].spec("l2").builder_args["alpha"]
    assert alpha == pytest.approx(0.7 / 211)
    model = planar_model.planar_mlp("l2", alpha=alpha, seed=0)
    kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
    tutorial = 0.7 / (2 * 211) * sum(float(np.sum(np.square(w))) for w in kernels)
    ours = sum(float(regularizers.L2(alpha)(w)) for w in kernels)
    assert ours == pytest.approx(tutorial, rel=1e-6)


def test_register_refuses_a_case_whose_spec_is_invalid_and_unknown_cases_are_one_line():
    bad = Experiment(name="bad", description="x", base={"model": "paper_mlp"}, cases={"a": {"keep_prob": 2.0}})
    with pytest.raises(ConfigError, match="keep_prob"):
        experiment.register(bad)
    assert "bad" not in EXPERIMENTS
    with pytest.raises(ConfigError, match="`case`"):
        EXPERIMENTS["paper"].spec("l3")


def test_a_sweep_is_its_values_as_cases_and_its_off_value_is_the_standard_network():
    for name, sweep in sweeps.SWEEPS.items():
        experiment = EXPERIMENTS[name]
        assert list(experiment.cases) == [sweep.case(v) for v in sweep.values]
        none = experiment.spec("none")
        assert none.identity() == EXPERIMENTS["paper"].spec("standard", eval_every=20).identity() and none.epochs == 20
        for value in sweep.values:
            if value != sweep.off:
                spec = experiment.spec(sweep.case(value))
                assert (spec.builder_args["regularizer"], spec.builder_args[sweep.param]) == (sweep.regularizer, value)
    # the sweep's point at the paper's value is the paper's case (evaluated every 20 epochs)
    assert (
        EXPERIMENTS["sweep_l1"].spec("l1_alpha_0.0005").identity()
        == EXPERIMENTS["paper"].spec("l1", eval_every=20).identity()
    )
    assert (
        EXPERIMENTS["sweep_keep"].spec("dropout_keep_prob_0.5").identity()
        == EXPERIMENTS["paper"].spec("dropout", eval_every=20).identity()
    )
