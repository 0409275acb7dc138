"""Live play through the sound card: a worker fills a bounded queue, the callback only copies.

Follows python-sounddevice's play_long_file example: fixed block size, the queue filled before
the stream opens, and a callback that never blocks, allocates or touches files.
"""

from __future__ import annotations

import atexit
import collections
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from player import SAMPLE_RATE
from player.errors import DeviceError, MissingDependency
from player.live import handover, realtime
from player.live.ahead import Ahead as Ahead  # where tests and benchmarks have long found it
from player.live.prelude import OpeningStream
from player.live.transport import INTERRUPT_FADE, Command, LiveSession
from player.render.mixer import CHANNELS

BLOCK_FRAMES = 1024
"""About 23 ms a block."""
AHEAD_SECONDS = 2.0
"""Sound rendered ahead of the play head, so a busy machine (load 10 on two cores) can keep the
worker off the CPU for a second without a gap. A key does not wait behind it: the session is
rewound to just ahead of what the device holds and the key applied there (see `Ahead`)."""
QUEUE_BLOCKS = int(AHEAD_SECONDS * SAMPLE_RATE / BLOCK_FRAMES)
KEEP_BLOCKS = 3
"""Blocks left in place when a key rewinds the session: about 70 ms, so the device never starves."""
CATCH_UP_BLOCKS = int(0.25 * SAMPLE_RATE / BLOCK_FRAMES)
"""Blocks left in place when a cold start's next stage arrives (catch_up): a quarter second,
which with the device's own buffer (LATENCIES) leaves about 0.4 s for the worker to render the
next block on a busy machine; half a second held the first word back that much longer."""
LATENCIES = (0.15, 0.25)
"""Seconds of buffering in the device, the larger once underruns start. PortAudio's default here
(46 ms) let one block in ten minutes arrive late when the callback thread waited for the GIL;
with 0.25 s and KEEP_BLOCKS a key still answers within about a third of a second."""
UNDERRUNS_TO_GROW = 2
"""Underruns after which the device gets the larger latency (one can be a start-up hiccup)."""
STALL_SECONDS = 5.0
"""A device that asks for no sound for this long has stopped answering (a frozen sound server)."""
OPEN_SECONDS = 10.0
"""How long opening and starting the stream may take (a sound server starting up is slow)."""
CLOSE_SECONDS = 2.0
"""How long closing the stream may take before the device is given up on."""
NICE = -10
"""The worker and audio threads' priority where the system allows it (root, or RLIMIT_NICE)."""

DRAIN_BLOCKS = int((LATENCIES[-1] + 0.1) * SAMPLE_RATE / BLOCK_FRAMES) + 1
"""Silent blocks played after the session's end, so the device's buffer empties before it stops."""

NO_CARD_FIX = ("connect a sound device, or write the session to a file instead: "
               "practice export SCRIPT -o session.mp3 (export needs no sound card)")


def load_sounddevice() -> ModuleType:
    """The sounddevice module, or a MissingDependency that says what to install."""
    try:
        import sounddevice
    except OSError:
        raise MissingDependency(
            "Live play needs the PortAudio library, which is not installed.",
            "sudo apt-get install libportaudio2 (Debian, Ubuntu), or brew install portaudio (macOS); "
            "practice export works without it",
        ) from None
    except ImportError:
        raise MissingDependency("Live play needs the sounddevice package.",
                                "pip install sounddevice") from None
    module: ModuleType = sounddevice
    return module


@dataclass(frozen=True)
class OutputDevice:
    """A sound card output as PortAudio names it."""

    index: int
    name: str
    channels: int
    default: bool


def output_devices() -> list[OutputDevice]:
    """The sound outputs on this machine."""
    sd = load_sounddevice()
    try:
        devices = sd.query_devices()
        default_output = sd.default.device[1]
    except sd.PortAudioError as error:
        raise DeviceError(f"cannot list sound devices: {error}") from None
    return [
        OutputDevice(index, str(info["name"]), int(info["max_output_channels"]), index == default_output)
        for index, info in enumerate(devices)
        if int(info["max_output_channels"]) > 0
    ]


