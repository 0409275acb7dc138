"""MPEG-1 Layer III frames: finding them in a file, and joining separately encoded parts frame-exactly.

Two encoders given overlapping stretches of one session, each starting on a frame boundary,
put out frames on one grid: frame g of either covers the same samples, and once an encoder has
run a while its frames no longer depend on where it started. Joining two parts at such a frame
gives one stream, but for one link between frames, the bit reservoir: a frame's main data may
begin up to 511 bytes back, inside the frames before it. So the first frame taken from the
later part has the bytes it borrows carried over into the earlier part's last frames, into the
room that part had reserved for its own next frame (which is dropped). The join is made where
that room is large enough and both encoders chose the same window shape, so every frame
decodes as it did in its own part.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from player.errors import ExportError

SAMPLES_PER_FRAME = 1152
SAMPLE_RATES = (44_100, 48_000, 32_000)
"""MPEG-1 rates, in the order of the header's rate index."""
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
"""kbit/s by the header's bitrate index (0: free format, which is not handled)."""
_READ = 1 << 20
_INFO_TAGS = (b"Info", b"Xing")
_ALL_FIELDS = 0x0F
"""Info frame flags: frame count, byte count, seek table and quality all present (as ffmpeg writes them)."""


class SpliceError(ExportError):
    """Parts that cannot be joined (the export then encodes the session in one piece)."""


def frame_size(header: int) -> int:
    """Bytes in the MPEG-1 Layer III frame that starts with this 32-bit header; 0 if it is not one."""
    if header >> 21 != 0x7FF or (header >> 19) & 3 != 3 or (header >> 17) & 3 != 1:
        return 0
    bitrate_index, rate_index = (header >> 12) & 15, (header >> 10) & 3
    if bitrate_index in (0, 15) or rate_index == 3:
        return 0
    return 144_000 * _BITRATES[bitrate_index] // SAMPLE_RATES[rate_index] + ((header >> 9) & 1)


def frame_offsets(path: Path) -> npt.NDArray[np.int64]:
    """Where each frame of a bare MP3 stream starts, then where the last one ends (the file's size)."""
    offsets: list[int] = []
    with open(path, "rb") as file:
        total = os.fstat(file.fileno()).st_size
        position = 0
        while position < total:
            file.seek(position)
            buffer = file.read(_READ)
            local = 0
            while local + 4 <= len(buffer):
                size = frame_size(int.from_bytes(buffer[local:local + 4], "big"))
                if size == 0:
                    raise SpliceError(f"{path.name}: no MP3 frame at byte {position + local}")
                offsets.append(position + local)
                local += size
            if local == 0:
                raise SpliceError(f"{path.name}: {total - position} stray bytes at its end")
            position += local
    if position != total:
        raise SpliceError(f"{path.name}: its last frame is cut short")
    return np.array([*offsets, total], dtype=np.int64)


@dataclass(frozen=True)
class SideInfo:
    """What joining needs from a frame's side information."""

    main_data_begin: int
    """Bytes of this frame's main data that lie in the frames before it."""
    data_start: int
    """Where the main data area begins, counted from the frame's first byte."""
    last_block_types: tuple[int, ...]
    """Each channel's window (0 long, 1 start, 2 short, 3 stop) in the frame's second granule."""


def side_info(frame: bytes) -> SideInfo:
    """Parse an MPEG-1 Layer III frame's side information (ISO 11172-3, 2.4.1.7)."""
    header = int.from_bytes(frame[:4], "big")
    channels = 1 if (header >> 6) & 3 == 3 else 2
    start, length = _side_info_span(header)
    bits = _Bits(frame[start:start + length])
    main_data_begin = bits.take(9)
    bits.take(5 if channels == 1 else 3)  # private bits
    bits.take(4 * channels)  # scale factor selection
    block_types: list[int] = []
    for granule in range(2):
        for _channel in range(channels):
            bits.take(12 + 9 + 8 + 4)  # part2_3_length, big_values, global_gain, scalefac_compress
            if bits.take(1):  # window switching: a block type, then its table and gains
                block_type = bits.take(2)
                bits.take(1 + 2 * 5 + 3 * 3)
            else:
                block_type = 0
                bits.take(3 * 5 + 4 + 3)
            bits.take(3)  # preflag, scalefac_scale, count1table_select
            if granule == 1:
                block_types.append(block_type)
    return SideInfo(main_data_begin, start + length, tuple(block_types))


