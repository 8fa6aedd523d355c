"""The planar study end to end: decision boundaries drawn from its trained models."""

import pytest

from keras_reg.artifacts import registry as artifact_registry
from keras_reg.run import grid as grids
from keras_reg.run import rundir
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.studies.paper import model as paper_model

PAPER, FIDELITY = EXPERIMENTS["paper"], EXPERIMENTS["fidelity"]


def test_the_planar_experiment_end_to_end_draws_boundaries_from_its_trained_models(tmp_path):

    planar = EXPERIMENTS["planar"]
    grid = planar.grid(seeds=(0, 1), epochs=2000)
    grids.run_grid(grid, tmp_path / "runs", workers=1, log=lambda line: None)
    paths = artifact_registry.make_all(planar, tmp_path / "runs", tmp_path / "out")
    assert {p.name for p in paths} == {
        "boundaries.png",
        "boundaries.pdf",
        "cost.png",
        "cost.pdf",
        "train_loss.png",
        "train_loss.pdf",
        "final.md",
        "final.csv",
    }
    text = (tmp_path / "out" / "final.md").read_text()
    assert (
        "| No regularization | 2 | 2000 |" in text and "| 94.8 | 91.5 |" in text
    )  # the tutorial's numbers beside ours
    # Another network's model.keras in its place (a 784-input MLP) is refused in one line, not a shape error.
    paper_model.paper_mlp("none").save(tmp_path / "runs" / "l2" / "seed_0" / "model.keras")
    with pytest.raises(rundir.RunDirError, match="is not this run's model"):
        artifact_registry.make_all(planar, tmp_path / "runs", tmp_path / "out")
    (tmp_path / "runs" / "l2" / "seed_0" / "model.keras").unlink()
    with pytest.raises(FileNotFoundError, match="model.keras is missing"):
        artifact_registry.make_all(planar, tmp_path / "runs", tmp_path / "out")
