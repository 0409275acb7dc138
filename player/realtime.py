"""Helping live play through a busy machine: thread priority, and ALSA's messages kept quiet."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Any

_handler: Any = None
"""The installed ALSA error handler (kept referenced: ALSA holds only a C pointer to it)."""
_lock = threading.Lock()


def raise_priority(nice: int, thread: int | None = None) -> bool:
    """Give a thread of ours (the calling one by default) a higher priority (a lower nice value)
    if allowed; whether it has it.

    On Linux the nice value is per thread and new threads inherit their creator's. Raising needs
    root or an RLIMIT_NICE that allows it; elsewhere nothing changes.
    """
    if not hasattr(os, "setpriority"):
        return False
    tid = threading.get_native_id() if thread is None else thread
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) <= nice:
            return True
        os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except OSError:
        return False


def raise_process_priority(nice: int) -> bool:
    """Raise every thread of this process, as far as allowed; whether the calling thread has it.

    The audio callback needs the GIL, so any thread that holds it while the scheduler leaves it
    waiting behind busy programs delays the sound: all of them get the priority, not only the
    audio threads.
    """
    try:
        threads = [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:
        threads = [thread.native_id for thread in threading.enumerate() if thread.native_id is not None]
    for tid in threads:
        raise_priority(nice, tid)
    return raise_priority(nice)


def quiet_alsa() -> bool:
    """Route ALSA's library messages ("underrun occurred", ...) away from the listener's terminal.

    ALSA prints them on the process's stderr from inside PortAudio's threads; the player counts
    underruns itself and says so once. Whether a handler was installed (False without ALSA).
    """
    global _handler
    with _lock:
        if _handler is not None:
            return True
        name = ctypes.util.find_library("asound")
        if name is None:
            return False
        try:
            alsa = ctypes.CDLL(name)
        except OSError:
            return False
        # snd_lib_error_handler_t is variadic; the fixed arguments are all a handler needs.
        prototype = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                     ctypes.c_char_p)
        handler = prototype(_ignore)
        if alsa.snd_lib_error_set_handler(handler) != 0:
            return False
        _handler = handler
        return True


def _ignore(file: bytes | None, line: int, function: bytes | None, error: int, fmt: bytes | None) -> None:
    """An ALSA message, dropped."""
