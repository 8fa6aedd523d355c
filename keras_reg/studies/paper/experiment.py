"""The paper's experiment (section 3): the 784-1000-500-10 tanh MLP on MNIST, its four cases, the
protocols for what it left unstated, and its printed Tables 1-3 as the reference.
"""

from keras_reg import data  # noqa: F401  (registers MNIST)
from keras_reg.run.experiment import Experiment, Reference, register
from keras_reg.studies.paper import model  # noqa: F401  (registers paper_mlp)
from keras_reg.studies.paper import reference as paper

__all__ = ["PAPER", "PAPER_BASE", "PAPER_CASES", "PROTOCOLS", "TF1_CODE", "PAPER_REFERENCE", "PAPER_COLORS"]

# The settings section 3 states, read from the reference (their one home).
PAPER_BASE = {
    "model": "paper_mlp",
    "dataset": "mnist_flat",
    "optimizer": "sgd",
    **{name: paper.SETUP[name] for name in ("learning_rate", "epochs", "alpha", "keep_prob")},
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


PAPER = register(
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
