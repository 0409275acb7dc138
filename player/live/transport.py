"""The live transport: what the listener hears next, block by block, and how controls change it.

A LiveSession is plain Python with no sound card: live play pulls blocks from it on a worker
thread, and tests pull them directly. Commands arrive from any thread through a deque and are
applied at the start of the next block, so all state changes happen on one thread.
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Callable

import numpy as np

from player import SAMPLE_RATE
from player.live.controls import Command as Command  # where keys, live play and tests have long found it
from player.live.controls import Phase, Queued, Update
from player.live.gains import Clip, Overlay, Ramp, apply_gain
from player.live.program import (
    HOLD_SECONDS as HOLD_SECONDS,
)
from player.live.program import (
    held_open,
    mapped_positions,
    step_level,
    step_start,
)
from player.render.mixer import CHANNELS, Block, Mixer
from player.sounds import chime, feedback
from player.timeline.compile import delayed
from player.timeline.model import Timeline

PAUSE_FADE = 0.3


SEEK_FADE = 0.03


INTERRUPT_FADE = 0.2


END_VOICE_FADE = 0.3


END_AMBIENT_FADE = 5.0






STATUS_DUCK = 0.3


RESTART_WINDOW = 3.0
"""Going back within this many seconds of a chapter's start goes to the chapter before it."""




