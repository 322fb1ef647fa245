"""What can go wrong while building audio; each error names the prompt's source or engine."""

from __future__ import annotations

from ..errors import AudioError


class SourceError(AudioError):
    """A source could not give audio for one prompt (the engine itself works)."""


class EngineUnavailable(SourceError):
    """An engine cannot run on this machine now: no connection, no library, no program."""


class DecodeError(AudioError):
    """Audio could not be decoded: a corrupt or empty file, or no speech in it."""


class WriteError(AudioError):
    """A file could not be written (a full disk, a read-only folder); nothing was replaced."""
