"""Live play's saved opening, without a sound card: its name, its file, its stream's callback,
and a session checking it and taking over (player/live/prelude.py, player/live/handover.py)."""

from __future__ import annotations

import math
import struct
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.live import device, handover, prelude, realtime
from player.live.start import build_session
from player.live.transport import LiveSession
from player.render.mixer import CHANNELS
from player.script.limits import MAX_OPENING_LIST_BYTES
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
BLOCK = prelude.BLOCK_FRAMES

OPENING = """
title: Opening
ambient: {sound: rain, level: -24}
steps:
  - chime: bell
  - pause: 0.5
  - say: Notice your feet on the floor.
  - pause: 1
"""


def frames_of(values: list[float] | np.ndarray) -> bytes:
    """Native float32 bytes of interleaved samples."""
    return np.asarray(values, dtype=np.float32).tobytes()


def served(opening: prelude.OpeningStream, frames: int = BLOCK) -> np.ndarray:
    """One call of the opening's callback into a fresh buffer, as (frames, channels)."""
    out = bytearray(frames * prelude.FRAME_BYTES)
    opening.callback(memoryview(out), frames, None, None)
    return np.frombuffer(bytes(out), dtype=np.float32).reshape(frames, CHANNELS)


def ramp_opening(blocks: int) -> prelude.OpeningStream:
    """An opening whose every sample is its frame number / 1e6 (so each frame can be told apart)."""
    values = np.repeat(np.arange(blocks * BLOCK, dtype=np.float64) / 1e6, CHANNELS)
    return prelude.OpeningStream(frames_of(values))


def test_the_stream_is_opened_as_live_play_opens_its_own() -> None:
    # The session takes the stream over as it is: a block size or latency of its own would differ.
    assert prelude.BLOCK_FRAMES == device.BLOCK_FRAMES
    assert device.LATENCIES[0] == prelude.LATENCY
    assert prelude.NICE == device.NICE
    assert prelude.CHANNELS == CHANNELS


@pytest.mark.parametrize("args", [
    ["five-senses"],
    ["five-senses", "--set", "name=Sam", "--length", "10m"],
    ["five-senses", "--pace=1.2", "--settle", "10s"],
])
def test_a_plain_play_has_a_name_for_its_opening(args: list[str]) -> None:
    key = prelude.key_for(args)
    assert key is not None and len(key) == 32
    assert key == prelude.key_for(list(args))
    assert key != prelude.key_for([*args, "--rate", "0.9"])


@pytest.mark.parametrize("args", [
    [], ["--set", "name=Sam"], ["five-senses", "--device", "pulse"], ["five-senses", "--from", "2"],
    ["five-senses", "--help"], ["five-senses", "--what"], ["five-senses", "other"], ["five-senses", "--length"],
    ["five\x1bsenses"],
])
def test_a_play_that_starts_elsewhere_or_is_unclear_starts_no_opening(args: list[str]) -> None:
    assert prelude.key_for(args) is None


def test_a_script_of_ones_own_names_its_opening_by_its_text(tmp_path: Path) -> None:
    script = tmp_path / "mine.yaml"
    script.write_text("title: One\n")
    before = prelude.key_for([str(script)])
    script.write_text("title: Two\n")
    assert prelude.key_for([str(script)]) != before
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "mine.yaml").write_text("title: Two\n")  # the same text in another file
    assert prelude.key_for([str(elsewhere / "mine.yaml")]) != prelude.key_for([str(script)])


def test_an_opening_file_is_read_back_and_anything_else_is_refused() -> None:
    samples = frames_of([0.5, -0.5] * 1000)
    needs = ["/cache/speech/a.npz", "/cache/speech/b.npz"]
    good = prelude.encode(samples, needs)
    assert prelude.decode(good) == (samples, needs)
    assert prelude.decode(prelude.encode(samples, [])) == (samples, [])
    assert prelude.decode(good[:-1]) is None  # cut short
    assert prelude.decode(good + b"x") is None  # more than it says
    assert prelude.decode(b"x" * 8 + good[8:]) is None  # not ours
    assert prelude.decode(struct.pack("<8sIII", prelude.MAGIC, 48_000, 1000, 0) + samples) is None  # another rate
    assert prelude.decode(good[:5]) is None
    assert prelude.decode(struct.pack("<8sIII", prelude.MAGIC, SAMPLE_RATE, 1000, 2) + samples + b"\xff\xfe") is None
    too_long = int(prelude.MAX_SECONDS * SAMPLE_RATE) + 1
    assert prelude.decode(struct.pack("<8sIII", prelude.MAGIC, SAMPLE_RATE, too_long, 0)
                          + bytes(too_long * prelude.FRAME_BYTES)) is None


