"""Export: a Timeline's mix into a mastered, tagged, chaptered file, with transcripts beside it.

Every file is written to a temporary name in the target folder and renamed into place only
when complete, so an interrupted or failed export never leaves a half file where a good one
was; without `overwrite`, an existing file is never replaced.
"""

from __future__ import annotations

import datetime
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from player.errors import ExportError
from player.export.encoder import encode
from player.export.formats import FORMATS, Encoding, encoding_for, format_for
from player.export.master import (
    ENCODE_PASSES,
    MAX_GAIN_DB,
    PEAK_MARGIN_DB,
    TOLERANCE_LU,
    TRUE_PEAK_LIMIT,
    UNMEASURED,
    FollowingMeter,
    Loudness,
    default_target,
    limiter_ceiling,
    measure_file,
)
from player.export.parts import Render, SpliceError, available_cores, encode_in_parts, plan_parts
from player.export.predict import LoudnessModel
from player.export.tags import DEFAULT_ALBUM, Chapter, Metadata, default_cover, ffmetadata_chapters, write_metadata
from player.export.transcripts import TRANSCRIPTS, transcript
from player.mixer import Block, Mixer
from player.model import Script
from player.timeline import Timeline

__all__ = ["FORMATS", "TRANSCRIPTS", "ExportOptions", "ExportResult", "Metadata", "check_targets", "export",
           "format_for", "metadata_for", "outputs_for", "work_for"]

Advance = Callable[[int], None]
"""Called with the number of frames just encoded."""


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
    """The mix's loudness in LUFS before mastering, predicted from its parts (None without mastering)."""
    final: Loudness | None
    """The written file's loudness and true peak, measured on the file (None without mastering)."""
    target: float | None
    seconds: float
    bytes: int


def metadata_for(script: Script, timeline: Timeline, album: str | None = None, voice: str = "") -> Metadata:
    """Tags and chapters for a script's export (date: today).

    What a phone shows is never empty: the album is `album`, else the script's collection,
    else DEFAULT_ALBUM; the artist is the script's author, else `voice` (who speaks), else
    DEFAULT_ALBUM; the cover is the script's, else the one that ships with the package.
    """
    return Metadata(
        title=script.title, artist=script.author or voice or DEFAULT_ALBUM,
        album=album or script.collection or DEFAULT_ALBUM,
        date=datetime.date.today().isoformat(), comment=" ".join(script.description.split()),
        cover=script.cover or default_cover(), chapters=chapters_of(timeline),
    )


def chapters_of(timeline: Timeline) -> tuple[Chapter, ...]:
    """Each chapter from its start to the next one's (the last to the end), in milliseconds."""
    rate = timeline.sample_rate
    marks = timeline.chapters
    ends = [mark.start for mark in marks[1:]] + [timeline.length] * bool(marks)
    return tuple(Chapter(round(mark.start * 1000 / rate), round(end * 1000 / rate), mark.title)
                 for mark, end in zip(marks, ends, strict=True))


def outputs_for(path: Path, options: ExportOptions) -> list[Path]:
    """Every file an export writes: the audio, then one per transcript."""
    return [path, *(path.with_suffix(f".{kind}") for kind in options.transcripts)]


def check_targets(path: Path, options: ExportOptions) -> None:
    """Fail before any work when a file would be replaced without --force, or cannot be written."""
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
            raise ExportError(f"{names} already exist{'s' if len(existing) == 1 else ''}; "
                              "add --force to replace")


def work_for(mixer: Mixer, options: ExportOptions) -> int:
    """Frames an export encodes (for a progress bar); a rare correcting second encode is not counted."""
    return mixer.length