def _side_info_span(header: int) -> tuple[int, int]:
    """Where a frame's side information starts (after the header and any CRC) and its length in bytes."""
    protected = not (header >> 16) & 1
    return 4 + 2 * protected, 17 if (header >> 6) & 3 == 3 else 32


class _Bits:
    """Reads big-endian bit fields in order."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._left = 8 * len(data)

    def take(self, count: int) -> int:
        """The next `count` bits as an unsigned number."""
        self._left -= count
        return (self._value >> self._left) & ((1 << count) - 1)


class EncodedPart:
    """One separately encoded stretch of a session, as the encoder wrote it (an Info frame first)."""

    def __init__(self, path: Path, first_frame: int) -> None:
        self.path = path
        self.first_frame = first_frame
        """The session frame its first audio frame holds: its input began at first_frame * 1152."""
        self.offsets = frame_offsets(path)
        if len(self.offsets) < 2 or info_tag_at(self.read(0, 1)) < 0:
            raise SpliceError(f"{path.name} does not begin with an Info frame")

    @property
    def end_frame(self) -> int:
        """One past the last session frame it holds."""
        return self.first_frame + len(self.offsets) - 2

    def start_of(self, frame: int) -> int:
        """Byte offset of a session frame in this part's file (end_frame: the file's end)."""
        return int(self.offsets[frame - self.first_frame + 1])

    def read(self, first: int, end: int) -> bytes:
        """The bytes of file frames [first, end) (0 is the Info frame)."""
        with open(self.path, "rb") as file:
            file.seek(int(self.offsets[first]))
            return file.read(int(self.offsets[end] - self.offsets[first]))

    def frame(self, frame: int) -> bytes:
        """One session frame's bytes."""
        index = frame - self.first_frame + 1
        return self.read(index, index + 1)

    def main_data_tail(self, frame: int, count: int) -> list[tuple[int, int]]:
        """File byte ranges holding the last `count` bytes of main data areas before a session frame."""
        ranges: list[tuple[int, int]] = []
        current = frame
        while count > 0:
            current -= 1
            if current < self.first_frame:
                raise SpliceError(f"{self.path.name}: frame {frame} reaches back before the part begins")
            start, end = self.start_of(current), self.start_of(current + 1)
            area = start + side_info(self.frame(current)).data_start
            taken = min(count, end - area)
            ranges.insert(0, (end - taken, end))
            count -= taken
        return ranges

    def gather(self, ranges: list[tuple[int, int]]) -> bytes:
        """The bytes in these file ranges, joined."""
        with open(self.path, "rb") as file:
            pieces = []
            for start, end in ranges:
                file.seek(start)
                pieces.append(file.read(end - start))
        return b"".join(pieces)


@dataclass(frozen=True)
class Splice:
    """Where two parts join, and the bytes written into the earlier part's last frames."""

    frame: int
    """The first session frame taken from the later part."""
    patches: tuple[tuple[int, bytes], ...]
    """(offset in the earlier part's file, bytes): the later part's borrowed main data."""


def find_splice(before: EncodedPart, after: EncodedPart, near: int, lowest: int, highest: int) -> Splice:
    """The frame in [lowest, highest] nearest to `near` where `after` can take over from `before`."""
    lowest = max(lowest, before.first_frame + 1, after.first_frame + 1)
    highest = min(highest, before.end_frame - 1, after.end_frame - 1)
    for frame in sorted(range(lowest, highest + 1), key=lambda f: (abs(f - near), f)):
        taken, dropped = side_info(after.frame(frame)), side_info(before.frame(frame))
        # The borrowed bytes must fit where `before` had reserved room for its own next frame.
        if taken.main_data_begin > dropped.main_data_begin:
            continue
        # The same window shape on both sides of the join keeps the decoder's overlap-add exact.
        if side_info(after.frame(frame - 1)).last_block_types != side_info(before.frame(frame - 1)).last_block_types:
            continue
        borrowed = after.gather(after.main_data_tail(frame, taken.main_data_begin))
        patches = []
        for start, end in before.main_data_tail(frame, taken.main_data_begin):
            patches.append((start, borrowed[:end - start]))
            borrowed = borrowed[end - start:]
        return Splice(frame, tuple(patches))
    raise SpliceError(f"no frame between {lowest} and {highest} where {after.path.name} can follow "
                      f"{before.path.name}")


