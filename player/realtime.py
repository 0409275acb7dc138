"""Helping live play through a busy machine: thread priority, and ALSA's messages kept quiet."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path
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


def raise_realtime(priority: int, nice: int, thread: int | None = None) -> str:
    """Give a thread of ours (the calling one by default) round-robin real-time scheduling at a
    low `priority` where allowed, else the nice value as far as allowed; what it got, in words.

    Real-time needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO of at least `priority` (a desktop
    user's is usually 0): refused, the thread falls back to the nice value silently, and the
    words say why. Threads it starts later get normal scheduling back (SCHED_RESET_ON_FORK).
    """
    tid = threading.get_native_id() if thread is None else thread
    reason = "no real-time scheduling here"
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_RR"):
        try:
            os.sched_setscheduler(tid, os.SCHED_RR | os.SCHED_RESET_ON_FORK, os.sched_param(priority))
            return f"real-time {priority}"
        except OSError as error:
            reason = f"real-time refused: {error.strerror or error}"
    return f"nice {nice} ({reason})" if raise_priority(nice, tid) else f"normal ({reason}; nice refused)"


def native_threads() -> set[int]:
    """The native ids of every thread of this process (C libraries' threads too, on Linux)."""
    try:
        return {int(name) for name in os.listdir("/proc/self/task")}
    except OSError:
        return {thread.native_id for thread in threading.enumerate() if thread.native_id is not None}


def thread_name(tid: int) -> str:
    """A thread's name as the system knows it ("" where it cannot be read)."""
    try:
        return Path(f"/proc/self/task/{tid}/comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def raise_named_threads(since: set[int], priority: int, nice: int) -> None:
    """Real-time (else nice) for the threads started since `since` that a library named.

    A sound server client's thread (libpulse's "threaded-ml") carries every block to the server,
    so it needs what the callback thread gets. Unnamed ones are skipped: one may be a speech
    engine's, started meanwhile, that must not hold a core at real-time priority.
    """
    own = thread_name(os.getpid())
    for tid in native_threads() - since - {threading.get_native_id()}:
        if thread_name(tid) not in ("", own):
            raise_realtime(priority, nice, tid)


def raise_process_priority(nice: int) -> bool:
    """Raise every thread of this process, as far as allowed; whether the calling thread has it.

    The audio callback needs the GIL, so any thread that holds it while the scheduler leaves it
    waiting behind busy programs delays the sound: all of them get the priority, not only the
    audio threads.
    """
    for tid in native_threads():
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
