"""The README's "Add your own experiment" example runs as written, and its grid prints as commands."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _example(tmp_path):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"<!-- example: my_experiment.py -->\n```python\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "my_experiment.py"
    path.write_text(code)
    return path


def test_the_add_your_own_experiment_example_runs_as_written(tmp_path, real_mnist_cache):
    script = _example(tmp_path)
    result = subprocess.run(
        [sys.executable, str(script), "--experiment=wide_l2", "--units=16", "--epochs=1", "--train_examples=256", "--test_examples=64",
         "--data_source=cache", f"--out_dir={tmp_path / 'out'}", "--workers=1"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "KERAS_REG_CACHE": str(real_mnist_cache)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "runs",
        "test_accuracy.png",
        "test_accuracy.pdf",
        "final.md",
        "final.csv",
    }
    assert len(list((tmp_path / "out" / "runs").glob("alpha_*/seed_0/history.csv"))) == 3
    assert "| alpha_0.002 | 1 | 1 |" in (tmp_path / "out" / "final.md").read_text()

    commands = subprocess.run(
        [sys.executable, str(script), "--experiment=wide_l2", "--seeds=0,1", "--print_commands"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    lines = commands.stdout.strip().splitlines()
    assert commands.returncode == 0 and len(lines) == 6
    assert all(str(script) in line and "--train_only" in line for line in lines)
    assert sum("--cases=alpha_0.0005 --seeds=1" in line for line in lines) == 1
