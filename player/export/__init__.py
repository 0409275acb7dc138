"""Export: a Timeline's mix into a mastered, tagged, chaptered file, with transcripts beside it.

Every file is written to a temporary name in the target folder and renamed into place only
when complete, so an interrupted or failed export never leaves a half file where a good one
was; without `overwrite`, an existing file is never replaced.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from player.atomic import move_into_place
from player.errors import ExportError, FormatError
from player.export.formats import FORMATS, TARGET_RANGE, Encoding, encoding_for, format_for
from player.export.progress import MASTERING_PASSES, Advance, Progress
from player.export.staging import claim_temporary
from player.export.transcripts import TRANSCRIPTS, transcript
from player.script.schema import check_number
from player.script.support import SUPPORT_VAR, comment_with_support

# The mixer, the meters and the taggers (numpy, scipy, mutagen) are imported by the functions
# that use them: the CLI imports this package for its options, and `practice --help` must not
# wait for them.
if TYPE_CHECKING:
    from player.export.master import Loudness, Span
    from player.export.parts import Render
    from player.export.sampled import MixFacts
    from player.export.tags import Metadata
    from player.render.mixer import Block, Mixer
    from player.script.model import Chapter, Script
    from player.timeline.model import Timeline

__all__ = ["FORMATS", "TRANSCRIPTS", "ExportOptions", "ExportResult", "Metadata", "check_targets", "export",
           "format_for", "metadata_for", "outputs_for", "work_for"]

@dataclass(frozen=True)
class ExportOptions:
    """How to write the file: format, channels, bitrate, rate, mastering, transcripts."""

    format: str | None = None
    """mp3, m4a, ogg, flac or wav; None: from the file's extension."""
    mono: bool = False
    bitrate: int | None = None
    sample_rate: int | None = None
    loudness: float | None = None
    """Target LUFS; None: -16 for stereo, -19 for mono."""
    master: bool = True
    transcripts: tuple[str, ...] = ()
    overwrite: bool = False


@dataclass(frozen=True)
class ExportResult:
    """What was written and how loud."""

    path: Path
    transcripts: tuple[Path, ...]
    encoding: Encoding
    mixed: float | None
    """The mix's speech loudness in LUFS before mastering, measured on the mix (None without mastering)."""
    final: Loudness | None
    """The written file's loudness (whole and over the speech) and true peak, measured on the file
    (None without mastering)."""
    target: float | None
    seconds: float
    bytes: int


def metadata_for(script: Script, timeline: Timeline, album: str | None = None, voice: str = "") -> Metadata:
    """Tags and chapters for a script's export (date: today).

    What a phone shows is never empty: the album is `album`, else the script's collection,
    else DEFAULT_ALBUM; the artist is the script's author, else `voice` (who speaks), else
    DEFAULT_ALBUM; the cover is the script's, else the one that ships with the package.
    """
    from player.export.tags import DEFAULT_ALBUM, Metadata, default_cover

    return Metadata(
        title=script.title, artist=script.author or voice or DEFAULT_ALBUM,
        album=album or script.collection or DEFAULT_ALBUM,
        date=datetime.date.today().isoformat(),
        comment=comment_with_support(" ".join(script.description.split()), script.vars.get(SUPPORT_VAR, "")),
        cover=script.cover or default_cover(), chapters=chapters_of(timeline),
    )


def chapters_of(timeline: Timeline) -> tuple[Chapter, ...]:
    """Each chapter from its start to the next one's (the last to the end): the timeline's own."""
    return timeline.chapters


def outputs_for(path: Path, options: ExportOptions) -> list[Path]:
    """Every file an export writes: the audio, then one per transcript."""
    return [path, *(path.with_suffix(f".{kind}") for kind in options.transcripts)]


