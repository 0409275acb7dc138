"""Keeping Ctrl-C away from worker processes, which their parent stops instead."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Block SIGINT in this thread meanwhile, so processes and threads started here never get it.

    Ctrl-C goes to the whole foreground process group; workers that died of it would print
    their own tracebacks or hand a KeyboardInterrupt back to a thread. They are stopped by
    their parent instead. A signal that arrives meanwhile is delivered when the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def stop_workers() -> None:
    """End this process's worker processes now (shielded ones never see Ctrl-C); queued work is dropped.

    Only the piper voice's pool starts processes through multiprocessing. Without this, exit
    would wait for every line still queued.
    """
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return
    for child in multiprocessing.active_children():
        child.terminate()