def test_a_saved_opening_is_found_under_its_name_and_a_folder_or_huge_file_is_not(private_cache: Path) -> None:
    samples = frames_of([0.25, -0.25] * 4096)
    assert prelude.save_opening("k1", samples, ["/x.npz"])
    assert prelude.read_opening("k1") == (samples, ["/x.npz"])
    assert prelude.read_opening("missing") is None
    prelude.opening_path("k2").mkdir()
    assert prelude.read_opening("k2") is None
    with prelude.opening_path("k3").open("wb") as file:
        file.truncate(int(prelude.MAX_SECONDS * SAMPLE_RATE + 10) * prelude.FRAME_BYTES + MAX_OPENING_LIST_BYTES)
    assert prelude.read_opening("k3") is None


class FakeStream:
    """sounddevice.RawOutputStream as the early start uses it: what it was opened with."""

    opened: ClassVar[list[dict[str, object]]] = []

    def __init__(self, **settings: object) -> None:
        FakeStream.opened.append(settings)

    def start(self) -> None:
        """Started."""


def test_the_opening_starts_only_while_every_line_its_session_speaks_is_cached(
        private_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Otherwise the session starts cold, and a cold start's opening is another sound: the saved
    # one would fade and the practice start again.
    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(RawOutputStream=FakeStream))
    monkeypatch.setattr(realtime, "quiet_alsa", lambda: False)  # finding libasound runs ldconfig
    line = private_cache / "speech" / "opening-line.npz"
    line.parent.mkdir(exist_ok=True)
    line.write_bytes(b"x")
    listed = prelude.cache_relative(line)
    assert listed == str(Path("speech", "opening-line.npz"))  # a copied cache checks its own files
    assert prelude.cache_relative(tmp_path / "elsewhere.npz") == str(tmp_path / "elsewhere.npz")
    prelude.save_opening("warm", frames_of([0.1] * 4096), [listed])
    FakeStream.opened.clear()
    started = prelude.Pending("warm")
    started.thread.start()
    opening = started.claim()
    assert opening is not None and isinstance(opening.stream, FakeStream)
    settings = FakeStream.opened[0]
    assert settings["blocksize"] == BLOCK and settings["latency"] == device.LATENCIES[0]
    assert settings["samplerate"] == SAMPLE_RATE and settings["channels"] == CHANNELS
    line.unlink()
    cold = prelude.Pending("warm")
    cold.thread.start()
    assert cold.claim() is None and len(FakeStream.opened) == 1
    nothing = prelude.Pending("missing")
    nothing.thread.start()
    assert nothing.claim() is None and len(FakeStream.opened) == 1


@pytest.mark.parametrize("bad", [[math.nan], [math.inf], [1.5], [-1.01], [math.inf, -math.inf]])
def test_a_broken_sample_silences_its_block_instead_of_reaching_the_speaker(bad: list[float]) -> None:
    values = [0.1] * (2 * BLOCK)
    values[77:77 + len(bad)] = bad
    opening = prelude.OpeningStream(frames_of(values + [0.2] * (2 * BLOCK)))
    assert not served(opening).any()
    assert (served(opening) == np.float32(0.2)).all()  # the next block plays


def test_the_opening_plays_to_its_limit_then_silence_until_live_play_takes_over() -> None:
    opening = ramp_opening(8)
    first = served(opening)
    assert first[0, 0] == 0 and first[-1, 1] == np.float32((BLOCK - 1) / 1e6)
    assert opening.reserve(1) == 2 * BLOCK  # at least a frame on, at a block boundary
    assert served(opening)[0, 0] == np.float32(BLOCK / 1e6)
    assert not served(opening).any()  # live play is late: silence, not the rest of the opening
    calls: list[int] = []

    def later(outdata: memoryview, frames: int, timing: object, status: object) -> None:
        calls.append(frames)
        outdata[:] = frames_of([0.3] * (frames * CHANNELS))

    ended = threading.Event()
    opening.hand_over(later, ended.set)
    assert (served(opening) == np.float32(0.3)).all() and calls == [BLOCK]
    opening.on_finished()
    assert ended.is_set()


