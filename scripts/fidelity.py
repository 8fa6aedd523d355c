"""Measures protocol candidates against the paper's Tables 1-2 (writes paper_figures/FIDELITY.md).

    python scripts/fidelity.py --epochs=20 --out_dir=results/fidelity
    python scripts/fidelity.py --epochs=20 --out_dir=results/fidelity --report_only --fidelity_md=paper_figures/FIDELITY.md

Each candidate (keras_reg.experiments.FIDELITY_CANDIDATES) trains the paper's four cases; its
distance to the paper is the mean absolute difference, in percentage points, over the cells of
Tables 1-2 that its epochs cover.
"""

import _quiet

_quiet.import_tensorflow()

from absl import app, flags  # noqa: E402

from keras_reg import cli  # noqa: E402

if __name__ == "__main__":
    cli.define_fidelity_flags(flags.FLAGS)
    app.run(lambda argv: cli.run_fidelity(flags.FLAGS, argv), flags_parser=cli.flags_parser("fidelity.py"))
