"""Reruns the paper's four cases (standard, L1, L2, Dropout) and draws its Figures 10-11 and Tables 1-3.

    python scripts/reproduce_paper.py                       # one seed, 100 epochs, into results/paper
    python scripts/reproduce_paper.py --seeds=0,1,2 --epochs=100 --out_dir=paper_figures

Finished run directories are reused and partial ones resumed, so an interrupted reproduction
continues where it stopped when the same command is run again.
"""

import _quiet

_quiet.import_tensorflow()

from absl import app, flags  # noqa: E402

from keras_reg import cli  # noqa: E402

if __name__ == "__main__":
    cli.define_reproduce_flags(flags.FLAGS)
    app.run(lambda argv: cli.run_reproduce(flags.FLAGS, argv), flags_parser=cli.flags_parser("reproduce_paper.py"))
