"""The audio engines: their names, their order of preference and how people call them."""

from __future__ import annotations

# Best first: a person's voice, then gTTS, then the offline engine (eSpeak NG).
ENGINES = ("recorded", "gtts", "espeak")
DEFAULT_PLAY_ENGINES = ("recorded", "gtts")
LABELS = {"recorded": "recorded (a person)", "gtts": "gTTS", "espeak": "offline (eSpeak NG)"}


def rank(engine: str) -> int:
    """Sort key: better engines first, unknown ones last."""
    return ENGINES.index(engine) if engine in ENGINES else len(ENGINES)


def label(engine: str | None) -> str:
    """An engine's name for people."""
    return LABELS.get(engine or "", engine or "")
