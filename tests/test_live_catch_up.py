"""A cold start's next stage takes effect just ahead of the play head, not behind the blocks
live play rendered ahead (which would hold the first words back by AHEAD_SECONDS)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.live.controls import Update
from player.live.device import CATCH_UP_BLOCKS, QUEUE_BLOCKS, LivePlayer
from player.live.start import build_session, opening_stages
from player.live.transport import LiveSession
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]

SCRIPT = """
title: Catch up
ambient: {sound: rain, level: -24}
steps:
  - chime: bell
  - say: First words.
  - pause: 30
"""


def swapped_at(player: LivePlayer) -> list[int]:
    """Where in the rendered-ahead queue a swap was applied."""
    return [index for index, (_, _, applied) in enumerate(player.ahead.items)
            if any(command is Update.SWAP for command, _ in applied)]


def full_player(write_script: WriteScript, fake_speaker: Speaker) -> tuple[LivePlayer, LiveSession, Path]:
    """A cold opening whose player has rendered as far ahead as it goes."""
    path = write_script(SCRIPT)
    script = load_script(path)
    prelude, _, *_ = opening_stages(script)
    session = LiveSession(compile_timeline(script, fake_speaker, steps=prelude, ending=False), complete=False)
    player = LivePlayer(session)
    while player.step():
        pass
    assert len(player.ahead.items) == QUEUE_BLOCKS
    return player, session, path


@pytest.fixture(autouse=True)
def _short_layers(short_beds: Path) -> None:
    """Rain with short layers: where a stage is applied holds for any bed, and a whole one costs seconds."""


def test_a_stage_handed_over_with_catch_up_applies_just_ahead_of_the_device(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    player, session, path = full_player(write_script, fake_speaker)
    script = load_script(path)
    session.swap(compile_timeline(script, fake_speaker, steps=opening_stages(script)[1], ending=False), complete=False)
    player.catch_up()
    player.step()
    assert swapped_at(player) == [CATCH_UP_BLOCKS] and CATCH_UP_BLOCKS < QUEUE_BLOCKS // 3
    assert not player.keys


def test_without_catch_up_a_stage_waits_behind_what_was_rendered(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    player, session, path = full_player(write_script, fake_speaker)
    script = load_script(path)
    session.swap(compile_timeline(script, fake_speaker, steps=opening_stages(script)[1], ending=False), complete=False)
    player.ahead.take()
    player.step()
    assert swapped_at(player) == [QUEUE_BLOCKS - 1]


def test_build_session_calls_back_after_every_stage(write_script: WriteScript, fake_speaker: Speaker) -> None:
    script = load_script(write_script(SCRIPT))
    calls: list[int] = []
    _, rest = build_session(script, fake_speaker, swapped=lambda: calls.append(1))
    assert rest is not None
    rest.join(timeout=30)
    assert len(calls) == len(opening_stages(script))  # each stage after the first, then the whole
