"""The CLI as a shell user meets it: `--version`, output piped into `head`, no progress bars in pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from metricqa import __version__
from metricqa.cli import main


def test_version_prints_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"metricqa {__version__}"


def test_output_piped_into_head_ends_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "METRICQA_HOME": str(tmp_path / "home")}
    command = f"{sys.executable} -m metricqa catalog list | head -1"
    run = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0
    assert len(run.stdout.splitlines()) == 1
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr
    assert "\r" not in run.stderr  # the demo warehouse's progress bar is for terminals only
