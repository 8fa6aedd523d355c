"""Tables from fake histories equal hand-computed numbers; make_figures on fake run directories writes every file."""

import csv
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from keras_reg.artifacts import curves, stats, summary, tables
from keras_reg.artifacts import io as artifact_io
from keras_reg.artifacts import registry as artifact_registry
from keras_reg.run import grid as grids
from keras_reg.run import rundir
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.run.rundir import HISTORY_COLUMNS, _write_history
from keras_reg.studies.paper import fidelity, reference
from keras_reg.studies.paper import model as paper_model

PAPER, FIDELITY = EXPERIMENTS["paper"], EXPERIMENTS["fidelity"]

ROOT = Path(__file__).resolve().parents[1]


def _fake_run(runs_dir, case, seed, train, test, epochs=100):
    """A history whose accuracy at every epoch is ``train`` / ``test`` (fractions) plus epoch/1e5."""
    rows = []
    for epoch in range(1, epochs + 1):
        bump = epoch / 1e5
        rows.append([epoch, 0.1, train + bump, 0.2, test + bump, 0.0, 0.3, 1.0])
    run_dir = Path(runs_dir) / case / f"seed_{seed}"
    run_dir.mkdir(parents=True)
    _write_history(run_dir, rows)


@pytest.fixture
def runs_dir(tmp_path):
    # standard: two seeds; the others one seed. Values chosen to make the arithmetic visible.
    _fake_run(tmp_path, "standard", 0, 0.99, 0.98)
    _fake_run(tmp_path, "standard", 1, 0.995, 0.97)
    _fake_run(tmp_path, "l1", 0, 0.97, 0.96)
    _fake_run(tmp_path, "l2", 0, 0.975, 0.965)
    _fake_run(tmp_path, "dropout", 3, 0.96, 0.955, epochs=40)  # stopped at epoch 40
    return tmp_path


def test_printed_table3_is_table2_minus_table1():
    for case in reference.CASES:
        for k in range(5):
            assert reference.PRINTED_GAP[case][k] == pytest.approx(
                reference.TRAIN_ACCURACY[case][k] - reference.TEST_ACCURACY[case][k], abs=0.005
            )


def test_table_cells_are_mean_std_paper_and_difference(runs_dir):
    runs = artifact_io.load_runs(runs_dir, PAPER.cases)
    assert sorted(runs["standard"]) == [0, 1] and list(runs["dropout"]) == [3]
    test = {(c["case"], c["epoch"]): c for c in tables.table_cells(PAPER, runs, "test")}
    cell = test[("standard", 20)]
    # seeds: 98.02 and 97.02 (0.98/0.97 + 20/1e5, in percent)
    assert cell["seeds"] == 2
    assert cell["ours_mean"] == pytest.approx(97.52)
    assert cell["ours_std"] == pytest.approx(np.std([98.02, 97.02], ddof=1))
    assert cell["paper"] == 97.92 and cell["difference"] == pytest.approx(97.52 - 97.92)
    assert test[("l1", 100)]["ours_mean"] == pytest.approx(96.1) and test[("l1", 100)]["ours_std"] == 0.0
    assert ("dropout", 40) in test and ("dropout", 60) not in test  # only epochs the run reached
    gap = {(c["case"], c["epoch"]): c for c in tables.table_cells(PAPER, runs, "gap")}
    # gap per seed: 99.02 - 98.02 = 1.0 and 99.52 - 97.02 = 2.5
    assert gap[("standard", 20)]["ours_mean"] == pytest.approx(1.75)
    assert gap[("standard", 20)]["paper"] == 1.53


