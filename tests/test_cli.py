"""The scripts: flags into a config, bad input refused with one line, data errors end to end, kill -9 and resume."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from absl import flags

from keras_reg import cli
from keras_reg.checks import ConfigError
from keras_reg.data import sources
from keras_reg.run import registry, rundir, spec

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _flags(argv, define=cli.define_train_flags, program="train.py"):
    fv = flags.FlagValues()
    define(fv)
    cli.flags_parser(program, fv)(["prog", *argv])
    return fv


def test_flags_round_trip_into_the_spec():
    fv = _flags(
        [
            "--regularizer=l1",
            "--alpha=0.001",
            "--keep_prob=0.8",
            "--learning_rate=0.25",
            "--batch_size=50",
            "--epochs=7",
            "--seed=3",
            "--train_examples=1000",
            "--test_examples=500",
            "--protocol=textbook",
            "--loss=binary_per_class",
            "--initializer=tf1_truncated_normal",
            "--l2_form=full",
            "--data_source=cache",
            "--precision=mixed_bfloat16",
            "--train_split=tf1",
            "--penalize_biases",
            "--eval_dropout",
        ]
    )
    experiment, case, protocol, run = cli.train_spec(fv)
    assert (experiment.name, case, protocol) == ("paper", "standard", "textbook")
    assert run == spec.make_spec(
        model="paper_mlp", dataset="mnist_flat", regularizer="l1", alpha=0.001, keep_prob=0.8, learning_rate=0.25, batch_size=50,
        epochs=7, seed=3, train_examples=1000, test_examples=500, loss="binary_per_class", initializer="tf1_truncated_normal",
        l2_form="full", data_source="cache", precision="mixed_bfloat16", train_split="tf1", penalize_biases=True, eval_dropout=True,
    )  # fmt: skip


def test_every_setting_of_every_builder_and_data_set_has_a_flag():
    from keras_reg.run import spec

    fv = _flags([])
    names = set(spec.FIELDS) | {n for r in (registry.BUILDERS, registry.DATASETS) for e in r.values() for n in e.params}
    assert names <= set(fv)


def test_protocol_defaults_fill_what_the_flags_leave_out():
    from keras_reg.run.experiment import EXPERIMENTS
    from keras_reg.studies.paper.experiment import PROTOCOLS

    for name in PROTOCOLS:
        run = cli.train_spec(_flags([f"--protocol={name}"]))[3]
        assert run == EXPERIMENTS["paper"].spec("standard", protocol=name)
    assert cli.train_spec(_flags([]))[3] == EXPERIMENTS["paper"].spec("standard")


def test_other_experiments_cases_are_one_flag_away():
    run = cli.train_spec(_flags(["--experiment=planar", "--case=dropout"]))[3]
    assert (run.model, run.builder_args["keep_prob"], run.metric) == ("planar_mlp", 0.86, "binary_accuracy")


BAD_CONFIG_FLAGS = [
    ("--keep_prob=0", "keep_prob"),
    ("--keep_prob=1.5", "keep_prob"),
    ("--keep_prob=nan", "keep_prob"),
    ("--alpha=-1", "alpha"),
    ("--alpha=inf", "alpha"),
    ("--learning_rate=0", "learning_rate"),
    ("--learning_rate=-0.1", "learning_rate"),
    ("--learning_rate=nan", "learning_rate"),
    ("--epochs=0", "epochs"),
    ("--epochs=-5", "epochs"),
    ("--batch_size=-1", "batch_size"),
    ("--protocol=tf1", "protocol"),
    ("--case=l3", "case"),
    ("--train_examples=0", "train_examples"),
    ("--train_examples=55001", "train_examples"),
    ("--test_examples=0", "test_examples"),
    ("--test_examples=10001", "test_examples"),
    ("--seed=-1", "seed"),
    ("--data_source=", "data_source"),
]


@pytest.mark.parametrize("flag, name", BAD_CONFIG_FLAGS)
def test_out_of_range_flag_is_one_line_naming_flag_value_and_range(flag, name, capsys, tmp_path):
    status = cli.run_train(_flags([flag, f"--out_dir={tmp_path}"]), ["train.py"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("train.py: error: ")
    assert f"`{name}`" in err and f"{name}=" in err and "Expected" in err
    assert not list(tmp_path.iterdir())  # nothing was written


def test_batch_larger_than_the_training_subset_is_refused(capsys):
    assert cli.run_train(_flags(["--train_examples=1000", "--batch_size=1001"]), ["train.py"]) == 2
    assert "train_examples=1000" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flag, text",
    [
        ("--regularizer=l3", "--regularizer"),
        ("--loss=mse", "--loss"),
        ("--initializer=he", "--initializer"),
        ("--precision=float16", "--precision"),
        ("--epochs=abc", "--epochs"),
        ("--alpha=abc", "--alpha"),
        ("--no_such_flag=1", "no_such_flag"),
    ],
)
def test_unparsable_flag_is_one_line_and_status_2(flag, text, capsys):
    with pytest.raises(SystemExit) as info:
        _flags([flag])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and text in err


def test_positional_argument_is_refused(capsys):
    assert cli.run_train(_flags([]), ["train.py", "extra"]) == 2
    assert "unexpected arguments ['extra']" in capsys.readouterr().err


def test_unwritable_out_dir_is_refused_before_data_is_loaded(tmp_path, capsys, monkeypatch):
    from keras_reg import data

    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: pytest.fail("data was loaded"))
    (tmp_path / "file").write_text("")
    assert cli.run_train(_flags([f"--out_dir={tmp_path / 'file' / 'run'}"]), ["train.py"]) == 2
    assert "cannot write to the output directory" in capsys.readouterr().err


def test_reproduce_and_fidelity_refuse_bad_lists(capsys):
    fv = _flags(["--seeds=0,x"], cli.define_reproduce_flags, "reproduce_paper.py")
    assert cli.run_reproduce(fv, ["reproduce_paper.py"]) == 2
    fv = _flags(["--cases=standard,l3"], cli.define_reproduce_flags, "reproduce_paper.py")
    assert cli.run_reproduce(fv, ["reproduce_paper.py"]) == 2
    fv = _flags(["--candidates=nope"], cli.define_fidelity_flags, "fidelity.py")
    assert cli.run_fidelity(fv, ["fidelity.py"]) == 2
    fv = _flags(["--epochs=1"], cli.define_benchmark_flags, "benchmark.py")
    assert cli.run_benchmark(fv, ["benchmark.py"]) == 2
    lines = capsys.readouterr().err.strip().split("\n")
    assert len(lines) == 4 and all(": error: " in line for line in lines)


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow", reason="the refusal is of other backends"
)
@pytest.mark.parametrize(
    "define, run, program",
    [
        (cli.define_reproduce_flags, cli.run_reproduce, "reproduce_paper.py"),
        (cli.define_fidelity_flags, cli.run_fidelity, "fidelity.py"),
    ],
)
def test_vectorized_seeds_need_the_jax_backend_and_are_refused_before_data_is_loaded(
    define, run, program, tmp_path, capsys, monkeypatch
):
    from keras_reg import data

    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: pytest.fail("data was loaded"))
    fv = _flags(["--vectorize_seeds", "--seeds=0,1", f"--out_dir={tmp_path}"], define, program)
    assert run(fv, [program]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "vectorize_seeds" in err and "KERAS_BACKEND=jax" in err and "'tensorflow'" in err
    assert not list(tmp_path.rglob("*.csv"))


def test_an_os_error_is_one_line_naming_the_file_meant_not_its_temporary_copy(capsys):
    import errno

    def work():  # what os.replace raises when config.json has become a directory
        raise IsADirectoryError(errno.EISDIR, "Is a directory", "run/.config.json.x1.tmp", None, "run/config.json")

    assert cli.guarded("keras-reg-train", work) == cli.EXIT["os"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run/config.json: Is a directory" in err and ".tmp" not in err


def test_print_commands_pass_on_what_changes_a_run(tmp_path, capsys):
    argv = ["--seeds=0,1", "--cases=l2", "--epochs=3", "--allow_backend_change", "--print_commands"]
    fv = _flags([*argv, f"--out_dir={tmp_path}"], cli.define_reproduce_flags, "reproduce_paper.py")
    assert cli.run_reproduce(fv, ["reproduce_paper.py"]) == 0
    commands = capsys.readouterr().out.splitlines()
    assert len(commands) == 2 and all("--epochs=3" in c and c.endswith("--allow_backend_change") for c in commands)
    assert not list(tmp_path.iterdir())  # printed, not trained


# --------------------------------------------------------------------------------------------------
# The real scripts, in fresh processes


def _script(name, *args, env=None, **kwargs):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True, env=full_env, **kwargs
    )


def test_train_script_bad_flag_exits_2_with_one_line_and_no_traceback(capsys):
    # The process boundary once (exit status, nothing but the line on standard error) ...
    result = _script("train.py", "--keep_prob=2")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("train.py: error: ") and "keep_prob" in result.stderr
    # ... and a flag absl itself refuses, through the same parser in this process.
    with pytest.raises(SystemExit) as info:
        _flags(["--regularizer=l3"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and err.startswith("train.py: error: ")


def _train_status(capsys, *argv):
    """train.py's exit status, standard error and output, run in this process."""
    status = cli.run_train(_flags(list(argv)), ["train.py"])
    captured = capsys.readouterr()
    return status, captured.err, captured.out


