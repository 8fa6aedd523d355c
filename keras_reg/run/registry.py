"""The registries a run spec names things in: model builders and data sets, each declaring its
arguments once (:class:`keras_reg.checks.Param`: default, check, help, when it decides the run).

A study registers its own (``keras_reg.studies.<study>``); MNIST's two data sets are registered by
:mod:`keras_reg.data`. The run spec validates a spec's arguments against these declarations, the
scripts' flags are made from them, and :func:`load_data` gives a spec's arrays.
"""

import dataclasses

import numpy as np

from keras_reg.checks import ConfigError

__all__ = [
    "Builder",
    "Dataset",
    "BUILDERS",
    "DATASETS",
    "register_builder",
    "register_dataset",
    "load_data",
    "measurement_files",
]

BUILDERS = {}  # name -> Builder
DATASETS = {}  # name -> Dataset


@dataclasses.dataclass(frozen=True)
class Builder:
    """A model builder as a run spec names it.

    Attributes:
        build_fn: called with the spec's builder arguments and ``seed`` (and ``dtype``, the
            precision, if the builder supports more than float32); returns an uncompiled model.
        params: the builder's arguments: name -> :class:`keras_reg.checks.Param`.
        description: one line.
        precisions: the precisions it supports.
        measurements: what a finished run of it writes beside its history: ``(file name,
            measure)`` pairs, ``measure(model, (x_test, y_test))`` giving a JSON-ready dict, or
            None where it does not apply. The trainer writes whatever these are; it knows no names.
    """

    build_fn: object
    params: dict
    description: str
    precisions: tuple = ("float32",)
    measurements: tuple = ()

    def build(self, args, seed, precision="float32"):
        extra = {"dtype": precision} if len(self.precisions) > 1 else {}
        return self.build_fn(**args, seed=seed, **extra)


def register_builder(name, builder):
    """Adds a builder under ``name`` (a run spec's ``model``); returns it."""
    BUILDERS[name] = builder
    return builder


def measurement_files():
    """The file names of every registered builder's measurements (a run directory being replaced
    loses all of them, whichever model wrote it)."""
    return sorted({name for builder in BUILDERS.values() for name, _ in builder.measurements})


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A data set as a run spec names it.

    Attributes:
        fetch: ``fetch(source) -> raw`` gets the raw arrays (once per grid; runs share them).
        prepare: ``prepare(raw, **args) -> ((x_train, y_train), (x_test, y_test))`` as the model is
            fed (float32 inputs).
        params: the data set's arguments: name -> :class:`keras_reg.checks.Param`.
        description: one line.
        fetch_key: runs whose data sets share it and their ``data_source`` share the raw arrays.
        source_decides: False when every source gives the same verified arrays (MNIST), so where
            they came from does not tell two runs apart.
        sizes: ``sizes(args) -> (train, test)`` examples, or None if known only once loaded.
        seeded: ``prepare`` takes the run's ``seed`` (a generated data set).
    """

    fetch: object
    prepare: object
    params: dict
    description: str
    fetch_key: str
    source_decides: bool = True
    sizes: object = lambda args: None
    seeded: bool = False

    def load(self, source, args, raw=None, seed=0):
        """The prepared arrays; ``raw`` (already fetched, or a caller's own) skips the fetch. A
        ``seeded`` data set (a generated one) is drawn from the run's seed."""
        raw = self.fetch(source) if raw is None else raw
        return self.prepare(raw, **args, seed=seed) if self.seeded else self.prepare(raw, **args)


def register_dataset(name, dataset):
    """Adds a data set under ``name`` (a run spec's ``dataset``); returns it."""
    DATASETS[name] = dataset
    return dataset


def subset(datasets, config):
    """The first ``train_examples`` / ``test_examples`` of the arrays (all where None); more than there are is a ConfigError."""
    (x_train, y_train), (x_test, y_test) = datasets
    for name, wanted, available in (
        ("train_examples", config.train_examples, len(x_train)),
        ("test_examples", config.test_examples, len(x_test)),
    ):
        if wanted is not None and wanted > available:
            raise ConfigError(name, wanted, f"at most the {available} examples available")
    n, m = config.train_examples or len(x_train), config.test_examples or len(x_test)
    return (x_train[:n], np.asarray(y_train[:n])), (x_test[:m], np.asarray(y_test[:m]))


def load_data(spec, raw=None):
    """The prepared (x, y) arrays of a spec's data set, cut to its train/test examples; ``raw``
    (the data set's fetched arrays, e.g. MNIST in the layout of ``keras.datasets.mnist``) skips
    the fetch."""
    return subset(DATASETS[spec.dataset].load(spec.data_source, spec.dataset_args, raw, spec.seed), spec)
