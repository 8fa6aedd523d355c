"""Trains one run of one case of any experiment and writes its run directory.

    python scripts/train.py --regularizer=l2 --out_dir=results/l2              # the paper's MLP
    python scripts/train.py --experiment=planar --case=l2
    python scripts/train.py --helpfull

Every flag is checked before any data is loaded or model built; a bad one exits with status 2 and
one line naming it. Exit status: 0 done, 2 bad flag or unusable directory, 3 diverged, 4 no data,
130 interrupted (run the same command again to resume).
"""

from keras_reg import cli

if __name__ == "__main__":
    cli.main("train.py")
