"""The sampled check's arithmetic without an encoder: where it decodes, what it concludes from the
places, when a sampled reading settles a file, and the numpy meters it rests on.

tests/test_sampled_check_real.py holds the check to ffmpeg decoding whole files.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.export.master import TOLERANCE_LU, Loudness, sampled_enough
from player.export.meter import STEP_FRAMES, PeakFollower
from player.export.mp3frames import SAMPLES_PER_FRAME
from player.export.sampled import (
    FEWEST_PLACES,
    LEAD_FRAMES,
    LOUDEST_STEPS,
    MOST_PLACES,
    PLACE_FRAMES,
    STREAM_DELAY,
    MixFacts,
    Place,
    _reading,
    _Tally,
    frame_ranges,
    loudest_places,
    speech_places,
)
from player.render.kweighting import KWeightingStream, k_weighted
from player.render.limiter import TAPS
from player.render.loudness import BackgroundMeter, StreamMeter
from player.render.mixer import Block


def facts(speech: bool = True, loudness: float = -16.0, overshoot_db: float = 0.2) -> MixFacts:
    """Facts whose render is never called (the arithmetic alone is under test)."""
    def render(start: int, end: int):  # type: ignore[no-untyped-def]
        raise AssertionError("not rendered here")
    return MixFacts(render, [(0, 10)], speech, loudness, overshoot_db, 2, 10)


def test_places_spread_through_the_speech_one_per_ten_seconds() -> None:
    spans = [(s * SAMPLE_RATE, (s + 3) * SAMPLE_RATE) for s in range(0, 2400, 6)]  # 1200 s of speech
    places = speech_places(spans)
    assert all(p.speech for p in places)
    # 60 places (one per 20 s), each 64 frames long, however the spans cut them.
    assert sum(p.end - p.start for p in places) == MOST_PLACES * (PLACE_FRAMES * SAMPLES_PER_FRAME // 2) * 2
    for place in places:
        assert any(lo <= place.start and place.end <= hi for lo, hi in spans)
    starts = [p.start for p in places]
    assert starts == sorted(starts)
    assert starts[0] < 40 * SAMPLE_RATE and starts[-1] > 2400 * SAMPLE_RATE - 40 * SAMPLE_RATE


@pytest.mark.parametrize(("seconds", "count"), [(30, FEWEST_PLACES), (500, 25), (5000, MOST_PLACES)])
def test_the_number_of_places_follows_the_speech(seconds: int, count: int) -> None:
    places = speech_places([(0, seconds * SAMPLE_RATE)])
    assert len(places) == count


def test_no_speech_no_places() -> None:
    assert speech_places([]) == []


def test_the_loudest_steps_are_decoded() -> None:
    peaks = np.linspace(0.1, 0.2, 100)
    peaks[[7, 42, 99]] = [0.9, 0.8, 0.7]
    places = loudest_places(peaks, STEP_FRAMES, 100 * STEP_FRAMES - 5)
    assert len(places) == LOUDEST_STEPS and not any(p.speech for p in places)
    chosen = {(p.start + TAPS) // STEP_FRAMES for p in places}
    assert all(p.end - p.start == STEP_FRAMES + 2 * TAPS for p in places if p.start and p.end < 99 * STEP_FRAMES)
    assert chosen == {7, 42} | set(range(86, 100))  # the three loud ones and the 13 next highest
    assert max(p.end for p in places) == 100 * STEP_FRAMES - 5  # the session's last frame, no further
    assert min(p.start for p in places) == 7 * STEP_FRAMES - TAPS


def test_ranges_lead_in_and_merge() -> None:
    far, near = 100 * SAMPLE_RATE, 100 * SAMPLE_RATE + 5000
    ranges = frame_ranges([Place(near, near + 1000, True), Place(far, far + 1000, True),
                           Place(10, 20, False), Place(50 * SAMPLE_RATE, 50 * SAMPLE_RATE + 10, False)], 10_000)
    assert [len(r.places) for r in ranges] == [1, 1, 2]
    first = ranges[2]
    assert first.first == (far + STREAM_DELAY) // SAMPLES_PER_FRAME - LEAD_FRAMES
    assert first.end * SAMPLES_PER_FRAME - STREAM_DELAY >= near + 1000
    assert ranges[0].first == 0  # nothing before the stream's first frame
    assert frame_ranges([Place(far, far + 10, True)], 100)[0].end == 100  # nor after its last


def test_the_reading_shifts_the_mix_by_what_the_file_lost() -> None:
    tally = _Tally(file_energy=10 ** (-0.5 / 10), mix_energy=1.0, shifts=[-0.5, -0.45, -0.55, -0.5],
                   file_peak=0.5, overshoot=1.0)
    reading = _reading(facts(loudness=-15.5), tally, np.array([0.1, 0.2]))
    assert reading.speech == pytest.approx(-16.0)
    assert math.isnan(reading.integrated)
    assert reading.margin == pytest.approx(2 * np.std([-0.5, -0.45, -0.55, -0.5], ddof=1) / 2)
    assert reading.true_peak == pytest.approx(20 * math.log10(0.5))
    whole = _reading(facts(speech=False, loudness=-15.5), tally, np.array([0.1]))
    assert whole.integrated == pytest.approx(-16.0) and math.isnan(whole.speech)


def test_a_peak_that_was_not_decoded_is_bounded_by_the_largest_overshoot() -> None:
    # A loud step left undecoded: its mix peak, raised by the encoder's measured overshoot or the
    # largest one seen at the decoded places, whichever is larger.
    seen = _Tally(file_energy=1.0, mix_energy=1.0, shifts=[0.0, 0.0], file_peak=0.5, overshoot=10 ** (0.5 / 20))
    assert _reading(facts(overshoot_db=0.2), seen, np.array([0.6])).true_peak == pytest.approx(
        20 * math.log10(0.6) + 0.5)
    measured = _Tally(file_energy=1.0, mix_energy=1.0, shifts=[0.0, 0.0], file_peak=0.5, overshoot=1.0)
    assert _reading(facts(overshoot_db=0.2), measured, np.array([0.6])).true_peak == pytest.approx(
        20 * math.log10(0.6) + 0.2)


def test_one_place_gives_no_margin() -> None:
    tally = _Tally(file_energy=1.0, mix_energy=1.0, shifts=[0.0], file_peak=0.5)
    assert _reading(facts(), tally, np.zeros(0)).margin == math.inf


@pytest.mark.parametrize(("reading", "settled"), [
    (Loudness(-20.0, -3.0, -16.0), True),  # measured whole: always
    (Loudness(math.nan, -3.0, -16.1, 0.05), True),
    (Loudness(math.nan, -3.0, -16.0, TOLERANCE_LU + 0.01), False),
    (Loudness(math.nan, -3.0, -16.2, 0.11), False),
    (Loudness(math.nan, -0.9, -16.0, 0.05), False),  # the bound passes -1 dBTP: decode it all
    (Loudness(math.nan, -3.0, math.nan, 0.05), False),
    (Loudness(math.nan, -3.0, -16.0, math.inf), False),
])
def test_when_a_sampled_reading_settles_the_file(reading: Loudness, settled: bool) -> None:
    assert sampled_enough(reading, -16.0) is settled


def test_quiet_blocks_get_a_bound_and_loud_ones_their_true_peak() -> None:
    rng = np.random.default_rng(2)
    loud = rng.normal(0, 0.2, size=(STEP_FRAMES * 4, 2)).astype(np.float32)
    quiet = (loud * np.float32(0.05)).copy()  # 26 dB down
    exact, bounded = PeakFollower(STEP_FRAMES), PeakFollower(STEP_FRAMES, bound_quiet=True)
    for follower in (exact, bounded):
        for block in (loud, quiet, loud):
            follower.add(block)
    assert bounded.finish() == exact.finish()
    exact_steps, bounded_steps = exact.step_peaks(), bounded.step_peaks()
    quiet_steps = slice(5, 8)  # the quiet block's whole steps, clear of the loud ones' neighbours
    assert np.array_equal(exact_steps[:3], bounded_steps[:3])
    assert np.all(bounded_steps[quiet_steps] >= exact_steps[quiet_steps])
    assert np.all(bounded_steps[quiet_steps] < exact_steps[quiet_steps] * 10 ** (4.01 / 20))
    assert np.all(bounded_steps[quiet_steps] < exact.peak * PeakFollower.SCREEN)


def test_a_block_within_8_db_of_the_loudest_gets_its_true_peaks() -> None:
    rng = np.random.default_rng(3)
    loud = rng.normal(0, 0.2, size=(STEP_FRAMES * 4, 2)).astype(np.float32)
    moderate = (loud[::-1] * np.float32(0.5)).copy()  # 6 dB down: near enough to matter
    exact, bounded = PeakFollower(STEP_FRAMES), PeakFollower(STEP_FRAMES, bound_quiet=True)
    for follower in (exact, bounded):
        for block in (loud, moderate):
            follower.add(block)
        follower.finish()
    # (The stream's last 16 frames, measured alone at the end, may get a bound of their own.)
    assert np.array_equal(exact.step_peaks()[:-1], bounded.step_peaks()[:-1])


@pytest.mark.parametrize("block", [1000, 16_384, 100_000])
def test_the_streaming_k_weighting_is_the_whole_clips(block: int) -> None:
    rng = np.random.default_rng(4)
    signal = rng.normal(0, 0.1, size=(SAMPLE_RATE * 3 + 17, 2))
    stream = KWeightingStream(SAMPLE_RATE, 2)
    energy = np.concatenate([stream.energy(signal[s:s + block]) for s in range(0, len(signal), block)])
    whole = k_weighted(signal, SAMPLE_RATE)
    expected = np.square(whole).sum(axis=1)
    assert np.allclose(energy, expected, rtol=2e-5, atol=1e-9)


def test_a_meter_in_the_background_reads_as_one_in_the_foreground() -> None:
    rng = np.random.default_rng(6)
    blocks: list[Block] = [rng.normal(0, 0.1, size=(9000, 2)).astype(np.float32) for _ in range(30)]
    here, there = StreamMeter(SAMPLE_RATE, 2), BackgroundMeter(SAMPLE_RATE, 2)
    for block in blocks:
        here.add(block)
        there.add(block)
    done = there.finish()
    assert np.array_equal(done.hop_energies(), here.hop_energies())
    assert done.integrated() == here.integrated()


def test_a_meter_that_fails_in_the_background_says_so() -> None:
    meter = BackgroundMeter(SAMPLE_RATE, 2)
    meter.add(np.zeros((70_000, 3), dtype=np.float32))  # three channels for a two-channel meter
    with pytest.raises(ValueError):
        meter.finish()