def test_make_all_writes_every_figure_and_table(runs_dir, tmp_path):
    out = tmp_path / "out"
    paths = artifact_registry.make_all(PAPER, runs_dir, out)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            "fig10.png",
            "fig10.pdf",
            "fig11.png",
            "fig11.pdf",
            "summary.md",
            "fig1_l1.png",
            "fig1_l1.pdf",
            "fig2_l2.png",
            "fig2_l2.pdf",
            "claims.md",
            "lesson_code.md",
        ]
        + [f"table{i}.{s}" for i in (1, 2, 3) for s in ("md", "csv")]
    )
    assert all(p.stat().st_size > 0 for p in paths)
    assert (out / "fig10.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "table1.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * 5 + 2  # three cases at five epochs, dropout at two
    markdown = (out / "table1.md").read_text()
    assert "| Standard | 97.52 +- 0.71 / 97.92 / -0.40 |" in markdown
    # the lesson code's logs: standard at epoch 21 (test 98.07, train 99.54), dropout at 31; l2 at 11
    lesson = (out / "lesson_code.md").read_text()
    test, train = 100 * (0.975 + 21e-5), 100 * (0.9925 + 21e-5)
    assert (
        f"| Standard | 21 | {test:.2f} +- 0.71 | 98.07 | {test - 98.07:+.2f} | {train:.2f} +- 0.35 | 99.54 | {train - 99.54:+.2f} |"
        in lesson
    )
    assert "| L2 | 11 |" in lesson and "| Dropout | 31 |" in lesson


def test_summary_numbers_are_computed_from_the_runs(runs_dir):
    runs = artifact_io.load_runs(runs_dir, PAPER.cases)
    text = summary.summary_markdown(PAPER, runs)
    cells = tables.table_cells(PAPER, runs, "test") + tables.table_cells(PAPER, runs, "train")
    assert len(cells) == 2 * (3 * 5 + 2)
    assert (
        f"over the 34 cells of its test and training tables: {np.mean([abs(c['difference']) for c in cells]):.2f} pp"
        in text
    )
    # standard's seed-mean test accuracy is 97.5% + epoch/1e3 %; l2's 96.5% + ...: below it everywhere.
    assert "- L2: above it at 0 of the 81 epochs from 20 on; not at the last epoch." in text
    # standard test minus paper: 97.52 - 97.92 at epoch 20 ... 97.56 - 98.17 at epoch 60
    assert re.search(r"\| Standard \| [0-9.]+ \| [0-9.]+ \| -0\.61 to -0\.40 \|", text)
    # A case whose curve passes the standard's: above it from that epoch on.
    runs["l1"][0]["test_accuracy"] = np.where(runs["l1"][0]["epoch"] >= 30, 0.99, 0.9)
    assert "- L1: above it at 71 of the 81 epochs from 20 on; at every epoch from 30 on." in summary.summary_markdown(
        PAPER, runs
    )


def test_summary_of_runs_short_of_the_first_printed_epoch_says_so_without_warnings(runs_dir):
    runs = {
        case: {seed: {k: v[:5] for k, v in h.items()} for seed, h in seeds.items()}
        for case, seeds in artifact_io.load_runs(runs_dir, PAPER.cases).items()
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's "Mean of empty slice" was printed here
        text = summary.summary_markdown(PAPER, runs)
    assert (
        "No run reached a printed epoch (the runs reach epoch 5; the first printed is 20), so there is nothing to compare yet."
        in text
    )


def test_make_figures_script_on_fake_run_directories(runs_dir, tmp_path):
    out = tmp_path / "figs"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_figures.py"), f"--runs_dir={runs_dir}", f"--out_dir={out}"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list(out.iterdir())) == 17  # the files of make_all, lesson_code.md among them


def _figures(capsys, *argv):
    """make_figures.py in this process: its exit status and standard error."""
    from absl import flags

    from keras_reg import cli

    fv = flags.FlagValues()
    cli.define_figures_flags(fv)
    fv(["make_figures.py", *argv])
    status = cli.run_figures(fv, ["make_figures.py"])
    return status, capsys.readouterr().err


def test_make_figures_without_runs_is_one_line_error(tmp_path, capsys):
    status, err = _figures(capsys, f"--runs_dir={tmp_path}", f"--out_dir={tmp_path}/o")
    assert status == 2 and err.count("\n") == 1 and "no run directories" in err


def test_fidelity_distance_is_mean_absolute_difference_over_covered_cells(tmp_path):
    accuracies = {"standard": (0.99, 0.98), "l1": (0.97, 0.96), "l2": (0.97, 0.96), "dropout": (0.96, 0.95)}
    for case, (train, test) in accuracies.items():
        _fake_run(tmp_path / "cand", case, 0, train, test, epochs=20)
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
    _fake_run(tmp_path / "long", "standard", 0, 0.99, 0.98, epochs=100)
    (row,) = fidelity.fidelity_rows(FIDELITY, artifact_io.load_runs(tmp_path, ["long/standard"]))
    at20 = [
        abs(100 * (0.98 + 20e-5) - reference.TEST_ACCURACY["standard"][0]),
        abs(100 * (0.99 + 20e-5) - reference.TRAIN_ACCURACY["standard"][0]),
    ]
    assert row["cells"] == 10 and row["distance_at_20"] == pytest.approx(np.mean(at20))
    assert row["distance"] != pytest.approx(row["distance_at_20"])


def test_history_columns_are_the_promised_ones():
    assert HISTORY_COLUMNS[:6] == ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "penalty")
    assert "seconds" in HISTORY_COLUMNS


def test_a_history_without_its_columns_is_refused_in_one_line_not_drawn(runs_dir, tmp_path, capsys):
    (runs_dir / "l1" / "seed_0" / "history.csv").write_text("epoch,accuracy\n1,0.5\n")
    status, err = _figures(capsys, f"--runs_dir={runs_dir}", f"--out_dir={tmp_path}/o")
    assert status == 2 and err.count("\n") == 1 and "lacks the column(s)" in err
    assert not (tmp_path / "o").exists()


def test_the_cnn_table_has_the_reports_numbers_beside_ours_a_stability_measure_and_differences(tmp_path):
    cnn = EXPERIMENTS["cnn"]
    for case in cnn.cases:
        _fake_run(tmp_path / "runs", case, 0, 0.9, 0.8, epochs=5)
        _fake_run(tmp_path / "runs", case, 1, 0.92, 0.84, epochs=5)
    paths = artifact_registry.make_all(cnn, tmp_path / "runs", tmp_path / "out")
    curves = {
        f"{name}.{suffix}"
        for name in ("test_accuracy", "train_accuracy", "test_loss", "train_loss")
        for suffix in ("png", "pdf")
    }
    assert {p.name for p in paths} == curves | {"final.md", "final.csv", "claims.md"}
    rows = list(csv.DictReader(open(tmp_path / "out" / "final.csv")))
    assert [r["case"] for r in rows] == list(cnn.cases)
    assert float(rows[0]["test_accuracy_mean"]) == pytest.approx(100 * (0.82 + 5e-5))
    assert float(rows[0]["test_accuracy_std"]) == pytest.approx(100 * np.std([0.8, 0.84], ddof=1), rel=1e-5)
    assert float(rows[0]["stability_mean"]) == 0.0  # _fake_run's test loss is constant
    assert (rows[1]["reference_test"], rows[1]["reference_test_loss"], rows[0]["reference_test_loss"]) == (
        "99.22",
        "0.0254",
        "nan",
    )
    text = (tmp_path / "out" / "final.md").read_text()
    assert "| Stochastic depth (conv1 survives 0.8) | 2 | 5 |" in text and "| 99.24 | 0.023 |" in text
    assert (
        "- Weight decay 0.001 (decoupled: AdamW): training accuracy +0.00 +- 1.41 pp; test accuracy +0.00 +- 2.83 pp"
        in text
    )  # equal runs, SE of a difference


def _cnn_claims(tmp_path, made):
    """claims.md of fake CNN runs: ``made`` maps case -> per seed (final test accuracy, test losses per epoch)."""
    for case, seeds in made.items():
        for seed, (accuracy, losses) in enumerate(seeds):
            run_dir = tmp_path / "runs" / case / f"seed_{seed}"
            run_dir.mkdir(parents=True)
            _write_history(
                run_dir, [[e + 1, 0.01, 0.999, loss, accuracy, 0.0, 0.01, 1.0] for e, loss in enumerate(losses)]
            )
    return "".join(
        p.read_text()
        for p in artifact_registry.make_all(EXPERIMENTS["cnn"], tmp_path / "runs", tmp_path / "out")
        if p.name == "claims.md"
    )


_CNN_RUNS = {
    "baseline": [(0.9922, (0.05, 0.03, 0.04)), (0.9920, (0.05, 0.035, 0.04))],
    "weight_decay": [(0.9923, (0.05, 0.03, 0.035)), (0.9921, (0.05, 0.032, 0.036))],
    "dropout": [(0.9912, (0.04, 0.035, 0.034)), (0.9914, (0.04, 0.036, 0.035))],
    "stochastic_depth": [(0.9930, (0.03, 0.028, 0.025)), (0.9932, (0.03, 0.027, 0.024))],
}


def test_the_cnn_reports_claims_are_checked_with_standard_errors(tmp_path):
    text = _cnn_claims(tmp_path, _CNN_RUNS)
    assert (
        "| Stochastic depth has the lowest test loss |" in text
        and "(Stochastic depth (conv1 survives 0.8) ahead of Dropout 0.3 (fully connected) by 0.01 +- 0.00071) | yes |"
        in text
    )
    assert "| Stochastic depth has the best test accuracy |" in text and "by 0.09 pp +- 0.014) | yes |" in text
    # roughness: baseline (0.02+0.01)/2 and (0.015+0.005)/2; dropout 0.003, 0.0025; SD 0.0025, 0.003; WD 0.0125, 0.011
    # deciding gap: the smoother of the others (WD, 0.01175) minus the rougher of the two (a tie at 0.00275: dropout)
    assert (
        "(Weight decay 0.001 (coupled: Adam's weight_decay) minus Dropout 0.3 (fully connected): +0.009 +- 0.00079) | yes |"
        in text
    )
    assert (
        "| Weight decay does not help here | test accuracy, weight decay minus baseline | +0.01 +- 0.01 pp | yes |"
        in text
    )
    assert "| Baseline | 2 | 99.21 +- 0.01 | 99.22 | -0.01 +- 0.01 (standard error of our mean) |" in text


def test_a_cnn_claim_that_fails_names_the_gap_to_stochastic_depth_and_whether_it_is_within_two_standard_errors(
    tmp_path,
):
    made = dict(_CNN_RUNS)
    made["baseline"] = [(0.9933, (0.05, 0.03, 0.04)), (0.9931, (0.05, 0.035, 0.04))]  # 0.01 pp above stochastic depth
    made["dropout"] = [(0.9912, (0.04, 0.02, 0.04)), (0.9914, (0.04, 0.03, 0.04))]  # roughness 0.02 and 0.01
    text = _cnn_claims(tmp_path, made)
    assert (
        "(Baseline ahead of Stochastic depth (conv1 survives 0.8) by 0.01 pp +- 0.014) | no, but by less than two standard errors |"
        in text
    )
    # dropout (0.015) is now the rougher of the two, the smoother of the others weight decay (0.01175):
    # 0.01175 - 0.015 = -0.00325 (just above in float64: -0.0032), s.e. sqrt(1.125e-6 / 2 + 5e-5 / 2) = 0.0051
    assert (
        "(Weight decay 0.001 (coupled: Adam's weight_decay) minus Dropout 0.3 (fully connected): -0.0032 +- 0.0051) | no, but by less than two standard errors |"
        in text
    )


def test_a_partial_cnn_study_says_which_claims_wait_for_which_cases_and_shows_its_stochastic_depth_checks(tmp_path):
    import json

    cnn = EXPERIMENTS["cnn"]
    for case in ("baseline", "stochastic_depth"):
        for seed in (0, 1):
            _fake_run(tmp_path / "runs", case, seed, 0.99, 0.99 + seed / 1000, epochs=3)
    layer = {"name": "sd1", "mode": "batch", "survival_probability": 0.8, "kept_fraction": 0.79, "kept_fraction_standard_error": 0.028,
             "max_abs_residual": 2.0, "max_abs_difference_inference_vs_formula": 1e-7, "max_relative_difference_inference_vs_draw_average": 0.01}  # fmt: skip
    for seed, accuracy in ((0, 0.992), (1, 0.994)):
        check = {"draws": 200, "examples": 2000, "draw_examples": 100, "layers": [layer], "max_abs_difference_probabilities_inference_vs_expectation": 0.01 * (seed + 1),
                 "test_accuracy_inference": accuracy, "test_accuracy_expectation_over_gates": accuracy - 0.001}  # fmt: skip
        (tmp_path / "runs" / "stochastic_depth" / f"seed_{seed}" / "stochastic_depth.json").write_text(
            json.dumps(check)
        )
    (path,) = [p for p in artifact_registry.make_all(cnn, tmp_path / "runs", tmp_path / "out") if p.name == "claims.md"]
    text = path.read_text()
    assert text.count("| not yet tested: needs the weight_decay and dropout cases |") == 3
    assert "| not yet tested: needs the weight_decay case |" in text
    assert "| Baseline | 2 | 99.05 +- 0.07 | 99.22 | -0.17 +- 0.05 (standard error of our mean) |" in text
    assert (
        "| Stochastic depth (conv1 survives 0.8) | sd1 | 0.8 | 2 | 0.790, 0.790 (+- 0.028) | 1e-07 | 0.010, 0.010 |"
        in text
    )
    assert (
        "on the first 2000 test images" in text
        and "on the first 100 against the average of 200 training-mode calls" in text
    )
    assert (
        "| Stochastic depth (conv1 survives 0.8) | 2 | 0.02 (largest over seeds) | 99.30 +- 0.14 | 99.20 +- 0.14 |"
        in text
    )


def test_roughness_is_the_mean_absolute_change_between_evaluations():
    assert stats.roughness({"test_loss": [0.5, 0.3, 0.4, 0.4]}, "test_loss") == pytest.approx((0.2 + 0.1 + 0.0) / 3)


def test_the_planar_experiment_end_to_end_draws_boundaries_from_its_trained_models(tmp_path):
    from keras_reg.artifacts import registry as artifact_registry

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
    from keras_reg.artifacts import registry as artifact_registry

    paper_model.paper_mlp("none").save(tmp_path / "runs" / "l2" / "seed_0" / "model.keras")
    with pytest.raises(rundir.RunDirError, match="is not this run's model"):
        artifact_registry.make_all(planar, tmp_path / "runs", tmp_path / "out")
    (tmp_path / "runs" / "l2" / "seed_0" / "model.keras").unlink()
    with pytest.raises(FileNotFoundError, match="model.keras is missing"):
        artifact_registry.make_all(planar, tmp_path / "runs", tmp_path / "out")


def test_a_sweep_table_is_mean_std_per_point_with_the_paper_and_the_flat_range(tmp_path):
    keep = EXPERIMENTS["sweep_keep"]
    accuracies = {
        "dropout_keep_prob_0.3": (0.90, 0.91),
        "dropout_keep_prob_0.5": (0.96, 0.97),
        "dropout_keep_prob_0.8": (0.965, 0.975),
        "none": (0.93, 0.94),
    }
    for case, (a, b) in accuracies.items():
        _fake_run(tmp_path / "runs", case, 0, 0.99, a, epochs=20)
        _fake_run(tmp_path / "runs", case, 1, 0.99, b, epochs=20)
    paths = artifact_registry.make_all(keep, tmp_path / "runs", tmp_path / "out")
    assert {p.name for p in paths} == {"sweep_keep.png", "sweep_keep.pdf", "sweep_keep.md"}
    text = (tmp_path / "out" / "sweep_keep.md").read_text()
    std = 100 * np.std([0.96, 0.97], ddof=1)
    assert f"| 0.5 (the paper's) | dropout_keep_prob_0.5 | 2 | {100 * (0.965 + 2e-4):.2f} +- {std:.2f} |" in text
    assert "| 0.5 | the paper | 1 | 95.47 | 95.56 | 0.09 |" in text  # Table 1-3 at epoch 20
    # best 0.8 (97.02); 0.5 is 0.5 pp below it with a standard error of the difference of 0.71 (within 2 SE); 0.3 and 1 are not
    assert "Best test accuracy: keep_prob = 0.8" in text and "keep_prob = 0.5, 0.8." in text
    assert "here not: of the points from 0.4 to 0.8, " not in text and "here too" in text


def test_expected_distance_of_one_more_seed(runs_dir):
    runs = artifact_io.load_runs(runs_dir, PAPER.cases)
    cells = [
        c for which in ("test", "train") for c in tables.table_cells(PAPER, runs, which) if c["case"] == "standard"
    ]
    # standard's two seeds differ by 1 pp in test (s = 0.707) and 0.5 pp in training accuracy (s = 0.354)
    c4 = np.sqrt(2 / np.pi)  # for two seeds: sqrt(2/1) Gamma(1) / Gamma(1/2)
    expected = np.sqrt(2 / np.pi) * np.sqrt(1 + 1 / 2) * (np.sqrt(0.5) + np.sqrt(0.125)) / 2 / c4
    assert stats.expected_distance(cells) == pytest.approx(expected, rel=1e-6)
    assert re.search(rf"\| Standard \| [0-9.]+ \| {expected:.2f} \|", summary.summary_markdown(PAPER, runs))
    assert np.isnan(stats.expected_distance([c for c in tables.table_cells(PAPER, runs, "test") if c["case"] == "l1"]))


def test_expected_distance_matches_simulated_extra_seeds():
    # 4,000 cells of 3 seeds and one more run, all N(0, 1): the mean |extra - mean of 3| is
    # sqrt(2/pi) sqrt(4/3) = 0.921 in expectation, and so is the estimate from the seeds' spread
    # (without c4 it would be 11% low: 0.82). Standard error of each side here about 0.011, so
    # 0.05 is over three standard errors of their difference.
    rng = np.random.default_rng(0)
    seeds, extra = rng.normal(size=(4000, 3)), rng.normal(size=4000)
    cells = [{"ours_std": s, "seeds": 3} for s in seeds.std(axis=1, ddof=1)]
    observed = np.mean(np.abs(extra - seeds.mean(axis=1)))
    assert stats.expected_distance(cells) == pytest.approx(observed, abs=0.05)


@pytest.mark.parametrize("label", ["Baseline", "Weight decay 0.001 (coupled: Adam's weight_decay) (ours, 3 seeds)"])
def test_the_curves_legend_stays_inside_the_figure_whatever_the_labels_length(label):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for k in range(4):
        ax.plot([1, 2], [k, k + 1], label=f"{label} {k}")
    curves._legend(fig, ax, loc="lower right")
    fig.tight_layout()
    fig.canvas.draw()
    legend, whole = ax.get_legend().get_window_extent(), fig.bbox
    assert whole.x0 <= legend.x0 and legend.x1 <= whole.x1 and whole.y0 <= legend.y0 and legend.y1 <= whole.y1
    plt.close(fig)


@pytest.mark.parametrize("epochs", [1, 3, 40])
def test_short_runs_give_well_formed_tables_that_say_which_epochs_they_reach(tmp_path, epochs):
    for case in PAPER.cases:
        _fake_run(tmp_path, case, 0, 0.99, 0.98, epochs=epochs)
    runs = artifact_io.load_runs(tmp_path, PAPER.cases)
    tables.reference_tables(PAPER, runs, tmp_path / "out", {"table1": "test"})
    table = (tmp_path / "out" / "table1.md").read_text()
    text = summary.summary_markdown(PAPER, runs)
    assert f"reach epoch {epochs}" in table and (epochs >= 20 or f"reach epoch {epochs}" in text)
    assert "|  |" not in table and "over  seed" not in table and "Seeds per case: ." not in text
    assert "Seeds per case: 1." in text
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert all(row.count("|") == rows[0].count("|") for row in rows)  # as many cells as the header


def test_make_figures_defaults_to_where_the_runner_puts_the_runs(runs_dir, tmp_path, capsys, monkeypatch):
    # As a user of the installed package: no checkout, the runs where reproduce_paper.py writes them.
    import shutil

    shutil.copytree(runs_dir, tmp_path / "user" / "results" / "paper" / "runs")
    monkeypatch.chdir(tmp_path / "user")
    status, err = _figures(capsys)
    assert status == 0, err
    assert (tmp_path / "user" / "results" / "paper" / "table1.md").exists()


def test_a_reading_sets_one_case_of_several_candidates_side_by_side(tmp_path):
    # Two candidates of the paper's L1 row, constant accuracies (plus epoch/1e5), two seeds each.
    for seed, shift in ((0, 0.0), (1, 0.002)):
        _fake_run(tmp_path, "l1_as_l2/l1", seed, 0.975 + shift, 0.965 + shift)
        _fake_run(tmp_path, "tf1_code+alpha_0.00005/l1", seed, 0.98, 0.97, epochs=20)
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
