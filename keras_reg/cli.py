"""Flags and exit codes of the scripts in ``scripts/``: flags in, one library call, exit status out.

Flags are defined inside functions on a given ``FlagValues`` (so tests parse them in isolation) and
turned into plain values here; the library never sees a flags object. Every error a user can cause
ends the script with one line on standard error, no traceback, and a status from :data:`EXIT`.
"""

import sys

from absl import flags

from keras_reg import config as cfg

__all__ = ["EXIT", "flags_parser", "define_train_flags", "train_config", "run_train", "fail"]

EXIT = {"ok": 0, "usage": 2, "diverged": 3, "data": 4, "worker": 5, "interrupted": 130}


def fail(program, message, status):
    print(f"{program}: error: {message}", file=sys.stderr)
    return status


def flags_parser(program, fv=None):
    """An absl ``flags_parser`` that reports a bad flag on one line and exits with status 2."""

    def parse(argv):
        try:
            return (fv or flags.FLAGS)(argv)
        except flags.Error as e:
            sys.exit(fail(program, f"{e} (see --helpfull)", EXIT["usage"]))

    return parse


def define_run_flags(fv, regularizer=True):
    """The hyperparameter flags shared by the training scripts, defined on ``fv``."""
    if regularizer:
        flags.DEFINE_enum("regularizer", "none", list(cfg.REGULARIZERS), "Regularization: none (the paper's standard network), l1, l2 or dropout.", flag_values=fv)
    flags.DEFINE_float("alpha", 0.0005, "Penalty coefficient alpha of the paper's J~ = J + alpha * Omega(w) (dimensionless; paper: 0.0005). Used by l1 and l2.", flag_values=fv)
    flags.DEFINE_float("keep_prob", 0.5, "Dropout keep probability of each hidden unit, in (0, 1] (paper: 0.5). Used by dropout.", flag_values=fv)
    flags.DEFINE_float("learning_rate", 0.5, "SGD step size, > 0 (paper: 0.5).", flag_values=fv)
    flags.DEFINE_integer("batch_size", None, "Examples per SGD step (unstated in the paper; default: the protocol's, 100).", flag_values=fv)
    flags.DEFINE_integer("epochs", 100, "Passes over the training set (paper: 100).", flag_values=fv)
    flags.DEFINE_integer("train_examples", None, "Use the first N training images of the split (1..60000; all of the split by default). For quick runs.", flag_values=fv)
    flags.DEFINE_integer("test_examples", cfg.MNIST_TEST, "Use the first N test images (1..10000; all by default).", flag_values=fv)
    flags.DEFINE_enum("protocol", "paper", list(cfg.PROTOCOLS), "The choices the paper left unstated: 'paper' (closest to its tables, see paper_figures/FIDELITY.md) or 'textbook' (softmax cross-entropy, Keras defaults).", flag_values=fv)
    flags.DEFINE_enum("loss", None, list(cfg.LOSSES), "Override the protocol's reading of the cross-entropy.", flag_values=fv)
    flags.DEFINE_enum("initializer", None, list(cfg.INITIALIZERS), "Override the protocol's initialization.", flag_values=fv)
    flags.DEFINE_enum("l2_form", None, list(cfg.L2_FORMS), "Override the protocol's L2 penalty: half = alpha/2 sum w^2 (the paper's), full = alpha sum w^2.", flag_values=fv)
    flags.DEFINE_enum("precision", "float32", list(cfg.PRECISIONS), "float32 (default): every computation in float32. mixed_bfloat16: a speed option, off by default: the hidden layers compute in bfloat16, the weights, softmax layer, loss and updates stay float32 (README, Speed).", flag_values=fv)
    flags.DEFINE_string("data_source", "auto", "Where MNIST comes from: auto, cache, tfds, keras, registry, or the path of a local mnist.npz / mnist.pkl.gz. The cache is $KERAS_REG_CACHE or ~/.cache/keras_reg.", flag_values=fv)


