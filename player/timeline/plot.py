"""A picture of a session's pacing: speech blocks, pauses, chapters and the ambient level."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from player.atomic import staged
from player.errors import ExportError, MissingDependency
from player.render.ambient import plan_ambient
from player.script.durations import format_duration
from player.timeline.model import Timeline

INSTALL_HINT = "pip install 'practice-player[plot]'  (that is: matplotlib)"
"""matplotlib is the `plot` extra: only `show --plot` and the studio's pacing picture draw."""
COLORS = {"speech": "#3b6ea5", "recording": "#7a4fa0", "chime": "#c58b2a", "tone": "#6aa56a"}


def plot_timeline(timeline: Timeline, path: Path) -> Path:
    """Draw the timeline into a PNG (or SVG/PDF, from the suffix) and return its path."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no screen is needed or wanted
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependency("Drawing a timeline needs matplotlib.", INSTALL_HINT) from None
    rate = timeline.sample_rate
    minutes = timeline.length / rate / 60
    figure, (lane, level) = plt.subplots(
        2, 1, figsize=(max(8.0, min(24.0, 4 + minutes * 1.2)), 4.2), sharex=True,
        gridspec_kw={"height_ratios": [2, 1.4]}, constrained_layout=True)
    lanes = {"speech": 2, "recording": 2, "tone": 1, "chime": 0}
    for kind, row in lanes.items():
        spans = [(s.start / rate / 60, (timeline.sound_end(s) - s.start) / rate / 60)
                 for s in timeline.sounds if s.kind == kind]
        if spans:
            lane.broken_barh(spans, (row - 0.35, 0.7), color=COLORS[kind], label=kind)
    lane.set_yticks([0, 1, 2], ["chimes", "tones", "voice"])
    lane.set_ylim(-0.7, 2.7)
    lane.set_title(f"{timeline.title}: {format_duration(timeline.length / rate)}, "
                   f"{len(timeline.chapters)} chapters (gaps in the voice lane are pauses)", fontsize=10)
    for axis in (lane, level):
        for mark in timeline.chapters:
            axis.axvline(mark.start / rate / 60, color="#888888", linewidth=0.8, linestyle="--")
    for mark in timeline.chapters:
        lane.annotate(mark.title, (mark.start / rate / 60, 2.55), fontsize=8, rotation=0,
                      xytext=(2, 0), textcoords="offset points", va="center")
    plan = plan_ambient(timeline)
    if plan.segments:
        times = np.concatenate([[0.0], plan.times, [float(timeline.length)]])
        levels = np.concatenate([[plan.levels_db[0]], plan.levels_db, [plan.levels_db[-1]]])
        level.plot(times / rate / 60, levels, color="#4d8f8f")
        level.set_ylabel("ambient (dB\nunder voice)", fontsize=8)
    else:
        level.text(0.5, 0.5, "no ambient bed", transform=level.transAxes, ha="center", va="center")
        level.set_yticks([])
    level.set_xlabel("minutes")
    level.set_xlim(0, max(minutes, 1 / 60))
    try:
        with staged(path) as temporary:
            # The format from the name asked for: the temporary's own ending says nothing.
            figure.savefig(temporary, dpi=110, format=path.suffix.lstrip(".") or "png")
    except (OSError, ValueError) as error:
        raise ExportError(f"cannot write {path}: {error}") from None
    finally:
        plt.close(figure)
    return path
