"""Experiments as data (keras_reg/run/experiment.py): every registered one valid, bad ones refused in one line."""

import pytest

from keras_reg.artifacts import registry as artifact_registry
from keras_reg.checks import ConfigError
from keras_reg.run import experiment
from keras_reg.run.experiment import EXPERIMENTS, Experiment


def test_every_registered_experiment_has_valid_cases_a_description_and_known_artifacts():
    for exp in EXPERIMENTS.values():
        assert exp.description and exp.cases
        grid = exp.grid()
        assert len(grid) == len(exp.cases) * len(exp.seeds)
        assert all(kind in artifact_registry.ARTIFACTS for kind, _ in exp.artifacts)
        if exp.baseline is not None:
            assert exp.baseline in exp.cases


def test_register_refuses_a_case_whose_spec_is_invalid_and_unknown_cases_are_one_line():
    bad = Experiment(
        name="bad",
        description="x",
        base={"model": "paper_mlp", "dataset": "mnist_flat"},
        cases={"a": {"keep_prob": 2.0}},
    )
    with pytest.raises(ConfigError, match="keep_prob"):
        experiment.register(bad)
    assert "bad" not in EXPERIMENTS
    with pytest.raises(ConfigError, match="`case`"):
        EXPERIMENTS["paper"].spec("l3")
