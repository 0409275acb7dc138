"""Sound for the studio: one step at once, whole sessions and batches as jobs with progress.

Each goes through the core exactly as the command line does: the loader, the voices and their
cache (`Speaker`), `compile_timeline`, the `Mixer` and `export`.
"""

from __future__ import annotations

import math
import secrets
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import soundfile

from player.atomic import staged
from player.errors import PlayerError
from player.export import ExportOptions, export, metadata_for, work_for
from player.export.formats import FORMATS
from player.render.mixer import Mixer
from player.script.durations import parse_duration
from player.script.library import builtin_folder
from player.script.limits import MAX_CLIP_SECONDS as MAX_CLIP_SECONDS
from player.script.limits import MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES
from player.script.loader import Overrides, load_script, parse_set_options
from player.script.model import Script
from player.script.support import SUPPORT_VAR
from player.sounds.files import AudioFileError, decode
from player.studio.document import loaded
from player.studio.workspace import NotFound, StudioError, Workspace
from player.timeline.compile import compile_timeline, speech_requests
from player.voices import Speaker, choose_engine

SpeakerFor = Callable[[Script], Speaker]
REORIENT = "reorient"
"""The built-in short reorientation a client's batch can include."""


def default_speaker(script: Script) -> Speaker:
    """A speaker on the script's engine, as the command line makes one."""
    return Speaker(choose_engine(script.voice.engine, script.voice.name).engine)


class Speakers:
    """One speaker per engine and voice for the studio's whole run: engine workers start once."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, str | None], Speaker] = {}

    def __call__(self, script: Script) -> Speaker:
        """The speaker for a script's engine and voice."""
        key = (script.voice.engine, script.voice.name)
        if key not in self.known:
            self.known[key] = default_speaker(script)
        return self.known[key]

    def close(self) -> None:
        """Stop every engine's worker processes."""
        for speaker in self.known.values():
            close = getattr(speaker.engine, "close", None)
            if close is not None:
                close()


def overrides_from(data: dict[str, Any]) -> Overrides:
    """The page's "for one client" fields as Overrides; every value checked here, at the boundary."""
    given = data.get("vars") or {}
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise StudioError("variables must be names with text values")
    pairs = [f"{k}={v}" for k, v in given.items() if v.strip()]
    length = None
    if data.get("length"):
        try:
            length = parse_duration(data["length"])
        except ValueError as error:
            raise StudioError(f"length: {error}") from None
    return Overrides(vars=parse_set_options(pairs), length=length,
                     pace=_number(data.get("pace"), "pace", 0.25, 4.0),
                     voice=_text(data.get("voice")), engine=_text(data.get("engine")),
                     rate=_number(data.get("rate"), "rate", 0.5, 2.0))


def _number(value: Any, name: str, low: float, high: float) -> float | None:
    """An optional finite number in range."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StudioError(f"{name} must be a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise StudioError(f"{name} must be between {low:g} and {high:g}")
    return number


def _text(value: Any) -> str | None:
    """An optional short plain text."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 200 or not value.isprintable():
        raise StudioError("a voice or engine is a short name")
    return value


@dataclass
class Job:
    """One export running in the background, and what the page's progress bar shows."""

    id: str
    phase: str = "Starting"
    done: int = 0
    total: int = 1
    state: str = "running"
    message: str = ""
    file: Path | None = None
    picture: Path | None = None
    """The pacing picture of a whole-session preview."""
    chapters: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def advance(self, count: int) -> None:
        """Progress from the core: lines synthesized or frames encoded."""
        self.done = min(self.done + count, self.total)

    def start(self, phase: str, total: int) -> None:
        """A new phase of the work, with its own count."""
        self.phase, self.done, self.total = phase, 0, max(total, 1)

    def as_json(self) -> dict[str, Any]:
        """What the page needs to draw the bar, the link and the chapter marks."""
        return {"id": self.id, "phase": self.phase, "fraction": self.done / self.total, "state": self.state,
                "message": self.message, "download": self.file.name if self.file else None,
                "picture": self.picture is not None,
                "chapters": self.chapters, "seconds": self.seconds}


