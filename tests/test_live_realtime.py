"""What keeps live play going on a busy machine: quiet ALSA, raised thread priority."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import threading

import pytest

from player.live.realtime import raise_priority

# ALSA complains on stderr about a device that does not exist, as it does about underruns.
PROVOKE = """
import ctypes, ctypes.util, sys
if sys.argv[1] == "quiet":
    from player.live.realtime import quiet_alsa
    assert quiet_alsa()
alsa = ctypes.CDLL(ctypes.util.find_library("asound"))
handle = ctypes.c_void_p()
print(alsa.snd_pcm_open(ctypes.byref(handle), b"no-such-device", 0, 0))
"""


@pytest.mark.real
@pytest.mark.skipif(ctypes.util.find_library("asound") is None, reason="no ALSA library")
def test_alsa_messages_stay_off_the_terminal() -> None:
    loud = subprocess.run([sys.executable, "-c", PROVOKE, "loud"], capture_output=True, text=True, check=True)
    quiet = subprocess.run([sys.executable, "-c", PROVOKE, "quiet"], capture_output=True, text=True, check=True)
    assert "ALSA lib" in loud.stderr  # the message the handler must keep away
    assert int(quiet.stdout) < 0 and quiet.stderr == ""


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no thread priorities here")
def test_a_thread_gets_a_higher_priority_only_where_allowed() -> None:
    results: list[tuple[bool, int]] = []

    def worker() -> None:
        granted = raise_priority(-5)
        results.append((granted, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    ((granted, nice),) = results
    assert granted == (nice <= -5)  # threads start at their creator's value, maybe already raised
    assert granted or nice == before  # refused: nothing changed, and no error
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # only that thread
