"""The programs of ``scripts/``: each its flags (``define_*_flags``) and its run (``run_*``), flags in, one library call, exit status out."""

import shlex
import sys
from pathlib import Path

from absl import flags

from keras_reg import checks
from keras_reg.cli.common import EXIT, guarded, int_list, no_arguments
from keras_reg.cli.settings import (
    define_backend_change_flag,
    define_experiment_flags,
    define_grid_flags,
    define_setting_flags,
    setting_overrides,
)


def define_train_flags(fv):
    define_experiment_flags(fv)
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
    define_backend_change_flag(fv)
    flags.DEFINE_bool(
        "progress",
        True,
        "A progress bar of each epoch's steps where the output is a terminal (--noprogress: none).",
        flag_values=fv,
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

        no_arguments(argv)
        experiment, case, protocol, run = train_spec(fv)
        if fv.case is None:  # the flags may have turned the first case into another, or into none
            case = next(
                (c for c in experiment.cases if experiment.spec(c, run.seed, protocol).identity() == run.identity()),
                "custom",
            )
        out_dir = fv.out_dir or f"results/{experiment.name}/{case}/seed_{run.seed}"
        meta = {"experiment": experiment.name, "case": case, "protocol": protocol}
        stats = train_and_evaluate(
            run,
            out_dir,
            overwrite=fv.overwrite,
            meta=meta,
            allow_backend_change=fv.allow_backend_change,
            progress=None if fv.progress else False,
        )
        final = stats["final"]
        print(
            f"{out_dir}: {stats['epochs']} epochs; final test accuracy {100 * final['test_accuracy']:.2f}%, training accuracy {100 * final['train_accuracy']:.2f}%"
        )
        return EXIT["ok"]

    return guarded(program, work)


def define_run_flags(fv, experiment=True, out_dir=None):
    define_experiment_flags(fv, experiment)
    define_grid_flags(fv)
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
        from keras_reg.run.rundir import check_not_a_file

        no_arguments(argv)
        experiment = get(experiment_name or fv.experiment)
        cases = experiment.check_cases(fv.cases) if fv.cases else tuple(experiment.cases)
        seeds = int_list(fv.seeds, "seeds") if fv.seeds is not None else experiment.seeds
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
                if fv.allow_backend_change:
                    args.append("--allow_backend_change")
                print(shlex.join(["python", sys.argv[0], *args]))
            return EXIT["ok"]
        if not fv.train_only:  # before any training: the artifacts must have somewhere to go
            check_not_a_file(out_dir)
        if not fv.report_only:
            meta = {
                key: {"experiment": experiment.name, "case": key.rsplit("/seed_", 1)[0], "protocol": protocol}
                for key in grid
            }
            run_grid(
                grid,
                runs_dir,
                workers=fv.workers,
                vectorize_seeds=fv.vectorize_seeds,
                meta=meta,
                allow_backend_change=fv.allow_backend_change,
            )
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
    define_experiment_flags(fv)
    flags.DEFINE_string(
        "runs_dir",
        None,
        "Run directories <runs_dir>/<case>/seed_<k>/history.csv (default: results/<experiment>/runs, where "
        "run_experiment.py and reproduce_paper.py put them).",
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
        from keras_reg.run.rundir import check_not_a_file

        no_arguments(argv)
        out_dir = fv.out_dir or f"results/{fv.experiment}"
        runs_dir = fv.runs_dir or f"results/{fv.experiment}/runs"
        check_not_a_file(out_dir)
        for path in make_all(get(fv.experiment), runs_dir, out_dir):
            print(f"wrote {path}")
        return EXIT["ok"]

    return guarded(program, work)
