"""The settings flags, made from the declarations: one flag per setting of the flat namespace of
:mod:`keras_reg.run.spec` (the spec's :data:`~keras_reg.run.spec.FIELDS`, every builder's and every
data set's declared arguments), each defaulting to "the experiment's value"; and the flags that
choose an experiment, its cases and seeds.
"""

from absl import flags

from keras_reg import checks
from keras_reg.run import registry, spec
from keras_reg.run.experiment import EXPERIMENTS

__all__ = [
    "setting_params",
    "define_setting_flags",
    "setting_overrides",
    "define_experiment_flags",
    "define_grid_flags",
]


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
        text += " (default: the experiment's value" + (")" if default is None else f", else {default!r})")
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


def define_experiment_flags(fv, experiment=True):
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
        "The experiment's named protocol for the settings its source leaves unstated (default: its first; for the paper: paper, the public TF 1.x lesson code's choices; tf1_init and textbook, earlier readings; fitted, L1 alpha 0.00005 and keep 0.4, where its curves follow the paper's, which are not its stated settings).",
        flag_values=fv,
    )


def define_backend_change_flag(fv):
    flags.DEFINE_bool(
        "allow_backend_change",
        False,
        "Resume a run directory trained on another Keras backend (KERAS_BACKEND) with this one; config.json records after which epoch it changed.",
        flag_values=fv,
    )


def define_grid_flags(fv):
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
    for name, text in (
        (
            "vectorize_seeds",
            "Train the seeds of each case as one computation (jax.vmap; needs KERAS_BACKEND=jax and --workers 0 or 1): for many seeds on a GPU.",
        ),
        (
            "print_commands",
            "Print one command per run (this program with --train_only, each run its own directory) instead of training, for a scheduler (xargs -P, a Slurm array); then --report_only draws the artifacts.",
        ),
        ("report_only", "Only draw the artifacts of finished runs; train nothing."),
        ("train_only", "Only train; draw no artifacts."),
    ):
        flags.DEFINE_bool(name, False, text, flag_values=fv)
    define_backend_change_flag(fv)
