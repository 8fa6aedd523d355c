"""Draws the paper's Figures 10-11, Tables 1-3 and summary.md (the reproduction against the paper in numbers) from run directories (it never trains).

    python scripts/make_figures.py --runs_dir=paper_figures/runs --out_dir=paper_figures
"""

import _quiet

_quiet.import_tensorflow()

from absl import app, flags  # noqa: E402

from keras_reg import cli  # noqa: E402

if __name__ == "__main__":
    cli.define_figures_flags(flags.FLAGS)
    app.run(lambda argv: cli.run_figures(flags.FLAGS, argv), flags_parser=cli.flags_parser("make_figures.py"))
