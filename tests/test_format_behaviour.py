"""What a format does (parts, muxer options, tags) comes from its Format, never from its name."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile
from mutagen.wave import WAVE

from player import SAMPLE_RATE
from player.export.encoder import _output_arguments
from player.export.formats import FORMATS, encoding_for
from player.export.parts import plan_parts
from player.export.tags import Metadata, write_metadata

TWENTY_MINUTES = 20 * 60 * SAMPLE_RATE


def test_parts_are_planned_for_a_format_that_allows_them_whatever_its_name() -> None:
    joinable = replace(FORMATS["mp3"], name="renamed")
    assert len(plan_parts(TWENTY_MINUTES, encoding_for(joinable), cores=2)) == 2
    whole = replace(FORMATS["mp3"], parts=False)
    assert len(plan_parts(TWENTY_MINUTES, encoding_for(whole), cores=2)) == 1


def test_only_mp3_joins_parts_and_starts_late_while_growing() -> None:
    assert [f.name for f in FORMATS.values() if f.parts] == ["mp3"]
    assert {f.name: f.growing_delay for f in FORMATS.values() if f.growing_delay} == {"mp3": 576}
    assert [f.name for f in FORMATS.values() if f.chapter_track] == ["m4a"]


def test_muxer_options_come_from_the_format(tmp_path: Path) -> None:
    out = tmp_path / "x.mp3"
    assert _output_arguments(FORMATS["mp3"], out)[-7:] == [
        "-id3v2_version", "0", "-write_id3v1", "0", "-f", "mp3", str(out)]
    plain = replace(FORMATS["mp3"], name="renamed", muxer_options=())
    assert "-id3v2_version" not in _output_arguments(plain, out)
    assert "-id3v2_version" not in _output_arguments(FORMATS["wav"], out)


def test_tags_are_written_by_the_formats_tag_kind(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    soundfile.write(path, np.zeros((4410, 2), dtype=np.float32), SAMPLE_RATE, subtype="PCM_16")
    write_metadata(path, replace(FORMATS["wav"], name="renamed"), Metadata(title="Calm", album="A"))
    tags = WAVE(str(path)).tags
    assert tags is not None
    assert str(tags["TIT2"]) == "Calm"
