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


def raise_priority(nice: int) -> bool:
    """Give the calling thread a higher priority (a lower nice value) if allowed; whether it did.

    On Linux the nice value is per thread, so only the audio threads get it, and only where the
    user may raise priority (root, or an RLIMIT_NICE that allows it); elsewhere nothing changes.
    """
    if not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) <= nice:
            return True
        os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except OSError:
        return False


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
