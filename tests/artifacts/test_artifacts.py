"""The generic artifacts (keras_reg/artifacts): tables, summary, curves and statistics from fake run directories."""

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import fake_run

from keras_reg.artifacts import curves, stats, summary, tables
from keras_reg.artifacts import io as artifact_io
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.run.rundir import HISTORY_COLUMNS

PAPER, FIDELITY = EXPERIMENTS["paper"], EXPERIMENTS["fidelity"]


ROOT = Path(__file__).resolve().parents[2]


def _figures(capsys, *argv):
    """make_figures.py in this process: its exit status and standard error."""
    from absl import flags

    from keras_reg import cli

    fv = flags.FlagValues()
    cli.define_figures_flags(fv)
    fv(["make_figures.py", *argv])
    status = cli.run_figures(fv, ["make_figures.py"])
    return status, capsys.readouterr().err


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


def test_make_figures_without_runs_is_one_line_error(tmp_path, capsys):
    status, err = _figures(capsys, f"--runs_dir={tmp_path}", f"--out_dir={tmp_path}/o")
    assert status == 2 and err.count("\n") == 1 and "no run directories" in err


def test_make_figures_into_a_file_is_one_line_error(runs_dir, tmp_path, capsys):
    (tmp_path / "afile").write_text("mine")
    status, err = _figures(capsys, f"--runs_dir={runs_dir}", f"--out_dir={tmp_path / 'afile'}")
    assert status == 2 and err.count("\n") == 1 and "afile: it is a file, not a folder" in err
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_figure_is_written_whole_or_not_at_all_and_a_full_disk_names_it(tmp_path, monkeypatch):
    import errno

    from keras_reg import files

    plt = artifact_io.pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError) as info:
        artifact_io.save_figure(fig, tmp_path, "curve")
    assert info.value.filename == str(tmp_path / "curve.png") and not list(tmp_path.iterdir())
    monkeypatch.undo()
    paths = artifact_io.save_figure(fig, tmp_path, "curve")
    assert [p.read_bytes()[:4] for p in paths] == [b"\x89PNG", b"%PDF"]


def test_history_columns_are_the_promised_ones():
    assert HISTORY_COLUMNS[:6] == ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "penalty")
    assert "seconds" in HISTORY_COLUMNS


def test_a_history_without_its_columns_is_refused_in_one_line_not_drawn(runs_dir, tmp_path, capsys):
    (runs_dir / "l1" / "seed_0" / "history.csv").write_text("epoch,accuracy\n1,0.5\n")
    status, err = _figures(capsys, f"--runs_dir={runs_dir}", f"--out_dir={tmp_path}/o")
    assert status == 2 and err.count("\n") == 1 and "lacks the column(s)" in err
    assert not (tmp_path / "o").exists()


def test_roughness_is_the_mean_absolute_change_between_evaluations():
    assert stats.roughness({"test_loss": [0.5, 0.3, 0.4, 0.4]}, "test_loss") == pytest.approx((0.2 + 0.1 + 0.0) / 3)


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
        fake_run(tmp_path, case, 0, 0.99, 0.98, epochs=epochs)
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
