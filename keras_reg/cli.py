"""Flags and exit codes of the scripts: flags in, one library call, exit status out.

The settings flags are not written here one by one: :func:`define_setting_flags` makes one flag per
setting of the flat namespace of :mod:`keras_reg.run.spec` (the spec's :data:`~keras_reg.run.spec.FIELDS`,
every builder's and every data set's declared arguments), each defaulting to "the experiment's
value". Flags are defined inside functions on a given ``FlagValues`` (so tests parse them in
isolation) and turned into plain values here; the library never sees a flags object. Every error a
user can cause ends the script with one line on standard error, no traceback, and a status from
:data:`EXIT`.

The scripts in ``scripts/`` and the console entry points of ``setup.cfg`` both call :func:`main`.
"""

import shlex
import sys
from pathlib import Path

from keras_reg import _quiet

_quiet.import_tensorflow()  # on JAX too: Keras imports TensorFlow, where installed, to seed it

from absl import app, flags  # noqa: E402

from keras_reg import checks  # noqa: E402
from keras_reg.run import registry, spec  # noqa: E402
from keras_reg.run.experiment import EXPERIMENTS  # noqa: E402

__all__ = ["EXIT", "main", "flags_parser", "define_setting_flags", "setting_overrides", "fail", "PROGRAMS"]

EXIT = {"ok": 0, "usage": 2, "diverged": 3, "data": 4, "worker": 5, "os": 6, "interrupted": 130}


def fail(program, message, status):
    print(f"{program}: error: {message}", file=sys.stderr)
    return status


def flags_parser(program, fv=None):
    """An absl ``flags_parser`` that reports a bad flag on one line and exits with status 2."""

    def parse(argv):
        try:
            return (fv or flags.FLAGS)(argv)
        except flags.Error as e:
            sys.exit(fail(program, f"{e} (see --help)", EXIT["usage"]))
        except (UnicodeDecodeError, OSError) as e:  # a --flagfile that is not text, or cannot be read
            sys.exit(
                fail(program, f"a flag file could not be read ({type(e).__name__}: {e}); see --help", EXIT["usage"])
            )

    return parse


# --------------------------------------------------------------------------------------------------
# Flags derived from the declarations


def setting_params():
    """{name: [(who declares it, Param), ...]} over the spec's fields and every builder's and data
    set's arguments; a name declared by several must be the same kind of value in each."""
    params = {name: [("run spec", param)] for name, param in spec.FIELDS.items()}
    for kind, entries in (("model", registry.BUILDERS), ("dataset", registry.DATASETS)):
        for owner, entry in entries.items():
            for name, param in entry.params.items():
                declared = params.setdefault(name, [])
                if declared and type(declared[0][1].check) is not type(param.check):
                    raise TypeError(
                        f"setting {name!r} is a {type(declared[0][1].check).__name__} for {declared[0][0]} but a {type(param.check).__name__} for {kind} {owner}"
                    )
                declared.append((f"{kind} {owner}", param))
    return params


def define_setting_flags(fv, exclude=()):
    """One flag per setting (default None: the experiment's value), defined on ``fv``; the help is
    the first declaration's, the choices of an enum those of every declaration."""
    for name, declared in setting_params().items():
        if name in exclude:
            continue
        owners = [owner for owner, _ in declared]
        check = declared[0][1].check
        default = declared[0][1].default
        text = declared[0][1].help + ("" if owners == ["run spec"] else f" [{', '.join(owners)}]")
        text += f" (default: the experiment's value, else {default!r})"
        if isinstance(check, checks.Choice):
            choices = list(dict.fromkeys(str(c) for _, param in declared for c in param.check.choices))
            flags.DEFINE_enum(name, None, choices, text, flag_values=fv)
        elif isinstance(check, checks.Boolean):
            flags.DEFINE_bool(name, None, text, flag_values=fv)
        elif isinstance(check, checks.Number):
            flags.DEFINE_float(name, None, text, flag_values=fv)
        elif isinstance(check, checks.Integer):
            flags.DEFINE_integer(name, None, text, flag_values=fv)
        else:
            flags.DEFINE_string(name, None, text, flag_values=fv)


