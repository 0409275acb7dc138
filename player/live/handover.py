"""A session taking over the stream its saved opening started on, and saving that opening.

The opening (player/live/prelude.py) is what the same command's session gave the device in its
first seconds: the session renders those seconds again, block for block, and takes over where
the opening stops only if they match. Otherwise the opening fades out and the session starts
from the top, and the opening is saved again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from player import SAMPLE_RATE
from player.live import prelude
from player.live.controls import Phase
from player.live.transport import LiveSession
from player.render.mixer import CHANNELS

AHEAD_SECONDS = 0.5
"""How far past what the opening has played the session takes over: the time it has to render
the opening again and fill its queue (beyond it, the device gets silence until it does)."""
FADE_SECONDS = 0.1
"""A mismatched opening fades out over this long before the session starts from the top."""
MATCHES = 10 ** (-80 / 20)
"""Samples closer than this (-80 dBFS) are the same sound: no step is heard where one takes over."""


def saved_frames(session: LiveSession) -> int:
    """How many of a session's first frames can be saved as its opening: those before the first
    words (a voice may speak them otherwise next time), at most prelude.MAX_SECONDS, in whole
    blocks; 0 where not worth it, where the session starts at a chapter, or where it is only a
    cold start's opening (its bed does not yet duck for the words to come, as a whole session's
    does)."""
    if session.position != 0 or not session.complete:
        return 0
    timeline = session.timeline
    voice_free = min((sound.start for sound in timeline.sounds if sound.kind == "speech"), default=timeline.length)
    settle = session.settle_left if session.phase is Phase.SETTLE else 0
    frames = min(settle + voice_free, int(prelude.MAX_SECONDS * SAMPLE_RATE))
    frames -= frames % prelude.BLOCK_FRAMES
    return frames if frames >= prelude.MIN_SECONDS * SAMPLE_RATE else 0


def session_copy(session: LiveSession) -> LiveSession:
    """A session as this one was built (before its first block): its opening renders the same."""
    settling = session.phase is Phase.SETTLE
    copy = LiveSession(session.timeline, settle=1.0 if settling else 0.0, start=session.position,
                       complete=session.complete)
    copy.settle_left = session.settle_left  # exactly, not through seconds and back
    return copy


def opening_samples(session: LiveSession) -> bytes:
    """The first `saved_frames` of a session not yet played, as float32 frames."""
    blocks = []
    for _ in range(saved_frames(session) // prelude.BLOCK_FRAMES):
        block = session.next_block(prelude.BLOCK_FRAMES)
        if block is None:
            return b""
        blocks.append(block)
    return np.concatenate(blocks).astype(np.float32).tobytes() if blocks else b""


def keep_opening(key: str, make: Callable[[], LiveSession], needs: Callable[[], list[str]],
                 checked: threading.Event, needed: Callable[[], bool]) -> threading.Thread:
    """On a thread, once `checked` is set and if `needed()` then says so (there was no opening, or
    it no longer matched): save under `key` the opening of the session `make()` returns, a fresh
    one as a warm play builds it, with the speech files (`needs()`) it needs to start warm."""

    def save() -> None:
        checked.wait()
        if not needed():
            return
        try:
            samples = opening_samples(make())
            if samples:
                prelude.save_opening(key, samples, needs())
        except Exception:
            return  # nothing is saved, and this thread says nothing over the practice

    thread = threading.Thread(target=save, name="save opening", daemon=True)
    thread.start()
    return thread


def take_over(session: LiveSession, opening: prelude.OpeningStream) -> bool:
    """Render the session up to where the opening will stop, checking it against what the opening
    plays: True when they match (the session goes on from there), else False, with the opening
    fading out and the session back at its start."""
    state = session.snapshot()
    applied = []
    limit = opening.reserve(int(AHEAD_SECONDS * SAMPLE_RATE))
    played = np.frombuffer(opening.samples, dtype=np.float32).reshape(-1, CHANNELS)
    for start in range(0, limit, prelude.BLOCK_FRAMES):
        block = session.next_block(prelude.BLOCK_FRAMES)
        applied.extend(session.applied)
        expected = played[start:start + prelude.BLOCK_FRAMES]
        if block is None or block.shape != expected.shape or not np.abs(block - expected).max() <= MATCHES:
            session.rewind(state, applied)
            opening.fade_out(int(FADE_SECONDS * SAMPLE_RATE))
            return False
    return True
