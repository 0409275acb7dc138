"""The live transport without a sound card: pulling blocks and sending commands, as play does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.export import ExportOptions, export
from player.live.controls import Phase
from player.live.start import build_session, exit_script, head_steps
from player.live.transport import Command, LiveSession
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.sounds import chime
from player.timeline.compile import compile_timeline
from player.timeline.model import Timeline
from player.voices import Speaker
from tests.conftest import decode

WriteScript = Callable[..., Path]
BLOCK = 1024
SR = SAMPLE_RATE

SCRIPT = """
title: Live
steps:
  - chapter: One
  - say: First words here.
  - pause: 5
  - chapter: Two
  - say: Second part now.
  - pause: 5
  - chapter: Three
  - say: Last words.
on_exit:
  - say: Feet on the floor.
"""


def timelines(write_script: WriteScript, speaker: Speaker, text: str = SCRIPT) -> tuple[Timeline, Timeline]:
    """The program and its exit timeline."""
    script = load_script(write_script(text))
    source, steps = exit_script(script)
    return compile_timeline(script, speaker), compile_timeline(source, speaker, steps=steps)


def phase_of(session: LiveSession) -> Phase:
    """The session's phase, read afresh (mypy would keep an earlier check's narrowing)."""
    return session.phase


def drain(session: LiveSession, actions: dict[int, Command] | None = None, limit: int = 100_000) -> np.ndarray:
    """Pull every block, sending commands at given block numbers; the whole output."""
    blocks: list[np.ndarray] = []
    for number in range(limit):
        if actions and number in actions:
            session.submit(actions[number])
        block = session.next_block(BLOCK)
        if block is None:
            return np.concatenate(blocks) if blocks else np.zeros((0, 2), np.float32)
        blocks.append(block)
    raise AssertionError("the session never ended")


@pytest.mark.real
def test_unattended_play_is_the_export_sample_for_sample(
    write_script: WriteScript, fake_speaker: Speaker, tmp_path: Path
) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    played = drain(LiveSession(program, exit_timeline))
    # The reference is the file export writes (16-bit WAV, unmastered), decoded by ffmpeg.
    out = export(Mixer(program), tmp_path / "session.wav", ExportOptions(master=False)).path
    exported = np.frombuffer(decode(out), dtype=np.int16).reshape(-1, 2)
    assert len(exported) == program.length
    assert len(played) - program.length < BLOCK
    assert np.abs(played[: program.length]).max() > 0.1
    # Equal to within the 16-bit rounding: one step of 1/32768.
    difference = np.abs(played[: program.length].astype(np.float64) * 32768 - exported)
    assert difference.max() <= 1.0


def test_pause_holds_the_place_for_as_long_as_it_lasts(write_script: WriteScript, fake_speaker: Speaker) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    pause_at, hold = 40, int(4 * SR / BLOCK)
    played = drain(LiveSession(program, exit_timeline),
                   {pause_at: Command.PAUSE, pause_at + hold: Command.PAUSE})
    fade = int(0.3 * SR)
    # The program stops for the held time less the fade-out, which still moves the play head.
    assert len(played) - program.length == pytest.approx(hold * BLOCK - fade, abs=2 * BLOCK)
    quiet = played[(pause_at + 25) * BLOCK:(pause_at + hold - 2) * BLOCK]
    assert np.abs(quiet).max() == 0.0  # silent while paused once the low tone has rung out


def test_next_and_previous_move_between_chapters(write_script: WriteScript, fake_speaker: Speaker) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    session = LiveSession(program, exit_timeline)
    session.next_block(BLOCK)
    session.submit(Command.NEXT)
    for _ in range(5):
        session.next_block(BLOCK)
    two = program.chapters[1].start
    assert two <= session.position < two + 5 * BLOCK
    session.submit(Command.PREVIOUS)  # within 3 s of the chapter's start: the one before
    for _ in range(5):
        session.next_block(BLOCK)
    assert session.position < 5 * BLOCK


def test_safe_exit_cuts_to_the_exit_steps(write_script: WriteScript, fake_speaker: Speaker) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    played = drain(LiveSession(program, exit_timeline), {10: Command.SAFE_EXIT})
    assert exit_timeline.cues[0].text == "Feet on the floor."
    expected = 10 * BLOCK + int(0.3 * SR) + exit_timeline.length
    assert len(played) == pytest.approx(expected, abs=3 * BLOCK)


def test_without_on_exit_the_built_in_reorientation_is_used(write_script: WriteScript, fake_speaker: Speaker) -> None:
    script = load_script(write_script("title: T\nsteps:\n  - say: Hello.\n"))
    source, steps = exit_script(script)
    exit_timeline = compile_timeline(source, fake_speaker, steps=steps)
    assert any("where your feet are" in cue.text.lower() for cue in exit_timeline.cues)
    assert "You are here, now." in [cue.text for cue in exit_timeline.cues]


def test_gentle_end_fades_and_rings_a_closing_chime(write_script: WriteScript, fake_speaker: Speaker) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    played = drain(LiveSession(program, exit_timeline), {20: Command.END})
    chime_seconds = len(chime("bowl")) / SR
    assert len(played) / SR == pytest.approx(20 * BLOCK / SR + 1.0 + chime_seconds, abs=0.2)
    ringing = -int((chime_seconds - 4) * SR)
    assert np.abs(played[ringing - SR // 2:ringing]).max() > 0.01  # the chime is ringing


def test_volume_keys_tick_and_change_the_voice(write_script: WriteScript, fake_speaker: Speaker) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    session = LiveSession(program, exit_timeline)
    for _ in range(3):
        session.submit(Command.VOICE_DOWN)
    quiet = session.next_block(BLOCK)
    assert session.voice_level == pytest.approx(10 ** (-6 / 20), rel=1e-3)
    assert quiet is not None and np.abs(quiet).max() > 0


def test_status_names_the_chapter_and_the_time_left(write_script: WriteScript, fake_speaker: Speaker) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    spoken: list[str] = []
    session = LiveSession(program, exit_timeline, status_voice=spoken.append)
    session.position = program.chapters[1].start + 10
    session.submit(Command.STATUS)
    session.next_block(BLOCK)
    assert spoken == ["Two. Chapter 2 of 3. Less than a minute left."]


def test_settle_waits_before_the_first_word(write_script: WriteScript, fake_speaker: Speaker) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    played = drain(LiveSession(program, exit_timeline, settle=2.0))
    start = int(np.flatnonzero(np.abs(played).max(axis=1) > 0)[0])
    assert start == pytest.approx(2 * SR, abs=BLOCK)


def test_a_cold_start_plays_the_opening_then_the_whole_session(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    lines = "\n".join(f"  - say: Line number {n} is here.\n  - pause: {{seconds: 10, flexible: true}}"
                      for n in range(8))
    script = load_script(write_script(f"title: Cold\nlength: 2m\nsteps:\n{lines}\n"))
    assert 0 < len(head_steps(script)) < len(script.steps)
    session, rest = build_session(script, fake_speaker)
    assert rest is not None and not session.complete
    assert session.timeline.seconds < 60
    rest.join(timeout=30)
    played = drain(session)
    assert session.timeline.length == 2 * 60 * SR
    assert len(played) == pytest.approx(2 * 60 * SR, abs=3 * BLOCK)


def test_safe_exit_before_the_reorientation_is_ready_waits_for_it(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    session = LiveSession(program, None)
    session.submit(Command.SAFE_EXIT)
    for _ in range(40):
        session.next_block(BLOCK)
    assert session.paused and phase_of(session) is Phase.MAIN
    session.set_exit(exit_timeline)
    played = drain(session)
    assert phase_of(session) is Phase.DONE
    assert len(played) == pytest.approx(exit_timeline.length, abs=2 * BLOCK)


def test_missing_portaudio_or_sounddevice_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.abc
    import sys

    from player.errors import MissingDependency
    from player.live.device import load_sounddevice

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)

    class NoPortAudio(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
            if name == "sounddevice":
                raise OSError("PortAudio library not found")
            return None

    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    with pytest.raises(MissingDependency, match="libportaudio2"):
        load_sounddevice()
    monkeypatch.setattr(sys, "meta_path", sys.meta_path[1:])
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(MissingDependency, match="pip install sounddevice"):
        load_sounddevice()
