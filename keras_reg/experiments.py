"""Experiments as data: each a base run spec, named cases (small diffs on it), references and artifacts.

:data:`EXPERIMENTS` is the one registry the runner (``scripts/run_experiment.py``), the one-run
script (``scripts/train.py``) and the report read. An entry holds:

* ``base``: settings of :func:`keras_reg.spec.make_spec` shared by every case;
* ``protocols``: named alternatives for settings the source leaves unstated (the first is the
  default; a protocol is a diff on the base, applied before the case's; its optional ``"cases"``,
  case name -> diff, is applied after the case's own);
* ``cases``: case name -> its diff on the base;
* ``reference``: the published numbers the runs are compared with, and where they come from;
* ``artifacts``: what the report draws (kinds of :data:`keras_reg.report.ARTIFACTS`).

Adding an experiment adds an entry here (and, if it needs one, a builder in
``keras_reg.models.BUILDERS``); nothing else changes. See the README, "Add your own experiment".
"""

import dataclasses

from keras_reg import paper
from keras_reg.checks import Choice, ConfigError
from keras_reg.spec import make_spec

__all__ = [
    "Experiment",
    "Reference",
    "Sweep",
    "EXPERIMENTS",
    "SWEEPS",
    "register",
    "get",
    "PAPER_CASES",
    "PROTOCOLS",
    "FIDELITY_CANDIDATES",
    "FIDELITY_READINGS",
]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


