"""Imports TensorFlow with its native start-up log lines (oneDNN, CUDA probing) kept off the terminal.

TensorFlow 2.21 logs through absl's C++ logging before ``TF_CPP_MIN_LOG_LEVEL`` can take effect,
so its import-time INFO lines are silenced here by pointing file descriptor 2 at /dev/null for
the import alone. On the JAX backend too: Keras imports TensorFlow, where it is installed, to seed
it; and JAX's INFO line about a missing TPU is dropped. Set ``KERAS_REG_TF_LOGS=1`` to see them.
"""

import functools
import importlib.util
import json
import os
import sys
from pathlib import Path

# Keras 3's backends, each the package it needs.
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy", "openvino": "openvino"}


def backend():
    """The backend Keras will use, read as Keras reads it (``$KERAS_BACKEND``, else keras.json)
    without importing Keras."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "keras.json"
    try:
        return json.loads(config.read_text()).get("backend", "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def check_backend():
    """Raises ImportError, in one line that says what to do, if the backend is not one of Keras's or
    its package is not installed (Keras itself fails deep inside its import)."""
    name = backend()
    if name not in BACKENDS:
        raise ImportError(
            f"KERAS_BACKEND={name!r} is not a Keras backend; use one of {', '.join(BACKENDS)} (the default: tensorflow)"
        )
    if importlib.util.find_spec(BACKENDS[name]) is None:
        raise ImportError(
            f"KERAS_BACKEND={name} needs the {BACKENDS[name]} package, which is not installed: install it, or choose another backend"
        )


def command():
    """The name of the keras-reg program this process runs (a console script ``keras-reg-*`` or one
    of the checkout's ``scripts/``), else None (a user's Python)."""
    main = Path(getattr(sys.modules.get("__main__"), "__file__", None) or "")
    if main.name.startswith("keras-reg-"):
        return main.name
    if main.suffix == ".py" and main.resolve().parent == Path(__file__).resolve().parents[1] / "scripts":
        return main.name
    return None


def check_backend_or_exit():
    """:func:`check_backend`; where a keras-reg program is running (the failure comes as its first
    import, before any of its code runs) the error is one line on stderr and exit status 2, as for
    any bad setting, instead of a traceback. In a user's Python it stays an ImportError."""
    try:
        check_backend()
    except ImportError as error:
        name = command()
        if name is None:
            raise
        print(f"{name}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


@functools.cache  # once a process: the package and the scripts both ask for it
def import_tensorflow():
    if os.environ.get("KERAS_REG_TF_LOGS"):
        return
    tensorflow_backend = backend() == "tensorflow"
    if not tensorflow_backend:
        # JAX logs its probe for a TPU at INFO; Keras imports TensorFlow, where installed, to seed it.
        import logging

        logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        if tensorflow_backend:
            tf.config.list_physical_devices()  # the CUDA probe logs here
    except ImportError:
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
