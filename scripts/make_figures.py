"""Draws an experiment's artifacts (for the paper: Figures 10-11, Tables 1-3, summary.md) from run directories; never trains.

python scripts/make_figures.py --runs_dir=paper_figures/runs --out_dir=paper_figures
"""

from keras_reg import cli

if __name__ == "__main__":
    cli.main("make_figures.py")
