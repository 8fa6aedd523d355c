"""The run spec: everything that decides one training run, frozen and validated before any data is loaded.

A :class:`RunSpec` names the model builder (``keras_reg.run.registry.BUILDERS``) and its arguments, the
data set (``keras_reg.run.registry.DATASETS``) and its arguments, the optimizer, learning rate, schedule and
weight decay, the loss, the metric, the batch size, the number of epochs, the seed and the
precision. Settings are given in one flat namespace (``regularizer="l2"`` reaches the builder,
``train_split="tf1"`` the data set, ``learning_rate=0.1`` the spec itself), which is also the
namespace of the scripts' flags (:mod:`keras_reg.cli` derives them from :data:`FIELDS` and the
registries' declarations).
"""

import dataclasses
import json

from keras_reg import checks
from keras_reg.checks import ConfigError, Param
from keras_reg.losses import LOSSES
from keras_reg.run import registry

__all__ = [
    "RunSpec",
    "FIELDS",
    "OPTIMIZERS",
    "SCHEDULES",
    "METRICS",
    "PRECISIONS",
    "ConfigError",
    "make_spec",
    "from_record",
]

OPTIMIZERS = ("sgd", "adam")
# "constant"; "step": multiplied by lr_gamma every lr_step_epochs epochs (PyTorch's StepLR).
SCHEDULES = ("constant", "step")
# "sparse_categorical_accuracy": argmax of class probabilities against integer labels;
# "binary_accuracy": one sigmoid output thresholded at 0.5 against 0/1 labels.
METRICS = ("sparse_categorical_accuracy", "binary_accuracy")
# "float32": every computation in float32 (the default). "mixed_bfloat16": a labelled speed option:
# the hidden layers compute in bfloat16 (Keras's mixed precision policy), the weights, the output
# layers, the loss and the updates stay float32.
PRECISIONS = ("float32", "mixed_bfloat16")


# The spec's own settings: default, check and help, declared once (the flags are made from these).
FIELDS = {
    # No default model or data set: an experiment names them. The other defaults are Keras's own
    # (SGD's 0.01, fit()'s batches of 32 and 1 epoch); a study's values live in its experiment.
    "model": Param(None, checks.Text(), "The model builder, a name in keras_reg.run.registry.BUILDERS."),
    "dataset": Param(None, checks.Text(), "The data set, a name in keras_reg.run.registry.DATASETS."),
    "data_source": Param(
        "auto",
        checks.Text(),
        "Where the data comes from: for MNIST auto, cache, tfds, keras, registry or the path of a local mnist.npz / mnist.pkl.gz (the cache is $KERAS_REG_CACHE or ~/.cache/keras_reg); for the planar set 'generated' or the path of a data.mat.",
    ),
    "train_examples": Param(
        None, checks.Integer(1, 10**9), "Use the first N training examples (default: all). For quick runs."
    ),
    "test_examples": Param(None, checks.Integer(1, 10**9), "Use the first N test examples (default: all)."),
    "optimizer": Param("sgd", checks.Choice(OPTIMIZERS), "The optimizer: sgd (plain, the paper's) or adam."),
    "learning_rate": Param(0.01, checks.POSITIVE, "The step size, > 0."),
    "schedule": Param(
        "constant",
        checks.Choice(SCHEDULES),
        "The learning-rate schedule: constant, or step (times lr_gamma every lr_step_epochs epochs).",
    ),
    "lr_step_epochs": Param(
        10, checks.Integer(1, 10**6), "Epochs between steps of the step schedule.", lambda v: v["schedule"] == "step"
    ),
    "lr_gamma": Param(
        0.1,
        checks.Number(0.0, 1.0, low_open=True, expected="a factor in (0, 1]"),
        "Factor of the step schedule.",
        lambda v: v["schedule"] == "step",
    ),
    "weight_decay": Param(
        0.0,
        checks.NONNEGATIVE,
        "Decoupled weight decay of the optimizer (Keras's weight_decay: AdamW for adam); 0 for none. A penalty added to the loss is a builder's argument (alpha).",
    ),
    "loss": Param("cross_entropy", checks.Choice(tuple(LOSSES)), "The loss, a name in keras_reg.losses.LOSSES."),
    "metric": Param(
        "sparse_categorical_accuracy", checks.Choice(METRICS), "The accuracy measured after each evaluation."
    ),
    "batch_size": Param(32, checks.Integer(0, 10**9), "Examples per step; 0 for full-batch gradient descent."),
    "epochs": Param(1, checks.Integer(1, 10**7), "Passes over the training set."),
    "eval_every": Param(
        1,
        checks.Integer(1, 10**7),
        "Passes between evaluations (a row of history.csv and a checkpoint each); epochs must be a multiple.",
    ),
    "seed": Param(0, checks.SEED, "Seed of the initialization, Dropout and data order (>= 0)."),
    "precision": Param(
        "float32",
        checks.Choice(PRECISIONS),
        "float32 (default): every computation in float32. mixed_bfloat16: a speed option, off by default: the hidden layers compute in bfloat16; the weights, outputs, loss and updates stay float32.",
    ),
    "eval_dropout": Param(
        False,
        checks.Boolean(),
        "Measure losses and accuracies with Dropout still on (a diagnostic reading of curves; off is inference mode, what the paper's Table 2 implies).",
    ),
}
_SPEC_FIELDS = tuple(FIELDS)


