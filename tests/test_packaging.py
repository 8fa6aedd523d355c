"""The package as a user installs it: a wheel built from the checkout and installed by pip into a
fresh venv, its modules and console scripts run from outside the checkout, with none of the
checkout's files to lean on."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # building and installing the wheel: .ci/run runs it (pytest -m slow)
def test_the_wheel_holds_every_module_and_its_commands_run_outside_the_checkout(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", ROOT],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("keras_reg-*.whl")
    # A fresh venv with the wheel installed by pip (its console scripts and their interpreter), which
    # sees this environment's other packages (TensorFlow, Keras, ...) instead of installing them
    # again: a .pth of plain paths, which runs no editable-install hook, so keras_reg is the wheel's.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True, text=True, check=True
    ).stdout.strip()  # fmt: skip
    site = Path(purelib)
    (site / "test_environment.pth").write_text("\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel],
        check=True, capture_output=True,
    )  # fmt: skip
    installed = {p.relative_to(site).as_posix() for p in (site / "keras_reg").rglob("*.py")}
    checkout = {p.relative_to(ROOT).as_posix() for p in (ROOT / "keras_reg").rglob("*.py")}
    assert installed == checkout  # every subpackage found (setup.cfg's packages = find:)

    # The committed planar runs, drawn by the installed console script in a folder of their own.
    work = tmp_path / "work"
    shutil.copytree(ROOT / "paper_figures" / "planar" / "runs", work / "results" / "planar" / "runs")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [venv / "bin" / "keras-reg-figures", "--experiment=planar"], capture_output=True, text=True, cwd=work, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    drawn = {p.name for p in (work / "results" / "planar").iterdir()}
    assert {"boundaries.png", "cost.png", "final.md"} <= drawn

    # Every console script's --help lists its own flags with their defaults (side by side: each
    # process imports TensorFlow), and a short run trains from the empty folder.
    scripts = ("train", "run", "reproduce", "fidelity", "figures", "benchmark")
    where = subprocess.Popen(
        [python, "-c", "import keras_reg; print(keras_reg.__file__)"], stdout=subprocess.PIPE, text=True, cwd=work, env=env
    )  # fmt: skip
    helps = [
        subprocess.Popen([venv / "bin" / f"keras-reg-{name}", "--help"], stdout=subprocess.PIPE, text=True, cwd=work, env=env)
        for name in scripts
    ]  # fmt: skip
    assert where.communicate(timeout=300)[0].startswith(str(site))  # the wheel's copy, not the checkout's
    for name, process in zip(scripts, helps):
        out, _ = process.communicate(timeout=300)
        assert f"keras-reg-{name}:" in out and "(default: " in out, (name, out[-1000:])
    bad = subprocess.run(
        [venv / "bin" / "keras-reg-train"], capture_output=True, text=True, cwd=work, env={**env, "KERAS_BACKEND": "nope"}
    )  # fmt: skip
    assert (
        bad.returncode == 2
        and bad.stderr.startswith("keras-reg-train: KERAS_BACKEND='nope'")
        and bad.stderr.count("\n") == 1
    )
    run = subprocess.run(
        [venv / "bin" / "keras-reg-train", "--experiment=planar", "--epochs=1000"], capture_output=True, text=True, cwd=work, env=env
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert (work / "results" / "planar" / "none" / "seed_0" / "history.csv").exists()
