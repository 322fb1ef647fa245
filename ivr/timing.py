"""Seconds of audio a caller hears before something: their language, or a way to ROSA.

Uses a prompt's built audio duration when there is playable audio, and otherwise an
estimate from its text (marked as such), so the figures exist before any audio is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import playable_engines
from .flow import Ask, Line, Part
from .twiml import GATHER_TIMEOUT

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


def prompt_seconds(line: Line, part: Part) -> Seconds:
    """How long one prompt plays on a call."""
    code, prompt = part
    lang = line.content.languages[code]
    text = lang.text(prompt)
    settings = line.settings
    if settings.audio_mode == "auto":
        found = line.catalog.find(code, prompt, text, playable_engines(lang, settings.play_engines))
        if found and found.duration:
            return Seconds(found.duration, False)
    return Seconds(spoken_seconds(text, lang.script) + PAUSE, True)


def time_to_languages(line: Line, country: str | None) -> dict[str, Seconds]:
    """For each offered language, the seconds from the start of the call until its option begins.

    A caller whose language is on a later page hears the page out, waits the menu's timeout,
    and hears the next page (silence turns the page), so that is what is counted.
    """
    found: dict[str, Seconds] = {}
    elapsed = ZERO
    for page in range(1, len(line.language_pages(country)) + 1):
        scene = line.language_menu(country, page=page)
        assert isinstance(scene, Ask)
        for part in scene.parts:
            code, prompt = part
            if prompt.startswith("language_option_") and code not in found:
                found[code] = elapsed
            elapsed = elapsed + prompt_seconds(line, part)
        elapsed = elapsed + Seconds(float(GATHER_TIMEOUT), False)
    return found


def time_to_rosa_option(line: Line) -> Seconds:
    """Seconds before the greeting has offered key 0 (the end of the greeting's first language)."""
    first = line.content.greeting[0]
    return prompt_seconds(line, (first, "greeting"))
