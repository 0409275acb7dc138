"""Where the layout puts transcript lines and what `practice show` says of a flexible pause
(survivors of the run over player/timeline/layout.py: docs/testing.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from player import SAMPLE_RATE
from player.script.loader import load_script
from player.script.model import AmbientSettings
from player.timeline.compile import estimate_timeline
from player.timeline.layout import Layout
from player.timeline.listing import rows
from player.timeline.model import Clip
from player.timeline.spans import SoundEvent
from player.voices.base import SpeechRequest
from tests.test_timeline_pure import StubSounds

WriteScript = Callable[..., Path]


def test_each_transcript_line_starts_on_the_sample_its_speech_starts(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - say: One. Two.\n  - pause: 2\n  - say: Three.\n")
    timeline = estimate_timeline(load_script(path))
    speech = [(sound.start, len(timeline.clips[sound.clip])) for sound in timeline.sounds if sound.kind == "speech"]
    assert [(cue.start, cue.end - cue.start) for cue in timeline.cues] == speech
    assert [cue.text for cue in timeline.cues] == ["One.", "Two.", "Three."]


def test_show_gives_a_flexible_pause_its_written_seconds(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - pause: 3\n  - pause: {seconds: 5, flexible: true}\n  - say: Hi.\n")
    assert [row.written for row in rows(estimate_timeline(load_script(path)))] == [None, 5.0, None]


def test_each_line_is_asked_in_its_own_voice_or_the_scripts_and_placed_at_full_gain(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        voice: {name: en-us, rate: 1.2, volume: 0.8}
        steps:
          - say: One.
          - say: {text: Two., voice: en-gb, rate: 0.9}
    """)
    script = load_script(path)
    asked: list[SpeechRequest] = []

    def speech(request: SpeechRequest) -> Clip:
        asked.append(request)
        return np.zeros(5, dtype=np.float32)

    layout = Layout(script, speech, StubSounds(), real_clips=False)
    layout.walk(script.steps)
    assert [(r.text, r.voice, r.rate, r.volume) for r in asked] == [
        ("One.", "en-us", 1.2, 0.8), ("Two.", "en-gb", 0.9, 0.8)]
    # Speech is placed at its own level: the mixer's voice gain and mastering do the rest.
    sounds = [event for span in layout.spans for _, event in span.events if isinstance(event, SoundEvent)]
    assert [(event.kind, event.gain) for event in sounds] == [("speech", 1.0), ("speech", 1.0)]


class RingAt(StubSounds):
    """Records where each chime starts, as the layout tells the ring."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[int | None] = []

    def ring(self, sound: str, clip: Clip, gain: float, ambient: AmbientSettings, at: int | None = None) -> int:
        self.starts.append(at)
        return super().ring(sound, clip, gain, ambient, at)


def test_a_chime_rings_out_from_where_it_starts_and_pace_scales_a_flexible_pause(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        pace: 2
        steps:
          - pause: 1.5
          - chime: bowl
          - pause: {seconds: 10, flexible: true, min: 5, max: 20}
    """)
    script = load_script(path)
    sounds = RingAt()
    layout = Layout(script, lambda request: np.zeros(5, dtype=np.float32), sounds, real_clips=False)
    layout.walk(script.steps)
    # The bed's level changes over time: how long a chime rings above it depends on when it starts.
    assert sounds.starts == [3 * SAMPLE_RATE]  # 1.5 s at pace 2
    flexible = layout.spans[-1]
    assert (flexible.samples, flexible.low, flexible.high) == (20 * SAMPLE_RATE, 10 * SAMPLE_RATE, 40 * SAMPLE_RATE)


def test_each_breath_cue_gives_words_tones_both_or_neither(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        steps:
          - breathe: {in: 4, hold: 2, out: 4, cycles: 1, cue: voice}
          - breathe: {in: 4, hold: 2, out: 4, cycles: 1, cue: tone}
          - breathe: {in: 4, hold: 2, out: 4, cycles: 1, cue: both}
          - breathe: {in: 4, hold: 2, out: 4, cycles: 1, cue: none}
          - play: clip.wav
    """)
    (path.parent / "clip.wav").write_bytes(b"RIFF")
    script = load_script(path)
    layout = Layout(script, lambda request: np.zeros(5, dtype=np.float32), StubSounds(), real_clips=False)
    layout.walk(script.steps)
    placed = [[(event.kind, event.gain) for _, event in span.events if isinstance(event, SoundEvent)]
              for span in layout.spans if span.samples]
    word, tone = ("speech", 1.0), ("tone", 1.0)
    assert placed == [
        [word], [word], [word],              # voice: a word in each phase, hold included
        [tone], [], [tone],                  # tone: a tone on the in and out breaths only
        [word, tone], [word], [word, tone],  # both
        [], [], [],                          # none
        [("recording", 1.0)],
    ]


def laid_out(script_text: str, write_script: WriteScript, seconds: float = 0.0) -> tuple[Layout, StubSounds]:
    """The layout of a script whose every spoken line lasts `seconds` (real clips: their length is checked)."""
    path = write_script(script_text)
    (path.parent / "clip.wav").write_bytes(b"RIFF")
    script = load_script(path)
    sounds = StubSounds()
    layout = Layout(script, lambda request: np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32),
                    sounds, real_clips=seconds > 0)
    layout.walk(script.steps)
    return layout, sounds


def test_a_spoken_breath_cue_must_fit_its_phase_and_may_fill_it(write_script: WriteScript) -> None:
    # Every word lasts 4 s: it fills the 4 s 'out' phase exactly, and overruns the 2 s 'in' phase.
    layout, _ = laid_out("title: T\nsteps:\n  - breathe: {in: 2, out: 4, cycles: 1}\n", write_script, 4.0)
    assert [p.message for p in layout.problems] == [
        "the spoken cue 'Breathe in' lasts 4.0s, longer than the 2.0s 'in' phase; lengthen the phase "
        "or use 'cue: tone'"]


def test_each_sound_keeps_its_own_clip_and_show_names_each_kind(write_script: WriteScript) -> None:
    layout, sounds = laid_out("""
        title: T
        steps:
          - breathe: {in: 2, out: 2, cycles: 1}
          - silence: {duration: 60, bells_every: 20, chime: bell}
          - silence: {duration: 60, bells_every: 20}
          - play: clip.wav
    """, write_script)
    events = [(offset, event) for span in layout.spans for offset, event in span.events
              if isinstance(event, SoundEvent)]
    keys = [event.clip for _, event in events]
    assert keys[:2] == ["speech:None:1.0:1.0:Breathe in", "speech:None:1.0:1.0:And out"]
    # Bells every 20 s of a 60 s sit, ringing 300 samples (the stub's ring): at 20 s and 40 s only.
    bells = [(offset, event.clip, event.gain) for offset, event in events if event.kind == "chime"]
    assert bells == [(20 * SAMPLE_RATE, "chime:bell", 1.0), (40 * SAMPLE_RATE, "chime:bell", 1.0),
                     (20 * SAMPLE_RATE, "chime:bowl", 1.0), (40 * SAMPLE_RATE, "chime:bowl", 1.0)]
    assert [call for call in sounds.calls if call[0] == "ring"] == [("ring", 1.0), ("ring", 1.0)]  # at full volume
    assert [record.kind for record in layout.steps] == ["breathe", "silence", "silence", "play"]
