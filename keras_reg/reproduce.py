"""Runs grids of configurations into run directories: the paper's four cases, seeds, candidates.

Finished run directories are reused and partial ones resumed (see :mod:`keras_reg.training`);
MNIST is loaded once for the whole grid.
"""

import os
from pathlib import Path

from keras_reg import experiments, paper
from keras_reg.config import make_config

__all__ = ["paper_grid", "fidelity_grid", "run_grid"]


def paper_grid(seeds=(0,), epochs=100, protocol="paper", cases=paper.CASES, **overrides):
    """{"<case>/seed_<k>": RunConfig} for the paper's cases."""
    return {
        f"{case}/seed_{seed}": experiments.paper_case(case, protocol=protocol, seed=seed, epochs=epochs, **overrides)
        for case in cases
        for seed in seeds
    }


def fidelity_grid(candidates=None, seeds=(0,), epochs=20, cases=paper.CASES):
    """{"<candidate>/<case>/seed_<k>": RunConfig} for protocol candidates (diffs on 'textbook')."""
    chosen = experiments.FIDELITY_CANDIDATES if candidates is None else {c: experiments.FIDELITY_CANDIDATES[c] for c in candidates}
    grid = {}
    for name, diff in chosen.items():
        for case in cases:
            for seed in seeds:
                grid[f"{name}/{case}/seed_{seed}"] = make_config(
                    "textbook", **{**experiments.PAPER[case], **diff, "seed": seed, "epochs": epochs}
                )
    return grid


def run_grid(grid, runs_dir, datasets=None, log=print):
    """Trains every configuration of ``grid`` into ``runs_dir/<key>``; returns {key: stats}.

    A key whose configuration trains identically to an earlier key's (same ``effective()``
    config; training is deterministic) becomes a symbolic link to that run directory.
    """
    from keras_reg import training

    first_key = {}
    plan = [(key, config, first_key.setdefault(config.effective(), key)) for key, config in grid.items()]
    for key, config, same in plan:  # every directory is checked before anything trains
        training.check_writable(Path(runs_dir) / key if same == key else (Path(runs_dir) / key).parent)
    results = {}
    for i, (key, config, same) in enumerate(plan, start=1):
        run_dir = Path(runs_dir) / key
        if same != key:
            if run_dir.is_dir() and not run_dir.is_symlink() and not any(run_dir.iterdir()):
                run_dir.rmdir()
            if not run_dir.exists():
                run_dir.symlink_to(Path(os.path.relpath(Path(runs_dir) / same, run_dir.parent)), target_is_directory=True)
            log(f"[{i}/{len(grid)}] {key}: same configuration as {same}")
            results[key] = results[same]
            continue
        if datasets is None and not _finished(run_dir, config):
            from keras_reg import data

            datasets = data.load_mnist(config.data_source)
        log(f"[{i}/{len(grid)}] {key}")
        results[key] = training.train_and_evaluate(config, run_dir, datasets=datasets, log=log)
    return results


def _finished(run_dir, config):
    from keras_reg import training

    history = training.read_history(run_dir)
    recorded = training.read_config(run_dir) if (Path(run_dir) / "config.json").exists() else None
    return recorded == config and len(history["epoch"]) >= config.epochs
