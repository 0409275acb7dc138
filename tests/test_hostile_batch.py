"""A batch export: one script that cannot be made must not stop the others, and the count is right."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

WriteScript = Callable[..., Path]


@pytest.mark.real
def test_one_script_that_cannot_reach_the_length_does_not_stop_the_batch(write_script: WriteScript,
                                                                          tmp_path: Path) -> None:
    stretchy = write_script("title: Stretchy\nsteps:\n  - chime: bowl\n  - pause: {seconds: 2, flexible: true}\n",
                            "stretchy.yaml")
    fixed = write_script("title: Fixed\nsteps:\n  - chime: bowl\n  - pause: 2\n", "fixed.yaml")
    broken = write_script("title: Broken\nsteps:\n  - puase: 2\n", "broken.yaml")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "player", "export", str(fixed), str(stretchy), str(broken),
                           "-d", str(out), "--length", "8s", "--format", "wav", "-q"],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["stretchy.wav"]
    assert "Exported 1 of 3" in done.stdout
    assert "Failed (2):" in done.stderr
    assert f"{fixed}: a target length needs flexible pauses" in done.stderr
    assert "Traceback" not in done.stderr and "problem found" not in done.stderr