def test_train_script_data_errors_end_to_end(tmp_path, capsys, monkeypatch):
    common = ["--epochs=1", "--train_examples=100", "--test_examples=100", f"--out_dir={tmp_path / 'run'}"]
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"corrupted")
    (cache / "mnist.npz.sha256").write_text("0" * 64 + "  mnist.npz\n")
    corrupted = _script("train.py", "--data_source=cache", *common, env={"KERAS_REG_CACHE": str(cache)})
    assert corrupted.returncode == 4 and "Traceback" not in corrupted.stderr
    last = corrupted.stderr.strip().splitlines()[-1]
    assert "damaged" in corrupted.stderr and last.startswith("train.py: error: could not get MNIST")

    not_mnist = tmp_path / "mnist.npz"
    zeros = np.zeros((5, 28, 28), np.uint8)
    np.savez(not_mnist, x_train=zeros, y_train=np.zeros(5), x_test=zeros, y_test=np.zeros(5))
    status, err, _ = _train_status(capsys, f"--data_source={not_mnist}", *common)
    assert status == 4 and err.count("\n") == 1 and "not MNIST" in err

    # An unreachable network source (hermetic online too): refused at once, not after a time-out.

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(sources.socket, "create_connection", refuse)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    status, err, _ = _train_status(capsys, "--data_source=keras", *common)
    assert status == 4 and "cannot reach" in err and err.count("\n") == 1


