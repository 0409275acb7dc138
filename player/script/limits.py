"""Every limit on what a user may hand the program, in one place.

The loader, the timeline, the file readers, the export options and the studio import their
limits from here, and docs/script-format.md's limits table is checked against `table_rows()`
by a test, so the code and the docs cannot say different things. Plain constants only: this
module imports nothing, so any module (even the fast-starting CLI) may use it.
"""

from __future__ import annotations

# The script file and its YAML.
MAX_FILE_BYTES = 1_000_000
"""The largest script file (and what the studio saves or uploads as one)."""
MAX_EXPANDED_NODES = 10_000
"""Nodes the YAML may expand to through aliases: counted without expanding them."""
MAX_DEPTH = 50
"""How deep lists and mappings may nest: a script uses under ten levels (repeats inside repeats)."""

# Time.
MAX_SESSION_SECONDS = 4 * 3600.0
"""The longest session (and `length`, `--length`, a timer, `--linger`)."""
MAX_PAUSE_SECONDS = 3600.0
"""The longest single pause or silence as written (and `--settle`)."""
FLEXIBLE_PAUSE_MAX_SECONDS = MAX_PAUSE_SECONDS
"""How far a flexible pause without `max` may grow: as if `max: 1h` were written."""
MAX_REPEAT = 100
"""A `repeat` count, and a breathing step's `cycles`."""
MAX_STEPS = 20_000
"""Steps after every repeat is unrolled: a guard against nested repeats multiplying."""

# Text.
MAX_TEXT_CHARS = 5_000
"""One text (a `say`, a title, a description, a variable's value), after `{vars}` are filled in."""
MAX_SET_CHARS = 1_000
"""The longest --set value: a name or a place, never a whole script."""
MAX_SUPPORT_CHARS = 200
"""The support line: one plain line."""

# The user's files.
MAX_CLIP_SECONDS = 30 * 60
"""The longest file used as a clip, chime or bed (also a clip recorded in the studio): a
practice's recordings are minutes long."""
MAX_AUDIO_BYTES = 1 << 30
"""The largest audio file read (1 GiB): 30 minutes of 24-bit 96 kHz stereo WAV is about 1 GB."""
MAX_COMPRESSED_BYTES = 100_000_000
"""The largest file ffmpeg decodes: 30 minutes at 448 kbit/s (WAV and FLAC go through libsndfile)."""
MAX_COVER_BYTES = 20_000_000
"""A cover image: phone players show a few hundred kilobytes; 20 MB is already absurd."""
MAX_COVER_SIDE = 8_192
"""A cover image's width and height in pixels: a 48-megapixel photo fits; a small PNG of 20,000
by 20,000 pixels of one colour (1.2 GB when a phone player decodes it) does not."""
MAX_UPLOAD_BYTES = 50_000_000
"""A clip recorded in the studio and sent to it."""
MAX_JSON_BYTES = 2_000_000
"""A request the studio's page sends (a script is at most MAX_FILE_BYTES of it)."""

# Levels and export options.
LEVEL_RANGE = (-60.0, 0.0)
"""dB an ambient bed's `level`, `pause_level` and `long_silence_level` may take."""
TARGET_RANGE = (-30.0, -10.0)
"""Mastering targets (LUFS over the speech) a user may ask for with --loudness."""
BITRATE_RANGE = (32, 320)
"""kbit/s a user may ask for with --bitrate."""
COMMON_RATES = (22_050, 24_000, 32_000, 44_100, 48_000)
"""Sample rates (Hz) an MP3, M4A, FLAC or WAV export may be written at."""
OPUS_RATES = (8_000, 12_000, 16_000, 24_000, 48_000)
"""Sample rates (Hz) Opus (ogg) knows."""

# Files of the program's own that a user could still tamper with.
MAX_OPENING_LIST_BYTES = 1 << 20
"""The list of speech files a saved live opening needs (player/live/prelude.py): a few KB."""


def _seconds(value: float) -> str:
    """4 h, 1 h, 30 minutes: a limit on time as the docs write it."""
    if value % 3600 == 0:
        return f"{value / 3600:g} h"
    return f"{value / 60:g} minutes"


def _bytes(value: int) -> str:
    """1 MB, 20 MB, 1 GiB: a limit on size as the docs write it."""
    if value % (1 << 30) == 0:
        return f"{value >> 30} GiB"
    return f"{value / 1_000_000:g} MB"


def _rates(rates: tuple[int, ...]) -> str:
    """Sample rates in kHz."""
    return ", ".join(f"{rate / 1000:g}" for rate in rates) + " kHz"


def table_rows() -> list[tuple[str, str]]:
    """docs/script-format.md's limits table, row by row, written from the constants above."""
    low, high = LEVEL_RANGE
    return [
        ("file size", _bytes(MAX_FILE_BYTES)),
        ("session length (`length`, `--length`, a timer)", _seconds(MAX_SESSION_SECONDS)),
        ("a single pause or silence, as written", _seconds(MAX_PAUSE_SECONDS)),
        ("a flexible pause without `max`, stretched by a length", _seconds(FLEXIBLE_PAUSE_MAX_SECONDS)),
        ("`repeat` count, breathing `cycles`", f"{MAX_REPEAT:,}"),
        ("steps after repeats are unrolled", f"{MAX_STEPS:,}"),
        ("text of one `say` (or title, description), after `{vars}` are filled in",
         f"{MAX_TEXT_CHARS:,} characters"),
        ("a variable's value (`--set` values: " + f"{MAX_SET_CHARS:,})", f"{MAX_TEXT_CHARS:,} characters"),
        ("the support line (`support`, `--set support=...`)", f"{MAX_SUPPORT_CHARS:,} characters"),
        ("YAML alias expansion", f"{MAX_EXPANDED_NODES:,} nodes"),
        ("nesting of lists and mappings", f"{MAX_DEPTH} levels"),
        ("a clip, chime or bed file",
         f"{_seconds(MAX_CLIP_SECONDS)}; {_bytes(MAX_AUDIO_BYTES)} (WAV, FLAC, OGG, AIFF) or "
         f"{_bytes(MAX_COMPRESSED_BYTES)} (MP3, M4A, Opus...)"),
        ("a cover image", f"{_bytes(MAX_COVER_BYTES)}; {MAX_COVER_SIDE:,} pixels a side"),
        ("a clip recorded in the studio", f"{_seconds(MAX_CLIP_SECONDS)}; {_bytes(MAX_UPLOAD_BYTES)}"),
        ("ambient `level`, `pause_level`, `long_silence_level`", f"{low:g} to {high:g} dB"),
        ("`--loudness`", f"{TARGET_RANGE[0]:g} to {TARGET_RANGE[1]:g} LUFS"),
        ("`--bitrate`", f"{BITRATE_RANGE[0]} to {BITRATE_RANGE[1]} kbit/s"),
        ("`--sample-rate`", f"{_rates(COMMON_RATES)} (ogg: {_rates(OPUS_RATES)})"),
    ]


def markdown_table() -> str:
    """The limits table as docs/script-format.md holds it."""
    lines = ["| limit | value |", "|---|---|"]
    lines += [f"| {limit} | {value} |" for limit, value in table_rows()]
    return "\n".join(lines)
