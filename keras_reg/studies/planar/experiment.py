"""The planar tutorial's experiment: no regularization, L2 and Dropout on a 2-D two-class set."""

from keras_reg.run.experiment import Experiment, Reference, register
from keras_reg.studies.planar import data, model  # noqa: F401  (registers planar, planar_mlp)

__all__ = ["PLANAR"]

PLANAR_M = 211


PLANAR = register(
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