def _registries():
    return registry.BUILDERS, registry.DATASETS


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One run, fully named. Build it with :func:`make_spec` (validated); fields are read-only.

    ``model_args`` and ``data_args`` are the builder's and the data set's arguments as sorted
    ``(name, value)`` pairs (every declared argument present, defaults filled in).
    """

    model: str = FIELDS["model"].default
    dataset: str = FIELDS["dataset"].default
    data_source: str = FIELDS["data_source"].default
    train_examples: int | None = None
    test_examples: int | None = None
    optimizer: str = FIELDS["optimizer"].default
    learning_rate: float = FIELDS["learning_rate"].default
    schedule: str = FIELDS["schedule"].default
    lr_step_epochs: int = FIELDS["lr_step_epochs"].default
    lr_gamma: float = FIELDS["lr_gamma"].default
    weight_decay: float = FIELDS["weight_decay"].default
    loss: str = FIELDS["loss"].default
    metric: str = FIELDS["metric"].default
    batch_size: int = FIELDS["batch_size"].default
    epochs: int = FIELDS["epochs"].default
    eval_every: int = FIELDS["eval_every"].default
    seed: int = FIELDS["seed"].default
    precision: str = FIELDS["precision"].default
    eval_dropout: bool = FIELDS["eval_dropout"].default
    model_args: tuple = ()
    data_args: tuple = ()

    @property
    def builder_args(self):
        return dict(self.model_args)

    @property
    def dataset_args(self):
        return dict(self.data_args)

    def values(self):
        """Every setting in the flat namespace (the spec's fields, the builder's and the data set's arguments)."""
        own = {name: getattr(self, name) for name in _SPEC_FIELDS}
        return {**own, **self.builder_args, **self.dataset_args}

    def replace(self, **changes):
        """A validated copy with some settings changed (any name of the flat namespace)."""
        return make_spec(**{**self.values(), **changes})

    def to_dict(self):
        return {
            **{name: getattr(self, name) for name in _SPEC_FIELDS},
            "model_args": self.builder_args,
            "data_args": self.dataset_args,
        }

    def identity(self):
        """What decides the training, as a JSON string: settings that do not decide it (an argument
        its builder ignores, e.g. alpha without a penalty; the epochs, as a run may be extended; where
        a verified copy of a data set came from) are put back to their defaults. Two specs with
        equal identities train identically for as many epochs as both have."""
        builders, datasets = _registries()
        builder, dataset = builders[self.model], datasets[self.dataset]
        own = {name: getattr(self, name) for name in _SPEC_FIELDS if name != "epochs"}
        for name, param in FIELDS.items():
            if name in own and not param.decides(own):
                own[name] = param.default
        if not dataset.source_decides:
            own["data_source"] = FIELDS["data_source"].default
        sizes = dataset.sizes(self.dataset_args)
        for name, size in zip(("train_examples", "test_examples"), sizes or (None, None)):
            if own[name] == size:
                own[name] = None  # "all of them", however it was said
        parts = {"spec": own}
        for key, params, values in (
            ("model_args", builder.params, self.builder_args),
            ("data_args", dataset.params, self.dataset_args),
        ):
            parts[key] = {k: (v if params[k].decides(values) else params[k].default) for k, v in values.items()}
        return json.dumps(parts, sort_keys=True)


def make_spec(**values):
    """A validated :class:`RunSpec` from settings in the flat namespace (None means the default).

    Raises:
        ConfigError: an unknown setting, or one out of range (the first found), on one line.
    """
    values = {k: v for k, v in values.items() if v is not None}
    builders, datasets = _registries()
    model = checks.Choice(tuple(builders))("model", values.pop("model", FIELDS["model"].default))
    dataset = checks.Choice(tuple(datasets))("dataset", values.pop("dataset", FIELDS["dataset"].default))
    builder, data_set = builders[model], datasets[dataset]
    own, model_args, data_args = {}, {}, {}
    for name, value in values.items():
        if name in FIELDS:
            own[name] = value
        elif name in builder.params:
            model_args[name] = value
        elif name in data_set.params:
            data_args[name] = value
        else:
            known = sorted(set(FIELDS) | set(builder.params) | set(data_set.params))
            raise ConfigError(
                name,
                value,
                None,
                f"Unknown setting `{name}` (={value!r}) for model {model} and dataset {dataset}; the settings are {', '.join(known)}",
            )
    for name, param in FIELDS.items():
        if name in own:
            own[name] = param.check(name, own[name])
    for args, params in ((model_args, builder.params), (data_args, data_set.params)):
        for name, param in params.items():
            args[name] = param.check(name, args[name]) if name in args else param.default
    spec = RunSpec(
        model=model,
        dataset=dataset,
        model_args=tuple(sorted(model_args.items())),
        data_args=tuple(sorted(data_args.items())),
        **own,
    )
    if spec.epochs % spec.eval_every:
        raise ConfigError("epochs", spec.epochs, f"a multiple of eval_every={spec.eval_every}")
    sizes = data_set.sizes(spec.dataset_args)
    if sizes is not None:
        for name, size in zip(("train_examples", "test_examples"), sizes):
            if getattr(spec, name) is not None and getattr(spec, name) > size:
                raise ConfigError(
                    name, getattr(spec, name), f"an integer in [1, {size}] (the examples this data set has)"
                )
    limit = spec.train_examples or (sizes[0] if sizes else None)
    if limit is not None and spec.batch_size > limit:
        raise ConfigError("batch_size", spec.batch_size, f"an integer in [0, train_examples={limit}] (0: full batch)")
    if spec.precision not in builder.precisions:
        raise ConfigError("precision", spec.precision, f"one of {', '.join(builder.precisions)} for model {model}")
    return spec


# The fields of the configuration that run directories recorded before specs existed (the paper's
# MLP on MNIST, with the defaults of that time): read so that those runs are recognized rather than retrained.
_LEGACY_SPEC = {"model": "paper_mlp", "dataset": "mnist_flat", "optimizer": "sgd"}
_LEGACY_MODEL_ARGS = ("regularizer", "alpha", "keep_prob", "initializer", "l2_form", "penalize_biases")
_LEGACY_DATA_ARGS = ("train_split",)
_LEGACY_DROPPED = ("protocol",)


def from_record(record):
    """The :class:`RunSpec` recorded in a run directory's config.json (``{"spec": ...}``, or the
    ``{"config": ...}`` of run directories written before specs existed)."""
    if "spec" in record:
        values = dict(record["spec"])
        values.update(values.pop("model_args", {}))
        values.update(values.pop("data_args", {}))
        return make_spec(**values)
    legacy = dict(record["config"])
    for name in _LEGACY_DROPPED:
        legacy.pop(name, None)
    return make_spec(**{**_LEGACY_SPEC, **legacy})