def define_train_flags(fv):
    define_run_flags(fv)
    flags.DEFINE_integer("seed", 0, "Seed of the initialization, Dropout and data order (>= 0).", flag_values=fv)
    flags.DEFINE_string("out_dir", None, "The run directory (default: results/<regularizer>/seed_<seed>).", flag_values=fv)
    flags.DEFINE_bool("overwrite", False, "Replace a run directory that holds a run with another configuration.", flag_values=fv)


def run_overrides(fv):
    """The RunConfig fields given by the shared flags, as plain values."""
    names = ("alpha", "keep_prob", "learning_rate", "batch_size", "train_examples", "test_examples", "loss", "initializer", "l2_form", "data_source", "precision")
    return {name: fv[name].value for name in names}


def train_config(fv):
    """The validated RunConfig of parsed train.py flags (raises ConfigError)."""
    return cfg.make_config(fv.protocol, regularizer=fv.regularizer, epochs=fv.epochs, seed=fv.seed, **run_overrides(fv))


def run_train(fv, argv, program="train.py"):
    """train.py: one run. Returns the exit status."""
    if len(argv) > 1:
        return fail(program, f"unexpected arguments {argv[1:]}; every setting is a --flag (see --helpfull)", EXIT["usage"])
    try:
        config = train_config(fv)
    except cfg.ConfigError as e:
        return fail(program, str(e), EXIT["usage"])
    out_dir = fv.out_dir or f"results/{config.regularizer}/seed_{config.seed}"
    return guarded(program, lambda: _train(config, out_dir, fv.overwrite))


def _train(config, out_dir, overwrite):
    from keras_reg import training

    stats = training.train_and_evaluate(config, out_dir, overwrite=overwrite)
    final = stats["final"]
    print(
        f"{out_dir}: {stats['epochs']} epochs; final test accuracy {100 * final['test_accuracy']:.2f}%, "
        f"training accuracy {100 * final['train_accuracy']:.2f}%"
    )
    return EXIT["ok"]


def guarded(program, work):
    """Runs ``work()`` and turns the errors a user can cause into one line and an exit status."""
    from keras_reg import data, reproduce, training

    try:
        return work()
    except (cfg.ConfigError, training.RunDirError) as e:
        return fail(program, str(e), EXIT["usage"])
    except training.DivergenceError as e:
        return fail(program, str(e), EXIT["diverged"])
    except data.DataError as e:
        return fail(program, str(e), EXIT["data"])
    except reproduce.WorkerError as e:
        return fail(program, str(e), EXIT["worker"])
    except KeyboardInterrupt:
        return fail(program, "interrupted; run the same command again to resume from the last completed epoch", EXIT["interrupted"])


def _int_list(text, name):
    try:
        values = [int(v) for v in str(text).split(",") if v.strip() != ""]
    except ValueError:
        values = []
    if not values or any(v < 0 for v in values) or len(set(values)) != len(values):
        raise cfg.ConfigError(name, text, "a comma-separated list of distinct integers >= 0, e.g. 0,1,2")
    return tuple(values)


def _define_grid_flags(fv):
    flags.DEFINE_integer("workers", 0, "Runs trained at once, each in its own process (0: one per CPU core with TensorFlow on a CPU, else 1; 1: one after another in this process).", lower_bound=0, flag_values=fv)
    flags.DEFINE_bool("vectorize_seeds", False, "Train the seeds of each case as one computation (jax.vmap; needs KERAS_BACKEND=jax and --workers 0 or 1): for many seeds on a GPU (README, Backends and GPUs).", flag_values=fv)


