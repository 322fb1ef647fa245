"""Audio as a source hands it over, before decoding: small, so sources stay light to import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Audio:
    """Audio as a source gives it: bytes in a format ffmpeg reads, or a file on disk."""

    data: bytes = b""
    path: Path | None = None
    format: str | None = None  # an ffmpeg demuxer ("mp3", "wav", "s16le"); None: detect from the file
    rate: int | None = None  # samples per second, for headerless "s16le"

    def describe(self) -> str:
        """Where the audio came from, for messages."""
        return str(self.path) if self.path else f"{len(self.data)} bytes of {self.format or 'audio'}"
