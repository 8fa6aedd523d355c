"""Measures protocol candidates against the paper's Tables 1-2 (the fidelity experiment).

    python scripts/fidelity.py --epochs=20 --seeds=0,1,2 --candidates=tf1_code,tf1_init
    python scripts/fidelity.py --report_only --fidelity_md=results/fidelity.md

Each candidate (keras_reg.experiments.FIDELITY_CANDIDATES) trains the paper's four cases (or
--cases); its distance to the paper is the mean absolute difference, in percentage points, over
the cells of Tables 1-2 that its epochs cover.
"""

from keras_reg import cli

if __name__ == "__main__":
    cli.main("fidelity.py")