@dataclasses.dataclass(frozen=True)
class Reference:
    """Published numbers: ``tables[name][case]`` is a row of values (percent) at ``epochs``."""

    source: str
    epochs: tuple
    tables: dict
    labels: dict = dataclasses.field(default_factory=dict)  # table name -> its title


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment; see the module docstring. ``labels`` and ``colors`` default from the case names."""

    name: str
    description: str
    base: dict
    cases: dict
    artifacts: tuple = ()
    protocols: dict = dataclasses.field(default_factory=lambda: {"default": {}})
    reference: Reference | None = None
    labels: dict = dataclasses.field(default_factory=dict)
    colors: dict = dataclasses.field(default_factory=dict)
    seeds: tuple = (0,)
    baseline: str | None = None

    def label(self, case):
        return self.labels.get(case, case)

    def color(self, case):
        return self.colors.get(case) or PALETTE[list(self.cases).index(case) % len(PALETTE)]

    def reference_case(self, case):
        """The row of the reference this case is compared with (its name, or its last part)."""
        if self.reference is None:
            return None
        for key in (case, case.rsplit("/", 1)[-1]):
            if any(key in rows for rows in self.reference.tables.values()):
                return key
        return None

    def check_cases(self, cases):
        for case in cases:
            Choice(tuple(self.cases))("case", case)
        return tuple(cases)

    def spec(self, case, seed=None, protocol=None, **overrides):
        """The validated run spec of one case (under a protocol, default the first), with overrides."""
        self.check_cases([case])
        protocol = self.default_protocol if protocol is None else Choice(tuple(self.protocols))("protocol", protocol)
        shared = dict(self.protocols[protocol])
        own = shared.pop("cases", {}).get(case, {})
        values = {**self.base, **shared, **self.cases[case], **own, "seed": self.seeds[0] if seed is None else seed}
        return make_spec(**{**values, **{k: v for k, v in overrides.items() if v is not None}})

    def check_overrides(self, cases, protocol, overrides):
        """Raises ConfigError if an override changes a setting that one of ``cases`` itself defines
        (its own diff, or its protocol's diff for it): an L2 run must not land under ``dropout/``."""
        protocol = self.default_protocol if protocol is None else Choice(tuple(self.protocols))("protocol", protocol)
        for case in self.check_cases(cases):
            defined = {**self.cases[case], **self.protocols[protocol].get("cases", {}).get(case, {})}
            for name, value in overrides.items():
                if value is not None and name in defined and value != defined[name]:
                    raise ConfigError(
                        name,
                        value,
                        None,
                        f"--{name}={value} contradicts case {case} of experiment {self.name}, which sets "
                        f"{name}={defined[name]!r}; choose the case that has it, or leave the flag out",
                    )

    @property
    def default_protocol(self):
        return next(iter(self.protocols))

    def grid(self, cases=None, seeds=None, protocol=None, **overrides):
        """{"<case>/seed_<k>": RunSpec} for the cases and seeds (default: all cases, its seeds)."""
        cases = self.check_cases(self.cases if cases is None else cases)
        seeds = self.seeds if seeds is None else seeds
        return {f"{case}/seed_{seed}": self.spec(case, seed, protocol, **overrides) for case in cases for seed in seeds}


EXPERIMENTS = {}


def register(experiment):
    """Adds an experiment to :data:`EXPERIMENTS` (checking that every case's spec is valid); returns it."""
    for case in experiment.cases:
        for protocol in experiment.protocols:
            experiment.spec(case, protocol=protocol)
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def get(name):
    if name not in EXPERIMENTS:
        raise ConfigError("experiment", name, f"one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


# --------------------------------------------------------------------------------------------------
# The paper (section 3): the 784-1000-500-10 tanh MLP on MNIST, four cases.

PAPER_BASE = {
    "model": "paper_mlp",
    "dataset": "mnist_flat",
    "optimizer": "sgd",
    "learning_rate": 0.5,
    "epochs": 100,
    "alpha": 0.0005,
    "keep_prob": 0.5,
}
PAPER_CASES = {case: {"regularizer": paper.REGULARIZER[case]} for case in paper.CASES}

# The choices the paper leaves unstated (paper_figures/FIDELITY.md says how each was measured).
# "paper": what the public TF 1.x lesson code with the paper's exact setup does: 55,000 training
#   images (TF 1.x's split), batches of 64, the softmax applied twice (softmax_cross_entropy on the
#   softmax output), weights truncated normal (std 0.1) and biases 0.1, the penalty on the weights
#   and the biases.
# "tf1_init": the earlier default: 60,000 images, batches of 100, softmax cross-entropy once, the
#   same initialization, the penalty on the weights only.
# "textbook": the same with Keras's Glorot initialization.
# "fitted": NOT the paper's stated values: "paper" with L1's alpha and Dropout's keep probability
#   replaced by those at which our curves follow the paper's (alpha 0.00005 instead of 0.0005, keep
#   0.4 instead of 0.5; paper_figures/FIDELITY.md). No code reading found explains either; this is
#   the labelled option for a user who wants the paper's curves rather than its stated settings.
TF1_CODE = {
    "loss": "double_softmax",
    "initializer": "tf1_truncated_normal",
    "batch_size": 64,
    "train_split": "tf1",
    "penalize_biases": True,
}
FITTED = {"l1": {"alpha": 0.00005}, "dropout": {"keep_prob": 0.4}}
PROTOCOLS = {
    "paper": TF1_CODE,
    "tf1_init": {"loss": "cross_entropy", "initializer": "tf1_truncated_normal", "batch_size": 100},
    "textbook": {"loss": "cross_entropy", "initializer": "glorot_uniform", "batch_size": 100},
    "fitted": {**TF1_CODE, "cases": FITTED},
}

PAPER_REFERENCE = Reference(
    source="the paper (Wu et al. 2020, section 3), Tables 1-3",
    epochs=paper.EPOCHS,
    tables={"test": paper.TEST_ACCURACY, "train": paper.TRAIN_ACCURACY, "gap": paper.PRINTED_GAP},
    labels={
        "test": "Table 1: test accuracy (%)",
        "train": "Table 2: training accuracy (%)",
        "gap": "Table 3: training minus test accuracy (percentage points)",
    },
)
PAPER_COLORS = {"standard": "#1f77b4", "l1": "#d62728", "l2": "#2ca02c", "dropout": "#ff7f0e"}

register(
    Experiment(
        name="paper",
        description="The paper's MNIST study: the 784-1000-500-10 tanh MLP without regularization, with L1, L2 and Dropout.",
        base=PAPER_BASE,
        cases=PAPER_CASES,
        protocols=PROTOCOLS,
        reference=PAPER_REFERENCE,
        labels=paper.CASE_LABELS,
        colors=PAPER_COLORS,
        baseline="standard",
        artifacts=(
            (
                "curves",
                {
                    "name": "fig10",
                    "column": "test_accuracy",
                    "reference": "test",
                    "title": "Figure 10: test accuracy of the four cases",
                },
            ),
            (
                "curves",
                {
                    "name": "fig11",
                    "column": "train_accuracy",
                    "reference": "train",
                    "title": "Figure 11: training accuracy of the four cases",
                },
            ),
            ("reference_tables", {"tables": {"table1": "test", "table2": "train", "table3": "gap"}}),
            ("summary", {}),
            ("penalty_geometry", {}),
            ("weights", {}),
            ("paper_claims", {}),
            ("lesson_code", {}),
        ),
    )
)

# --------------------------------------------------------------------------------------------------
# The fidelity study: readings of what the paper left unstated, each a diff on "textbook", run
# for the paper's four cases (FIDELITY.md). A case is "<candidate>/<paper case>".

FIDELITY_CANDIDATES = {
    "textbook": {},
    "tf1_init": {"initializer": "tf1_truncated_normal"},
    "double_softmax": {"loss": "double_softmax"},
    "double_softmax+tf1_init": {"loss": "double_softmax", "initializer": "tf1_truncated_normal"},
    "binary_per_class": {"loss": "binary_per_class"},
    "binary_per_class+tf1_init": {"loss": "binary_per_class", "initializer": "tf1_truncated_normal"},
    "double_softmax+tf1_init+batch50": {
        "loss": "double_softmax",
        "initializer": "tf1_truncated_normal",
        "batch_size": 50,
    },
    "double_softmax+tf1_init+batch128": {
        "loss": "double_softmax",
        "initializer": "tf1_truncated_normal",
        "batch_size": 128,
    },
    "double_softmax+tf1_init+l2_full": {
        "loss": "double_softmax",
        "initializer": "tf1_truncated_normal",
        "l2_form": "full",
    },
    # The public TF 1.x lesson code with the paper's setup, and one change at a time from it.
    "tf1_code": TF1_CODE,
    "tf1_code+softmax_once": {**TF1_CODE, "loss": "cross_entropy"},
    "tf1_code+weights_only": {**TF1_CODE, "penalize_biases": False},
    "tf1_code+eval_dropout": {**TF1_CODE, "eval_dropout": True},
    # L1 diagnostics: the coefficient at which the L1 curve would fit (run with --cases=*/l1).
    "tf1_code+alpha_0.0001": {**TF1_CODE, "alpha": 0.0001},
    "tf1_code+alpha_0.00003": {**TF1_CODE, "alpha": 0.00003},
    "tf1_code+alpha_0.00005": {**TF1_CODE, "alpha": 0.00005},
    # Dropout diagnostic: the keep probability at which the paper's epoch-20 point lies on our sweep.
    "tf1_code+keep_0.4": {**TF1_CODE, "keep_prob": 0.4},
    # Dropout on the inputs as well (run with --cases=*/dropout): Srivastava et al.'s keep 0.8, and
    # the paper's one keep probability 0.5 applied to every layer's input.
    "tf1_code+input_keep_0.8": {**TF1_CODE, "input_keep_prob": 0.8},
    "tf1_code+input_keep_0.5": {**TF1_CODE, "input_keep_prob": 0.5},
    # Dropout as the paper's section 2.3 describes it: no scaling in training, weights times p at test.
    "tf1_code+original_dropout": {**TF1_CODE, "dropout_form": "original"},
    # A public copy of the lesson's L2 file feeds keep_prob 0.5 with the L2 term still in the loss,
    # and the softmax once (tf.losses.categorical_crossentropy on the softmax output): with the
    # lesson's double softmax, and as that copy is written.
    "tf1_code+dropout_l2": {**TF1_CODE, "dropout_l2": True},
    "tf1_code+dropout_l2+softmax_once": {**TF1_CODE, "dropout_l2": True, "loss": "cross_entropy"},
    # Dropout as the paper's section 2.3 tells it: one mask per mini-batch, shared by its examples.
    "tf1_code+batch_masks": {**TF1_CODE, "dropout_mask": "batch"},
    # Dropout with fewer effective updates per epoch (run with --cases=dropout): the paper's Dropout
    # row follows our keep-0.5 mean curve read at about 0.45 of its epoch, so a smaller step at the
    # lesson's batch of 64, or fewer steps per epoch (batches of 100: 550 instead of 859).
    "tf1_code+lr_0.2": {**TF1_CODE, "learning_rate": 0.2},
    "tf1_code+lr_0.25": {**TF1_CODE, "learning_rate": 0.25},
    "tf1_code+lr_0.15": {**TF1_CODE, "learning_rate": 0.15},
    "tf1_code+batch100": {**TF1_CODE, "batch_size": 100},
    # The paper's L1 row as an L2 run: a lesson file with L1 made from the L2 one that still called
    # tf.nn.l2_loss. Its "l1" case is the default's L2 run (the committed paper_figures/runs/l2).
    "l1_as_l2": {**TF1_CODE, "cases": {"l1": {"regularizer": "l2"}}},
}

# The readings compared case by case (paper_figures/FIDELITY.md): the paper case, the candidates
# whose runs of it are set side by side, and the epochs whose curves are drawn.
FIDELITY_READINGS = {
    "l1": (("l1_as_l2", "tf1_code+alpha_0.00005", "tf1_code"), 15),
    "dropout": (
        (
            "tf1_code+lr_0.15",
            "tf1_code+lr_0.2",
            "tf1_code+lr_0.25",
            "tf1_code+batch100",
            "tf1_code+keep_0.4",
            "tf1_code",
        ),
        100,
    ),
}


def _fidelity_case(candidate, case):
    """A candidate's diff on the base for one paper case: its own settings, the case's, then its
    per-case settings (``"cases"``), which may change what the case runs."""
    diff = dict(FIDELITY_CANDIDATES[candidate])
    own = diff.pop("cases", {}).get(case, {})
    return {**diff, **PAPER_CASES[case], **own}


register(
    Experiment(
        name="fidelity",
        description="Candidate readings of the paper's unstated choices, each run for its four cases and scored against Tables 1-2.",
        base={**PAPER_BASE, **PROTOCOLS["textbook"], "epochs": 20},
        cases={f"{name}/{case}": _fidelity_case(name, case) for name in FIDELITY_CANDIDATES for case in PAPER_CASES},
        reference=PAPER_REFERENCE,
        labels={
            f"{name}/{case}": f"{name} {paper.CASE_LABELS[case]}"
            for name in FIDELITY_CANDIDATES
            for case in PAPER_CASES
        },
        artifacts=(("fidelity", {}),)
        + tuple(
            ("reading", {"case": case, "candidates": names, "epochs": epochs})
            for case, (names, epochs) in FIDELITY_READINGS.items()
        ),
    )
)

# --------------------------------------------------------------------------------------------------
# The CNN report: weight decay, Dropout and stochastic depth on its MNIST CNN (keras_reg.models.report_cnn).
# The report names neither its optimizer nor its "dynamic learning rate"; it reads as PyTorch code
# of 2025, and "weight_decay=0.001 in the optimizer" is a keyword of torch.optim.Adam, so: Adam at
# PyTorch's default rate 1e-3, its weight_decay coupled (added to the gradient before Adam's
# scaling: the builder's L2 on every variable), and StepLR, the scheduler of PyTorch's examples, as
# a step schedule: the rate times 0.1 every 5 epochs, for 15 epochs (1e-3, 1e-4, 1e-5), by which
# the curves have flattened. Batches of 64 (PyTorch's MNIST example). The decoupled form (AdamW,
# Keras's optimizer weight_decay) is a case of its own. Training accuracy and loss are measured on
# all 60,000 training images (about a third of an epoch's compute on top of training).

CNN_REPORT = Reference(
    source="the CNN report (test accuracy in %, test loss)",
    epochs=(15,),
    tables={
        "test": {"baseline": (99.22,), "weight_decay": (99.22,), "dropout": (99.12,), "stochastic_depth": (99.24,)},
        "test_loss": {"weight_decay": (0.0254,), "stochastic_depth": (0.0230,)},
    },
    labels={"test": "report test acc. (%)", "test_loss": "report test loss"},
)

register(
    Experiment(
        name="cnn",
        description="The CNN report's study: weight decay, Dropout and stochastic depth on its 64/128/256-channel MNIST CNN.",
        base={
            "model": "report_cnn",
            "dataset": "mnist_images",
            "optimizer": "adam",
            "learning_rate": 0.001,
            "schedule": "step",
            "lr_step_epochs": 5,
            "lr_gamma": 0.1,
            "loss": "cross_entropy",
            "batch_size": 64,
            "epochs": 15,
        },  # fmt: skip
        cases={
            "baseline": {},
            "weight_decay": {"alpha": 0.001},
            "weight_decay_adamw": {"weight_decay": 0.001},
            "dropout": {"dropout": 0.3},
            "stochastic_depth": {"stochastic_depth": 0.8},
            "stochastic_depth_linear": {"stochastic_depth": 0.5, "sd_blocks": "all"},
            "all": {"alpha": 0.001, "dropout": 0.3, "stochastic_depth": 0.8},
        },
        labels={
            "baseline": "Baseline",
            "weight_decay": "Weight decay 0.001 (coupled: Adam's weight_decay)",
            "weight_decay_adamw": "Weight decay 0.001 (decoupled: AdamW)",
            "dropout": "Dropout 0.3 (fully connected)",
            "stochastic_depth": "Stochastic depth (conv1 survives 0.8)",
            "stochastic_depth_linear": "Stochastic depth (all convs, linear to 0.5)",
            "all": "Coupled weight decay + Dropout + stochastic depth",
        },
        seeds=(0, 1, 2),
        baseline="baseline",
        reference=CNN_REPORT,
        artifacts=(
            ("curves", {"name": "test_accuracy", "column": "test_accuracy", "title": "CNN: test accuracy"}),
            (
                "curves",
                {
                    "name": "train_accuracy",
                    "column": "train_accuracy",
                    "title": "CNN: training accuracy (inference mode)",
                },
            ),
            ("curves", {"name": "test_loss", "column": "test_loss", "title": "CNN: test loss"}),
            ("curves", {"name": "train_loss", "column": "train_loss", "title": "CNN: training loss (inference mode)"}),
            ("final_table", {"stability": "test_loss"}),
            ("cnn_claims", {}),
        ),
    )
)

# --------------------------------------------------------------------------------------------------
# The planar tutorial: no regularization, L2 and Dropout on a 2-D two-class set. As the tutorial
# trains: the [2, 20, 3, 1] network initialized randn / sqrt(fan_in), full-batch gradient descent at
# learning rate 0.3 for 30,000 iterations, the cost recorded every 1,000; L2 with lambd = 0.7 over
# m = 211 points (alpha = lambd / m in keras_reg's alpha/2 sum W^2); inverted Dropout keeping 0.86.
# Its data (the course's data.mat) is not shipped: the stand-in generator is drawn anew for each
# seed; --data_source=path/to/data.mat runs on the original. Beyond the tutorial: its Dropout as it
# is actually coded, with the same mask at every iteration (it reseeds numpy in each forward pass).

PLANAR_M = 211

register(
    Experiment(
        name="planar",
        description="The planar tutorial's study: none, L2 and Dropout on a 2-D two-class set, with decision boundaries.",
        base={
            "model": "planar_mlp",
            "dataset": "planar",
            "data_source": "generated",
            "optimizer": "sgd",
            "learning_rate": 0.3,
            "loss": "binary_cross_entropy",
            "metric": "binary_accuracy",
            "batch_size": 0,
            "epochs": 30000,
            "eval_every": 1000,
        },  # fmt: skip
        cases={
            "none": {},
            "l2": {"regularizer": "l2", "alpha": 0.7 / PLANAR_M},
            "dropout": {"regularizer": "dropout", "keep_prob": 0.86},
            "dropout_fixed_mask": {"regularizer": "dropout", "keep_prob": 0.86, "fixed_mask": True},
        },
        labels={
            "none": "No regularization",
            "l2": "L2 (lambd 0.7)",
            "dropout": "Dropout (keep 0.86)",
            "dropout_fixed_mask": "Dropout, fixed mask",
        },
        colors={"none": "#1f77b4", "l2": "#2ca02c", "dropout": "#ff7f0e", "dropout_fixed_mask": "#9467bd"},
        seeds=(0, 1, 2, 3, 4),
        baseline="none",
        reference=Reference(
            source="the planar tutorial's printed accuracies, on its original data (not the stand-in)",
            epochs=(30000,),
            tables={
                "train": {"none": (94.8,), "l2": (93.8,), "dropout": (92.9,)},
                "test": {"none": (91.5,), "l2": (93.0,), "dropout": (95.0,)},
            },
        ),
        artifacts=(
            ("decision_boundaries", {"name": "boundaries", "title": "Planar tutorial, stand-in data"}),
            (
                "curves",
                {
                    "name": "cost",
                    "column": "objective",
                    "title": "Planar: the cost, as the tutorial plots it, every 1,000 iterations",
                    "xlabel": "iteration (full-batch step)",
                },
            ),
            (
                "curves",
                {
                    "name": "train_loss",
                    "column": "train_loss",
                    "title": "Planar: training loss in inference mode (Dropout off)",
                    "xlabel": "iteration (full-batch step)",
                },
            ),
            ("final_table", {}),
        ),
    )
)

# --------------------------------------------------------------------------------------------------
# Sweeps of the paper's network: one setting varied over a list (the paper's claims issue), the
# rest as the paper's default protocol has it, for the 20 epochs of the paper's first printed
# column. A point where the regularizer vanishes (alpha 0, keep probability 1) is the standard
# network, the case "none" of every sweep, so that sweeps run into one directory share its runs.
# Evaluations every 20 epochs: a sweep reads only the printed epochs, and the evaluation of the
# 65,000 images is about a quarter of an epoch's time.


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A sweep: ``param`` of ``regularizer`` at each of ``values``; ``off`` is the value without it."""

    name: str
    regularizer: str
    param: str
    values: tuple
    off: float
    title: str
    log: bool = False
    flat: tuple | None = None  # (low, high, who): a published range of values where the optimum is flat

    def case(self, value):
        return "none" if value == self.off else f"{self.regularizer}_{self.param}_{value:g}"

    def cases(self):
        return {
            self.case(v): (
                {"regularizer": "none"} if v == self.off else {"regularizer": self.regularizer, self.param: v}
            )
            for v in self.values
        }

    @property
    def paper_case(self):
        return next(case for case, name in paper.REGULARIZER.items() if name == self.regularizer)


ALPHAS = (0.0, 1e-5, 3e-5, 1e-4, 3e-4, 5e-4, 1e-3, 3e-3)
SWEEPS = {
    sweep.name: sweep
    for sweep in (
        Sweep("sweep_l1", "l1", "alpha", ALPHAS, 0.0, "L1 coefficient alpha", log=True),
        Sweep("sweep_l2", "l2", "alpha", ALPHAS, 0.0, "L2 coefficient alpha", log=True),
        Sweep(
            "sweep_keep",
            "dropout",
            "keep_prob",
            (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
            1.0,
            "Dropout keep probability",
            flat=(0.4, 0.8, "Srivastava et al. 2014 (JMLR 15, Figure 9a: MNIST, the number of units fixed)"),
        ),  # fmt: skip
    )
}

for _sweep in SWEEPS.values():
    register(
        Experiment(
            name=_sweep.name,
            description=f"The paper's network at 20 epochs, {_sweep.title} over {', '.join(f'{v:g}' for v in _sweep.values)}: test accuracy and the training-test gap.",
            base={**PAPER_BASE, "epochs": 20, "eval_every": 20},
            cases=_sweep.cases(),
            protocols={
                name: diff for name, diff in PROTOCOLS.items() if "cases" not in diff
            },  # a sweep sets what they fit
            reference=PAPER_REFERENCE,
            seeds=(0, 1, 2),
            baseline="none",
            colors={case: PAPER_COLORS[_sweep.paper_case] for case in _sweep.cases()},
            artifacts=(("sweep", {"sweep": _sweep.name}),),
        )
    )