def check_targets(path: Path, options: ExportOptions) -> None:
    """Fail before any work when a file would be replaced without `overwrite`, or cannot be written."""
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name such as {path / 'session.mp3'}")
    for output in outputs_for(path, options):
        if output.exists() and not output.is_file():
            # A device such as /dev/full or a pipe: renaming over it would replace the device.
            raise ExportError(f"{output} is not a regular file (a device or a pipe); give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    if not options.overwrite:
        existing = [p for p in outputs_for(path, options) if p.exists()]
        if existing:
            names = ", ".join(str(p) for p in existing)
            raise ExportError(f"{names} already exist{'s' if len(existing) == 1 else ''}", subject="overwrite")


def work_for(timeline: Timeline, options: ExportOptions) -> int:
    """Frames an export renders, which `export` reports exactly: mastering's passes over the speech
    (or over the whole of a session without speech), then the encode's pass over the session.

    A rare correcting pass (a third reading, a second encode) is not counted.
    """
    if not options.master:
        return timeline.length
    from player.export.master import speech_of

    measured = speech_of(timeline) or [(0, timeline.length)]
    return timeline.length + MASTERING_PASSES * sum(end - start for start, end in measured)


def export(mixer: Mixer, path: Path, options: ExportOptions | None = None, metadata: Metadata | None = None,
           advance: Advance | None = None) -> ExportResult:
    """Render, master, encode and tag the session into `path`, with any transcripts beside it."""
    from player.export.master import default_target
    from player.export.tags import DEFAULT_ALBUM, Metadata, default_cover, write_metadata

    options = options or ExportOptions()
    fmt = format_for(path, options.format)
    for kind in options.transcripts:
        if kind not in TRANSCRIPTS:
            raise ExportError(f"unknown transcript '{kind}': choose {', '.join(TRANSCRIPTS)}")
    encoding = encoding_for(fmt, options.mono, options.bitrate, options.sample_rate)
    check_targets(path, options)
    metadata = metadata or Metadata(title=mixer.timeline.title, artist=DEFAULT_ALBUM, album=DEFAULT_ALBUM,
                                    cover=default_cover(), chapters=chapters_of(mixer.timeline))
    target = None
    if options.master:
        target = options.loudness if options.loudness is not None else default_target(encoding.channels)
        try:
            check_number(target, *TARGET_RANGE, "the loudness target")
        except ValueError as error:
            raise FormatError(str(error), subject="loudness") from None
    counted = Progress(advance)
    written: list[Path] = []
    # Everything is staged, and moved into place only once all of it is written: a transcript
    # that fails (a full disk) leaves neither itself nor the audio behind.
    with contextlib.ExitStack() as staged:
        temporary = staged.enter_context(_staged(path, fmt.name, options.overwrite))
        mixed, final = _master_and_encode(mixer, temporary, encoding, metadata, target, counted, path.name)
        write_metadata(temporary, fmt, metadata)
        for kind in options.transcripts:
            text_path = path.with_suffix(f".{kind}")
            text = transcript(kind, mixer.timeline, metadata.title, metadata.artist)
            _write_staged(staged.enter_context(_staged(text_path, kind, options.overwrite)), text, text_path)
            written.append(text_path)
    return ExportResult(path=path, transcripts=tuple(written), encoding=encoding, mixed=mixed,
                        final=final, target=target, seconds=mixer.length / mixer.timeline.sample_rate,
                        bytes=path.stat().st_size)


def _master_and_encode(mixer: Mixer, temporary: Path, encoding: Encoding, metadata: Metadata,
                       target: float | None, counted: Progress, name: str) -> tuple[float | None, Loudness | None]:
    """Measure the speech of the mix, encode it once with the gain that brings it to `target`,
    and meter the file as it is written.

    Returns the mix's speech loudness before mastering and the file's measured loudness (both
    None without a target).
    """
    from player.export.master import encoder_margin, limiter_ceiling, mastering_gain, sampled_enough, speech_spans
    from player.export.meter import measure_file
    from player.export.sampled import MixFacts
    from player.export.tags import ffmetadata_chapters

    ceiling = 10 ** (limiter_ceiling(encoding) / 20)
    # What the encoder takes from speech (and not from a bed) is made up on the voice alone, so
    # speech and bed both read the same in every format.
    shift = encoder_margin(encoding).loudness_shift if target is not None else 0.0
    trim = 10 ** (-shift / 20)

    def rendering(gain_db: float, limit: float = ceiling) -> Render:
        def render(start: int, end: int) -> Iterator[Block]:
            mixed = mixer.blocks(start, end, gain=10 ** (gain_db / 20), ceiling=limit, voice_trim=trim)
            return _channels(mixed, encoding.channels)
        return render

    chapters_file = None
    if encoding.format.chapter_track and metadata.chapters:
        chapters_file = temporary.with_suffix(".chapters.txt")
        chapters_file.write_text(ffmetadata_chapters(metadata.chapters, metadata.title), encoding="utf-8")
    try:
        if target is None:
            with counted.phase(mixer.length) as step:
                _encode_measured(rendering(0.0), mixer.length, temporary, encoding, chapters_file, name, step, None)
            return None, None
        spans = speech_spans(mixer)
        measured = sum(end - start for start, end in spans or [(0, mixer.length)])
        # Aimed past the target by what this encoder was measured to move speech's loudness.
        aim = target - shift
        # The unity mix without the limiter (an infinite ceiling): read once, it gives the gain
        # exactly wherever the limiter will leave the speech alone.
        unlimited = rendering(0.0, math.inf)
        with counted.phase(MASTERING_PASSES * measured) as step:
            gain_db, mixed, reached = mastering_gain(
                _counting(rendering, step), spans, mixer.length, mixer.timeline.sample_rate, encoding.channels, aim,
                raw=lambda start, end: _reported(unlimited(start, end), _twice(step)), ceiling=ceiling)
        facts = MixFacts(rendering(gain_db), spans or [(0, mixer.length)], bool(spans), reached,
                         encoder_margin(encoding).overshoot, encoding.channels, mixer.length)
        with counted.phase(mixer.length) as step:
            final = _encode_measured(rendering(gain_db), mixer.length, temporary, encoding, chapters_file, name,
                                     step, spans, facts)
            if not sampled_enough(final, target):
                final = measure_file(temporary, encoding.channels, spans)
        return mixed, final
    finally:
        if chapters_file is not None:
            chapters_file.unlink(missing_ok=True)


def _encode_measured(render: Render, length: int, temporary: Path, encoding: Encoding, chapters_file: Path | None,
                     name: str, progress: Advance, spans: list[Span] | None,
                     facts: MixFacts | None = None) -> Loudness:
    """Encode once, on every core where the format allows, and meter the file: as it is written,
    after, or (an MP3 in parts, given the mix's `facts`) at the places that matter.

    Without `spans` (no mastering), nothing is metered and UNMEASURED is returned.
    """
    from player.export import parts
    from player.export.encoder import encode
    from player.export.master import UNMEASURED
    from player.export.meter import FollowingMeter, measure_file

    measure = spans is not None
    plans = parts.plan_parts(length, encoding, parts.available_cores())
    if len(plans) > 1:
        try:
            followed = parts.encode_in_parts(render, plans, temporary, encoding, name, progress, measure, spans or (),
                                             facts if measure else None)
        except parts.SpliceError:
            # Parts that would not join (never seen): the session is encoded in one piece instead,
            # its progress counted from the start again.
            progress = _ignore
        else:
            if not measure or math.isfinite(followed.mastered):
                return followed
            return measure_file(temporary, encoding.channels, spans or ())
    blocks = _reported(render(0, length), progress)
    if not measure or not encoding.format.streams:
        encode(blocks, temporary, encoding, chapters_file, name)
        return measure_file(temporary, encoding.channels, spans or ()) if measure else UNMEASURED
    meter = FollowingMeter(temporary, encoding.format, encoding.channels, spans or ())
    try:
        encode(blocks, temporary, encoding, chapters_file, name)
    except BaseException:
        meter.stop()
        raise
    followed = meter.finish().loudness
    # No reading at all means the meter itself failed.
    return followed if math.isfinite(followed.integrated) else measure_file(temporary, encoding.channels, spans or ())


def _ignore(frames: int) -> None:
    """Progress that is not reported (a correcting encode)."""


def _twice(advance: Advance) -> Advance:
    """A reporter that counts every frame for two passes: the one reading over the speech stands
    for both of mastering's planned passes when it is all mastering needs (the usual case), so
    the bar moves evenly; a pass beyond it reports nothing past the phase's plan."""
    def report(frames: int) -> None:
        advance(frames)
        advance(frames)
    return report


def _counting(rendering: Callable[[float], Render], advance: Advance) -> Callable[[float], Render]:
    """Renderings whose blocks are reported as they are taken (mastering's measuring passes)."""
    def counted(gain_db: float) -> Render:
        render = rendering(gain_db)
        return lambda start, end: _reported(render(start, end), advance)
    return counted


def _channels(blocks: Iterator[Block], channels: int) -> Iterator[Block]:
    """Blocks as the file will hold them (mono is the mean of left and right)."""
    for block in blocks:
        yield block.mean(axis=1, keepdims=True) if channels == 1 and block.shape[1] != 1 else block


def _reported(blocks: Iterator[Block], advance: Advance) -> Iterator[Block]:
    """Blocks passed on, each one's frames reported once it has been taken."""
    for block in blocks:
        yield block
        advance(len(block))


@contextlib.contextmanager
def _staged(path: Path, suffix: str, overwrite: bool) -> Iterator[Path]:
    """A temporary beside `path` that names its writer, moved into place on success and removed otherwise.

    The move is atomic.move_into_place, the project's one safe write; here its failures become
    ExportErrors naming the file.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        temporary = claim_temporary(folder, path.stem, suffix)
    except OSError as error:
        raise ExportError(f"cannot write in {folder}: {error.strerror}") from None
    try:
        _usual_permissions(temporary)
        yield temporary
        try:
            move_into_place(temporary, path, overwrite)
        except FileExistsError:
            raise ExportError(f"{path} already exists", subject="overwrite") from None
        except OSError as error:
            raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)


def _usual_permissions(path: Path) -> None:
    """mkstemp makes files private (0600); an export gets the permissions any new file would."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _write_staged(temporary: Path, text: str, path: Path) -> None:
    """A transcript's text into its temporary file; a full disk is an ExportError naming the file."""
    try:
        temporary.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None

