"""A cold start's next stage takes effect just ahead of the play head, not behind the blocks
live play rendered ahead (which would hold the first words back by AHEAD_SECONDS)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
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


SPOKEN_FIRST = """
title: Spoken first
steps:
  - say: Hello. Notice your feet on the floor.
  - pause: 30
"""


def test_words_that_arrive_late_are_heard_just_ahead_of_the_device_not_a_queue_later(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    # Nothing to play before the first words: the opening (silence here) runs on past its end
    # while the voice loads, so the stage arrives with quiet to insert. The quiet counted by
    # blocks rendered ahead and then dropped must not be inserted as well.
    script = load_script(write_script(SPOKEN_FIRST))
    prelude, sentence, *_ = opening_stages(script)
    session = LiveSession(compile_timeline(script, fake_speaker, steps=prelude, ending=False), complete=False)
    player = LivePlayer(session)
    while player.step():
        pass
    session.swap(compile_timeline(script, fake_speaker, steps=sentence, ending=False), complete=False)
    # As on a sound card: the device takes a block and the mixer renders the next (applying
    # the stage at the back of the queue) before it sees the call to catch up.
    heard = [player.ahead.take()[1]]
    player.step()
    player.catch_up()
    while player.step():
        pass
    blocks = heard + [block for _, block in iter(player.ahead.take, (False, None))]
    first_sound = next(index for index, block in enumerate(blocks) if block is not None and np.abs(block).max() > 0)
    assert first_sound == CATCH_UP_BLOCKS + 1
