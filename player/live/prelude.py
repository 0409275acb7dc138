"""Live play's first sound before numpy loads: the opening a play of the same command saved.

`practice play` spends about half a second importing numpy and the mixer, loading the script
and building the session before its first block. The first seconds of most practices need no
voice (a chime, the bed fading in), and are the same every time the same command plays them:
so live play saves them (float32 samples, as the device was given them), and the next play of
that command starts them on the sound card from a thread, with nothing but the standard
library and sounddevice, while the rest loads. The session then renders those same seconds,
checks them against what was played, and takes the stream over at a block boundary
(player/live/handover.py). An opening that no longer matches (the script or a clip changed)
fades out and the session starts from the top; a new one is saved.

This module imports no numpy: it runs before it is loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import sys
import threading
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from player import SAMPLE_RATE, __version__
from player.live import realtime
from player.paths import cache_root
from player.script.limits import MAX_OPENING_LIST_BYTES

CHANNELS = 2
BLOCK_FRAMES = 1024
LATENCY = 0.15
NICE = -10
"""As live play opens its own streams (device.py; a test holds the two to the same values)."""
MAX_SECONDS = 6.0
"""The longest opening saved: more than a start takes on a busy machine."""
MIN_SECONDS = 0.5
"""An opening shorter than this is not worth saving."""
FRAME_BYTES = 4 * CHANNELS
MAGIC = b"PPOPEN2\0"
HEADER = struct.Struct("<8sIII")
"""Magic, sample rate, frames, and the bytes of the speech files the session needs to be warm."""
FOLDER = "openings"
WAIT_SECONDS = 10.0
"""How long play waits for the opening's stream to start before going on without it."""

VALUED = {"--set", "--length", "--pace", "--engine", "--voice", "--rate", "--linger", "--settle"}
"""The options a play with an early start may have (each takes a value). Any other (--device and
--from change where or what starts, --help plays nothing) means no early start."""

Callback = Callable[[Any, int, Any, Any], None]


def key_for(args: list[str]) -> str | None:
    """The saved opening's name for `practice play ARGS`; None where play does not start early
    (another device, a chapter, an option this does not know)."""
    script: str | None = None
    waiting_value = False
    for arg in args:
        if waiting_value:
            waiting_value = False
        elif arg.startswith("-"):
            waiting_value = "=" not in arg
            if arg.split("=", 1)[0] not in VALUED:
                return None
        elif script is None:
            script = arg
        else:
            return None
    if script is None or waiting_value or any(not arg.isprintable() for arg in args):
        return None
    digest = hashlib.sha256("\0".join([__version__, *args]).encode())
    with contextlib.suppress(OSError):
        if os.path.isfile(script):  # a script of one's own: which file, and its text
            digest.update(os.path.realpath(script).encode())
            with open(script, "rb") as file:
                digest.update(file.read(1 << 20))
    return digest.hexdigest()[:32]


def opening_path(key: str) -> Path:
    """Where the opening saved under `key` is kept."""
    return cache_root() / FOLDER / f"{key}.pcm"


def cache_relative(path: Path) -> str:
    """A needed file as an opening lists it: within the cache, relative to it (so a copied or
    moved cache checks its own files), else whole."""
    try:
        return str(path.relative_to(cache_root()))
    except ValueError:
        return str(path)


Opening = tuple[bytes, list[str]]
"""An opening's native float32 frames, and the speech cache files whose lines its session speaks."""


