"""The queue between live play's worker and the audio callback: rendered blocks, rewindable."""

from __future__ import annotations

import collections
import threading
from typing import Any

from player.render.mixer import Block


class Ahead:
    """Rendered blocks waiting for the device, each with the session's state before it.

    The callback takes from the front without blocking for long; the worker adds at the back
    and, when a key arrives, cuts the queue to its first blocks and rewinds the session to the
    state before the first block it dropped.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: collections.deque[tuple[Block | None, dict[str, object], list[Any]]] = collections.deque()
        self.lock = threading.Lock()

    def full(self) -> bool:
        """Whether the worker should wait."""
        return len(self.items) >= self.size

    def put(self, block: Block | None, state: dict[str, object], applied: list[Any]) -> None:
        """A block at the back, with the state it was rendered from and the commands it applied."""
        with self.lock:
            self.items.append((block, state, applied))

    def take(self) -> tuple[bool, Block | None]:
        """(False, None) when empty, else (True, the next block or None at the end)."""
        with self.lock:
            if not self.items:
                return False, None
            return True, self.items.popleft()[0]

    def cut(self, keep: int) -> tuple[dict[str, object], list[Any]] | None:
        """Drop all but the first `keep` blocks: the first dropped one's state and every command
        the dropped ones applied; None when there was nothing to drop."""
        with self.lock:
            if len(self.items) <= keep:
                return None
            dropped = [self.items.pop() for _ in range(len(self.items) - keep)][::-1]
        return dropped[0][1], [command for _, _, applied in dropped for command in applied]
