"""Training runs: the run spec, the registries, the run directory and its resumption, the training
loop, seed stacks and grids. The names most used are importable from here:

* :func:`train_and_evaluate` (:mod:`keras_reg.run.loop`), :func:`train_seed_stack`
  (:mod:`keras_reg.run.stacks`), :func:`run_grid` (:mod:`keras_reg.run.grid`);
* :func:`make_spec`, :class:`RunSpec` (:mod:`keras_reg.run.spec`);
* :data:`EXPERIMENTS`, :class:`Experiment`, :func:`register` (:mod:`keras_reg.run.experiment`);
* :func:`read_history`, :func:`read_spec`, :class:`RunDirError`, :class:`DivergenceError`
  (:mod:`keras_reg.run.rundir`); :func:`load_data`, :data:`BUILDERS`, :data:`DATASETS`
  (:mod:`keras_reg.run.registry`).
"""

import importlib

_HOMES = {
    "train_and_evaluate": "loop",
    "build_model": "loop",
    "epoch_order": "loop",
    "train_seed_stack": "stacks",
    "run_grid": "grid",
    "WorkerError": "grid",
    "make_spec": "spec",
    "RunSpec": "spec",
    "EXPERIMENTS": "experiment",
    "Experiment": "experiment",
    "Reference": "experiment",
    "register": "experiment",
    "read_history": "rundir",
    "read_spec": "rundir",
    "HISTORY_COLUMNS": "rundir",
    "RunDirError": "rundir",
    "DivergenceError": "rundir",
    "load_data": "registry",
    "BUILDERS": "registry",
    "DATASETS": "registry",
}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
