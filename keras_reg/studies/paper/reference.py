"""The paper's printed results (Wu et al. 2020, doi 10.12677/csa.2020.106126, section 3), as data.

Accuracies in percent at epochs 20, 40, 60, 80 and 100, for the four cases of Figures 10-11.
Table 3 (training minus test accuracy) is printed too; it equals Table 2 minus Table 1 in every
cell, and a reproduction derives its own Table 3 the same way.
"""

EPOCHS = (20, 40, 60, 80, 100)
CASES = ("standard", "l1", "l2", "dropout")
CASE_LABELS = {"standard": "Standard", "l1": "L1", "l2": "L2", "dropout": "Dropout"}

# Table 1: test accuracy (%).
TEST_ACCURACY = {
    "standard": (97.92, 98.13, 98.17, 98.14, 98.19),
    "l1": (96.93, 96.97, 97.11, 97.25, 97.04),
    "l2": (96.76, 97.05, 97.16, 96.49, 97.35),
    "dropout": (95.47, 95.96, 96.61, 96.75, 97.07),
}

# Table 2: training accuracy (%).
TRAIN_ACCURACY = {
    "standard": (99.45, 99.61, 99.69, 99.70, 99.71),
    "l1": (97.26, 97.55, 97.95, 98.02, 97.88),
    "l2": (97.27, 97.68, 97.87, 97.16, 98.04),
    "dropout": (95.56, 96.51, 97.07, 97.46, 97.72),
}

# Table 3 as printed: training minus test accuracy (percentage points).
PRINTED_GAP = {
    "standard": (1.53, 1.48, 1.52, 1.56, 1.52),
    "l1": (0.33, 0.58, 0.84, 0.77, 0.84),
    "l2": (0.51, 0.63, 0.71, 0.67, 0.69),
    "dropout": (0.09, 0.55, 0.46, 0.71, 0.65),
}

# The setup of section 3.
SETUP = {
    "architecture": (784, 1000, 500, 10),
    "hidden_activation": "tanh",
    "output": "softmax",
    "loss": "cross-entropy",
    "optimizer": "SGD",
    "learning_rate": 0.5,
    "keep_prob": 0.5,
    "alpha": 0.0005,
    "epochs": 100,
    "framework": "TensorFlow 1.13.1, Python 3.6.7",
}

# The logged outputs of the public TF 1.x lesson code with the paper's setup (paper_figures/FIDELITY.md,
# "The evidence"): single unseeded runs, printed after each epoch as "Iter k" (k = epoch - 1).
# case -> (epoch, test accuracy %, training accuracy %), one line of each lesson's log.
LESSON_CODE_LOGS = {
    "standard": (21, 98.07, 99.54),
    "l2": (11, 96.52, 97.04),
    "dropout": (31, 96.71, 97.23),
}

# Conclusion 4 (section 4) as printed: Dropout's final test accuracy "about 97%" and its gap of 0.65%.
CONCLUSION_4 = {"test_accuracy": 97.0, "gap": 0.65}

# Which regularizer each case uses.
REGULARIZER = {"standard": "none", "l1": "l1", "l2": "l2", "dropout": "dropout"}


def table(name):
    """The printed table ``"test"`` (Table 1), ``"train"`` (Table 2) or ``"gap"`` (Table 3)."""
    tables = {"test": TEST_ACCURACY, "train": TRAIN_ACCURACY, "gap": PRINTED_GAP}
    if name not in tables:
        raise ValueError(
            f"Invalid value received for argument `name`. Expected one of {tuple(tables)}. Received: name={name!r}"
        )
    return tables[name]
