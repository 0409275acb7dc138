"""A batch export: one script that cannot be made must not stop the others, and the count is right."""

from __future__ import annotations

import errno
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ExportError
from player.export import ExportOptions, export
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline, estimate_timeline
from player.voices import Speaker

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
                           "-d", str(out), "--length", "20s", "--format", "wav", "-q", "--no-reorient"],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["stretchy.wav"]
    assert "Exported 1 of 3" in done.stdout
    assert "Failed (2):" in done.stderr
    assert f"{fixed}: a target length needs flexible pauses" in done.stderr
    assert "Traceback" not in done.stderr and "problem found" not in done.stderr


@pytest.mark.real
def test_a_transcript_that_cannot_be_written_leaves_nothing_behind(write_script: WriteScript, tmp_path: Path,
                                                                   fake_speaker: Speaker,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    script = load_script(write_script("title: T\nsteps:\n  - say: Hello there.\n  - pause: 1\n"))
    timeline = compile_timeline(script, fake_speaker)
    real_write = Path.write_text

    def disk_full(self: Path, *args: object, **kwargs: object) -> int:
        if ".vtt" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", disk_full)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ExportError, match=r"cannot write .*s\.vtt: No space left on device"):
        export(Mixer(timeline), out / "s.mp3", ExportOptions(transcripts=("vtt",), master=False))
    assert list(out.iterdir()) == []


@pytest.mark.real
def test_reorient_is_estimated_close_to_its_real_length() -> None:
    from player.script.library import builtin_folder
    from player.script.loader import Overrides
    from player.voices import choose_engine

    script = load_script(builtin_folder() / "reorient.yaml", Overrides(engine="system"))
    estimate = estimate_timeline(script).seconds
    real = compile_timeline(script, Speaker(choose_engine("system").engine)).seconds
    assert abs(estimate - real) < 0.08 * real, (estimate, real)  # 2.6 words a second said 56 s for 45
