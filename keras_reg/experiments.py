"""Experiments as data: the paper's four cases, each a small diff on one base setup.

``PAPER["l2"]`` is the paper's L2 case; :func:`paper_case` turns a case into a validated
:class:`keras_reg.config.RunConfig` for a protocol, seed and number of epochs.
"""

from keras_reg import paper
from keras_reg.config import make_config

__all__ = ["PAPER", "paper_case", "FIDELITY_CANDIDATES"]

# The paper's base setup is RunConfig's defaults (alpha 0.0005, keep_prob 0.5, lr 0.5, 100 epochs);
# each case changes only the regularizer.
PAPER = {case: {"regularizer": paper.REGULARIZER[case]} for case in paper.CASES}


def paper_case(case, protocol="paper", seed=0, epochs=100, **overrides):
    """The validated RunConfig of one of the paper's cases (``"standard"``, ``"l1"``, ``"l2"``, ``"dropout"``)."""
    if case not in PAPER:
        raise ValueError(f"Invalid value received for argument `case`. Expected one of {tuple(PAPER)}. Received: case={case!r}")
    return make_config(protocol, **{**PAPER[case], "seed": seed, "epochs": epochs, **overrides})


TF1_CODE = {
    "loss": "double_softmax",
    "initializer": "tf1_truncated_normal",
    "batch_size": 64,
    "train_split": "tf1",
    "penalize_biases": True,
}

# The protocol candidates measured against the paper's tables (scripts/fidelity.py, FIDELITY.md).
# Each is a diff on the "textbook" protocol.
FIDELITY_CANDIDATES = {
    "textbook": {},
    "tf1_init": {"initializer": "tf1_truncated_normal"},
    "double_softmax": {"loss": "double_softmax"},
    "double_softmax+tf1_init": {"loss": "double_softmax", "initializer": "tf1_truncated_normal"},
    "binary_per_class": {"loss": "binary_per_class"},
    "binary_per_class+tf1_init": {"loss": "binary_per_class", "initializer": "tf1_truncated_normal"},
    # Second stage, on the closest of the above:
    "double_softmax+tf1_init+batch50": {"loss": "double_softmax", "initializer": "tf1_truncated_normal", "batch_size": 50},
    "double_softmax+tf1_init+batch128": {"loss": "double_softmax", "initializer": "tf1_truncated_normal", "batch_size": 128},
    "double_softmax+tf1_init+l2_full": {"loss": "double_softmax", "initializer": "tf1_truncated_normal", "l2_form": "full"},
    # Third stage: the public TF 1.x lesson code that has the paper's exact setup (FIDELITY.md, "The
    # evidence"): 55,000 training images, batches of 64, softmax applied twice, the TF 1.x
    # initialization, the penalty on the weights and the biases.
    "tf1_code": TF1_CODE,
    "tf1_code+softmax_once": {**TF1_CODE, "loss": "cross_entropy"},
    "tf1_code+weights_only": {**TF1_CODE, "penalize_biases": False},
    "tf1_code+eval_dropout": {**TF1_CODE, "eval_dropout": True},
    "tf1_code+alpha_0.0001": {**TF1_CODE, "alpha": 0.0001},
    "tf1_code+alpha_0.00003": {**TF1_CODE, "alpha": 0.00003},
}
