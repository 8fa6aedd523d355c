"""Trains one run of the paper's MLP and writes its run directory (paper section 3).

    python scripts/train.py --regularizer=l2 --out_dir=results/l2
    python scripts/train.py --helpfull

Every flag is checked before any data is loaded or model built; a bad one exits with status 2 and
one line naming it. Exit status: 0 done, 2 bad flag or unusable directory, 3 diverged, 4 no data,
130 interrupted (run the same command again to resume).
"""

import _quiet

_quiet.import_tensorflow()

from absl import app, flags  # noqa: E402

from keras_reg import cli  # noqa: E402

if __name__ == "__main__":
    cli.define_train_flags(flags.FLAGS)
    app.run(lambda argv: cli.run_train(flags.FLAGS, argv), flags_parser=cli.flags_parser("train.py"))