class LiveSession:
    """A session being played: a program (the practice, then perhaps its safe exit), controls, feedback."""

    def __init__(
        self,
        timeline: Timeline,
        exit_timeline: Timeline | None = None,
        *,
        settle: float = 0.0,
        start: int = 0,
        status_voice: Callable[[str], None] | None = None,
        complete: bool = True,
    ) -> None:
        self.timeline = timeline
        self.exit_timeline = exit_timeline
        self.hold_at = timeline.length
        """Where the program's own steps end; an incomplete one plays on past it while it waits."""
        self.delays: list[tuple[int, int]] = []
        """(step index, frames) of quiet inserted before a step while a cold start waited for it."""
        self.deck = Mixer(timeline if complete else held_open(timeline))
        self.position = start
        self.phase = Phase.SETTLE if settle > 0 else Phase.MAIN
        self.settle_left = int(settle * SAMPLE_RATE)
        self.paused = False
        self.pausing = False
        self.voice_level = 1.0
        self.ambient_level = 1.0
        self.program = Ramp(1.0)
        self.voice_fade = Ramp(1.0)
        self.duck = Ramp(1.0)
        self.overlays: list[Overlay] = []
        self.after_fade: Callable[[], None] | None = None
        self.finished = False
        self.status_voice = status_voice
        self.commands: collections.deque[Queued] = collections.deque()
        self.exit_wanted = False
        self.complete = complete
        """False while the timeline is only the session's opening and the rest is being made."""
        self.problem: str | None = None
        self.log: list[str] = []
        """What happened, in order, for tests and for a status line."""
        self.applied: list[Queued] = []
        """The commands the last block applied (live play re-applies them when it rewinds)."""

    # -- from any thread ------------------------------------------------------------------------

    def submit(self, command: Command) -> None:
        """Queue a listener's command; it takes effect at the next block."""
        self.commands.append((command, None))

    def swap(self, timeline: Timeline, complete: bool = True) -> None:
        """Queue a longer timeline (the whole session, unless not `complete`) to replace the opening."""
        self.commands.append((Update.SWAP, (timeline, complete)))

    def set_exit(self, timeline: Timeline) -> None:
        """Queue the safe exit's timeline, when it was made after play began."""
        self.commands.append((Update.SET_EXIT, timeline))

    def abandon(self, problem: str) -> None:
        """The rest of the session could not be made: end after the opening, saying why."""
        self.commands.append((Update.ABANDON, problem))

    def speak(self, clip: Clip) -> None:
        """Queue spoken feedback (a status line) to play over the session, which ducks under it."""
        self.commands.append((Update.SPEAK, clip))

    # -- on the feeder thread -------------------------------------------------------------------

    @property
    def seconds_left(self) -> float:
        """Seconds until the program ends."""
        return max(self.deck.length - self.position, 0) / SAMPLE_RATE

    def chapter_index(self) -> int:
        """The chapter the play head is in (-1 before the first)."""
        index = -1
        for number, chapter in enumerate(self.deck.timeline.chapters):
            if chapter.start <= self.position:
                index = number
        return index

    def status_text(self) -> str:
        """What `s` says: where the listener is and how long is left."""
        chapters = self.deck.timeline.chapters
        index = self.chapter_index()
        minutes = max(1, round(self.seconds_left / 60))
        left = "Less than a minute left." if self.seconds_left < 60 else (
            f"About {minutes} minute{'s' if minutes != 1 else ''} left.")
        paused = " Paused." if self.paused else ""
        if index < 0 or not chapters:
            return f"{self.deck.timeline.title}.{paused} {left}"
        return f"{chapters[index].title}. Chapter {index + 1} of {len(chapters)}.{paused} {left}"

    def snapshot(self) -> dict[str, object]:
        """Everything a block changes, to go back to with `rewind` (live play renders ahead)."""
        state = {name: value for name, value in vars(self).items() if name not in ("commands", "applied")}
        for name in ("program", "voice_fade", "duck"):
            state[name] = copy.copy(state[name])
        state["overlays"] = [copy.copy(overlay) for overlay in self.overlays]
        state["log"] = list(self.log)
        # A stage applied in a block that is then dropped adds its wait here: without a copy, the
        # rewound session kept that wait and inserted it again, and a cold start's first words
        # came a whole queue (2 s) late.
        state["delays"] = list(self.delays)
        return state

    def rewind(self, state: dict[str, object], commands: list[Queued]) -> None:
        """Back to a snapshot; `commands` (applied since) are applied again at the next block."""
        vars(self).update(state)
        # A status line was asked for already (its speech arrives as its own command).
        self.commands.extendleft(reversed([item for item in commands if item[0] is not Command.STATUS]))

    def next_block(self, frames: int) -> Block | None:
        """The next `frames` of sound, or None once the session has ended."""
        self.applied = self._apply_commands()
        if self.finished:
            return None
        block = np.zeros((frames, CHANNELS), dtype=np.float32)
        if self.phase is Phase.SETTLE:
            self.settle_left -= frames
            if self.settle_left <= 0:
                self.phase = Phase.MAIN
        elif not self.paused:
            self._render_program(block, frames)
        self._mix_overlays(block, frames)
        if self.program.settled and self.after_fade is not None:
            action, self.after_fade = self.after_fade, None
            action()
        if self.phase is Phase.DONE and not self.overlays:
            self.finished = True
        return block

    def _render_program(self, block: Block, frames: int) -> None:
        """The practice itself, with fades and ducking, advancing the play head."""
        if self.phase is Phase.DONE:
            return
        # The voice fade moves once a block: fine-grained enough at about 23 ms a block.
        self.voice_fade.advance(frames)
        program = self.deck.render(self.position, frames, self.voice_level * self.voice_fade.value,
                                   self.ambient_level)
        apply_gain(program, self.program.advance(frames))
        apply_gain(program, self.duck.advance(frames))
        block += program
        self.position += frames
        if not self.complete and self.position >= self.deck.length:
            # Past the opening before the rest is ready: quiet until it arrives, then go on.
            self.position = self.deck.length
        elif self.position >= self.deck.length and self.phase in (Phase.MAIN, Phase.EXIT, Phase.ENDING):
            self._done()

    def _mix_overlays(self, block: Block, frames: int) -> None:
        """Feedback sounds over everything; they end by themselves."""
        still: list[Overlay] = []
        for overlay in self.overlays:
            part = overlay.clip[overlay.played:overlay.played + frames]
            block[:len(part)] += part[:, np.newaxis]
            overlay.played += len(part)
            if overlay.played < len(overlay.clip):
                still.append(overlay)
            elif overlay.ducks and not any(o.ducks for o in still):
                self.duck.go(1.0, 0.3)
        self.overlays = still
        np.clip(block, -1.0, 1.0, out=block)

    # -- commands ---------------------------------------------------------------------------------

    def _apply_commands(self) -> list[Queued]:
        """Everything queued since the last block; the commands applied, in order."""
        applied: list[Queued] = []
        while self.commands:
            command, argument = self.commands.popleft()
            applied.append((command, argument))
            if isinstance(command, Update):
                self._update(command, argument)
            elif self.phase is not Phase.DONE or command is Command.INTERRUPT:
                self.log.append(command.value)
                self._handle(command)
        return applied

    def _update(self, update: Update, argument: object) -> None:
        """One thing the program queued."""
        if update is Update.SPEAK:
            assert isinstance(argument, np.ndarray)
            self.overlays.append(Overlay(argument, ducks=True))
            self.duck.go(STATUS_DUCK, 0.2)
        elif update is Update.SWAP:
            assert isinstance(argument, tuple)
            self._swap(*argument)
        elif update is Update.SET_EXIT:
            assert isinstance(argument, Timeline)
            self.exit_timeline = argument
            if self.exit_wanted and self.paused and self.phase is not Phase.EXIT:
                self._enter_exit()
        elif update is Update.ABANDON:
            self.problem = str(argument)
            self.complete = True
            if self.phase is not Phase.EXIT:
                self.deck = Mixer(self.timeline)  # end after the opening, not after its wait

    def _handle(self, command: Command) -> None:
        """One command."""
        if command is Command.INTERRUPT:
            self.overlays.clear()
            self._fade_then(INTERRUPT_FADE, self._done)
            if self.paused or self.phase is Phase.SETTLE:
                self._done()
        elif self.phase is Phase.ENDING:
            return  # the gentle end is under way; only Ctrl-C cuts it short
        elif command is Command.PAUSE:
            self._toggle_pause()
        elif command in (Command.NEXT, Command.PREVIOUS):
            self._seek_chapter(command is Command.NEXT)
        elif command in (Command.VOICE_UP, Command.VOICE_DOWN):
            self.voice_level = step_level(self.voice_level, command is Command.VOICE_UP)
            self._play(feedback.tick(self.voice_level))
        elif command in (Command.AMBIENT_UP, Command.AMBIENT_DOWN):
            self.ambient_level = step_level(self.ambient_level, command is Command.AMBIENT_UP)
            self._play(feedback.tick(self.ambient_level))
        elif command is Command.STATUS:
            if self.status_voice is not None:
                self.status_voice(self.status_text())
        elif command is Command.END:
            self._gentle_end()
        elif command is Command.SAFE_EXIT:
            self._safe_exit()

    def _swap(self, timeline: Timeline, complete: bool) -> None:
        """Replace the opening with a longer timeline, keeping the play head in the same step.

        If the play head went past the opening's end while it waited, the new timeline gets
        that much quiet where the opening ended: what was heard is not repeated or skipped.
        """
        self.complete = complete
        if self.phase is Phase.EXIT:
            return
        for index, frames in self.delays:  # the quiet already heard, in every later timeline too
            timeline = delayed(timeline, step_start(timeline, index), frames)
        waited = self.position - self.hold_at
        position = mapped_positions(self.deck.timeline, min(self.position, self.hold_at), timeline)
        if waited > 0:
            index = next((i for i, mark in enumerate(timeline.steps) if mark.start >= position), len(timeline.steps))
            self.delays.append((index, waited))
            timeline = delayed(timeline, position, waited)
            position += waited
        self.position = position
        self.hold_at = timeline.length
        self.deck = Mixer(timeline if complete else held_open(timeline))
        self.timeline = timeline

    def _play(self, clip: Clip) -> None:
        """A feedback sound now."""
        self.overlays.append(Overlay(clip))

    def _fade_then(self, seconds: float, action: Callable[[], None]) -> None:
        """Fade the program out, then do something."""
        self.program.go(0.0, seconds)
        self.after_fade = action

    def _toggle_pause(self) -> None:
        """Pause with a low tone and a fade; resume with a high tone and a fade in."""
        if self.phase is Phase.SETTLE:
            return
        if self.paused or self.pausing:
            self.paused = self.pausing = False
            self.after_fade = None
            self._play(feedback.resume_tone())
            self.program.go(1.0, PAUSE_FADE)
            return
        self._play(feedback.pause_tone())

        def hold() -> None:
            self.paused, self.pausing = True, False

        self.pausing = True
        self._fade_then(PAUSE_FADE, hold)

    def _seek_chapter(self, forward: bool) -> None:
        """A click, then the next chapter, or the start of this one (or the one before)."""
        chapters = self.deck.timeline.chapters
        self._play(feedback.click())
        if not chapters:
            return
        index = self.chapter_index()
        if forward:
            target = next((c.start for c in chapters if c.start > self.position), None)
            if target is None:
                return
        else:
            current = chapters[index].start if index >= 0 else 0
            if self.position - current < RESTART_WINDOW * SAMPLE_RATE and index > 0:
                target = chapters[index - 1].start
            else:
                target = current

        def jump() -> None:
            self.position = target
            self.paused = False
            self.program.go(1.0, SEEK_FADE)

        self._fade_then(SEEK_FADE, jump)

    def _gentle_end(self) -> None:
        """The voice stops, the bed fades away, a closing chime rings, and the session ends."""
        bed = self.deck.timeline.ambient.sound is not None
        fade = END_AMBIENT_FADE if bed else 1.0
        self.phase = Phase.ENDING
        self.paused = False
        self.voice_fade.go(0.0, END_VOICE_FADE)  # the voice stops; the bed keeps fading out
        self.program.go(0.0, fade)

        def close() -> None:
            self._play(chime("bowl"))
            self._done()

        self.after_fade = close

    def _safe_exit(self) -> None:
        """Cut to the reorientation steps (once they are ready, on a cold start)."""
        if self.phase is Phase.EXIT or self.exit_wanted:
            return
        self.exit_wanted = True
        self._fade_then(PAUSE_FADE, self._enter_exit)

    def _enter_exit(self) -> None:
        """Play the reorientation from its start, or wait in quiet until it has been made."""
        if self.exit_timeline is None:
            self.paused = True
            return
        self.deck = Mixer(self.exit_timeline)
        self.position = 0
        self.phase = Phase.EXIT
        self.paused = False
        self.program.go(1.0, SEEK_FADE)

    def _done(self) -> None:
        """Nothing more from the program; the session ends when feedback sounds have played."""
        self.phase = Phase.DONE
        self.log.append("done")