def define_fidelity_flags(fv):
    from keras_reg import experiments

    flags.DEFINE_integer("epochs", 20, "Epochs per run (the paper's columns up to this epoch are compared).", flag_values=fv)
    flags.DEFINE_string("seeds", "0", "Comma-separated seeds, e.g. 0,1,2.", flag_values=fv)
    flags.DEFINE_list("candidates", list(experiments.FIDELITY_CANDIDATES), "Protocol candidates to run.", flag_values=fv)
    flags.DEFINE_list("cases", ["standard", "l1", "l2", "dropout"], "Which of the paper's cases each candidate runs.", flag_values=fv)
    flags.DEFINE_string("out_dir", "results/fidelity", "Where the runs go (<candidate>/<case>/seed_<k>).", flag_values=fv)
    flags.DEFINE_string("fidelity_md", None, "Also write the comparison as Markdown here (e.g. paper_figures/FIDELITY.md).", flag_values=fv)
    flags.DEFINE_bool("report_only", False, "Only tabulate finished runs; train nothing.", flag_values=fv)
    _define_grid_flags(fv)


def run_fidelity(fv, argv, program="fidelity.py"):
    from keras_reg import experiments

    status = _check_args_and_cases(program, argv, fv.cases)
    if status is not None:
        return status
    unknown = [c for c in fv.candidates if c not in experiments.FIDELITY_CANDIDATES]
    if unknown:
        return fail(program, f"unknown --candidates {unknown}; known: {', '.join(experiments.FIDELITY_CANDIDATES)}", EXIT["usage"])

    def work():
        from keras_reg import reproduce

        seeds = _int_list(fv.seeds, "seeds")
        grid = reproduce.fidelity_grid(fv.candidates, seeds=seeds, epochs=fv.epochs, cases=tuple(fv.cases))
        if not fv.report_only:
            reproduce.run_grid(grid, fv.out_dir, workers=fv.workers, vectorize_seeds=fv.vectorize_seeds)
        from keras_reg import report

        text = report.fidelity_markdown(fv.out_dir, fv.candidates)
        print(text)
        if fv.fidelity_md:
            report.write_text(fv.fidelity_md, text)
        return EXIT["ok"]

    return guarded(program, work)


def _check_args_and_cases(program, argv, cases):
    """The usage error of stray arguments or unknown ``--cases``, or None."""
    from keras_reg import paper

    if len(argv) > 1:
        return fail(program, f"unexpected arguments {argv[1:]}; every setting is a --flag (see --helpfull)", EXIT["usage"])
    if not cases or any(c not in paper.CASES for c in cases):
        return fail(program, f"Invalid value received for `cases`. Expected some of {', '.join(paper.CASES)}. Received: cases={cases!r}", EXIT["usage"])
    return None


def define_reproduce_flags(fv):
    define_run_flags(fv, regularizer=False)
    flags.DEFINE_string("seeds", "0", "Comma-separated seeds, e.g. 0,1,2: each case runs once per seed.", flag_values=fv)
    flags.DEFINE_list("cases", ["standard", "l1", "l2", "dropout"], "Which of the paper's cases to run.", flag_values=fv)
    flags.DEFINE_string("out_dir", "results/paper", "Runs go to <out_dir>/runs/<case>/seed_<k>; figures and tables to <out_dir>.", flag_values=fv)
    _define_grid_flags(fv)


def run_reproduce(fv, argv, program="reproduce_paper.py"):
    """reproduce_paper.py: the four cases (reusing and resuming run directories), then the figures."""
    status = _check_args_and_cases(program, argv, fv.cases)
    if status is not None:
        return status
    try:
        seeds = _int_list(fv.seeds, "seeds")
        from keras_reg import reproduce

        grid = reproduce.paper_grid(seeds, fv.epochs, fv.protocol, cases=tuple(fv.cases), **run_overrides(fv))
    except cfg.ConfigError as e:
        return fail(program, str(e), EXIT["usage"])

    def work():
        from pathlib import Path

        from keras_reg import report

        runs_dir = Path(fv.out_dir) / "runs"
        reproduce.run_grid(grid, runs_dir, workers=fv.workers, vectorize_seeds=fv.vectorize_seeds)
        for path in report.make_all(runs_dir, fv.out_dir):
            print(f"wrote {path}")
        return EXIT["ok"]

    return guarded(program, work)


