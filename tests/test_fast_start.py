"""Fast start: `practice --help` and `practice check` import no heavy library they do not use.

Each case runs in a fresh interpreter (a module imported by an earlier test would hide an
import), so these are `real` tests; they assert what is imported, never how long it takes.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.real

HEAVY = ("numpy", "scipy", "sounddevice", "mutagen", "matplotlib", "soxr", "soundfile", "pyloudnorm", "onnx",
         "onnxruntime", "piper")
"""Libraries that cost tenths of a second each to import, or load native code."""


def imported_after(code: str) -> set[str]:
    """The HEAVY modules present in sys.modules after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert imported_after("import player.cli.commands") == set()


def test_help_imports_no_heavy_library() -> None:
    code = ("from player.cli.commands import cli\n"
            "try:\n    cli(['--help'], prog_name='practice')\nexcept SystemExit as stop:\n    assert stop.code == 0")
    assert imported_after(code) == set()


def test_check_needs_only_numpy() -> None:
    code = ("from player.cli.commands import cli\n"
            "try:\n    cli(['check', 'five-senses'], prog_name='practice')\n"
            "except SystemExit as stop:\n    assert stop.code == 0")
    assert imported_after(code) == {"numpy"}


def test_live_play_and_the_limiter_need_no_scipy() -> None:
    # scipy.ndimage cost live play 0.4 s of CPU before its first sound, and scipy.signal (the
    # loudness meter) 1.2 s: a warm start needs neither (new lines are levelled by the voice's worker).
    code = ("import numpy as np\nimport player.live.device, player.live.start, player.live.transport\n"
            "from player.render.limiter import limit\n"
            "limit(np.full((4000, 2), 2.0, dtype=np.float32), 512)")
    assert imported_after(code) == {"numpy"}


def test_levelling_a_line_needs_no_scipy() -> None:
    # scipy.signal takes most of a second to import: a cold start's first line (levelled in
    # Piper's worker, or in the player for the system voice) used to wait for it.
    code = ("import numpy as np\nfrom player.voices.level import level_speech\n"
            "line = level_speech((0.1 * np.sin(np.arange(30000) * 0.05)).astype(np.float32), 44100)\n"
            "assert 0 < float(np.abs(line).max()) < 1")
    assert imported_after(code) == {"numpy"}
