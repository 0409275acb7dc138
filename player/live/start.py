"""Getting a live session ready: the program, its safe exit, where to start, and spoken status.

With a cold speech cache, sound starts at once with what needs no voice (the opening chime,
the bed fading in); the first spoken step is made next, then about the first minute, then
the rest, each on a thread ahead of the play head and swapped in when it is ready.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from player import SAMPLE_RATE
from player.errors import ChapterError, PlayerError, VoiceError
from player.live import handover, prelude
from player.live.device import LivePlayer
from player.live.transport import LiveSession
from player.render.loudness import integrated_loudness
from player.script.library import builtin_folder
from player.script.loader import Overrides, load_script
from player.script.model import Repeat, Say, Script, Step
from player.script.suggest import did_you_mean
from player.script.text import Spoken, split_say
from player.sounds.loops import warm_up
from player.timeline.compile import compile_timeline, estimate_timeline, speech_requests
from player.timeline.model import Timeline
from player.voices import Speaker, SpeechRequest
from player.voices.textprep import speakable

HEAD_START_SECONDS = 45.0
"""With a cold cache, synthesize about this much of the session before sound starts."""


def exit_script(script: Script) -> tuple[Script, tuple[Step, ...]]:
    """The steps of the safe exit: the script's `on_exit`, or the built-in reorientation."""
    if script.on_exit:
        return script, script.on_exit
    reorient = load_script(builtin_folder() / "reorient.yaml", Overrides(vars=script.vars, strict_vars=False))
    # The safe exit speaks with the session's own voice.
    voice = replace(script.voice, rate=reorient.voice.rate if script.voice.rate == 1.0 else script.voice.rate)
    return replace(reorient, voice=voice, pace=1.0, length=None), reorient.steps


def chapter_start(timeline: Timeline, wanted: str | None) -> int:
    """The sample where a chapter starts: by number (1-based) or by title."""
    if wanted is None:
        return 0
    chapters = timeline.chapters
    if wanted.isdigit() and 1 <= int(wanted) <= len(chapters):
        return chapters[int(wanted) - 1].start
    for chapter in chapters:
        if chapter.title.lower() == wanted.lower():
            return chapter.start
    titles = [chapter.title for chapter in chapters]
    if not titles:
        raise ChapterError("this practice has no chapters to start from")
    raise ChapterError(f"no chapter '{wanted}'{did_you_mean(wanted, titles)}; chapters: "
                     + ", ".join(f"{n} {t}" for n, t in enumerate(titles, 1)))


def head_steps(script: Script) -> tuple[Step, ...]:
    """The first top-level steps that last about HEAD_START_SECONDS (by estimate)."""
    estimate = estimate_timeline(script)
    target = HEAD_START_SECONDS * estimate.sample_rate
    head: list[Step] = []
    marks = 0
    for step in script.steps:
        head.append(step)
        marks += _unrolled_count(step)
        last = estimate.steps[marks - 1]
        if last.start + last.length >= target:
            break
    return tuple(head)


def opening_stages(script: Script) -> list[tuple[Step, ...]]:
    """What a cold start makes before the whole session, in order: the steps before the first
    spoken one (no voice needed), then its first sentence where it has more than one, then up
    to the first spoken step, then about the first minute."""
    steps = script.steps
    first = next((i for i, step in enumerate(steps) if speech_requests(script, (step,))), len(steps))
    stages = [steps[:first]]
    opening_sentence = first_sentence(steps[first]) if first < len(steps) else None
    if opening_sentence is not None:
        stages.append((*steps[:first], opening_sentence))
    stages.append(steps[:first + 1])
    head = head_steps(script)
    if len(head) > first + 1:
        stages.append(head)
    return stages


def first_sentence(step: Step) -> Say | None:
    """A `say` cut to its first sentence, where it has more: the voice makes that alone first,
    so a long opening paragraph does not keep the listener waiting for its first word.

    The sentence is split as the timeline splits it, so its speech is the same (and cached
    under the same key) when the whole step follows.
    """
    if not isinstance(step, Say):
        return None
    try:
        parts = split_say(step.text)
    except ValueError:
        return None  # the timeline reports the marker where it compiles the step
    if len(parts) < 2 or not isinstance(parts[0], Spoken):
        return None
    return replace(step, text=parts[0].text, pause_after=0.0)


