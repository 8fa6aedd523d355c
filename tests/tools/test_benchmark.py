"""The benchmark's arithmetic and its matrix-products ceiling, on tiny sizes (no timing is asserted)."""

import math

import pytest

from keras_reg.run import experiment
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.studies.cnn import model as cnn_model
from keras_reg.tools import benchmark, benchmark_cnn, ceiling, curves


def test_epoch_flops_are_the_issues_figures_for_the_paper_mlp():
    train, evaluation = ceiling.epoch_flops()
    # Per example: forward 2 * 1,289,000; weight gradients as much again; input gradients of layers 2-3.
    assert train == 60000 * (2 * 1_289_000 * 2 + 2 * (500_000 + 5_000)) == 369_960_000_000
    assert evaluation == 70000 * 2 * 1_289_000 == 180_460_000_000


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_matrix_products_epoch_runs_on_the_current_backend(dtype):
    seconds = ceiling.matrix_products_epoch(
        units=(16, 8, 4), batch=10, train_examples=50, eval_examples=40, eval_batch=20, repeats=2, dtype=dtype
    )
    assert math.isfinite(seconds) and seconds > 0


def test_matmul_throughput_in_bfloat16():
    assert ceiling.matmul_throughput(size=64, repeats=2, dtype="bfloat16") > 0


def test_run_refuses_configs_of_two_precisions():
    configs = {
        "standard": experiment.EXPERIMENTS["paper"].spec("standard"),
        "l2": experiment.EXPERIMENTS["paper"].spec("l2", precision="mixed_bfloat16"),
    }
    with pytest.raises(ValueError, match="one precision"):
        benchmark.run(configs, datasets=None)


def test_table_states_cases_ceiling_and_projection():
    results = {
        "backend": "tensorflow",
        "matmul_gflops": {"before": 190.0, "after": 200.0, "limit": 200.0},
        "epoch_flops": {"train": 3.7e11, "eval": 1.8e11},
        "epochs_timed": 5,
        "matrix_products_epoch": {"seconds": 3.0, "fraction_of_limit": 0.9},
        "cases": {
            "standard": {
                "plain_seconds": 9.0,
                "trainer_seconds": 3.6,
                "speedup": 2.5,
                "trainer_gflops": 152.8,
                "fraction_of_limit": 0.76,
            }
        },
        "projected_reproduction_seconds": 360.0,
    }
    text = benchmark.table(results)
    assert "| standard | 9.00 | 3.60 | 2.50x | 152.8 | 76% |" in text
    assert (
        "3.00 s, 90% of the limit" in text
        and "the 1 case(s) timed here (100 epochs each), one after another: 6.0 minutes" in text
    )
    assert "Side by side" not in text  # one process (JSON from before it was recorded, or a GPU)
    results["side_by_side"] = {
        "workers": 2,
        "epoch_seconds": {"standard": 4.5},
        "projected_reproduction_seconds": 450.0,
        "fraction_of_limit": 0.81,
    }
    assert (
        "(2 processes; s/epoch with the other runs beside: standard 4.50): projected 7.5 minutes, the whole machine at 81%"
        in benchmark.table(results)
    )
    assert "trainer precision float32" in text and "2048^3 float32" in text  # JSON from before they were recorded
    results.update(precision="mixed_bfloat16", matmul={"size": 1024, "dtype": "bfloat16"})
    text = benchmark.table(results)
    assert "trainer precision mixed_bfloat16 (plain Keras: float32)" in text and "1024^3 bfloat16" in text


def test_makespan_hands_each_job_to_the_first_worker_free():
    assert benchmark.makespan([3, 3, 4, 2], 2) == 7  # 3 | 3, then 4 after the first, 2 after the second
    assert benchmark.makespan([5, 1, 1, 1], 2) == 5 and benchmark.makespan([2, 2], 1) == 4


def test_side_by_side_is_none_for_one_process(fake_mnist):
    assert benchmark.side_by_side({"standard": experiment.EXPERIMENTS["paper"].spec("standard")}, fake_mnist) is None


def test_curves_summary_states_the_largest_gap_in_standard_errors():
    # Two seeds, one epoch: plain 0.90/0.92 (std 0.01414 -> 1.414 pp), trainer 0.93/0.95 (same std).
    rows = [
        ("standard", "plain", 0, 1, 0.99, 0.90),
        ("standard", "plain", 1, 1, 0.99, 0.92),
        ("standard", "trainer", 0, 1, 0.99, 0.93),
        ("standard", "trainer", 1, 1, 0.99, 0.95),
    ]
    text = curves.curves_summary(rows)
    # gap 3 pp; standard error sqrt((2 + 2) / 2) = 1.414 pp; 3 / 1.414 = 2.1
    assert "| standard | plain | 91.00 +- 1.41 | 99.00 +- 0.00 | 3.00 | 1.41 | 2.1 |" in text


def test_cnn_epoch_flops_count_the_reports_network():
    train, evaluation = benchmark_cnn.cnn_epoch_flops(cnn_model.report_cnn(), train_examples=60000, eval_examples=70000)
    conv = [28 * 28 * 9 * 1 * 64, 14 * 14 * 9 * 64 * 128, 7 * 7 * 9 * 128 * 256]
    dense = [2304 * 512, 512 * 10]
    forward = 2 * sum(conv + dense)
    assert evaluation == forward * 70000 and forward / 1e6 == pytest.approx(61.1, abs=0.05)
    assert train == (3 * forward - 2 * conv[0]) * 60000  # about 11 TFLOP, as the CNN issue estimates


@pytest.mark.slow  # the CNN compiled twice: .ci/run runs it (pytest -m slow)
def test_the_cnn_benchmark_times_both_paths_on_a_few_images(fake_mnist):
    spec = EXPERIMENTS["cnn"].spec("baseline", train_examples=128, test_examples=64)
    result = benchmark_cnn.benchmark_cnn(
        spec, fake_mnist, epochs=2, steps_per_execution=2, eval_batch=64, log=lambda line: None
    )
    assert len(result["plain_epochs"]) == 2 and all(s > 0 for s in result["plain_epochs"])
    table = benchmark_cnn.cnn_table(result)
    assert "128 training and 64 test images per timed epoch" in table and "| keras_reg trainer |" in table