def encode(samples: bytes, needs: list[str]) -> bytes:
    """An opening's file: a header, float32 frames (interleaved, little-endian), then the needed
    files' paths, one a line."""
    listed = "\n".join(needs).encode()
    return HEADER.pack(MAGIC, SAMPLE_RATE, len(samples) // FRAME_BYTES, len(listed)) + samples + listed


def decode(data: bytes) -> Opening | None:
    """An opening's file read back, or None where it is not one (a cache file may be broken)."""
    if len(data) < HEADER.size:
        return None
    magic, rate, frames, listed = HEADER.unpack_from(data)
    end = HEADER.size + frames * FRAME_BYTES
    if (magic != MAGIC or rate != SAMPLE_RATE or end + listed != len(data) or listed > MAX_OPENING_LIST_BYTES
            or not 0 < frames <= MAX_SECONDS * SAMPLE_RATE):
        return None
    values = array("f", data[HEADER.size:end])
    if sys.byteorder != "little":
        values.byteswap()
    try:
        needs = data[end:].decode().split("\n") if listed else []
    except UnicodeDecodeError:
        return None
    return values.tobytes(), needs  # the samples are checked as they are played (`sound_only`)


def read_opening(key: str) -> Opening | None:
    """The opening saved under `key`, if a file of ours is there."""
    path = opening_path(key)
    try:
        most = HEADER.size + MAX_SECONDS * SAMPLE_RATE * FRAME_BYTES + MAX_OPENING_LIST_BYTES
        if not path.is_file() or path.stat().st_size > most:
            return None
        return decode(path.read_bytes())
    except OSError:
        return None


def save_opening(key: str, samples: bytes, needs: list[str]) -> bool:
    """Keep an opening (native float32 frames) for the next play of the same command, with the
    speech files its session needs to start warm."""
    from player.atomic import save_bytes

    values = array("f", samples)
    if sys.byteorder != "little":
        values.byteswap()
    return save_bytes(opening_path(key), encode(values.tobytes(), needs))


class OpeningStream:
    """The saved opening on the sound card, until live play takes the stream over.

    The callback serves the opening's frames up to a limit; live play moves the limit to where it
    will take over (`reserve`), then hands over its own callback (`hand_over`). Past the limit
    with no callback yet, it plays silence (live play is late).
    """

    def __init__(self, samples: bytes) -> None:
        self.samples = samples
        self.frames = len(samples) // FRAME_BYTES
        self.served = 0
        """Frames given to the device so far."""
        self.stream: Any = None
        self._limit = self.frames
        self._fade: tuple[int, int] | None = None
        self._next: Callback | None = None
        self._finished: Callable[[], None] = lambda: None
        self._lock = threading.Lock()

    def callback(self, outdata: Any, frames: int, timing: Any, status: Any) -> None:
        """Audio thread: the next frames of the opening, or live play's own callback after it."""
        with self._lock:
            start, limit, taken_over = self.served, self._limit, self._next
            if start < limit:
                self.served = min(limit, start + frames)
        if start >= limit:
            if taken_over is not None:
                taken_over(outdata, frames, timing, status)
            else:
                outdata[:] = bytes(len(outdata))
            return
        end = min(limit, start + frames)
        chunk = sound_only(self.samples[start * FRAME_BYTES:end * FRAME_BYTES])
        if self._fade is not None:
            chunk = self._faded(chunk, start)
        outdata[:len(chunk)] = chunk
        if len(chunk) < len(outdata):
            outdata[len(chunk):] = bytes(len(outdata) - len(chunk))

    def _faded(self, chunk: bytes, start: int) -> bytes:
        """Frames from `start` under the fade to silence at the limit."""
        assert self._fade is not None
        begin, end = self._fade
        values = array("f", chunk)
        for index in range(len(values)):
            frame = start + index // CHANNELS
            values[index] *= max(0.0, min(1.0, (end - frame) / max(1, end - begin)))
        return values.tobytes()

    def reserve(self, ahead: int) -> int:
        """Stop the opening at least `ahead` frames past what was played (at a block boundary, and
        never past its end): live play continues from the frame returned."""
        with self._lock:
            self._limit = min(self.frames, _block_ceiling(self.served + ahead))
            return self._limit

    def fade_out(self, frames: int) -> int:
        """The opening did not match: fade it to silence within about `frames`; the frame where
        it then stops (live play starts the session from the top there)."""
        with self._lock:
            begin = self.served
            self._limit = min(self._limit, _block_ceiling(begin + frames))
            self._fade = (begin, self._limit)
            return self._limit

    def hand_over(self, callback: Callback, finished: Callable[[], None]) -> None:
        """From the limit on, the device's calls go to `callback`; its end to `finished`."""
        with self._lock:
            self._next = callback
            self._finished = finished

    def on_finished(self) -> None:
        """The stream ended (its callback stopped it, or it was closed)."""
        self._finished()


def sound_only(chunk: bytes) -> bytes:
    """The chunk if every value is a finite sample in [-1, 1], else silence: a cache file may be
    broken, and no NaN or overload reaches a speaker (checked a block at a time, as it plays, so
    a six-second opening is not read through before its first block)."""
    # A comparison is false for a NaN, so this refuses it too.
    if all(-1.0 <= value <= 1.0 for value in array("f", chunk)):
        return chunk
    return bytes(len(chunk))


def _block_ceiling(frames: int) -> int:
    """`frames` rounded up to a whole block."""
    return -(-frames // BLOCK_FRAMES) * BLOCK_FRAMES


class Pending:
    """An early start under way: its key, and its stream once started."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.opening: OpeningStream | None = None
        self.claimed = False
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._start, name="opening", daemon=True)

    def _start(self) -> None:
        """Thread: read the saved opening and start it on the default output, unless the session
        will start cold (a line it speaks is no longer cached: its opening is another sound)."""
        saved = read_opening(self.key)
        if saved is None or not all(os.path.isfile(cache_root() / path) for path in saved[1]):
            return
        opening = OpeningStream(saved[0])
        stream = None
        try:
            realtime.raise_priority(NICE)  # PortAudio's threads, made while opening, inherit it
            realtime.quiet_alsa()
            import sounddevice

            stream = sounddevice.RawOutputStream(
                samplerate=SAMPLE_RATE, blocksize=BLOCK_FRAMES, channels=CHANNELS, dtype="float32",
                callback=opening.callback, finished_callback=opening.on_finished, latency=LATENCY)
            stream.start()
        except Exception:  # no PortAudio, no device: play finds and reports it in its own way
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
            return
        opening.stream = stream
        with self._lock:
            abandoned = self.claimed
            self.opening = None if abandoned else opening
        if abandoned:  # play gave up waiting meanwhile
            with contextlib.suppress(Exception):
                stream.abort()
                stream.close()

    def claim(self) -> OpeningStream | None:
        """The opening's stream, playing, once started (None if there is none)."""
        self.thread.join(WAIT_SECONDS)
        with self._lock:
            self.claimed = True
            return self.opening


_pending: Pending | None = None


def begin(args: list[str]) -> None:
    """Start `practice play ARGS`'s saved opening, if there is one, while the rest loads."""
    global _pending
    key = key_for(args)
    if key is None or os.environ.get("PRACTICE_NO_EARLY_START"):
        _pending = None
        return
    _pending = Pending(key)
    _pending.thread.start()


def claim() -> Pending | None:
    """The early start begun for this process's `practice play`, if any (only once)."""
    global _pending
    pending, _pending = _pending, None
    return pending
