"""The paper's sweeps: values as cases, and the sweep table."""

import numpy as np
from helpers import fake_run

from keras_reg.artifacts import registry as artifact_registry
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.studies.paper import sweeps

PAPER, FIDELITY = EXPERIMENTS["paper"], EXPERIMENTS["fidelity"]


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


def test_a_sweep_table_is_mean_std_per_point_with_the_paper_and_the_flat_range(tmp_path):
    keep = EXPERIMENTS["sweep_keep"]
    accuracies = {
        "dropout_keep_prob_0.3": (0.90, 0.91),
        "dropout_keep_prob_0.5": (0.96, 0.97),
        "dropout_keep_prob_0.8": (0.965, 0.975),
        "none": (0.93, 0.94),
    }
    for case, (a, b) in accuracies.items():
        fake_run(tmp_path / "runs", case, 0, 0.99, a, epochs=20)
        fake_run(tmp_path / "runs", case, 1, 0.99, b, epochs=20)
    paths = artifact_registry.make_all(keep, tmp_path / "runs", tmp_path / "out")
    assert {p.name for p in paths} == {"sweep_keep.png", "sweep_keep.pdf", "sweep_keep.md"}
    text = (tmp_path / "out" / "sweep_keep.md").read_text()
    std = 100 * np.std([0.96, 0.97], ddof=1)
    assert f"| 0.5 (the paper's) | dropout_keep_prob_0.5 | 2 | {100 * (0.965 + 2e-4):.2f} +- {std:.2f} |" in text
    assert "| 0.5 | the paper | 1 | 95.47 | 95.56 | 0.09 |" in text  # Table 1-3 at epoch 20
    # best 0.8 (97.02); 0.5 is 0.5 pp below it with a standard error of the difference of 0.71 (within 2 SE); 0.3 and 1 are not
    assert "Best test accuracy: keep_prob = 0.8" in text and "keep_prob = 0.5, 0.8." in text
    assert "here not: of the points from 0.4 to 0.8, " not in text and "here too" in text