def _start_speaking(speaker: Speaker, requests: list[SpeechRequest]) -> threading.Thread:
    """Synthesize lines into the cache on a thread (a failure is met again, and reported, later)."""

    def speak() -> None:
        try:
            speaker.speak(requests)
        except PlayerError:
            return

    def warm_meter() -> None:
        # A line this engine makes is levelled here: the meter's first use (its filters' impulse
        # response) is made while the voice loads rather than after the first line comes back.
        tone = (0.1 * np.sin(np.arange(SAMPLE_RATE // 2) * 0.05)).astype(np.float32)
        integrated_loudness(tone, SAMPLE_RATE)

    # Piper levels its lines in its own worker process: warming the meter here would only hold
    # this process's interpreter lock while the opening plays.
    if not getattr(speaker.engine, "levels_lines", False):
        threading.Thread(target=warm_meter, name="meter", daemon=True).start()
    thread = threading.Thread(target=speak, name="first words", daemon=True)
    thread.start()
    return thread


def _unrolled_count(step: Step) -> int:
    """How many step marks a step leaves in a timeline (repeats unrolled)."""
    if isinstance(step, Repeat):
        return step.count * sum(_unrolled_count(inner) for inner in step.steps)
    return 1


def with_linger(timeline: Timeline, linger: float) -> Timeline:
    """The timeline with its bed going on `linger` seconds past the last step (then fading)."""
    if linger <= 0 or (timeline.ambient.sound is None and not timeline.bed_changes):
        return timeline
    return replace(timeline, length=timeline.length + int(linger * SAMPLE_RATE))


def build_session(script: Script, speaker: Speaker, *, settle: float = 0.0, linger: float = 0.0,
                  start_chapter: str | None = None,
                  swapped: Callable[[], None] = lambda: None,
                  preparing: Callable[[], None] = lambda: None) -> tuple[LiveSession, threading.Thread | None]:
    """A LiveSession ready to play, and the thread still synthesizing the rest (if any).

    `preparing` is called as soon as the start is known to be cold (before the voice loads);
    `swapped` after each stage of a cold start is handed to the session (live play then
    renders again from its play head, so the first words are not heard late)."""
    warm_up(script.ambient.sound)  # render the bed while the speech is being made
    cold = speaker.count_new(speech_requests(script)) > 0 and start_chapter is None
    stages = opening_stages(script) if cold else []
    if cold:
        preparing()
    # The first spoken step is started before anything else, so the voice loads meanwhile.
    first_words = _start_speaking(speaker, speech_requests(script, stages[1])) if cold else None
    if cold:
        timeline = compile_timeline(script, speaker, steps=stages[0], ending=False)  # nothing to say yet
        start = 0
    else:
        timeline = compile_timeline(script, speaker)
        start = chapter_start(timeline, start_chapter)
    exit_timeline = None
    if not cold:  # warm, the reorientation is already cached; cold, it is made after sound starts
        exit_source, exit_steps = exit_script(script)
        exit_timeline = compile_timeline(exit_source, speaker, steps=exit_steps)
    voice = script.voice

    def status_voice(text: str) -> None:
        def speak() -> None:
            try:
                request = SpeechRequest(speakable(text, script.language), voice.name, voice.rate, voice.volume)
                (clip,) = speaker.speak([request])
            except PlayerError:
                return  # a status line that cannot be spoken is skipped, never fatal
            session.speak(clip)

        threading.Thread(target=speak, name="status", daemon=True).start()

    # The opening of a cold start ends where the rest takes over, so only a whole session lingers.
    program = timeline if cold else with_linger(timeline, linger)
    session = LiveSession(program, exit_timeline, settle=settle, start=start,
                          status_voice=status_voice, complete=not cold)
    if not cold:
        return session, None

    def finish() -> None:
        try:
            if first_words is not None:
                first_words.join()
            for steps in stages[1:]:
                session.swap(compile_timeline(script, speaker, steps=steps, ending=False), complete=False)
                swapped()
            exit_source, exit_steps = exit_script(script)
            session.set_exit(compile_timeline(exit_source, speaker, steps=exit_steps))
            session.swap(with_linger(compile_timeline(script, speaker), linger))
            swapped()
        except PlayerError as error:
            session.abandon(str(error))

    rest = threading.Thread(target=finish, name="speech", daemon=True)
    rest.start()
    return session, rest


def live_player(session: LiveSession, device: int | None, script: Script, speaker: Speaker,
                rest: threading.Thread | None, *, settle: float = 0.0, linger: float = 0.0) -> LivePlayer:
    """The player for a session `build_session` made: it takes over the saved opening that
    `practice play` started before the slow imports (if any), and saves the opening again where
    it was missing or changed: from a copy of this session, or after a cold start, from the whole
    session built as a warm play builds it, once `rest` has made every line."""
    pending = prelude.claim()
    player = LivePlayer(session, device, opening=pending.claim() if pending else None)
    if pending is None:
        return player
    fresh = handover.session_copy(session) if session.complete else None

    def warm_session() -> LiveSession:
        if fresh is not None:
            return fresh
        if rest is not None:
            rest.join()
        if session.problem or speaker.count_new(speech_requests(script)):
            raise VoiceError("the session was not made whole")  # no warm opening to save
        return build_session(script, speaker, settle=settle, linger=linger)[0]

    def needs() -> list[str]:  # a later play starts warm, with this opening, only while these are there
        return [prelude.cache_relative(path) for path in speaker.cache_paths(speech_requests(script))]

    handover.keep_opening(pending.key, warm_session, needs, player.opening_checked,
                          lambda: not player.opening_matched)
    return player