def test_reserving_never_goes_past_the_opening() -> None:
    opening = ramp_opening(3)
    served(opening)
    assert opening.reserve(10 * BLOCK) == 3 * BLOCK


def test_an_opening_that_does_not_match_fades_to_silence_at_its_new_limit() -> None:
    opening = ramp_opening(64)
    opening.samples = frames_of(np.full(64 * BLOCK * CHANNELS, 0.5))
    served(opening)
    limit = opening.fade_out(3 * BLOCK - 100)
    assert limit == 4 * BLOCK
    heard = np.concatenate([served(opening) for _ in range(3)])[:, 0]
    assert heard[0] == pytest.approx(0.5) and np.all(np.diff(heard) <= 0)
    assert heard[-1] == pytest.approx(0.5 / (3 * BLOCK), rel=1e-3)  # one step from silence
    assert not served(opening).any()


def session_of(write_script: WriteScript, speaker: Speaker, text: str = OPENING, **options: float) -> LiveSession:
    """A warm live session as play builds it."""
    script = load_script(write_script(text))
    compile_timeline(script, speaker)  # warm: every line made
    session, _ = build_session(script, speaker, **options)  # type: ignore[arg-type]
    return session


def test_the_saved_opening_ends_before_the_first_words(write_script: WriteScript, fake_speaker: Speaker,
                                                       short_beds: Path) -> None:
    session = session_of(write_script, fake_speaker)
    words = min(sound.start for sound in session.timeline.sounds if sound.kind == "speech")
    frames = handover.saved_frames(session)
    assert words - BLOCK < frames <= words and frames % BLOCK == 0
    settled = session_of(write_script, fake_speaker, settle=1.0)
    assert handover.saved_frames(settled) == frames + SAMPLE_RATE - (frames + SAMPLE_RATE) % BLOCK
    spoken_first = session_of(write_script, fake_speaker, OPENING.replace("  - chime: bell\n  - pause: 0.5\n", ""))
    assert handover.saved_frames(spoken_first) == 0
    long_quiet = session_of(write_script, fake_speaker, OPENING.replace("pause: 0.5", "pause: 30"))
    assert handover.saved_frames(long_quiet) == int(prelude.MAX_SECONDS * SAMPLE_RATE) // BLOCK * BLOCK


