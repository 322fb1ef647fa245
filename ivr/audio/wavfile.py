"""The telephone WAV format: writing 8 kHz mono G.711 μ-law files and reading them back.

Python's `wave` module only knows PCM, so the few header bytes are written here by hand,
the same layout ffmpeg writes (a WAVE_FORMAT_MULAW `fmt ` chunk and a `fact` chunk).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ._audioop import audioop
from .errors import DecodeError
from .spec import RATE

MULAW = 7  # WAVE_FORMAT_MULAW
PCM = 1  # WAVE_FORMAT_PCM
EXTENSIBLE = 0xFFFE
HEADER_BYTES = 58  # RIFF + fmt (18) + fact + data headers, for a μ-law file


@dataclass(frozen=True)
class Wav:
    """A decoded WAV file: its format and its samples as 16-bit signed PCM."""

    rate: int
    channels: int
    encoding: str  # "mu-law" or "pcm16"
    pcm: bytes

    @property
    def duration(self) -> float:
        """Seconds of audio."""
        return len(self.pcm) / 2 / self.channels / self.rate


def mulaw_wav(pcm16: bytes, rate: int = RATE) -> bytes:
    """A mono μ-law WAV file holding these 16-bit samples."""
    data = audioop.lin2ulaw(pcm16, 2)
    pad = b"\0" if len(data) % 2 else b""
    fmt = struct.pack("<HHIIHHH", MULAW, 1, rate, rate, 1, 8, 0)
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"fact" + struct.pack("<II", 4, len(data))
        + b"data" + struct.pack("<I", len(data)) + data + pad
    )
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def read_wav(blob: bytes) -> Wav:
    """Decode a μ-law or 16-bit PCM WAV file; raise DecodeError for anything else."""
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise DecodeError("not a WAV file")
    fmt: tuple[int, int, int, int] | None = None
    data: bytes | None = None
    at = 12
    while at + 8 <= len(blob):
        kind, size = blob[at : at + 4], struct.unpack("<I", blob[at + 4 : at + 8])[0]
        body = blob[at + 8 : at + 8 + size]
        if kind == b"fmt ":
            if len(body) < 16:
                raise DecodeError("a WAV fmt chunk that is too short")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, channels, rate, bits)
        elif kind == b"data":
            data = body
        at += 8 + size + (size % 2)
    if fmt is None or data is None:
        raise DecodeError("a WAV file without fmt or data")
    tag, channels, rate, bits = fmt
    if channels < 1 or rate < 1:
        raise DecodeError(f"a WAV file with {channels} channels at {rate} Hz")
    if tag == MULAW and bits == 8:
        return Wav(rate, channels, "mu-law", audioop.ulaw2lin(data, 2))
    if tag == PCM and bits == 16:
        return Wav(rate, channels, "pcm16", data[: len(data) - len(data) % (2 * channels)])
    raise DecodeError(f"WAV format {tag} with {bits} bits is neither μ-law nor 16-bit PCM")
