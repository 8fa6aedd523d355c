"""Flags and exit codes of the scripts: flags in, one library call, exit status out.

The settings flags are not written one by one: :func:`keras_reg.cli.settings.define_setting_flags` makes one flag per
setting of the flat namespace of :mod:`keras_reg.run.spec` (the spec's :data:`~keras_reg.run.spec.FIELDS`,
every builder's and every data set's declared arguments), each defaulting to "the experiment's
value". Flags are defined inside functions on a given ``FlagValues`` (so tests parse them in
isolation) and turned into plain values here; the library never sees a flags object. Every error a
user can cause ends the script with one line on standard error, no traceback, and a status from
:data:`EXIT`.

The scripts in ``scripts/`` and the console entry points of ``setup.cfg`` both call :func:`main`.
"""

import sys
from pathlib import Path

from keras_reg import _quiet

_quiet.import_tensorflow()  # on JAX too: Keras imports TensorFlow, where installed, to seed it

from absl import app, flags  # noqa: E402

from keras_reg.cli.benchmark import define_benchmark_flags, run_benchmark  # noqa: E402
from keras_reg.cli.common import EXIT, fail, flags_parser, guarded  # noqa: E402
from keras_reg.cli.programs import (  # noqa: E402
    define_fidelity_flags,
    define_figures_flags,
    define_reproduce_flags,
    define_run_flags,
    define_train_flags,
    run_experiment,
    run_fidelity,
    run_figures,
    run_reproduce,
    run_train,
    train_spec,
)
from keras_reg.cli.settings import define_setting_flags, setting_overrides  # noqa: E402

__all__ = [
    "EXIT",
    "PROGRAMS",
    "main",
    "fail",
    "flags_parser",
    "guarded",
    "define_setting_flags",
    "setting_overrides",
    "define_benchmark_flags",
    "run_benchmark",
    "define_train_flags",
    "run_train",
    "train_spec",
    "define_run_flags",
    "run_experiment",
    "define_reproduce_flags",
    "run_reproduce",
    "define_fidelity_flags",
    "run_fidelity",
    "define_figures_flags",
    "run_figures",
]

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
    for module, defined in flags.FLAGS.flags_by_module_dict().items():
        if module.startswith(__name__):  # this package's flags are the program's own
            for flag in defined:
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