def test_train_script_killed_mid_run_resumes_to_the_uninterrupted_history(tmp_path, capsys):
    # The smallest run that shows it: the planar network with Dropout (whose random state must be
    # restored too), 16 rows of 250 full-batch steps, killed with SIGKILL after a few rows. Only
    # the killed run needs a process of its own; the whole run and the resume run here.
    args = ["--experiment=planar", "--case=dropout", "--epochs=4000", "--eval_every=250", "--seed=5"]
    assert _train_status(capsys, *args, f"--out_dir={tmp_path / 'whole'}")[0] == 0

    cut_dir = tmp_path / "cut"
    process = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "train.py"), *args, f"--out_dir={cut_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while len(rundir.read_history(cut_dir)["epoch"]) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = int(rundir.read_history(cut_dir)["epoch"][-1])  # whole rows only: the file is replaced atomically
    assert 750 <= done < 4000
    status, _, out = _train_status(capsys, *args, f"--out_dir={cut_dir}")
    assert status == 0 and f"resuming after epoch {done}" in out
    a, b = rundir.read_history(tmp_path / "whole"), rundir.read_history(cut_dir)
    for column in rundir.HISTORY_COLUMNS[:-1]:  # everything but the wall time
        np.testing.assert_array_equal(a[column], b[column])


