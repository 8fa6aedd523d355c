"""Times the plain Keras path against keras_reg's trainer, per case, on this machine (issue 5).

    python scripts/benchmark.py                      # 5 epochs per path and case, writes results/benchmark.json

Prints, per case, seconds per epoch (training + evaluation of the training and test sets) of both
paths, their ratio, the trainer's fraction of the measured matmul limit, and the projected time of
the full reproduction. Numbers are medians over the epochs after the first.
"""

import _quiet

_quiet.import_tensorflow()

from absl import app, flags  # noqa: E402

from keras_reg import cli  # noqa: E402

if __name__ == "__main__":
    cli.define_benchmark_flags(flags.FLAGS)
    app.run(lambda argv: cli.run_benchmark(flags.FLAGS, argv), flags_parser=cli.flags_parser("benchmark.py"))