def define_figures_flags(fv):
    flags.DEFINE_string("runs_dir", "paper_figures/runs", "Run directories <runs_dir>/<case>/seed_<k>/history.csv.", flag_values=fv)
    flags.DEFINE_string("out_dir", "paper_figures", "Where fig10/fig11 (.png, .pdf) and table1-3 (.md, .csv) go.", flag_values=fv)


def run_figures(fv, argv, program="make_figures.py"):
    """make_figures.py: Figures 10-11 and Tables 1-3 from run directories; never trains."""
    if len(argv) > 1:
        return fail(program, f"unexpected arguments {argv[1:]}", EXIT["usage"])
    from keras_reg import report

    try:
        paths = report.make_all(fv.runs_dir, fv.out_dir)
    except (FileNotFoundError, OSError) as e:
        return fail(program, str(e), EXIT["usage"])
    for path in paths:
        print(f"wrote {path}")
    return EXIT["ok"]


def define_benchmark_flags(fv):
    flags.DEFINE_integer("epochs", 5, "Epochs timed per path and case (the first is a warm-up and not counted).", flag_values=fv)
    flags.DEFINE_enum("protocol", "paper", list(cfg.PROTOCOLS), "The protocol whose model is timed.", flag_values=fv)
    flags.DEFINE_list("cases", ["standard", "l1", "l2", "dropout"], "Which of the paper's cases to time.", flag_values=fv)
    flags.DEFINE_integer("matmul_size", 2048, "Side of the square matrix product that measures the limit (in the trainer's compute dtype: float32, or bfloat16 with --precision=mixed_bfloat16).", flag_values=fv)
    flags.DEFINE_string("json_out", "results/benchmark.json", "Where the results go as JSON.", flag_values=fv)
    flags.DEFINE_string("data_source", "auto", "Where MNIST comes from (see train.py --helpfull).", flag_values=fv)
    flags.DEFINE_enum("precision", "float32", list(cfg.PRECISIONS), "The trainer's precision (the plain path is always float32); the limit is measured in its compute dtype.", flag_values=fv)
    flags.DEFINE_integer("curves_epochs", 0, "If > 0, instead of timing: train both paths this many epochs per seed and compare their accuracy curves.", flag_values=fv)
    flags.DEFINE_string("curves_seeds", "0,1,2", "Seeds of the curve comparison.", flag_values=fv)
    flags.DEFINE_string("curves_out", "results/curves.csv", "Where the curve comparison goes as CSV.", flag_values=fv)


def run_benchmark(fv, argv, program="benchmark.py"):
    """benchmark.py: plain Keras vs the trainer, per case, with the matmul limit."""
    status = _check_args_and_cases(program, argv, fv.cases)
    if status is not None:
        return status
    if fv.epochs < 2:
        return fail(program, f"Invalid value received for `epochs`. Expected an integer >= 2 (the first is a warm-up). Received: epochs={fv.epochs}", EXIT["usage"])
    if fv.matmul_size < 64:
        return fail(program, f"Invalid value received for `matmul_size`. Expected an integer >= 64. Received: matmul_size={fv.matmul_size}", EXIT["usage"])

    def work():
        import json

        from keras_reg import benchmark, data, experiments, report

        configs = {case: experiments.paper_case(case, fv.protocol, data_source=fv.data_source, precision=fv.precision) for case in fv.cases}
        if fv.curves_epochs > 0:
            rows = benchmark.compare_curves(configs, data.load_mnist(fv.data_source), _int_list(fv.curves_seeds, "curves_seeds"), fv.curves_epochs)
            text = "case,path,seed,epoch,train_accuracy,test_accuracy\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)
            report.write_text(fv.curves_out, text)
            print(benchmark.curves_summary(rows))
            print(f"wrote {fv.curves_out}")
            return EXIT["ok"]
        results = benchmark.run(configs, data.load_mnist(fv.data_source), fv.epochs, fv.matmul_size)
        text = benchmark.table(results)
        print(text)
        report.write_text(fv.json_out, json.dumps(results, indent=2) + "\n")
        print(f"wrote {fv.json_out}")
        return EXIT["ok"]

    return guarded(program, work)