def test_flagfile_and_help(tmp_path):
    flagfile = tmp_path / "l2.flags"
    flagfile.write_text("--regularizer=l2\n--alpha=0.002\n--epochs=3\n")
    run = cli.train_spec(_flags([f"--flagfile={flagfile}"]))[3]
    assert (run.builder_args["regularizer"], run.builder_args["alpha"], run.epochs) == ("l2", 0.002, 3)
    # --help (absl's short help) lists the program's own flags, each with its default, and none of
    # absl's or TensorFlow's; the error of a bad flag names the program as it was called.
    result = _script("train.py", "--help")
    assert result.stderr == "", result.stderr[-2000:]  # (absl exits 1 after help)
    for name in (
        "--regularizer",
        "--alpha",
        "--keep_prob",
        "--learning_rate",
        "--batch_size",
        "--epochs",
        "--seed",
        "--out_dir",
        "--train_examples",
        "--test_examples",
        "--protocol",
        "--loss",
        "--initializer",
    ):
        assert name in result.stdout, name
    assert "else 0.0005)" in " ".join(result.stdout.split()) and "--logtostderr" not in result.stdout


@pytest.mark.backend
def test_train_script_divergence_exits_3_and_keeps_the_reason(tmp_path, real_mnist_cache):
    # On the session's backend (and on JAX in CI's second pass), the one line is all of standard
    # error: no start-up log lines of TensorFlow (which Keras imports on JAX too, to seed it) or of JAX.
    import keras

    backend = keras.backend.backend()
    run = tmp_path / "run"
    result = _script(
        "train.py",
        "--regularizer=l2",
        "--learning_rate=1e10",
        "--epochs=2",
        "--train_examples=300",
        "--test_examples=100",
        "--data_source=cache",
        f"--out_dir={run}",
        env={"KERAS_BACKEND": backend, "KERAS_REG_CACHE": str(real_mnist_cache)},
    )
    assert result.returncode == 3 and result.stderr.count("\n") == 1, result.stderr[-2000:]
    assert "diverged at epoch 1" in result.stderr and "--learning_rate" in result.stderr
    assert (run / "divergence.json").exists()


def test_a_case_and_a_flag_that_contradicts_it_are_refused(tmp_path, capsys):
    with pytest.raises(ConfigError, match="--regularizer=l2 contradicts case dropout"):
        cli.train_spec(_flags(["--case=dropout", "--regularizer=l2"]))
    assert cli.train_spec(_flags(["--regularizer=l2"]))[3].builder_args["regularizer"] == "l2"  # no --case: a new case
    fv = _flags(["--regularizer=l2", f"--out_dir={tmp_path}"], cli.define_reproduce_flags, "reproduce_paper.py")
    assert cli.run_reproduce(fv, ["reproduce_paper.py"]) == 2
    assert "contradicts case standard" in capsys.readouterr().err and not list(tmp_path.iterdir())
    both = _flags(
        ["--train_only", "--report_only", f"--out_dir={tmp_path}"], cli.define_reproduce_flags, "reproduce_paper.py"
    )
    assert cli.run_reproduce(both, ["reproduce_paper.py"]) == 2 and "do nothing" in capsys.readouterr().err


def test_a_flag_file_of_binary_garbage_is_one_line(tmp_path, capsys):
    garbage = tmp_path / "garbage.flags"
    garbage.write_bytes(bytes(range(128, 256)))
    with pytest.raises(SystemExit) as info:
        _flags([f"--flagfile={garbage}"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "flag file" in err