def info_tag_at(frame: bytes) -> int:
    """Where an Info (Xing) tag begins in a frame, after its side information; -1 if it holds none."""
    start, length = _side_info_span(int.from_bytes(frame[:4], "big"))
    at = start + length
    return at if frame[at:at + 4] in _INFO_TAGS else -1


def write_joined(parts: list[EncodedPart], splices: list[Splice], stream: IO[bytes]) -> None:
    """The parts' frames in order, each part's from its splice on, under the first part's Info frame.

    The Info frame gets the joined stream's frame count, size and end padding (the last part's,
    which ends where the session does); the rest of it (seek table, checksums) is rewritten by
    the muxer the stream is then passed through (player.export.parts).
    """
    spans = _joined_spans(parts, splices)
    info = bytearray(parts[0].read(0, 1))
    at = info_tag_at(bytes(info))
    if int.from_bytes(info[at + 4:at + 8], "big") & _ALL_FIELDS != _ALL_FIELDS:
        raise SpliceError(f"{parts[0].path.name}: its Info frame lacks a field the join rewrites")
    frames = sum(end - start for start, end in spans)
    size = len(info) + sum(part.start_of(end) - part.start_of(start)
                           for part, (start, end) in zip(parts, spans, strict=True))
    last_info = parts[-1].read(0, 1)
    last_at = info_tag_at(last_info)
    delay_and_padding = int.from_bytes(info[at + 141:at + 144], "big") & ~0xFFF
    delay_and_padding |= int.from_bytes(last_info[last_at + 141:last_at + 144], "big") & 0xFFF
    info[at + 8:at + 12] = frames.to_bytes(4, "big")
    info[at + 12:at + 16] = size.to_bytes(4, "big")
    info[at + 141:at + 144] = delay_and_padding.to_bytes(3, "big")
    stream.write(info)
    for index, (part, (start, end)) in enumerate(zip(parts, spans, strict=True)):
        patches = splices[index].patches if index < len(splices) else ()
        for piece in _patched(part, part.start_of(start), part.start_of(end), patches):
            stream.write(piece)


def joined_offsets(parts: list[EncodedPart], splices: list[Splice]) -> npt.NDArray[np.int64]:
    """Where each frame of the stream write_joined writes starts (the Info frame first), then its
    end: what frame_offsets would find in it, known without reading it again."""
    pieces, position = [np.zeros(1, dtype=np.int64)], int(parts[0].offsets[1])
    for part, (start, end) in zip(parts, _joined_spans(parts, splices), strict=True):
        local = part.offsets[start - part.first_frame + 1:end - part.first_frame + 2]
        pieces.append(local[:-1] - local[0] + position)
        position += int(local[-1] - local[0])
    pieces.append(np.array([position], dtype=np.int64))
    return np.concatenate(pieces)


def _joined_spans(parts: list[EncodedPart], splices: list[Splice]) -> list[tuple[int, int]]:
    """The session frames [start, end) each part gives the joined stream."""
    if len(splices) != len(parts) - 1:
        raise SpliceError("every pair of neighbouring parts needs one splice")
    return [(splices[i - 1].frame if i else part.first_frame,
             splices[i].frame if i < len(splices) else part.end_frame) for i, part in enumerate(parts)]


def _patched(part: EncodedPart, start: int, end: int, patches: tuple[tuple[int, bytes], ...]) -> Iterator[bytes]:
    """A part's bytes [start, end) in pieces of at most _READ, with the patches written over them."""
    with open(part.path, "rb") as file:
        file.seek(start)
        position = start
        while position < end:
            piece = bytearray(file.read(min(_READ, end - position)))
            if not piece:
                raise SpliceError(f"{part.path.name} ended early")
            for offset, data in patches:
                lo, hi = max(offset, position), min(offset + len(data), position + len(piece))
                if lo < hi:
                    piece[lo - position:hi - position] = data[lo - offset:hi - offset]
            yield bytes(piece)
            position += len(piece)
