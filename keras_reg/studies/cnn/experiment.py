"""The CNN report's experiment: weight decay, Dropout and stochastic depth on its MNIST CNN
(:func:`keras_reg.studies.cnn.model.report_cnn`), with the report's printed numbers as the reference.
"""

from keras_reg import data  # noqa: F401  (registers MNIST)
from keras_reg.run.experiment import Experiment, Reference, register
from keras_reg.studies.cnn import model  # noqa: F401  (registers report_cnn)

__all__ = ["CNN", "CNN_REPORT"]

CNN_REPORT = Reference(
    source="the CNN report (test accuracy in %, test loss)",
    epochs=(15,),
    tables={
        "test": {"baseline": (99.22,), "weight_decay": (99.22,), "dropout": (99.12,), "stochastic_depth": (99.24,)},
        "test_loss": {"weight_decay": (0.0254,), "stochastic_depth": (0.0230,)},
    },
    labels={"test": "report test acc. (%)", "test_loss": "report test loss"},
)


CNN = register(
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
