"""How long `practice play` takes from the command starting to its first block reaching the device.

Run: python -m benchmarks.first_sound [SCRIPT]   (needs a sound output, e.g. a PulseAudio null sink)

It measures a warm speech cache (everything synthesized before) and a cold one (an empty
cache folder), each from a fresh process, the way a listener starts a session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

PROBE = """
import sys, time
from player.live import device as live
started = float(sys.argv[1])
original = live.LivePlayer._callback
def first(self, outdata, frames, when, status):
    if not getattr(self, "_reported", False):
        self._reported = True
        sys.stderr.write(f"FIRST {time.time() - started:.3f}\\n")
        sys.stderr.flush()
        raise self._sd.CallbackStop
    return original(self, outdata, frames, when, status)
live.LivePlayer._callback = first
sys.argv = ["practice", "play", sys.argv[2]]
from player.cli.commands import main
try:
    main()
except SystemExit:
    pass
"""


def first_sound(script: str, cache: str) -> float:
    """Seconds from process start to the first audio callback."""
    env = dict(os.environ, PRACTICE_CACHE_DIR=cache)
    started = time.time()
    done = subprocess.run([sys.executable, "-c", PROBE, str(started), script], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    for line in done.stderr.splitlines():
        if line.startswith("FIRST "):
            return float(line.split()[1])
    raise RuntimeError(f"no audio callback: {done.stderr[-500:]}")


def main() -> None:
    """Print cold and warm first-sound times."""
    script = sys.argv[1] if len(sys.argv) > 1 else "five-senses"
    with tempfile.TemporaryDirectory() as cache:
        cold = first_sound(script, cache)
        warm = [first_sound(script, cache) for _ in range(3)]
    print(f"{script}: first sound after {cold:.2f} s with a cold speech cache, "
          f"{min(warm):.2f} to {max(warm):.2f} s warm (3 runs)")


if __name__ == "__main__":
    main()