def setting_overrides(fv, exclude=()):
    """{setting: value} of the setting flags given on the command line."""
    return {
        name: fv[name].value
        for name in setting_params()
        if name not in exclude and name in fv and fv[name].value is not None
    }


def _define_experiment_flags(fv, experiment=True):
    if experiment:
        flags.DEFINE_enum(
            "experiment",
            "paper",
            list(EXPERIMENTS),
            "The experiment (keras_reg.run.experiment.EXPERIMENTS): "
            + "; ".join(f"{e.name}: {e.description}" for e in EXPERIMENTS.values()),
            flag_values=fv,
        )
    flags.DEFINE_string(
        "protocol",
        None,
        "The experiment's named protocol for the settings its source leaves unstated (default: its first; for the paper: paper, tf1_init, textbook or fitted, see paper_figures/FIDELITY.md).",
        flag_values=fv,
    )


def _define_grid_flags(fv):
    flags.DEFINE_string(
        "seeds",
        None,
        "Comma-separated seeds, e.g. 0,1,2: each case runs once per seed (default: the experiment's).",
        flag_values=fv,
    )
    flags.DEFINE_list("cases", None, "Which of the experiment's cases to run (default: all).", flag_values=fv)
    flags.DEFINE_integer(
        "workers",
        0,
        "Runs trained at once, each in its own process (0: one per CPU core with TensorFlow on a CPU, else 1; 1: one after another in this process).",
        lower_bound=0,
        flag_values=fv,
    )
    flags.DEFINE_bool(
        "vectorize_seeds",
        False,
        "Train the seeds of each case as one computation (jax.vmap; needs KERAS_BACKEND=jax and --workers 0 or 1): for many seeds on a GPU (docs/backends.md).",
        flag_values=fv,
    )
    flags.DEFINE_bool(
        "print_commands",
        False,
        "Print one command per run (this program with --train_only, each run its own directory) instead of training, for a scheduler (xargs -P, a Slurm array); then --report_only draws the artifacts.",
        flag_values=fv,
    )
    flags.DEFINE_bool("report_only", False, "Only draw the artifacts of finished runs; train nothing.", flag_values=fv)
    flags.DEFINE_bool("train_only", False, "Only train; draw no artifacts.", flag_values=fv)


# --------------------------------------------------------------------------------------------------
# The programs


def _int_list(text, name):
    try:
        values = [int(v) for v in str(text).split(",") if v.strip() != ""]
    except ValueError:
        values = []
    if not values or any(v < 0 for v in values) or len(set(values)) != len(values):
        raise checks.ConfigError(name, text, "a comma-separated list of distinct integers >= 0, e.g. 0,1,2")
    return tuple(values)


def guarded(program, work):
    """Runs ``work()`` and turns the errors a user can cause into one line and an exit status."""
    from keras_reg.data import DataError
    from keras_reg.run.grid import WorkerError
    from keras_reg.run.rundir import DivergenceError, RunDirError

    try:
        return work()
    except (checks.ConfigError, RunDirError, FileNotFoundError) as e:
        return fail(program, str(e), EXIT["usage"])
    except DivergenceError as e:
        return fail(program, str(e), EXIT["diverged"])
    except DataError as e:
        return fail(program, str(e), EXIT["data"])
    except WorkerError as e:
        return fail(program, str(e), EXIT["worker"])
    except KeyboardInterrupt:
        return fail(
            program,
            "interrupted; run the same command again to resume from the last completed epoch",
            EXIT["interrupted"],
        )
    except OSError as e:  # disk full, a read-only folder, a directory where a file should be, ...
        where = f"{e.filename}: " if e.filename else ""
        return fail(
            program,
            f"{where}{e.strerror or e}; the epochs already completed are kept: fix that and run the same command again",
            EXIT["os"],
        )


def _no_arguments(argv):
    if len(argv) > 1:
        raise checks.ConfigError(
            "arguments", argv[1:], None, f"unexpected arguments {argv[1:]}; every setting is a --flag (see --help)"
        )


def define_train_flags(fv):
    _define_experiment_flags(fv)
    flags.DEFINE_string(
        "case",
        None,
        "The case of the experiment (default: its first; for the paper 'standard', which --regularizer changes).",
        flag_values=fv,
    )
    define_setting_flags(fv)
    flags.DEFINE_string(
        "out_dir", None, "The run directory (default: results/<experiment>/<case>/seed_<seed>).", flag_values=fv
    )
    flags.DEFINE_bool(
        "overwrite", False, "Replace a run directory that holds a run with another configuration.", flag_values=fv
    )


