"""The artifact kinds an experiment can ask for, found by name, and :func:`make_all`, which draws an
experiment's artifacts from its run directories only (it never trains).

A kind is a function ``kind(experiment, runs, out_dir, runs_dir=None, **options)`` returning the
paths it wrote; ``runs`` is ``{case: {seed: history}}`` (:func:`keras_reg.artifacts.io.load_runs`).
The generic kinds are in this package (``curves``, ``reference_tables``, ``final_table``,
``summary``); a study registers its own with :func:`register` in its ``artifacts`` module.
"""

from pathlib import Path

from keras_reg.artifacts.io import load_runs, write_text
from keras_reg.run.rundir import RunDirError, read_spec

__all__ = ["ARTIFACTS", "register", "text_artifact", "make_all", "check_cases"]

ARTIFACTS = {}  # kind -> function


def register(kind):
    """Decorator: adds the function as artifact kind ``kind``."""

    def add(fn):
        ARTIFACTS[kind] = fn
        return fn

    return add


def text_artifact(kind, file_name, make_text):
    """Registers kind ``kind``: one text file ``file_name`` of ``make_text(experiment, runs)``; returns it."""

    @register(kind)
    def draw(experiment, runs, out_dir, runs_dir=None):
        path = Path(out_dir) / file_name
        write_text(path, make_text(experiment, runs))
        return [path]

    return draw


def check_cases(experiment, runs_dir, runs):
    """Raises RunDirError (one line) for a run directory whose config.json is not a run of the case
    its folder names (a setting the case defines differs): an L2 run under ``dropout/`` is never
    drawn as Dropout. Settings the case leaves open (epochs, data size, ...) may differ."""
    for case, histories in runs.items():
        for seed in histories:
            run_dir = Path(runs_dir) / case / f"seed_{seed}"
            spec = read_spec(run_dir)
            if spec is None:
                continue
            values = spec.values()
            wrong = {k: v for k, v in experiment.cases[case].items() if k in values and values[k] != v}
            if wrong:
                found = ", ".join(f"{k}={values[k]!r} (the case: {v!r})" for k, v in wrong.items())
                raise RunDirError(
                    f"{run_dir} holds another run than case {case} of experiment {experiment.name} ({found}); "
                    "move it to its own case's folder or delete it"
                )


def make_all(experiment, runs_dir, out_dir, cases=None):
    """Every artifact of ``experiment`` from the runs under ``runs_dir`` into ``out_dir``; returns the paths.

    Raises:
        FileNotFoundError: no run of the experiment has a history yet.
        keras_reg.run.rundir.RunDirError: a history.csv is damaged (named in the message).
    """
    runs = load_runs(runs_dir, experiment.cases if cases is None else cases)
    check_cases(experiment, runs_dir, runs)
    if not runs:
        raise FileNotFoundError(
            f"no run directories (<case>/seed_<k>/history.csv) of experiment {experiment.name} under {runs_dir}"
        )
    paths = []
    for kind, options in experiment.artifacts:
        paths += ARTIFACTS[kind](experiment, runs, out_dir, runs_dir=runs_dir, **options)
    return paths
