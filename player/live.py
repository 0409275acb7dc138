"""Live play through the sound card: a worker fills a bounded queue, the callback only copies.

Follows python-sounddevice's play_long_file example: fixed block size, the queue filled before
the stream opens, and a callback that never blocks, allocates or touches files.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from player import SAMPLE_RATE
from player.errors import DeviceError, MissingDependency
from player.mixer import CHANNELS, Block
from player.session import Command, LiveSession

BLOCK_FRAMES = 1024
"""About 23 ms a block: controls answer within a few blocks."""
QUEUE_BLOCKS = 8
"""About 0.19 s of sound prepared ahead of the play head."""
OUTPUT_LATENCY = 0.15
"""Seconds of buffering in the device. PortAudio's default here (46 ms) let one block in ten
minutes arrive late when the callback thread waited for the GIL; with 0.15 s a key still
answers within about a third of a second."""

DRAIN_BLOCKS = int((OUTPUT_LATENCY + 0.1) * SAMPLE_RATE / BLOCK_FRAMES) + 1
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


class LivePlayer:
    """Plays a LiveSession on a sound device until it ends."""

    def __init__(self, session: LiveSession, device: int | None = None) -> None:
        self.session = session
        self.device = device
        self.blocks: queue.Queue[Block | None] = queue.Queue(maxsize=QUEUE_BLOCKS)
        self.stopping = threading.Event()
        self.finished = threading.Event()
        self.underruns = 0
        self.frames = 0
        self.reached_end = False
        self.failure: Exception | None = None
        """What stopped the mixer thread, raised again by play() (never silence forever)."""

    def _feed(self) -> None:
        """Worker thread: render blocks ahead of the play head into the bounded queue."""
        drain = 0
        while not self.stopping.is_set():
            try:
                block = self.session.next_block(BLOCK_FRAMES)
            except Exception as error:  # a bug (NonFiniteAudio, say): end the stream, raise it in play()
                self.failure, block, drain = error, None, DRAIN_BLOCKS
            if block is None and drain < DRAIN_BLOCKS:
                # Stopping the stream drops what still sits in the device's buffer: send
                # silence first, so the last words are heard to their end.
                block = np.zeros((BLOCK_FRAMES, CHANNELS), dtype=np.float32)
                drain += 1
            while not self.stopping.is_set():
                try:
                    self.blocks.put(block, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if block is None:
                return

    def _callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        """Audio thread: copy one ready block, nothing else."""
        if status.output_underflow:
            self.underruns += 1
        try:
            block = self.blocks.get_nowait()
        except queue.Empty:
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
        feeder = threading.Thread(target=self._feed, name="mixer", daemon=True)
        feeder.start()
        interrupted = False
        try:
            # Fill the queue before the stream starts, so the first callbacks find blocks ready.
            while not self.blocks.full() and feeder.is_alive():
                self.stopping.wait(0.005)
            try:
                stream = self._sd.OutputStream(
                    samplerate=SAMPLE_RATE, blocksize=BLOCK_FRAMES, channels=CHANNELS, dtype="float32",
                    device=self.device, callback=self._callback, finished_callback=self.finished.set,
                    latency=OUTPUT_LATENCY,
                )
            except (self._sd.PortAudioError, ValueError) as error:
                raise DeviceError(f"cannot open the sound device: {error}") from None
            with stream:
                try:
                    while not self.finished.wait(0.1):
                        pass
                except KeyboardInterrupt:
                    interrupted = True
                    self.session.submit(Command.INTERRUPT)
                    self.finished.wait(2.0)
        except self._sd.PortAudioError as error:
            raise DeviceError(f"the sound device failed during playback: {error}") from None
        finally:
            self.stopping.set()
            feeder.join(timeout=1.0)
        if self.failure is not None:
            raise self.failure
        if not self.reached_end and not interrupted:
            raise DeviceError("the sound device stopped during playback (was it unplugged?); "
                              "play again, or choose another with --device")
        return PlayResult(self.underruns, self.frames, interrupted)
