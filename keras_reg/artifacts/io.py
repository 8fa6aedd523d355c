"""Where artifacts read and write: the runs' histories and measurements in, text (atomically) and
figures (PNG and PDF) out. It sits below every artifact and imports none of them.
"""

import json
import re
from pathlib import Path

from keras_reg.run.rundir import RunDirError, read_history

__all__ = ["write_text", "pyplot", "save_figure", "DPI", "load_runs", "read_measurements"]

DPI = 150  # of the PNGs; the tests draw at a lower one, since what they check is not the pixels


def write_text(path, text):
    """Writes ``text`` to ``path`` atomically (creating its directory)."""
    from keras_reg.files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode())


def pyplot():
    """matplotlib's pyplot on the Agg backend: figures go to files, never to a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, out_dir, name):
    """Saves a matplotlib figure as ``name``.png and .pdf (atomically, as the tables, and without a
    creation date, so that an unchanged figure is an unchanged file) and closes it; returns the paths."""
    import io

    import matplotlib.pyplot as plt

    from keras_reg.files import atomic_write

    paths = []
    for kind in ("png", "pdf"):
        path = Path(out_dir) / f"{name}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=kind, dpi=DPI, metadata={"CreationDate": None} if kind == "pdf" else None)
        atomic_write(path, buffer.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths


def load_runs(runs_dir, cases):
    """{case: {seed: history}} for every ``<case>/seed_<k>/history.csv`` under ``runs_dir``, in the
    order of ``cases``. A damaged history, or one with a header and no row (the trainer writes
    history.csv only with its first row), raises :class:`keras_reg.run.rundir.RunDirError`."""
    runs = {}
    for case in cases:
        for path in sorted(Path(runs_dir, case).glob("seed_*/history.csv")):
            match = re.fullmatch(r"seed_(\d+)", path.parent.name)
            if not match:
                continue
            history = read_history(path.parent)
            if not len(history["epoch"]):
                raise RunDirError(
                    f"{path} has no row (the trainer writes none without one); delete it or rerun the run"
                )
            runs.setdefault(case, {})[int(match.group(1))] = history
    return runs


def read_measurements(runs_dir, runs, name, keys=(), layer_keys=()):
    """{case: [the JSON file ``name`` of each seed's run directory that has it]}; each must hold
    ``keys`` and, in each entry of its ``"layers"``, ``layer_keys`` (else RunDirError, one line)."""
    found = {}
    for case, histories in runs.items():
        for seed in histories:
            path = Path(runs_dir) / case / f"seed_{seed}" / name
            if path.exists():
                try:
                    record = json.loads(path.read_text())
                    missing = [k for k in keys if k not in record] + sorted(
                        {k for layer in record.get("layers", []) for k in layer_keys if k not in layer}
                    )
                except (ValueError, AttributeError, TypeError) as e:  # not JSON, or not a dict of dicts
                    raise RunDirError(
                        f"{path} is damaged ({e}); delete it (the trained model rebuilds it) or retrain with --overwrite"
                    ) from e
                if missing:
                    raise RunDirError(
                        f"{path} lacks {', '.join(missing)}: not a measurement of this version; delete it (the trained "
                        "model rebuilds it) or retrain with --overwrite"
                    )
                found.setdefault(case, []).append(record)
    return found
