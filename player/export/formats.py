"""The export formats, their encoders and defaults, and checking what a user asked for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from player import SAMPLE_RATE
from player.errors import FormatError
from player.script.limits import BITRATE_RANGE as BITRATE_RANGE
from player.script.limits import COMMON_RATES as COMMON_RATES
from player.script.limits import OPUS_RATES as OPUS_RATES
from player.script.limits import TARGET_RANGE as TARGET_RANGE

LAME_DELAY_FRAMES = 576
"""LAME's encoder delay: the Info frame a growing MP3 starts with does not yet carry it (the
muxer rewrites it at the end), so ffmpeg decodes those frames from the pipe (measured: the
decoded stream runs 576 frames late); a meter following the file drops them."""

TagKind = Literal["id3", "mp4", "opus", "flac", "wave"]
"""How a format holds its tags, cover and chapters: ID3v2.4 with CHAP/CTOC, MP4 atoms, Vorbis
comments in Opus or in FLAC, or an ID3 chunk in a WAV file."""


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
    tags: TagKind = "id3"
    parts: bool = False
    """Whether parts encoded on several cores can be joined frame-exactly into one file (MP3)."""
    chapter_track: bool = False
    """Whether ffmpeg must write the chapters too: a QuickTime chapter track, which mutagen cannot."""
    growing_delay: int = 0
    """Frames of encoder delay a decoder of the file outputs while it is still being written
    (the gapless information that drops them is written only at the end)."""
    muxer_options: tuple[str, ...] = ()
    """ffmpeg muxer options every file of the format is written with."""

    @property
    def lossy(self) -> bool:
        """Whether the encoder changes the samples (and may push peaks up a little)."""
        return self.bitrates is not None


FORMATS: dict[str, Format] = {
    # No ID3 from ffmpeg: mutagen writes the tags.
    "mp3": Format("mp3", "MP3 (every player)", ("-c:a", "libmp3lame"), "mp3", (128, 96), COMMON_RATES,
                  streams=True, parts=True, growing_delay=LAME_DELAY_FRAMES,
                  muxer_options=("-id3v2_version", "0", "-write_id3v1", "0")),
    # faststart puts the index first, so phones can play while the file is still copying.
    "m4a": Format("m4a", "AAC in MP4 (Apple players)", ("-c:a", "aac", "-movflags", "+faststart"), "ipod",
                  (128, 96), COMMON_RATES, tags="mp4", chapter_track=True),
    "ogg": Format("ogg", "Opus in Ogg (small, excellent for speech)", ("-c:a", "libopus"), "ogg", (96, 64),
                  OPUS_RATES, default_rate=48_000, streams=True, tags="opus"),
    "flac": Format("flac", "FLAC (lossless, for archiving or editing)", ("-c:a", "flac"), "flac", None,
                   COMMON_RATES, tags="flac"),
    "wav": Format("wav", "WAV 16-bit (lossless, for editing)", ("-c:a", "pcm_s16le"), "wav", None, COMMON_RATES,
                  tags="wave"),
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
        raise FormatError(f"cannot export to '{shown}': choose a file ending in {endings}", subject="suffix")
    return FORMATS[chosen]


def encoding_for(fmt: Format, mono: bool = False, bitrate: int | None = None,
                 sample_rate: int | None = None) -> Encoding:
    """Check channels, bitrate and sample rate against the format and fill in its defaults."""
    if bitrate is not None:
        if fmt.bitrates is None:
            raise FormatError(f"a bitrate does not apply to {fmt.name}, which is lossless", subject="bitrate")
        low, high = BITRATE_RANGE
        if not low <= bitrate <= high:
            raise FormatError(f"the bitrate must be between {low} and {high} kbit/s, not {bitrate}",
                              subject="bitrate")
    rate = fmt.default_rate if sample_rate is None else sample_rate  # 0 is a mistake, not "the default"
    if rate not in fmt.sample_rates:
        allowed = ", ".join(str(r) for r in fmt.sample_rates)
        raise FormatError(f"{fmt.name} cannot be written at {rate} Hz; choose one of {allowed}",
                          subject="sample_rate")
    default_bitrate = None if fmt.bitrates is None else fmt.bitrates[1 if mono else 0]
    return Encoding(fmt, 1 if mono else 2, bitrate or default_bitrate, rate)