def train_spec(fv):
    """(experiment, case, protocol, the validated RunSpec) of parsed train.py flags (raises ConfigError)."""
    from keras_reg.run.experiment import get

    experiment = get(fv.experiment)
    case = fv.case or next(iter(experiment.cases))
    protocol = fv.protocol or experiment.default_protocol
    if fv.case is not None:  # without --case the flags may make the first case into another
        experiment.check_overrides([case], protocol, setting_overrides(fv))
    return experiment, case, protocol, experiment.spec(case, protocol=protocol, **setting_overrides(fv))


def run_train(fv, argv, program="train.py"):
    """train.py: one run of one case of any experiment. Returns the exit status."""

    def work():
        from keras_reg.run.loop import train_and_evaluate

        _no_arguments(argv)
        experiment, case, protocol, run = train_spec(fv)
        if fv.case is None:  # the flags may have turned the first case into another, or into none
            case = next(
                (c for c in experiment.cases if experiment.spec(c, run.seed, protocol).identity() == run.identity()),
                "custom",
            )
        out_dir = fv.out_dir or f"results/{experiment.name}/{case}/seed_{run.seed}"
        meta = {"experiment": experiment.name, "case": case, "protocol": protocol}
        stats = train_and_evaluate(run, out_dir, overwrite=fv.overwrite, meta=meta)
        final = stats["final"]
        print(
            f"{out_dir}: {stats['epochs']} epochs; final test accuracy {100 * final['test_accuracy']:.2f}%, training accuracy {100 * final['train_accuracy']:.2f}%"
        )
        return EXIT["ok"]

    return guarded(program, work)


def define_run_flags(fv, experiment=True, out_dir=None):
    _define_experiment_flags(fv, experiment)
    _define_grid_flags(fv)
    define_setting_flags(fv, exclude=("seed",))
    flags.DEFINE_string(
        "out_dir",
        out_dir,
        "Runs go to <out_dir>/runs/<case>/seed_<k>; the artifacts to <out_dir> (default: results/<experiment>).",
        flag_values=fv,
    )


def run_experiment(fv, argv, program="run_experiment.py", experiment_name=None):
    """run_experiment.py: every case and seed of an experiment into run directories, then its artifacts."""

    def work():
        from keras_reg.artifacts import make_all
        from keras_reg.run.experiment import get
        from keras_reg.run.grid import run_grid

        _no_arguments(argv)
        experiment = get(experiment_name or fv.experiment)
        cases = experiment.check_cases(fv.cases) if fv.cases else tuple(experiment.cases)
        seeds = _int_list(fv.seeds, "seeds") if fv.seeds is not None else experiment.seeds
        protocol = fv.protocol or experiment.default_protocol
        overrides = setting_overrides(fv, exclude=("seed",))
        if fv.train_only and fv.report_only:
            raise checks.ConfigError(
                "report_only", True, None, "--report_only and --train_only together do nothing; give one"
            )
        experiment.check_overrides(cases, protocol, overrides)
        grid = experiment.grid(cases, seeds, protocol, **overrides)
        out_dir = Path(fv.out_dir or f"results/{experiment.name}")
        runs_dir = out_dir / "runs"
        if fv.print_commands:  # this same program, one run each, so that it works for a user's experiments too
            for key in grid:
                case, seed = key.rsplit("/seed_", 1)
                args = [
                    f"--experiment={experiment.name}",
                    f"--cases={case}",
                    f"--seeds={seed}",
                    f"--protocol={protocol}",
                    f"--out_dir={out_dir}",
                    "--train_only",
                    "--workers=1",
                ]
                args += [f"--{name}={value}" for name, value in sorted(overrides.items())]
                print(shlex.join(["python", sys.argv[0], *args]))
            return EXIT["ok"]
        if not fv.report_only:
            meta = {
                key: {"experiment": experiment.name, "case": key.rsplit("/seed_", 1)[0], "protocol": protocol}
                for key in grid
            }
            run_grid(grid, runs_dir, workers=fv.workers, vectorize_seeds=fv.vectorize_seeds, meta=meta)
        if not fv.train_only:
            for path in make_all(experiment, runs_dir, out_dir, cases):
                print(f"wrote {path}")
        return EXIT["ok"]

    return guarded(program, work)