def test_a_session_takes_over_its_own_opening_where_it_stops(write_script: WriteScript, fake_speaker: Speaker,
                                                             short_beds: Path) -> None:
    samples = handover.opening_samples(handover.session_copy(session_of(write_script, fake_speaker)))
    assert len(samples) // prelude.FRAME_BYTES == handover.saved_frames(session_of(write_script, fake_speaker))
    opening = prelude.OpeningStream(samples)
    for _ in range(5):
        served(opening)
    session = session_of(write_script, fake_speaker)
    whole = session_of(write_script, fake_speaker)
    assert handover.take_over(session, opening)
    limit = 5 * BLOCK + int(handover.AHEAD_SECONDS * SAMPLE_RATE)
    limit += -limit % BLOCK
    assert session.position == limit
    for _ in range(limit // BLOCK):
        whole.next_block(BLOCK)
    after, expected_after = session.next_block(BLOCK), whole.next_block(BLOCK)
    # It goes on as it would have without an opening.
    assert after is not None and expected_after is not None and np.array_equal(after, expected_after)
    # The opening plays on up to that limit.
    expected = np.frombuffer(samples, dtype=np.float32).reshape(-1, CHANNELS)
    assert np.array_equal(served(opening), expected[5 * BLOCK:6 * BLOCK])


def test_an_opening_that_differs_by_one_sample_fades_and_the_session_starts_from_the_top(
        write_script: WriteScript, fake_speaker: Speaker, short_beds: Path) -> None:
    samples = bytearray(handover.opening_samples(handover.session_copy(session_of(write_script, fake_speaker))))
    changed = 12 * BLOCK * prelude.FRAME_BYTES + 4
    samples[changed:changed + 4] = struct.pack("=f", struct.unpack_from("=f", samples, changed)[0] + 0.001)
    opening = prelude.OpeningStream(bytes(samples))
    served(opening)
    session = session_of(write_script, fake_speaker)
    assert not handover.take_over(session, opening)
    assert session.position == 0
    fresh = session_of(write_script, fake_speaker)
    block, from_top = session.next_block(BLOCK), fresh.next_block(BLOCK)
    assert block is not None and from_top is not None and np.array_equal(block, from_top)
    assert opening.reserve(0) <= BLOCK + int(handover.FADE_SECONDS * SAMPLE_RATE) + BLOCK


def test_an_opening_within_minus_80_db_is_the_same_sound(write_script: WriteScript, fake_speaker: Speaker,
                                                          short_beds: Path) -> None:
    values = np.frombuffer(handover.opening_samples(handover.session_copy(session_of(write_script, fake_speaker))),
                           dtype=np.float32) + np.float32(0.9 * handover.MATCHES)
    assert handover.take_over(session_of(write_script, fake_speaker), prelude.OpeningStream(values.tobytes()))
    values += np.float32(0.2 * handover.MATCHES)
    assert not handover.take_over(session_of(write_script, fake_speaker), prelude.OpeningStream(values.tobytes()))


def test_the_opening_is_saved_once_checked_and_only_where_needed(write_script: WriteScript, fake_speaker: Speaker,
                                                                 short_beds: Path) -> None:
    session = session_of(write_script, fake_speaker)
    fresh = handover.session_copy(session)
    checked = threading.Event()
    waiting = handover.keep_opening("kept", lambda: handover.session_copy(session), lambda: ["/n.npz"], checked,
                                    lambda: True)
    waiting.join(0.2)
    assert waiting.is_alive() and prelude.read_opening("kept") is None  # not before the check
    checked.set()
    waiting.join(30)
    kept = prelude.read_opening("kept")
    assert kept is not None and kept[1] == ["/n.npz"]
    prelude.opening_path("kept").unlink()
    handover.keep_opening("kept", lambda: fresh, list, checked, lambda: False).join(30)
    assert prelude.read_opening("kept") is None
    handover.keep_opening("kept", lambda: fresh, list, checked, lambda: True).join(30)
    saved = prelude.read_opening("kept")
    again = handover.opening_samples(handover.session_copy(session_of(write_script, fake_speaker)))
    assert saved is not None and saved[0] == again
    assert session.position == 0  # the copy rendered it, not the session about to play


def test_a_cold_start_saves_the_whole_sessions_opening_not_its_own(
        write_script: WriteScript, fake_speaker: Speaker, short_beds: Path) -> None:
    # A first play often has no speech cached: it plays only the steps before the first words,
    # held open, and its bed does not duck for words to come as a whole session's does. The next
    # play is warm: what is saved must be its opening, or it would fade and start again.
    script = load_script(write_script(OPENING))
    cold, _ = build_session(script, fake_speaker)
    assert not cold.complete and handover.saved_frames(cold) == 0
    cold_sound = handover.opening_samples(handover.session_copy(replace_complete(cold)))
    warm = session_of(write_script, fake_speaker)
    assert not handover.take_over(warm, prelude.OpeningStream(cold_sound))  # why it is not saved
    checked = threading.Event()
    checked.set()
    handover.keep_opening("cold", lambda: session_of(write_script, fake_speaker), list, checked,
                          lambda: True).join(30)
    saved = prelude.read_opening("cold")
    assert saved is not None
    assert handover.take_over(session_of(write_script, fake_speaker), prelude.OpeningStream(saved[0]))


def replace_complete(session: LiveSession) -> LiveSession:
    """The same opening, taken as if it were a whole session (to hear what it would have saved)."""
    session.complete = True
    return session


def test_nothing_is_saved_when_the_whole_session_cannot_be_made(
        write_script: WriteScript, fake_speaker: Speaker, short_beds: Path) -> None:
    from player.errors import VoiceError

    def fails() -> LiveSession:
        raise VoiceError("no voice")

    checked = threading.Event()
    checked.set()
    handover.keep_opening("failed", fails, list, checked, lambda: True).join(30)
    assert prelude.read_opening("failed") is None
