"""Kinds of session for the benchmarks: what a real library holds, not one friendly shape.

- dense: short lines every few seconds over a noise bed (grounding drills, counting)
- sparse: a line every couple of minutes and long silences, no bed (a sit with few prompts)
- music: spoken lines around a recorded music clip (a listening practice)

Each is generated at any length; mono and stereo are export options (`--mono`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from player import SAMPLE_RATE

KINDS = ("dense", "sparse", "music")
SHORT_LINES = [
    "Notice your feet.", "Breathe in.", "And out.", "Look around the room.", "Name one colour.",
    "Feel your hands.", "Let the shoulders drop.", "Listen for a far sound.", "Press your heels down.",
    "Notice the air.", "One more breath.", "You are here.", "Touch something near you.", "Name a shape.",
    "Feel the chair.", "Soften your jaw.", "Notice the light.", "Count three sounds.", "Wiggle your toes.",
    "Slow the out-breath.", "Look at one object.", "Feel its weight.", "Notice the temperature.", "Stay here.",
]


def write(kind: str, folder: Path, minutes: int) -> Path:
    """A generated script of `kind` lasting `minutes`, written into `folder`."""
    makers = {"dense": _dense, "sparse": _sparse, "music": _music}
    text = makers[kind](folder, minutes)
    path = folder / f"{kind}-{minutes}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _dense(folder: Path, minutes: int) -> str:
    """Short lines a few seconds apart over brown noise, for the whole length."""
    steps = ["  - chime: bowl"]
    for index in range(minutes * 60 // 5):
        if index % 60 == 0:
            steps.append(f"  - chapter: Round {index // 60 + 1}")
        steps.append(f'  - say: "{SHORT_LINES[index % len(SHORT_LINES)]}"')
        steps.append(f"  - pause: {{seconds: {2 + index % 3}, flexible: true, min: 1, max: 30}}")
    return _script(f"Dense {minutes} minutes", minutes, "{sound: brown-noise, level: -20}", steps)


def _sparse(folder: Path, minutes: int) -> str:
    """A prompt every two minutes or so, long silences between, no bed."""
    steps = ["  - chime: bowl"]
    for index in range(max(minutes // 2, 1)):
        steps.append(f'  - say: "{SHORT_LINES[index % len(SHORT_LINES)]} Then rest in the quiet."')
        steps.append("  - pause: {seconds: 110, flexible: true, min: 10, max: 900}")
    steps.append("  - chime: bowl")
    return _script(f"Sparse {minutes} minutes", minutes, "none", steps)


def _music(folder: Path, minutes: int) -> str:
    """Lines around a three-minute recorded music clip, played again and again."""
    clip = folder / "music.wav"
    if not clip.exists():
        soundfile.write(str(clip), music_clip(180.0), SAMPLE_RATE, subtype="PCM_16")
    steps = ["  - chime: bowl"]
    for index in range(max(minutes // 4, 1)):
        steps.append(f'  - say: "{SHORT_LINES[index % len(SHORT_LINES)]} Now listen."')
        steps.append("  - pause: 2")
        steps.append(f"  - play: {clip}")
        steps.append("  - pause: {seconds: 30, flexible: true, min: 2, max: 600}")
    return _script(f"Music {minutes} minutes", minutes, "none", steps)


def _script(title: str, minutes: int, ambient: str, steps: list[str]) -> str:
    """The YAML around the steps."""
    return f"title: {title}\nlength: {minutes}m\nambient: {ambient}\nsteps:\n" + "\n".join(steps) + "\n"


def music_clip(seconds: float) -> np.ndarray:
    """Stereo 'music': plucked chords of an A minor progression with a slow melody (numpy)."""
    rate = SAMPLE_RATE
    out = np.zeros((int(seconds * rate), 2), dtype=np.float64)
    chords = [(220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (196.0, 246.9, 293.7), (164.8, 207.7, 246.9)]
    beat = int(0.5 * rate)
    t = np.arange(4 * beat) / rate
    for start in range(0, len(out) - 4 * beat, 4 * beat):
        chord = chords[(start // (4 * beat)) % len(chords)]
        for voice, frequency in enumerate(chord):
            note = sum(np.sin(2 * np.pi * frequency * h * t) / h**1.5 for h in (1, 2, 3, 4)) * np.exp(-t * 1.2)
            pan = 0.3 + 0.2 * voice
            out[start:start + len(t), 0] += 0.12 * note * (1 - pan)
            out[start:start + len(t), 1] += 0.12 * note * pan
        melody = chord[(start // beat) % 3] * 2
        part = t[:beat * 2]
        line = np.sin(2 * np.pi * melody * part) * np.sin(np.pi * part / part[-1]) * 0.1
        out[start + beat:start + 3 * beat, :] += line[:, np.newaxis]
    result: np.ndarray = (out / max(np.abs(out).max(), 1e-9) * 0.7).astype(np.float32)
    return result