def resolve_device(spec: str | None) -> int | None:
    """A device index from a number or (part of) a name; None for the default output."""
    if spec is None:
        return None
    devices = output_devices()
    if spec.isdigit():
        if any(device.index == int(spec) for device in devices):
            return int(spec)
        raise DeviceError(f"there is no output device {spec}; `practice devices` lists them")
    matches = [device for device in devices if spec.lower() in device.name.lower()]
    if not matches:
        raise DeviceError(f"no output device is called '{spec}'; `practice devices` lists them")
    exact = [device for device in matches if device.name.lower() == spec.lower()]
    return (exact or matches)[0].index


@dataclass
class PlayResult:
    """How a live session went."""

    underruns: int
    frames: int
    interrupted: bool
    priority: str = ""
    """What the audio callback thread got: "nice -10", or normal where that was refused."""
    longest_wait: float = 0.0
    """The longest time between two calls from the device, in seconds (late ones cause gaps)."""
    latency: float = 0.0
    """The device's latency as PortAudio reported it for the last stream, in seconds."""


class LivePlayer:
    """Plays a LiveSession on a sound device until it ends."""

    def __init__(self, session: LiveSession, device: int | None = None,
                 opening: OpeningStream | None = None) -> None:
        self.session = session
        self.device = device
        self.opening = opening
        """The saved opening already playing on the default output, whose stream this takes over."""
        self.opening_matched = False
        self.opening_checked = threading.Event()
        """Set once the session has checked the opening (or there was none)."""
        self.ahead = Ahead(QUEUE_BLOCKS)
        self.keys: collections.deque[Command | None] = collections.deque()
        """Listeners' commands; None only rewinds (see catch_up)."""
        self.stopping = threading.Event()
        self.finished = threading.Event()
        self.underruns = 0
        self.frames = 0
        self.callbacks = 0
        self.reached_end = False
        self.failure: Exception | None = None
        """What stopped the mixer thread, raised again by play() (never silence forever)."""
        self.prioritised = False
        self.priority = ""
        self.last_call = 0.0
        self.longest_wait = 0.0
        self.drain = 0
        self.ended = False
        self.stream: Any = None
        self.latency = LATENCIES[0]
        self.device_latency = 0.0

    def submit(self, command: Command) -> None:
        """A listener's command (from any thread): it takes effect just ahead of what is playing."""
        self.keys.append(command)

    def catch_up(self) -> None:
        """The session was just given its next stage (a cold start's first words): render again from
        just ahead of what the device holds, as for a key, so it is not heard AHEAD_SECONDS late."""
        self.keys.append(None)

    def _feed(self) -> None:
        """Worker thread: render blocks ahead of the play head until stopped."""
        realtime.raise_priority(NICE)
        while not self.stopping.is_set():
            if not self.step():
                self.stopping.wait(0.01)

    def step(self) -> bool:
        """Render one block ahead, rewinding first if a key waits; False when there is nothing to do."""
        if self.keys and not self.ended:
            self._rewind()
        elif self.ahead.full() or self.ended:
            return False
        state = self.session.snapshot()
        try:
            block = self.session.next_block(BLOCK_FRAMES)
        except Exception as error:  # a bug (NonFiniteAudio, say): end the stream, raise it in play()
            self.failure, block, self.drain = error, None, DRAIN_BLOCKS
        if block is None and self.drain < DRAIN_BLOCKS:
            # Stopping the stream drops what still sits in the device's buffer: send
            # silence first, so the last words are heard to their end.
            block = np.zeros((BLOCK_FRAMES, CHANNELS), dtype=np.float32)
            self.drain += 1
        self.ahead.put(block, state, self.session.applied)
        self.ended = block is None
        return True

    def _rewind(self) -> None:
        """Drop what was rendered past the next few blocks, and apply the waiting keys there."""
        keep = KEEP_BLOCKS if any(command is not None for command in self.keys) else CATCH_UP_BLOCKS
        cut = None if self.session.finished else self.ahead.cut(keep)
        if cut is not None:
            self.session.rewind(*cut)
        while self.keys:
            command = self.keys.popleft()
            if command is not None:
                self.session.submit(command)

    def _callback(self, outdata: np.ndarray, frames: int, timing: Any, status: Any) -> None:
        """Audio thread: copy one ready block, nothing else."""
        now = time.monotonic()
        if not self.prioritised:
            self.prioritised = True
            self.priority = f"nice {NICE}" if realtime.raise_priority(NICE) else "normal (nice refused)"
        elif self.last_call and now - self.last_call > self.longest_wait:
            self.longest_wait = now - self.last_call
        self.last_call = now
        self.callbacks += 1
        if status.output_underflow:
            self.underruns += 1
        ready, block = self.ahead.take()
        if not ready:
            self.underruns += 1
            outdata.fill(0)
            return
        if block is None:
            self.reached_end = True
            outdata.fill(0)
            raise self._sd.CallbackStop
        outdata[:] = block
        self.frames += frames

    def play(self) -> PlayResult:
        """Play to the end; Ctrl-C fades out quickly and raises KeyboardInterrupt afterwards."""
        self._sd = load_sounddevice()
        realtime.quiet_alsa()
        realtime.raise_process_priority(NICE)  # before the worker and the stream: their threads inherit it
        try:
            if self.opening is not None:  # before the worker: the session renders what it played
                self.opening_matched = handover.take_over(self.session, self.opening)
        except BaseException:  # a bug in the mixer, Ctrl-C: the opening stops with it
            self._close(self.opening.stream)  # type: ignore[union-attr]
            raise
        finally:
            self.opening_checked.set()
        feeder = threading.Thread(target=self._feed, name="mixer", daemon=True)
        feeder.start()
        interrupted = False
        self.stream = self.opening.stream if self.opening is not None else None  # closed below, whatever happens
        try:
            # Fill the queue before the stream starts, so the first callbacks find blocks ready.
            # A session shorter than that (or one whose mixer failed) has ended: start at once.
            while (not self.ahead.full() and not self.ended and feeder.is_alive()
                   and len(self.ahead.items) < KEEP_BLOCKS * 4):
                self.stopping.wait(0.005)
            self.stream = self._take_opening() if self.opening is not None else self._open()
            interrupted = self._wait()
        except self._sd.PortAudioError as error:
            raise DeviceError(f"the sound device failed during playback: {error}") from None
        finally:
            self.stopping.set()
            if self.stream is not None:
                self._close(self.stream)
            feeder.join(timeout=1.0)
        if self.failure is not None:
            raise self.failure
        if not self.reached_end and not interrupted:
            raise DeviceError("the sound device stopped during playback (was it unplugged?); "
                              "play again, or choose another device", subject="device")
        return PlayResult(self.underruns, self.frames, interrupted, self.priority, self.longest_wait,
                          self.device_latency)

    def _take_opening(self) -> Any:
        """The opening's stream, its calls ours from where the opening stops."""
        assert self.opening is not None

        def raw_callback(outdata: Any, frames: int, timing: Any, status: Any) -> None:
            self._callback(np.frombuffer(outdata, dtype=np.float32).reshape(frames, CHANNELS), frames,
                           timing, status)

        stream = self.opening.stream
        if not getattr(stream, "active", True):  # it stopped (the server restarted): a stream of our own
            self._close(stream)
            return self._open()
        self.opening.hand_over(raw_callback, self.finished.set)
        self.device_latency = float(getattr(stream, "latency", self.latency))
        return stream

    def _open(self) -> Any:
        """The output stream, started; on a helper thread, as a frozen sound server never answers."""
        opened: list[Any] = []
        failed: list[BaseException] = []

        def start() -> None:
            # Threads inherit their creator's priority: PortAudio's and the sound server
            # client's threads, made while opening, get it too.
            realtime.raise_priority(NICE)
            try:
                stream = self._sd.OutputStream(
                    samplerate=SAMPLE_RATE, blocksize=BLOCK_FRAMES, channels=CHANNELS, dtype="float32",
                    device=self.device, callback=self._callback, finished_callback=self.finished.set,
                    latency=self.latency,
                )
                opened.append(stream)
                stream.start()
                self.device_latency = float(getattr(stream, "latency", self.latency))  # a stand-in may lack it
            except Exception as error:  # PortAudioError, a bad setting: said as a device error, never a hang
                failed.append(error)

        opener = threading.Thread(target=start, name="open", daemon=True)
        opener.start()
        try:
            deadline = time.monotonic() + OPEN_SECONDS
            while opener.is_alive() and time.monotonic() < deadline:
                opener.join(0.1)  # in steps, so Ctrl-C is answered meanwhile
        except KeyboardInterrupt:
            if opener.is_alive():
                self._give_up()
            else:
                self._close_all(opened)
            raise
        if opener.is_alive():
            self._give_up()
            raise DeviceError("the sound device does not answer (is the sound server frozen?); "
                              "play again, or choose another device", subject="device")
        if failed:
            self._close_all(opened)
            raise DeviceError(f"cannot open the sound device: {failed[0]}") from None
        return opened[0]

    def _close_all(self, streams: list[Any]) -> None:
        """Close streams that were opened (a failed start, an interrupted opening)."""
        for stream in streams:
            self._close(stream)

    def _give_up(self) -> None:
        """A device that hangs: PortAudio's own exit handler would hang on it too, so drop it."""
        atexit.unregister(getattr(self._sd, "_exit_handler", lambda: None))

    def _wait(self) -> bool:
        """Wait for the end, a device that stops answering, or Ctrl-C (True)."""
        try:
            seen, since = self.callbacks, time.monotonic()
            while not self.finished.wait(0.1):
                if self.underruns >= UNDERRUNS_TO_GROW and self.latency < LATENCIES[-1] and not self.ended:
                    self._more_latency()
                    # Draining and reopening took its time (seconds on a busy machine): the new
                    # stream's silence is counted from now, not from the old stream's last call.
                    seen, since = self.callbacks, time.monotonic()
                    continue
                if self.callbacks != seen:
                    seen, since = self.callbacks, time.monotonic()
                elif time.monotonic() - since > STALL_SECONDS:
                    raise DeviceError("the sound device stopped answering (is the sound server frozen?); "
                                      "play again, or choose another device", subject="device")
        except KeyboardInterrupt:
            self.submit(Command.INTERRUPT)
            self.finished.wait(INTERRUPT_FADE + self.latency + 1.0)
            return True
        return False

    def _more_latency(self) -> None:
        """Underruns have started: play out the device's buffer, then reopen it with a larger one."""
        self.latency = next(latency for latency in LATENCIES if latency > self.latency)
        stream, self.stream = self.stream, None
        self._close(stream, drain=True)
        if self.reached_end:
            return  # the session ended meanwhile: that was the last stream
        self.finished.clear()  # the old stream's end is not the session's
        self.last_call = 0.0  # the wait while it drained is no late call
        self.stream = self._open()

    def _close(self, stream: Any, drain: bool = False) -> None:
        """Stop and close the stream without waiting on a device that does not answer."""
        def close() -> None:
            try:
                if drain:
                    stream.stop()
                elif not self.finished.is_set():
                    stream.abort()  # abort, not stop: stop waits for the device to play its buffer
                stream.close()
            except self._sd.PortAudioError:
                pass

        closer = threading.Thread(target=close, name="close", daemon=True)
        closer.start()
        closer.join(CLOSE_SECONDS)
        if closer.is_alive():
            self._give_up()
