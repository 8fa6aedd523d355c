"""Imports TensorFlow with its native start-up log lines (oneDNN, CUDA probing) kept off the terminal.

TensorFlow 2.21 logs through absl's C++ logging before ``TF_CPP_MIN_LOG_LEVEL`` can take effect,
so its import-time INFO lines are silenced here by pointing file descriptor 2 at /dev/null for
the import alone. Set ``KERAS_REG_TF_LOGS=1`` to see them.
"""

import os


def import_tensorflow():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow" or os.environ.get("KERAS_REG_TF_LOGS"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe logs here
    except ImportError:
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