def define_reproduce_flags(fv):
    define_run_flags(fv, experiment=False, out_dir="results/paper")


def run_reproduce(fv, argv, program="reproduce_paper.py"):
    """reproduce_paper.py: the paper's experiment (reusing and resuming run directories), then its figures."""
    return run_experiment(fv, argv, program, experiment_name="paper")


def define_fidelity_flags(fv):
    from keras_reg.studies.paper.fidelity import FIDELITY_CANDIDATES

    define_run_flags(fv, experiment=False, out_dir="results/fidelity")
    flags.DEFINE_list(
        "candidates",
        list(FIDELITY_CANDIDATES),
        "Protocol candidates to run (keras_reg.studies.paper.fidelity.FIDELITY_CANDIDATES).",
        flag_values=fv,
    )
    flags.DEFINE_string("fidelity_md", None, "Also copy the ranking (fidelity.md) here.", flag_values=fv)


def run_fidelity(fv, argv, program="fidelity.py"):
    """fidelity.py: the fidelity experiment for some candidates and paper cases (--cases names the paper's)."""
    from keras_reg.studies.paper.experiment import PAPER, PAPER_CASES
    from keras_reg.studies.paper.fidelity import FIDELITY_CANDIDATES

    def work():
        for name in fv.candidates:
            checks.Choice(tuple(FIDELITY_CANDIDATES))("candidates", name)
        paper_cases = PAPER.check_cases(fv.cases or PAPER_CASES)
        fv.cases = [f"{name}/{case}" for name in fv.candidates for case in paper_cases]
        status = run_experiment(fv, argv, program, experiment_name="fidelity")
        if status == EXIT["ok"] and fv.fidelity_md and not fv.print_commands:
            from keras_reg.artifacts.io import write_text

            write_text(fv.fidelity_md, (Path(fv.out_dir) / "fidelity.md").read_text())
        return status

    return guarded(program, work)


def define_figures_flags(fv):
    _define_experiment_flags(fv)
    flags.DEFINE_string(
        "runs_dir",
        None,
        "Run directories <runs_dir>/<case>/seed_<k>/history.csv (default: results/<experiment>/runs, where "
        "run_experiment.py and reproduce_paper.py put them; the committed ones: paper_figures/runs).",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "out_dir", None, "Where the experiment's artifacts go (default: results/<experiment>).", flag_values=fv
    )


def run_figures(fv, argv, program="make_figures.py"):
    """make_figures.py: an experiment's artifacts from run directories; never trains."""

    def work():
        from keras_reg.artifacts import make_all
        from keras_reg.run.experiment import get

        _no_arguments(argv)
        out_dir = fv.out_dir or f"results/{fv.experiment}"
        runs_dir = fv.runs_dir or f"results/{fv.experiment}/runs"
        for path in make_all(get(fv.experiment), runs_dir, out_dir):
            print(f"wrote {path}")
        return EXIT["ok"]

    return guarded(program, work)


def define_benchmark_flags(fv):
    flags.DEFINE_integer(
        "epochs", 5, "Epochs timed per path and case (the first is a warm-up and not counted).", flag_values=fv
    )
    flags.DEFINE_string("protocol", "paper", "The paper protocol whose model is timed.", flag_values=fv)
    flags.DEFINE_list(
        "cases", ["standard", "l1", "l2", "dropout"], "Which of the paper's cases to time.", flag_values=fv
    )
    flags.DEFINE_integer(
        "matmul_size",
        2048,
        "Side of the square matrix product that measures the limit (in the trainer's compute dtype: float32, or bfloat16 with --precision=mixed_bfloat16).",
        flag_values=fv,
    )
    flags.DEFINE_string("json_out", "results/benchmark.json", "Where the results go as JSON.", flag_values=fv)
    flags.DEFINE_string("data_source", "auto", "Where MNIST comes from (see train.py --helpfull).", flag_values=fv)
    flags.DEFINE_enum(
        "precision",
        "float32",
        list(spec.PRECISIONS),
        "The trainer's precision (the plain path is always float32); the limit is measured in its compute dtype.",
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "cnn_examples",
        0,
        "If > 0, instead: time the CNN report's network (the cnn experiment's baseline) on this many training images against a tuned plain-Keras path.",
        lower_bound=0,
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "curves_epochs",
        0,
        "If > 0, instead of timing: train both paths this many epochs per seed and compare their accuracy curves.",
        flag_values=fv,
    )
    flags.DEFINE_string("curves_seeds", "0,1,2", "Seeds of the curve comparison.", flag_values=fv)
    flags.DEFINE_string("curves_out", "results/curves.csv", "Where the curve comparison goes as CSV.", flag_values=fv)