def export(mixer: Mixer, path: Path, options: ExportOptions | None = None, metadata: Metadata | None = None,
           advance: Advance | None = None) -> ExportResult:
    """Render, master, encode and tag the session into `path`, with any transcripts beside it."""
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
    budget = work_for(mixer, options)
    counted = _Counter(advance)
    with _staged(path, fmt.name, options.overwrite) as temporary:
        mixed, final = _master_and_encode(mixer, temporary, encoding, metadata, target, counted, path.name)
        write_metadata(temporary, fmt.name, metadata)
    counted.advance(max(0, budget - counted.done))  # passes that were not needed
    written = [_write_text(path.with_suffix(f".{kind}"),
                           transcript(kind, mixer.timeline, metadata.title, metadata.artist), options.overwrite)
               for kind in options.transcripts]
    return ExportResult(path=path, transcripts=tuple(written), encoding=encoding, mixed=mixed,
                        final=final, target=target, seconds=mixer.length / mixer.timeline.sample_rate,
                        bytes=path.stat().st_size)


def _master_and_encode(mixer: Mixer, temporary: Path, encoding: Encoding, metadata: Metadata,
                       target: float | None, counted: _Counter, name: str) -> tuple[float | None, Loudness | None]:
    """Encode the mix with the gain that reaches `target`, check the file, and correct it once if it missed.

    The gain comes from a model of the mix (player.export.predict), so the mix goes to the
    encoder once, at once. Returns the mix's predicted loudness before mastering and the
    encoded file's measured loudness (both None without a target).
    """
    ceiling_db = limiter_ceiling(encoding.format.lossy)

    def rendering(gain_db: float) -> Render:
        def render(start: int, end: int) -> Iterator[Block]:
            mixed = mixer.blocks(start, end, gain=10 ** (gain_db / 20), ceiling=10 ** (ceiling_db / 20))
            return _channels(mixed, encoding.channels)
        return render

    chapters_file = None
    if encoding.format.name == "m4a" and metadata.chapters:
        chapters_file = temporary.with_suffix(".chapters.txt")
        chapters_file.write_text(ffmetadata_chapters(metadata.chapters, metadata.title), encoding="utf-8")
    try:
        if target is None:
            _encode_measured(rendering(0.0), mixer.length, temporary, encoding, chapters_file, name,
                             counted.advance, measure=False)
            return None, None
        model = LoudnessModel(mixer, encoding.channels, 10 ** (ceiling_db / 20))
        mixed = model.loudness(0.0, limited=False)
        aim = target
        gain_db = model.gain_for(aim, MAX_GAIN_DB)
        del model  # what it holds of every clip is not needed while encoding
        final = Loudness(-math.inf, -math.inf)
        for attempt in range(ENCODE_PASSES):
            progress = counted.advance if attempt == 0 else _ignore
            # The model is an estimate, and the encoder moves loudness (its low-pass) and peaks
            # (its ringing): the file itself is measured, while it is written where it can be.
            final = _encode_measured(rendering(gain_db), mixer.length, temporary, encoding, chapters_file, name,
                                     progress)
            loud_ok = abs(final.integrated - target) <= TOLERANCE_LU or not math.isfinite(final.integrated)
            peak_ok = final.true_peak <= TRUE_PEAK_LIMIT
            if (loud_ok and peak_ok) or attempt == ENCODE_PASSES - 1:
                break
            if not peak_ok:
                ceiling_db -= final.true_peak - TRUE_PEAK_LIMIT + PEAK_MARGIN_DB
            model = LoudnessModel(mixer, encoding.channels, 10 ** (ceiling_db / 20))
            # Aim past the target by what the file missed it by: the model's own error cancels.
            if math.isfinite(final.integrated):
                aim += target - final.integrated
            gain_db = model.gain_for(aim, MAX_GAIN_DB)
        return mixed, final
    finally:
        if chapters_file is not None:
            chapters_file.unlink(missing_ok=True)


