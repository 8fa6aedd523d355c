"""The paper study's artifacts, all of them, from fake run directories."""

import csv
import json

import pytest

from keras_reg.artifacts import registry as artifact_registry
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.run.rundir import RunDirError

PAPER, FIDELITY = EXPERIMENTS["paper"], EXPERIMENTS["fidelity"]


def test_make_all_writes_every_figure_and_table(runs_dir, tmp_path):
    out = tmp_path / "out"
    paths = artifact_registry.make_all(PAPER, runs_dir, out)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            "fig10.png",
            "fig10.pdf",
            "fig11.png",
            "fig11.pdf",
            "summary.md",
            "fig1_l1.png",
            "fig1_l1.pdf",
            "fig2_l2.png",
            "fig2_l2.pdf",
            "claims.md",
            "lesson_code.md",
        ]
        + [f"table{i}.{s}" for i in (1, 2, 3) for s in ("md", "csv")]
    )
    assert all(p.stat().st_size > 0 for p in paths)
    assert (out / "fig10.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "table1.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * 5 + 2  # three cases at five epochs, dropout at two
    markdown = (out / "table1.md").read_text()
    assert "| Standard | 97.52 +- 0.71 / 97.92 / -0.40 |" in markdown
    # the lesson code's logs: standard at epoch 21 (test 98.07, train 99.54), dropout at 31; l2 at 11
    lesson = (out / "lesson_code.md").read_text()
    test, train = 100 * (0.975 + 21e-5), 100 * (0.9925 + 21e-5)
    assert (
        f"| Standard | 21 | {test:.2f} +- 0.71 | 98.07 | {test - 98.07:+.2f} | {train:.2f} +- 0.35 | 99.54 | {train - 99.54:+.2f} |"
        in lesson
    )
    assert "| L2 | 11 |" in lesson and "| Dropout | 31 |" in lesson


@pytest.mark.parametrize(
    "record, said",
    [
        ({"layers": [{"layer": "hidden_1"}], "histogram_edges": [0.0, 1.0]}, "lacks fraction_below, histogram, l1"),
        ({"histogram_edges": []}, "lacks layers"),
        ([1, 2, 3], "is damaged"),
    ],
)
def test_a_measurement_file_that_is_not_this_versions_is_one_line_naming_it(runs_dir, tmp_path, record, said):
    path = runs_dir / "l1" / "seed_0" / "weights.json"
    path.write_text(json.dumps(record))
    with pytest.raises(RunDirError, match=f"{path}.*{said}") as info:
        artifact_registry.make_all(PAPER, runs_dir, tmp_path / "out")
    assert "\n" not in str(info.value)
