"""Reruns the paper's four cases (standard, L1, L2, Dropout) and draws its Figures 10-11 and Tables 1-3.

    python scripts/reproduce_paper.py                       # one seed, 100 epochs, into results/paper
    python scripts/reproduce_paper.py --seeds=0,1,2 --out_dir=paper_figures

It is ``run_experiment.py --experiment=paper``. Finished run directories are reused and partial
ones resumed, so an interrupted reproduction continues where it stopped when run again.
"""

from keras_reg import cli

if __name__ == "__main__":
    cli.main("reproduce_paper.py")
