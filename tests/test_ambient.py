"""Ambient beds, chimes and the bed's level, measured on rendered audio."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from player import SAMPLE_RATE
from player.export import ExportOptions, export
from player.ffmpeg import ffmpeg_exe
from player.render.ambient import BED_REFERENCE
from player.render.limiter import CEILING
from player.render.loudness import integrated_loudness
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.sounds import BEDS, chime
from player.sounds.beds import LAYER_SECONDS, make_bed
from player.sounds.loops import bed_loop, loop_file
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
SR = SAMPLE_RATE


def db(x: np.ndarray) -> float:
    """RMS level in dBFS."""
    return float(20 * np.log10(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)) + 1e-12))


def band_levels(signal: np.ndarray, centers: list[float]) -> list[float]:
    """Power (dB) in octave bands around the given centre frequencies, from an averaged spectrum."""
    size = 8192
    frames = signal[: len(signal) // size * size].reshape(-1, size) * np.hanning(size)
    power = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(size, 1 / SR)
    return [10 * np.log10(power[(freqs >= c / np.sqrt(2)) & (freqs < c * np.sqrt(2))].sum()) for c in centers]


def slope_per_octave(signal: np.ndarray) -> float:
    """The fitted slope of octave-band power from 125 Hz to 8 kHz, in dB per octave."""
    centers = [125.0 * 2**k for k in range(7)]
    levels = band_levels(signal, centers)
    # Octave bands are twice as wide each time, so a flat power density rises 3 dB an octave.
    return float(np.polyfit(np.arange(len(centers)), levels, 1)[0]) - 3.0


@pytest.mark.real  # renders a whole 60 s bed, or several: seconds of CPU each
@pytest.mark.parametrize(("name", "slope"), [("white-noise", 0.0), ("pink-noise", -3.0), ("brown-noise", -6.0)])
def test_noise_beds_fall_as_their_colour_says(name: str, slope: float) -> None:
    bed = bed_loop(name)
    assert slope_per_octave(bed[:, 0]) == pytest.approx(slope, abs=0.5)

@pytest.mark.real  # renders a whole 60 s bed, or several: seconds of CPU each

def test_rain_has_broadband_crackle() -> None:
    rain = bed_loop("rain")[:, 0].astype(np.float64)
    spectrum = np.fft.rfft(rain)
    freqs = np.fft.rfftfreq(len(rain), 1 / SR)
    high = np.fft.irfft(np.where(freqs > 3000, spectrum, 0), n=len(rain))
    kurtosis = np.mean(high**4) / np.mean(high**2) ** 2
    assert kurtosis > 4  # impulsive drops, not smooth noise (Gaussian noise gives 3)
    low, top = band_levels(rain, [500.0, 8000.0])
    assert top > low - 20  # energy reaches far up the spectrum

@pytest.mark.real  # renders a whole 60 s bed, or several: seconds of CPU each

def test_ocean_swells_slowly_and_night_has_crickets() -> None:
    ocean = bed_loop("ocean")[:, 0]
    loudness = np.sqrt((ocean[: len(ocean) // 4410 * 4410].reshape(-1, 4410) ** 2).mean(axis=1))
    assert loudness.max() / loudness.min() > 3  # waves come and go (0.1 s windows)
    night = bed_loop("night")[:, 0]
    levels = band_levels(night, [1000.0, 4700.0])
    assert levels[1] > levels[0]  # the chirps stand above the air


@pytest.mark.real  # renders a whole 60 s bed, or several: seconds of CPU each
@pytest.mark.parametrize("name", list(BEDS))
def test_every_bed_is_made_of_seamless_stereo_loops_without_short_repetition(name: str) -> None:
    layers = make_bed(name)
    for layer, again, seconds in zip(layers, make_bed(name), LAYER_SECONDS, strict=True):
        assert layer.shape == (seconds * SR, 2) and layer.dtype == np.float32
        assert np.array_equal(layer, again)  # deterministic
        jumps = np.abs(np.diff(layer[:, 0]))
        seam = abs(float(layer[0, 0]) - float(layer[-1, 0]))
        assert seam <= jumps.max()
    bed = bed_loop(name)
    left, right = bed[:, 0].astype(np.float64), bed[:, 1].astype(np.float64)
    assert np.corrcoef(left, right)[0, 1] < 0.95  # stereo, not two copies
    spectrum = np.fft.rfft(left)
    autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2, n=len(left))
    autocorrelation /= autocorrelation[0]
    lags = autocorrelation[int(0.5 * SR):30 * SR]
    assert np.abs(lags).max() < 0.5, "the bed repeats itself within 30 s"


def test_a_bowl_rings_with_a_decaying_series_of_partials() -> None:
    bowl = chime("bowl").astype(np.float64)
    first, last = bowl[: SR], bowl[-2 * SR:]
    assert db(first) - db(last) > 12  # it dies away, slowly
    spectrum = np.abs(np.fft.rfft(first * np.hanning(len(first))))
    freqs = np.fft.rfftfreq(len(first), 1 / SR)
    peaks = sorted(freqs[np.argsort(spectrum)[-200:]])
    assert any(abs(p - 196) < 5 for p in peaks) and any(abs(p - 196 * 2.71) < 8 for p in peaks)


def test_a_looped_file_has_no_click_at_its_seam(tmp_path: Path) -> None:
    t = np.arange(int(3.3 * SR)) / SR
    sweep = 0.4 * np.sin(2 * np.pi * (200 * t + 150 * t**2))  # ends far from where it starts
    path = tmp_path / "sweep.wav"
    soundfile.write(path, np.stack([sweep, sweep * 0.8], axis=1).astype(np.float32), 48_000)
    loop = loop_file(path)
    wrapped = np.concatenate([loop[-2000:], loop[:2000]])
    seam_jump = np.abs(np.diff(wrapped[:, 0]))[1995:2005].max()
    assert seam_jump <= np.abs(np.diff(loop[:, 0])).max() * 1.01


SESSION = """
title: Levels
ambient: {{sound: {sound}, level: -20, pause_level: -14, long_silence_level: -10, fade_in: 2, fade_out: 2}}
steps:
  - say: {{text: "A fairly long sentence that keeps the voice going for a while, on and on.", rate: 0.6}}
  - pause: 8
  - say: {{text: "Another long sentence that keeps the voice going for a while, on and on.", rate: 0.6}}
  - pause: 40
  - say: {{text: "The last long sentence that keeps the voice going for a while, on and on.", rate: 0.6}}
