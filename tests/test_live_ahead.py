"""Live play renders seconds ahead, yet a key takes effect just ahead of what is playing.

The player's worker step and the device callback are driven by hand here (no sound card), so
the output can be compared sample for sample with the session pulled directly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from player.live.device import BLOCK_FRAMES, KEEP_BLOCKS, QUEUE_BLOCKS, LivePlayer
from player.live.transport import Command, LiveSession
from player.voices import Speaker
from tests.test_live_session import BLOCK, drain, timelines

WriteScript = Callable[..., Path]
QUIET_STATUS = SimpleNamespace(output_underflow=False)


class _Stop(Exception):
    """The callback's end of stream."""


def play_by_hand(player: LivePlayer, keys: dict[int, Command]) -> np.ndarray:
    """Fill the queue, then play block by block, pressing keys at given block numbers."""
    player._sd = SimpleNamespace(CallbackStop=_Stop)  # type: ignore[assignment]  # only CallbackStop is used
    heard: list[np.ndarray] = []
    for number in range(100_000):
        if number in keys:
            player.submit(keys[number])
        while player.step():
            pass
        out = np.empty((BLOCK_FRAMES, 2), dtype=np.float32)
        try:
            player._callback(out, BLOCK_FRAMES, None, QUIET_STATUS)
        except _Stop:
            return np.concatenate(heard)
        heard.append(out)
    raise AssertionError("never ended")


def test_unattended_the_ahead_queue_plays_the_session_exactly(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    heard = play_by_hand(LivePlayer(LiveSession(program, exit_timeline)), {})
    expected = drain(LiveSession(program, exit_timeline))
    assert np.array_equal(heard[:len(expected)], expected)
    assert not heard[len(expected):].any()  # then the drain's silence
    assert QUEUE_BLOCKS * BLOCK_FRAMES / 44_100 >= 1.5  # seconds ahead, not blocks


def test_keys_act_a_few_blocks_ahead_not_behind_the_whole_queue(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    program, exit_timeline = timelines(write_script, fake_speaker)
    keys = {60: Command.PAUSE, 200: Command.PAUSE, 230: Command.VOICE_DOWN, 231: Command.NEXT,
            400: Command.STATUS, 420: Command.SAFE_EXIT}
    spoken: list[str] = []
    heard = play_by_hand(LivePlayer(LiveSession(program, exit_timeline, status_voice=spoken.append)), keys)
    # The same keys pressed KEEP_BLOCKS later on a session pulled directly: the same sound.
    shifted = {number + KEEP_BLOCKS: command for number, command in keys.items()}
    expected = drain(LiveSession(program, exit_timeline, status_voice=lambda text: None), shifted)
    assert len(heard) >= len(expected)
    assert np.array_equal(heard[:len(expected)], expected)
    assert len(spoken) == 1  # a rewind never asks for a status line twice
    assert BLOCK == BLOCK_FRAMES
