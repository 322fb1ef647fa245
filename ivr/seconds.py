"""Durations of what a caller hears, and whether they are measured or estimated from text."""

from __future__ import annotations

from dataclasses import dataclass

PAUSE = 0.3  # between two prompts, as the built audio's lead-in silence makes it
# Characters a voice speaks per second, by script (Han and Thai pack more sound per character).
CHARS_PER_SECOND = {"Latin": 14.0, "Cyrillic": 13.0, "Arabic": 12.0, "Ethiopic": 8.0, "Thai": 9.0, "Han": 4.5}


def spoken_seconds(text: str, script: str) -> float:
    """An estimate of how long a voice takes to say `text`, for texts without audio yet."""
    return len(text) / CHARS_PER_SECOND.get(script, 14.0)


@dataclass(frozen=True)
class Seconds:
    """A duration, and whether any part of it is an estimate from text."""

    value: float
    estimated: bool

    def __add__(self, other: Seconds) -> Seconds:
        return Seconds(self.value + other.value, self.estimated or other.estimated)

    def __str__(self) -> str:
        return f"{'~' if self.estimated else ''}{self.value:.1f} s"


ZERO = Seconds(0.0, False)
