"""How far each encoder moves speech loudness and true peak: the figures behind ENCODER_MARGINS.

Run: python -m benchmarks.encoder_margins [SCRIPT ...]

Each script's first MINUTES minutes are mixed and mastered as a lossless export would be
(speech at -16 LUFS, limiter at -1.5 dBTP, so it works on the loudest syllables), then encoded
once at every format, bitrate and channel count a user may pick, decoded by ffmpeg and
metered: the file's speech loudness against the mix's, and its true peak against the mix's.
Prints a Markdown table for docs/design.md; player/export/master.py keeps the worst figure of
each bitrate band.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from player import SAMPLE_RATE
from player.export.encoder import encode
from player.export.formats import FORMATS, encoding_for
from player.export.master import Render, default_target, mastering_gain, measure_spans, speech_spans
from player.export.meter import measure_file
from player.render.limiter import true_peaks
from player.render.mixer import Block, Mixer
from player.script.library import resolve_script
from player.script.loader import Overrides, load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

MINUTES = 3
CEILING = 10 ** (-1.5 / 20)
BITRATES = {"mp3": (64, 96, 128, 160, 192, 256, 320), "m4a": (64, 96, 128, 192), "ogg": (32, 48, 64, 96, 128)}


def margins(script_name: str, engine: str | None) -> list[tuple[str, int, int, float, float]]:
    """(format, kbit/s, channels, loudness shift, peak overshoot) for one script."""
    script = load_script(resolve_script(script_name), Overrides(engine=engine) if engine else None)
    mixer = Mixer(compile_timeline(script, Speaker(open_engine(script.voice.engine))))
    length = min(mixer.length, MINUTES * 60 * SAMPLE_RATE)
    spans = [(lo, min(hi, length)) for lo, hi in speech_spans(mixer) if lo < length]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for channels in (2, 1):
            def rendering(gain_db: float, channels: int = channels) -> Render:
                def render(start: int, end: int) -> Iterator[Block]:
                    for block in mixer.blocks(start, end, gain=10 ** (gain_db / 20), ceiling=CEILING):
                        yield block.mean(axis=1, keepdims=True) if channels == 1 else block
                return render
            gain, _, _ = mastering_gain(rendering, spans, length, SAMPLE_RATE, channels, default_target(channels))
            mix = np.concatenate(list(rendering(gain)(0, length)))
            mixed = measure_spans(rendering(gain), spans, SAMPLE_RATE, channels)
            peak = 20 * np.log10(true_peaks(mix, screen=0.0).max())
            for name, rates in BITRATES.items():
                for kbps in rates:
                    encoding = encoding_for(FORMATS[name], channels == 1, kbps)
                    path = Path(folder) / f"{name}{kbps}{channels}.{name}"
                    encode(iter(np.array_split(mix, 64)), path, encoding)
                    read = measure_file(path, channels, spans)
                    rows.append((name, kbps, channels, read.speech - mixed, read.true_peak - peak))
    return rows


def main() -> None:
    """Print the table for each script named (default: five-senses with piper and with the system voice)."""
    runs: list[tuple[str, str | None]] = [(name, None) for name in sys.argv[1:]]
    runs = runs or [("five-senses", "piper"), ("five-senses", "system")]
    print("| script | voice | format | kbit/s | channels | speech loudness shift (LU) | true-peak overshoot (dB) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, engine in runs:
        for fmt, kbps, channels, shift, over in margins(name, engine):
            print(f"| {name} | {engine or 'auto'} | {fmt} | {kbps} | {channels} | {shift:+.2f} | {over:+.2f} |")


if __name__ == "__main__":
    main()
