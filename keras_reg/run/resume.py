"""Where a run directory's training starts: from nothing, from its checkpoint, or not at all (finished).

Every file read is checked against the others: a checkpoint must record the run of config.json, on
this backend; history.csv must equal the checkpoint's rows; a damaged file is rebuilt from an intact
checkpoint where it can be and otherwise refused in one line that names it and what to do.
"""

import dataclasses
import json
import shutil

import numpy as np

from keras_reg.run import registry
from keras_reg.run import spec as run_spec
from keras_reg.run.rundir import (
    CHECKPOINT,
    DIVERGENCE,
    HISTORY_COLUMNS,
    MODEL,
    STOPPED,
    RunDirError,
    checkpoint_rows,
    current_backend,
    environment,
    load_checkpoint,
    read_history,
    read_spec,
    write_history,
    write_json,
)


@dataclasses.dataclass
class _State:
    rows: list
    start_epoch: int
    checkpoint: dict | None
    backend_change: dict | None = None  # {"after_epoch", "from", "to"}: resumed on another backend, as asked


def _differences(mine, theirs):
    """'name: theirs there, mine here' for each setting that decides the run and differs."""
    a, b = json.loads(mine.identity()), json.loads(theirs.identity())
    flat = lambda parts: {k: v for part in parts.values() for k, v in part.items()}  # noqa: E731
    a, b = flat(a), flat(b)
    return [f"{k}: {b.get(k)!r} there, {a.get(k)!r} here" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _spec_of_checkpoint(checkpoint):
    """The spec a checkpoint recorded (None for checkpoints written before they recorded it)."""
    if checkpoint is None or "spec" not in checkpoint:
        return None
    try:
        return run_spec.from_record(json.loads(str(checkpoint["spec"])))
    except (ValueError, KeyError, TypeError):
        return None


def _clear(run_dir):
    for name in ("history.csv", CHECKPOINT, DIVERGENCE, STOPPED, MODEL, "config.json", *registry.measurement_files()):
        (run_dir / name).unlink(missing_ok=True)
    shutil.rmtree(run_dir / "logs", ignore_errors=True)


def prepare(run_dir, config, overwrite, log, allow_backend_change=False):
    """The state the run starts from. Every file read is checked: a damaged one is rebuilt from an
    intact checkpoint where it can be (config.json, history.csv) and otherwise reported in one line
    naming it and what to do. A checkpoint of another backend is refused unless
    ``allow_backend_change``. The caller has checked that ``run_dir`` is writable and locked it."""
    checkpoint_path = run_dir / CHECKPOINT
    if overwrite:
        _clear(run_dir)
        return _State([], 0, None)
    checkpoint = load_checkpoint(checkpoint_path) if checkpoint_path.exists() else None
    existing = _recorded_spec(run_dir, checkpoint, log)
    if existing is not None:
        diffs = _differences(config, existing)
        if existing.epochs > config.epochs:
            diffs.append(f"epochs: {existing.epochs} there, {config.epochs} here")
        if diffs:
            raise RunDirError(
                f"{run_dir} holds a run with a different configuration ({'; '.join(diffs)}); "
                "choose another directory or pass --overwrite to replace it"
            )
    elif checkpoint is not None:
        # Without config.json (and a checkpoint of the time before it recorded its spec) nothing
        # shows that the checkpoint belongs to this configuration, so it is not resumed.
        log(
            f"{run_dir}: a checkpoint without config.json cannot be matched to this configuration; starting again at epoch 1"
        )
        _clear(run_dir)
        checkpoint = None
    if checkpoint is not None:
        change = _backend_change(run_dir, checkpoint, allow_backend_change, log)  # before any file is rewritten
        state = _from_checkpoint(run_dir, checkpoint, log)
        state.backend_change = change
        return state
    return _from_history(run_dir, config, existing, log)


def _recorded_spec(run_dir, checkpoint, log):
    """The spec the directory records (config.json, rebuilt from the checkpoint if lost or damaged);
    raises RunDirError if the checkpoint records another run."""
    in_checkpoint = _spec_of_checkpoint(checkpoint)
    try:
        existing = read_spec(run_dir)
    except RunDirError:
        if in_checkpoint is None:
            raise
        log(f"{run_dir}: config.json is damaged; rebuilt from the checkpoint")
        existing = None
    else:
        if existing is None and in_checkpoint is not None:
            log(f"{run_dir}: config.json is missing; rebuilt from the checkpoint")
    if existing is None and in_checkpoint is not None:
        existing = in_checkpoint
        write_json(run_dir / "config.json", {"spec": existing.to_dict(), "environment": environment()})
    if existing is not None and in_checkpoint is not None and in_checkpoint.identity() != existing.identity():
        raise RunDirError(
            f"{run_dir}: its checkpoint belongs to another run than its config.json "
            f"({'; '.join(_differences(existing, in_checkpoint))}; checkpoint there, config.json here); "
            "delete the one that is not this run's, or pass --overwrite to start again"
        )
    return existing


def _backend_change(run_dir, checkpoint, allowed, log):
    """None if the checkpoint was written on this backend (or did not record one); else the change,
    if ``allowed`` (the numbers of one run then come from two backends), or RunDirError."""
    trained_on, here = str(checkpoint.get("backend", current_backend())), current_backend()
    if trained_on == here:
        return None
    if not allowed:
        raise RunDirError(
            f"{run_dir} was trained on the {trained_on} backend and this process runs {here}; resume it with "
            f"KERAS_BACKEND={trained_on}, go on with {here} by --allow_backend_change "
            "(config.json records it), or pass --overwrite to start again"
        )
    epoch = int(checkpoint["epoch"])
    log(
        f"{run_dir}: trained on {trained_on} up to epoch {epoch}; going on with {here}, as asked (recorded in config.json)"
    )
    return {"after_epoch": epoch, "from": trained_on, "to": here}


def _from_checkpoint(run_dir, checkpoint, log):
    """The checkpoint is the truth: history.csv must be its rows, value for value, or is rebuilt."""
    rows = checkpoint_rows(checkpoint["history"])
    try:
        history = read_history(run_dir)
        intact = len(history["epoch"]) == len(rows) and all(
            np.array_equal(history[c], [r[i] for r in rows]) for i, c in enumerate(HISTORY_COLUMNS)
        )
    except RunDirError:
        intact = False
    if not intact:
        log(f"{run_dir}: history.csv is damaged, missing or differs from the checkpoint; rebuilt from the checkpoint")
        write_history(run_dir, rows)
    return _State(rows, int(checkpoint["epoch"]), checkpoint)


def _from_history(run_dir, config, existing, log):
    """Without a checkpoint: a finished history is kept (committed results); anything else starts again."""
    history = read_history(run_dir)
    rows = [list(r) for r in zip(*(history[c] for c in HISTORY_COLUMNS))] if len(history["epoch"]) else []
    if rows and existing is None:
        raise RunDirError(
            f"{run_dir / 'history.csv'} has no config.json beside it, so nothing shows which run it records; delete it or pass --overwrite"
        )
    rows = [r for r in rows if r[0] <= config.epochs]
    if rows and rows[-1][0] >= config.epochs:
        return _State(rows, config.epochs, None)  # finished (e.g. committed results)
    if rows:
        log(f"{run_dir}: {len(rows)} epochs of history but no checkpoint to resume from; starting again at epoch 1")
    return _State([], 0, None)
