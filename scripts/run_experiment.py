"""Runs every case and seed of an experiment into run directories, then draws its artifacts.

    python scripts/run_experiment.py --experiment=planar
    python scripts/run_experiment.py --experiment=paper --seeds=0,1,2 --out_dir=paper_figures
    python scripts/run_experiment.py --experiment=cnn --print_commands | xargs -P 2 -I{} sh -c {}

Finished run directories are reused and partial ones resumed, so an interrupted experiment
continues where it stopped when the same command is run again.
"""

from keras_reg import cli

if __name__ == "__main__":
    cli.main("run_experiment.py")
