"""A live session's phase and every queued command are enum members, never bare strings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from player.live.controls import Command, Phase, Update
from player.live.start import exit_script
from player.live.transport import LiveSession
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
BLOCK = 1024
SCRIPT = """
title: Phases
steps:
  - say: First words here.
  - pause: 3
on_exit:
  - say: Feet on the floor.
"""


def test_a_session_moves_through_its_phases(write_script: WriteScript, fake_speaker: Speaker) -> None:
    script = load_script(write_script(SCRIPT))
    program = compile_timeline(script, fake_speaker)
    session = LiveSession(program, None, settle=0.1)
    seen = [session.phase]
    session.next_block(BLOCK)
    for _ in range(10):
        session.next_block(BLOCK)
    seen.append(session.phase)
    session.submit(Command.END)
    session.next_block(BLOCK)
    seen.append(session.phase)
    while session.next_block(BLOCK) is not None:
        pass
    seen.append(session.phase)
    assert seen == [Phase.SETTLE, Phase.MAIN, Phase.ENDING, Phase.DONE]


def test_program_updates_are_queued_and_applied_as_enum_members(write_script: WriteScript,
                                                                fake_speaker: Speaker) -> None:
    script = load_script(write_script(SCRIPT))
    source, steps = exit_script(script)
    program = compile_timeline(script, fake_speaker)
    exit_timeline = compile_timeline(source, fake_speaker, steps=steps)
    session = LiveSession(program, None)
    session.submit(Command.SAFE_EXIT)
    session.set_exit(exit_timeline)
    session.speak(np.zeros(100, dtype=np.float32))
    session.swap(program)
    session.abandon("no voice")
    session.next_block(BLOCK)
    assert [command for command, _ in session.applied] == [
        Command.SAFE_EXIT, Update.SET_EXIT, Update.SPEAK, Update.SWAP, Update.ABANDON]
