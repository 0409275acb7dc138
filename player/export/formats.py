"""The export formats, their encoders and defaults, and checking what a user asked for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from player import SAMPLE_RATE
from player.errors import UsageError
from player.script.limits import BITRATE_RANGE as BITRATE_RANGE
from player.script.limits import COMMON_RATES as COMMON_RATES
from player.script.limits import OPUS_RATES as OPUS_RATES
from player.script.limits import TARGET_RANGE as TARGET_RANGE


@dataclass(frozen=True)
class Format:
    """One output format: how ffmpeg writes it and what suits speech over an ambient bed."""

    name: str
    description: str
    codec: tuple[str, ...]
    muxer: str
    bitrates: tuple[int, int] | None
    """Default kbit/s for (stereo, mono); None for lossless formats."""
    sample_rates: tuple[int, ...]
    default_rate: int = SAMPLE_RATE
    streams: bool = False
    """Whether the file can be decoded while it is still being written (frame after frame, with
    nothing that only the end fills in): then mastering measures it as it is encoded."""

    @property
    def lossy(self) -> bool:
        """Whether the encoder changes the samples (and may push peaks up a little)."""
        return self.bitrates is not None


FORMATS: dict[str, Format] = {
    "mp3": Format("mp3", "MP3 (every player)", ("-c:a", "libmp3lame"), "mp3", (128, 96), COMMON_RATES,
                  streams=True),
    # faststart puts the index first, so phones can play while the file is still copying.
    "m4a": Format("m4a", "AAC in MP4 (Apple players)", ("-c:a", "aac", "-movflags", "+faststart"), "ipod",
                  (128, 96), COMMON_RATES),
    "ogg": Format("ogg", "Opus in Ogg (small, excellent for speech)", ("-c:a", "libopus"), "ogg", (96, 64),
                  OPUS_RATES, default_rate=48_000, streams=True),
    "flac": Format("flac", "FLAC (lossless, for archiving or editing)", ("-c:a", "flac"), "flac", None,
                   COMMON_RATES),
    "wav": Format("wav", "WAV 16-bit (lossless, for editing)", ("-c:a", "pcm_s16le"), "wav", None, COMMON_RATES),
}


SUFFIX_ALIASES = {"opus": "ogg"}
"""Endings that name a format by another name: x.opus is Opus in Ogg, like x.ogg."""


@dataclass(frozen=True)
class Encoding:
    """Exactly what the encoder is asked for."""

    format: Format
    channels: int
    bitrate: int | None
    """kbit/s; None for lossless formats."""
    sample_rate: int


def format_for(path: Path, requested: str | None = None) -> Format:
    """The output format: the one asked for, or the file's extension."""
    chosen = (requested or path.suffix.lstrip(".")).lower()
    chosen = SUFFIX_ALIASES.get(chosen, chosen)
    if chosen not in FORMATS:
        shown = chosen or "(none)"
        endings = ", ".join(f".{name}" for name in [*FORMATS, *SUFFIX_ALIASES])
        raise UsageError(f"cannot export to '{shown}': choose a file ending in {endings} (or --format)")
    return FORMATS[chosen]


def encoding_for(fmt: Format, mono: bool = False, bitrate: int | None = None,
                 sample_rate: int | None = None) -> Encoding:
    """Check --mono, --bitrate and --sample-rate against the format and fill in its defaults."""
    if bitrate is not None:
        if fmt.bitrates is None:
            raise UsageError(f"--bitrate does not apply to {fmt.name}, which is lossless")
        low, high = BITRATE_RANGE
        if not low <= bitrate <= high:
            raise UsageError(f"--bitrate must be between {low} and {high} kbit/s, not {bitrate}")
    rate = fmt.default_rate if sample_rate is None else sample_rate  # 0 is a mistake, not "the default"
    if rate not in fmt.sample_rates:
        allowed = ", ".join(str(r) for r in fmt.sample_rates)
        raise UsageError(f"{fmt.name} cannot be written at {rate} Hz; choose one of {allowed}")
    default_bitrate = None if fmt.bitrates is None else fmt.bitrates[1 if mono else 0]
    return Encoding(fmt, 1 if mono else 2, bitrate or default_bitrate, rate)