def _encode_measured(render: Render, length: int, temporary: Path, encoding: Encoding, chapters_file: Path | None,
                     name: str, progress: Advance, measure: bool = True) -> Loudness:
    """Encode, on every core where the format allows, and measure the file: as it is written, or after.

    Without `measure`, returns UNMEASURED.
    """
    plans = plan_parts(length, encoding, available_cores())
    if len(plans) > 1:
        try:
            followed = encode_in_parts(render, plans, temporary, encoding, name, progress, measure)
        except SpliceError:
            progress = _ignore  # parts that would not join (never seen): encoded again, in one piece
        else:
            return followed if not measure or math.isfinite(followed.integrated) else measure_file(temporary)
    blocks = _reported(render(0, length), progress)
    if not measure:
        encode(blocks, temporary, encoding, chapters_file, name)
        return UNMEASURED
    if not encoding.format.streams:
        encode(blocks, temporary, encoding, chapters_file, name)
        return measure_file(temporary)
    meter = FollowingMeter(temporary, encoding.format.muxer, encoding.channels)
    try:
        encode(blocks, temporary, encoding, chapters_file, name)
    except BaseException:
        meter.stop()
        raise
    followed = meter.finish()
    # No reading at all means the meter itself failed (ebur128 reads even silence as -70 LUFS).
    return followed if math.isfinite(followed.integrated) else measure_file(temporary)


def _ignore(frames: int) -> None:
    """Progress that is not reported (a correcting encode)."""


class _Counter:
    """Passes progress on and counts the frames processed."""

    def __init__(self, advance: Advance | None) -> None:
        self.done = 0
        self._advance = advance

    def advance(self, frames: int) -> None:
        """Count frames and report them."""
        self.done += frames
        if self._advance is not None:
            self._advance(frames)


def _channels(blocks: Iterator[Block], channels: int) -> Iterator[Block]:
    """Blocks as the file will hold them (mono is the mean of left and right)."""
    for block in blocks:
        yield block.mean(axis=1, keepdims=True) if channels == 1 and block.shape[1] != 1 else block


def _reported(blocks: Iterator[Block], advance: Advance) -> Iterator[Block]:
    """Blocks passed on, each one's frames reported once it has been taken."""
    for block in blocks:
        yield block
        advance(len(block))


class _staged:
    """A temporary file beside `path`, moved into place on success and removed otherwise."""

    def __init__(self, path: Path, suffix: str, overwrite: bool) -> None:
        self.path = path
        self.suffix = suffix
        self.overwrite = overwrite
        self.temporary = Path()

    def __enter__(self) -> Path:
        folder = self.path.parent if str(self.path.parent) else Path(".")
        try:
            handle, name = tempfile.mkstemp(dir=folder, prefix=f".{self.path.stem}.", suffix=f".part.{self.suffix}")
        except OSError as error:
            raise ExportError(f"cannot write in {folder}: {error.strerror}") from None
        os.close(handle)
        self.temporary = Path(name)
        _usual_permissions(self.temporary)
        return self.temporary

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        try:
            if kind is None:
                _move_into_place(self.temporary, self.path, self.overwrite)
        finally:
            self.temporary.unlink(missing_ok=True)


def _usual_permissions(path: Path) -> None:
    """mkstemp makes files private (0600); an export gets the permissions any new file would."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _move_into_place(temporary: Path, path: Path, overwrite: bool) -> None:
    """Rename the finished file to its name; without overwrite, never replace a file."""
    try:
        if overwrite:
            os.replace(temporary, path)
            return
        try:
            # A hard link fails if the name exists, so nothing that appeared meanwhile is lost.
            os.link(temporary, path)
        except FileExistsError:
            raise ExportError(f"{path} already exists; add --force to replace it") from None
        except OSError:
            if path.exists():
                raise ExportError(f"{path} already exists; add --force to replace it") from None
            os.replace(temporary, path)
    except ExportError:
        raise
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


def _write_text(path: Path, text: str, overwrite: bool) -> Path:
    """A text file written atomically, like the audio."""
    with _staged(path, path.suffix.lstrip("."), overwrite) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path

