"""The fidelity study: its cases, the distance to the paper's tables, and a reading side by side."""

import numpy as np
import pytest
from helpers import fake_run

from keras_reg.artifacts import io as artifact_io
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.studies.paper import fidelity, reference

PAPER, FIDELITY = EXPERIMENTS["paper"], EXPERIMENTS["fidelity"]


def test_fidelity_cases_are_candidate_diffs_compared_with_the_paper_case():
    fid = EXPERIMENTS["fidelity"]
    assert len(fid.cases) == 4 * len(fidelity.FIDELITY_CANDIDATES)
    assert fid.reference_case("tf1_code+weights_only/l1") == "l1"
    assert fid.spec("tf1_code/l2").identity() == EXPERIMENTS["paper"].spec("l2", epochs=20).identity()


def test_fidelity_distance_is_mean_absolute_difference_over_covered_cells(tmp_path):
    accuracies = {"standard": (0.99, 0.98), "l1": (0.97, 0.96), "l2": (0.97, 0.96), "dropout": (0.96, 0.95)}
    for case, (train, test) in accuracies.items():
        fake_run(tmp_path / "cand", case, 0, train, test, epochs=20)
    runs = artifact_io.load_runs(tmp_path, ["cand/" + c for c in reference.CASES] + ["missing/l1"])
    (row,) = fidelity.fidelity_rows(FIDELITY, runs)
    expected = []
    for case, (train, test) in accuracies.items():
        expected.append(abs(100 * (test + 20e-5) - reference.TEST_ACCURACY[case][0]))
        expected.append(abs(100 * (train + 20e-5) - reference.TRAIN_ACCURACY[case][0]))
    assert row["cells"] == 8 and row["distance"] == pytest.approx(np.mean(expected))
    assert row["distance_at_20"] == pytest.approx(row["distance"])
    table = fidelity.fidelity_markdown(FIDELITY, runs)
    assert "| cand | 1 |" in table
    assert len({line.count("|") for line in table.splitlines()}) == 1  # every row as wide as the header
    assert row["seed_distance"] == pytest.approx((np.mean(expected), 0.0))


def test_fidelity_distance_at_20_ignores_later_columns(tmp_path):
    fake_run(tmp_path / "long", "standard", 0, 0.99, 0.98, epochs=100)
    (row,) = fidelity.fidelity_rows(FIDELITY, artifact_io.load_runs(tmp_path, ["long/standard"]))
    at20 = [
        abs(100 * (0.98 + 20e-5) - reference.TEST_ACCURACY["standard"][0]),
        abs(100 * (0.99 + 20e-5) - reference.TRAIN_ACCURACY["standard"][0]),
    ]
    assert row["cells"] == 10 and row["distance_at_20"] == pytest.approx(np.mean(at20))
    assert row["distance"] != pytest.approx(row["distance_at_20"])


def test_a_reading_sets_one_case_of_several_candidates_side_by_side(tmp_path):
    # Two candidates of the paper's L1 row, constant accuracies (plus epoch/1e5), two seeds each.
    for seed, shift in ((0, 0.0), (1, 0.002)):
        fake_run(tmp_path, "l1_as_l2/l1", seed, 0.975 + shift, 0.965 + shift)
        fake_run(tmp_path, "tf1_code+alpha_0.00005/l1", seed, 0.98, 0.97, epochs=20)
    runs = artifact_io.load_runs(tmp_path, FIDELITY.cases)
    paths = fidelity.reading(FIDELITY, runs, tmp_path / "out", "l1", ("l1_as_l2", "tf1_code+alpha_0.00005", "x"), 15)
    assert {p.name for p in paths} == {"reading_l1.md", "reading_l1.png", "reading_l1.pdf"}
    rows = {
        line.split(" | ")[0][2:]: line.split(" | ")
        for line in paths[0].read_text().splitlines()
        if line.startswith("| ")
    }
    test, train = reference.TEST_ACCURACY["l1"], reference.TRAIN_ACCURACY["l1"]
    for seed, shift in ((0, 0.0), (1, 0.002)):
        cells = [abs(100 * (0.965 + shift + e / 1e5) - t) for e, t in zip(reference.EPOCHS, test)]
        cells += [abs(100 * (0.975 + shift + e / 1e5) - t) for e, t in zip(reference.EPOCHS, train)]
        assert f"{np.mean(cells):.2f} (seed {seed})" in rows["l1_as_l2"][3]
    at20 = [abs(97.0 + 0.02 - test[0]), abs(98.0 + 0.02 - train[0])]
    assert (
        rows["tf1_code+alpha_0.00005"][2] == "20"
        and rows["tf1_code+alpha_0.00005"][6] == f"{np.mean(at20):.2f} +- 0.00"
    )
    # One candidate alone is no comparison: nothing is drawn.
    assert (
        fidelity.reading(
            FIDELITY,
            {k: v for k, v in runs.items() if k.startswith("l1_as_l2")},
            tmp_path / "o",
            "l1",
            ("l1_as_l2", "tf1_code"),
            15,
        )
        == []
    )