def run_benchmark(fv, argv, program="benchmark.py"):
    """benchmark.py: plain Keras vs the trainer, per case, with the matmul limit."""

    def work():
        import json

        from keras_reg import data
        from keras_reg.artifacts.io import write_text
        from keras_reg.tools import benchmark

        _no_arguments(argv)
        paper = EXPERIMENTS["paper"]
        cases = paper.check_cases(fv.cases)
        checks.Integer(2, 10**6, "an integer >= 2 (the first is a warm-up)")("epochs", fv.epochs)
        checks.Integer(64, 10**5, "an integer >= 64")("matmul_size", fv.matmul_size)
        if fv.cnn_examples > 0:
            spec = EXPERIMENTS["cnn"].spec("baseline", data_source=fv.data_source, train_examples=fv.cnn_examples)
            result = benchmark.benchmark_cnn(spec, data.load_mnist(fv.data_source), fv.epochs)
            print(benchmark.cnn_table(result))
            write_text(fv.json_out, json.dumps(result, indent=2) + "\n")
            print(f"wrote {fv.json_out}")
            return EXIT["ok"]
        configs = {
            case: paper.spec(case, protocol=fv.protocol, data_source=fv.data_source, precision=fv.precision)
            for case in cases
        }
        if fv.curves_epochs > 0:
            rows = benchmark.compare_curves(
                configs, data.load_mnist(fv.data_source), _int_list(fv.curves_seeds, "curves_seeds"), fv.curves_epochs
            )
            text = "case,path,seed,epoch,train_accuracy,test_accuracy\n" + "".join(
                ",".join(map(str, r)) + "\n" for r in rows
            )
            write_text(fv.curves_out, text)
            print(benchmark.curves_summary(rows))
            print(f"wrote {fv.curves_out}")
            return EXIT["ok"]
        results = benchmark.run(configs, data.load_mnist(fv.data_source), fv.epochs, fv.matmul_size)
        print(benchmark.table(results))
        write_text(fv.json_out, json.dumps(results, indent=2) + "\n")
        print(f"wrote {fv.json_out}")
        return EXIT["ok"]

    return guarded(program, work)


# program name -> (define its flags, run it)
PROGRAMS = {
    "train.py": (define_train_flags, run_train),
    "run_experiment.py": (define_run_flags, run_experiment),
    "reproduce_paper.py": (define_reproduce_flags, run_reproduce),
    "fidelity.py": (define_fidelity_flags, run_fidelity),
    "make_figures.py": (define_figures_flags, run_figures),
    "benchmark.py": (define_benchmark_flags, run_benchmark),
}


def main(program):
    """Runs a program of :data:`PROGRAMS` with the command line's flags; exits with its status.

    ``--help`` lists the program's own flags with their defaults (absl lists
    only the main module's, and these are defined in this module); errors name the command as the
    user typed it (``keras-reg-train`` or ``train.py``)."""
    define, run = PROGRAMS[program]
    define(flags.FLAGS)
    for flag in flags.FLAGS.flags_by_module_dict().get(__name__, []):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    shown = Path(sys.argv[0]).name or program
    app.run(lambda argv: run(flags.FLAGS, argv, shown), flags_parser=flags_parser(shown))


def _entry(program):
    return lambda: main(program)


train_main, run_experiment_main, reproduce_main = (
    _entry("train.py"),
    _entry("run_experiment.py"),
    _entry("reproduce_paper.py"),
)
fidelity_main, figures_main, benchmark_main = _entry("fidelity.py"), _entry("make_figures.py"), _entry("benchmark.py")
