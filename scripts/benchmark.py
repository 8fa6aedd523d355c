"""Times the plain Keras path against keras_reg's trainer, per case of the paper, on this machine.

    python scripts/benchmark.py                      # 5 epochs per path and case, writes results/benchmark.json

Prints, per case, seconds per epoch (training + evaluation of the training and test sets) of both
paths, their ratio, the trainer's fraction of the measured matmul limit, and the projected time of
the full reproduction. Numbers are medians over the epochs after the first.
"""

from keras_reg import cli

if __name__ == "__main__":
    cli.main("benchmark.py")
