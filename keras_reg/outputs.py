"""Where every artifact's files are written: text atomically, figures as PNG and PDF. It sits below
the artifacts (``report``, ``geometry``) and imports none of them, so none imports another to write."""

from pathlib import Path

__all__ = ["write_text", "save_figure", "DPI"]

DPI = 150  # of the PNGs; the tests draw at a lower one, since what they check is not the pixels


def write_text(path, text):
    """Writes ``text`` to ``path`` atomically (creating its directory)."""
    from keras_reg.files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode())


def save_figure(fig, out_dir, name):
    """Saves a matplotlib figure as ``name``.png and .pdf (without a creation date, so that an
    unchanged figure is an unchanged file) and closes it; returns the paths."""
    import matplotlib.pyplot as plt

    paths = []
    for suffix in (".png", ".pdf"):
        path = Path(out_dir) / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, metadata={"CreationDate": None} if suffix == ".pdf" else None)
        paths.append(path)
    plt.close(fig)
    return paths