"""


def bed_alone(path: Path, speaker: Speaker, tmp_path: Path) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The session's bed rendered alone through the same envelope, as written to a WAV file."""
    timeline = compile_timeline(load_script(path), speaker)

    class BedOnly(Mixer):
        def render(self, start: int, frames: int, voice_gain: float = 1.0, ambient_gain: float = 1.0,
                   ceiling: float = CEILING) -> np.ndarray:
            return super().render(start, frames, 0.0, ambient_gain, ceiling)

    out = export(BedOnly(timeline), tmp_path / "bed.wav", ExportOptions(master=False)).path
    audio, _ = soundfile.read(out, dtype="float32")
    speech = [(cue.start, cue.end) for cue in timeline.cues]  # one cue per sentence
    return audio, speech


@pytest.mark.real
def test_the_bed_rises_in_pauses_and_further_in_long_silence(
    write_script: WriteScript, fake_speaker: Speaker, tmp_path: Path
) -> None:
    path = write_script(SESSION.format(sound="pink-noise"))
    audio, speech = bed_alone(path, fake_speaker, tmp_path)
    (s1, e1), (s2, e2), (s3, _) = speech
    under = db(audio[s1 + SR: e1 - SR])
    pause = db(audio[e1 + 3 * SR: s2 - 2 * SR])
    long_silence = db(audio[e2 + 26 * SR: s3 - 6 * SR])
    assert pause - under == pytest.approx(6, abs=1)
    assert long_silence - under == pytest.approx(10, abs=1)
    # Beds are calibrated to a levelled line's loudness in the stereo mix (-17 LUFS) before their level.
    assert integrated_loudness(audio[s1 + SR: e1 - SR], SR) == pytest.approx(BED_REFERENCE - 20, abs=0.5)
    # Back at the speech level before the next words start.
    assert db(audio[s3: s3 + SR // 2]) == pytest.approx(under, abs=1)


@pytest.mark.real
def test_short_gaps_between_sentences_do_not_move_the_bed(
    write_script: WriteScript, fake_speaker: Speaker, tmp_path: Path
) -> None:
    path = write_script("""
        title: Gaps
        ambient: {sound: white-noise, fade_in: 0.1, fade_out: 0.1}
        voice: {sentence_gap: 1.2}
        steps:
          - say: One sentence here. Two sentences here. Three sentences here. Four sentences here.
    """)
    audio, speech = bed_alone(path, fake_speaker, tmp_path)
    middle = audio[speech[0][0] + SR // 2: speech[-1][1] - SR // 2]
    windows = middle[: len(middle) // 4410 * 4410, 0].reshape(-1, 4410)
    levels = 20 * np.log10(np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1)))
    assert levels.max() - levels.min() < 1.0  # no pumping


def true_peak_and_floor(path: Path) -> tuple[float, float]:
    """ffmpeg's true peak (dBTP) of a file, and its quietest 100 ms window (dBFS) by astats."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path),
                           "-af", "ebur128=peak=true", "-f", "null", "-"],
                          capture_output=True, text=True, check=True)
    peak_line = [line for line in done.stderr.splitlines() if "Peak:" in line][-1]
    audio, _ = soundfile.read(path, dtype="float64")
    inner = audio[SR:-SR].mean(axis=1)
    windows = inner[: len(inner) // 4410 * 4410].reshape(-1, 4410)
    floor = 20 * np.log10(np.sqrt((windows**2).mean(axis=1)).min() + 1e-12)
    return float(peak_line.split()[-2]), float(floor)


@pytest.mark.real
def test_a_loud_session_never_clips_and_never_falls_silent(
    write_script: WriteScript, fake_speaker: Speaker, tmp_path: Path
) -> None:
    path = write_script("""
        title: Loud
        ambient: {sound: rain, level: 0, pause_level: 0, long_silence_level: 0}
        steps:
          - chime: bowl
          - say: Loud words over a loud bed, with a bowl ringing under them.
          - chime: bell
          - pause: 5
          - ambient: {sound: ocean, crossfade: 3}
          - silence: {duration: 30, bells_every: 10}
          - say: The end.
    """)
    timeline = compile_timeline(load_script(path), fake_speaker)
    out = export(Mixer(timeline), tmp_path / "loud.wav", ExportOptions(master=False)).path
    audio, _ = soundfile.read(out, dtype="float32")
    assert np.abs(audio).max() <= 10 ** (-1.5 / 20) + 1e-4
    peak, floor = true_peak_and_floor(out)
    assert peak <= -1.0
    assert floor > -70


@pytest.mark.real
def test_practice_sounds_lists_and_previews(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from player.cli.commands import cli

    listing = CliRunner().invoke(cli, ["sounds"])
    assert listing.exit_code == 0
    for name in (*BEDS, "bowl", "bell", "soft", "wood"):
        assert name in listing.stdout
    out = tmp_path / "rain.wav"
    written = CliRunner().invoke(cli, ["sounds", "--preview", "rain", "-o", str(out)])
    assert written.exit_code == 0, written.output
    info = soundfile.info(out)
    assert info.duration == pytest.approx(10.0, abs=0.01) and info.channels == 2
    wrong = CliRunner().invoke(cli, ["sounds", "--preview", "rian"])
    assert wrong.exit_code == 2 and "did you mean 'rain'" in wrong.stderr


def test_built_in_beds_are_cached_after_the_first_render(short_beds: Path) -> None:
    bed_loop("white-noise")
    assert list((short_beds / "beds").glob("white-noise-v*.npz"))


@pytest.mark.real
def test_a_bed_from_an_mp3_file_is_decoded_resampled_and_looped(
    write_script: WriteScript, fake_speaker: Speaker, tmp_path: Path
) -> None:
    wav = tmp_path / "hum.wav"
    t = np.arange(4 * 48_000) / 48_000
    soundfile.write(wav, (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 48_000)
    mp3 = tmp_path / "hum.mp3"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(wav), "-b:a", "128k", str(mp3)],
                   check=True)
    path = write_script("""
        title: File bed
        ambient: {sound: hum.mp3, pause_level: 0, fade_in: 0.5, fade_out: 0.5}
        steps:
          - pause: 12
    """)
    timeline = compile_timeline(load_script(path), fake_speaker)
    out = export(Mixer(timeline), tmp_path / "bed.wav", ExportOptions(master=False)).path
    audio, _ = soundfile.read(out, dtype="float64")
    middle = audio[SR: -2 * SR, 0]  # the bed fades out before the closing second of silence
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    assert np.fft.rfftfreq(len(middle), 1 / SR)[spectrum.argmax()] == pytest.approx(300, abs=1)
    # Brought to the beds' loudness (a levelled line's), 0 dB in pauses.
    assert integrated_loudness(audio[SR:-SR], SR) == pytest.approx(BED_REFERENCE, abs=0.3)
    windows = middle[: len(middle) // 4410 * 4410].reshape(-1, 4410)
    assert np.sqrt((windows**2).mean(axis=1)).min() > 0.5 * np.sqrt((windows**2).mean(axis=1)).max()


def test_a_missing_bed_file_is_reported_with_its_line(write_script: WriteScript, fake_speaker: Speaker) -> None:
    from player.errors import ScriptError

    path = write_script("title: T\nambient: sounds/none.ogg\nsteps:\n  - pause: 2\n")
    with pytest.raises(ScriptError) as caught:
        compile_timeline(load_script(path), fake_speaker)
    assert f"{path}:2:10:" in str(caught.value) and "none.ogg" in str(caught.value)