class Renderer:
    """Renders for the page into a scratch folder; one render at a time (the machine's cores are few)."""

    def __init__(self, workspace: Workspace, scratch: Path, speaker_for: SpeakerFor = default_speaker) -> None:
        self.workspace = workspace
        self.scratch = scratch
        self.speaker_for = speaker_for
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def step(self, name: str, text: str, path: list[int], overrides: Overrides) -> Path:
        """One step (a line, a pause, a repeat...) as a WAV file, synthesized through the cache."""
        with self.lock, loaded(self.workspace.root, name, text, overrides) as script:
            steps = script.steps
            step = None
            for index in path:
                if not isinstance(index, int) or not 0 <= index < len(steps):
                    raise NotFound("that step is not in the script")
                step = steps[index]
                steps = getattr(step, "steps", ())
            if step is None:
                raise NotFound("no step was chosen")
            single = replace(script, length=None)  # one step has nothing to stretch
            timeline = compile_timeline(single, self.speaker_for(single), steps=[step], ending=False)
            target = self.scratch / f"step-{secrets.token_hex(6)}.wav"
            export(Mixer(timeline), target, ExportOptions(format="wav", master=False, overwrite=True))
            return target

    def start_export(self, name: str, text: str, overrides: Overrides, fmt: str,
                     transcripts: tuple[str, ...] = (), picture: bool = False) -> Job:
        """Export the unsaved text in the background; the job reports progress and the file."""
        if fmt not in FORMATS:
            raise StudioError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
        with loaded(self.workspace.root, name, text, overrides) as script:
            pass  # problems are reported now, before the job starts
        job = self._job()
        folder = self._job_folder(job)

        def work() -> None:
            target = folder / f"{Path(name).stem}.{fmt}"
            self._export(job, script, target, fmt, transcripts, folder / "pacing.png" if picture else None)
            job.file = target

        self._run(job, work)
        return job

    def start_batch(self, names: list[str], overrides: Overrides, fmt: str, reorient: bool = False) -> Job:
        """Saved workspace scripts for one client, zipped with their transcripts (and the reorient practice)."""
        if fmt not in FORMATS:
            raise StudioError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
        if not names or not all(isinstance(n, str) for n in names):
            raise StudioError("choose at least one script for the batch")
        paths = [self.workspace.script_path(n) for n in names]
        if reorient:
            paths.append(builtin_folder() / f"{REORIENT}.yaml")
        # A client's values may be meant for only some of the scripts (the reorient practice has
        # no {name}), as in the CLI's batches; a value none of them uses is still an error.
        scripts = [load_script(path, replace(overrides, strict_vars=False)) for path in paths]
        known = {name for script in scripts for name in script.variables} | {SUPPORT_VAR}
        unknown = sorted(set(overrides.vars) - known)
        if unknown:
            raise StudioError(f"none of these scripts has a variable '{unknown[0]}'")
        job = self._job()
        folder = self._job_folder(job)

        def work() -> None:
            written: list[Path] = []
            for script in scripts:
                target = folder / f"{script.name}.{fmt}"
                self._export(job, script, target, fmt, ("vtt",))
                written += [target, target.with_suffix(".vtt")]
            archive = folder / "practices.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
                for path in written:
                    bundle.write(path, path.name)
            job.file = archive

        self._run(job, work)
        return job

    def _export(self, job: Job, script: Script, target: Path, fmt: str, transcripts: tuple[str, ...],
                picture: Path | None = None) -> None:
        """Synthesize and export one script, reporting each phase to the job."""
        with self.lock:
            speaker = self.speaker_for(script)
            job.start("Synthesizing speech", speaker.count_new(speech_requests(script)))
            timeline = compile_timeline(script, speaker, progress=job.advance)
            mixer = Mixer(timeline)
            options = ExportOptions(format=fmt, transcripts=transcripts, overwrite=True)
            job.start(f"Writing {target.name}", work_for(mixer.timeline, options))
            result = export(mixer, target, options, metadata_for(script, timeline), job.advance)
            job.seconds = result.seconds
            rate = timeline.sample_rate
            job.chapters = [{"title": c.title, "start": c.start / rate} for c in timeline.chapters]
            if picture is not None:
                from player.timeline.plot import plot_timeline  # matplotlib only when a picture is asked for

                job.picture = plot_timeline(timeline, picture)

    def _job(self) -> Job:
        """A new job, registered under an unguessable id."""
        job = Job(secrets.token_urlsafe(9))
        self.jobs[job.id] = job
        return job

    def _job_folder(self, job: Job) -> Path:
        """The job's own scratch folder."""
        folder = self.scratch / job.id
        folder.mkdir()
        return folder

    def _run(self, job: Job, work: Callable[[], None]) -> None:
        """Run the work on a thread; any failure becomes the job's message, never a traceback."""

        def run() -> None:
            try:
                work()
                job.state, job.phase, job.done = "done", "Done", job.total
            except PlayerError as error:
                job.state, job.message = "failed", str(error)
            except Exception as error:  # a bug: the page still gets a message
                job.state, job.message = "failed", f"internal error ({type(error).__name__}: {error})"

        threading.Thread(target=run, name=f"studio-job-{job.id}", daemon=True).start()

    def store_clip(self, data: bytes, label: str) -> str:
        """An uploaded or recorded clip, decoded through ffmpeg, kept as WAV in clips/; its relative name."""
        if not data:
            raise StudioError("the upload was empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise StudioError(f"a clip may be at most {MAX_UPLOAD_BYTES // 1_000_000} MB")
        raw = self.scratch / f"upload-{secrets.token_hex(6)}"
        raw.write_bytes(data)
        try:
            samples, rate = decode(raw)
        except AudioFileError:
            raise StudioError("that file is not audio that ffmpeg can read") from None
        finally:
            raw.unlink(missing_ok=True)
        if not len(samples) or len(samples) / rate > MAX_CLIP_SECONDS:
            raise StudioError(f"a clip must have sound and last at most {MAX_CLIP_SECONDS // 60} minutes")
        relative, path = self.workspace.clip_path(label)
        with staged(path) as temporary:
            soundfile.write(str(temporary), samples, rate, subtype="PCM_16", format="WAV")
        return relative
