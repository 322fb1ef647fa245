"""Takes for the studio's tests: eSpeak NG reading a prompt's script, as a recorder would.

eSpeak NG's library (the espeakng-loader wheel) has a Tigrinya voice; Debian's program does not.
"""

from __future__ import annotations

import io
import wave
from array import array

from ivr.audio.espeak import find_backend
from ivr.audio.sources import spoken
from ivr.content import Language

RATE = 22050  # eSpeak NG's own rate


def speech(lang: Language, prompt: str) -> bytes:
    """16-bit mono samples at RATE of eSpeak NG reading one prompt at 140 words a minute."""
    assert lang.espeak, f"{lang.code} has no eSpeak NG voice"
    audio = find_backend().synth(spoken(lang.text(prompt)), lang.espeak, 140)
    assert audio.rate == RATE
    return audio.data


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(RATE * seconds)


def gain(pcm: bytes, db: float) -> bytes:
    """Louder or quieter; louder clips at full scale, as an overdriven microphone does."""
    factor = 10 ** (db / 20)
    samples = array("h", pcm)
    for i, s in enumerate(samples):
        samples[i] = max(-32768, min(32767, round(s * factor)))
    return samples.tobytes()


def wav(pcm: bytes, rate: int = RATE) -> bytes:
    """A 16-bit mono WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(pcm)
    return out.getvalue()


def take(lang: Language, prompt: str, lead: float = 0.6, tail: float = 0.8, db: float = 0.0) -> bytes:
    """A take as a WAV file: a little silence, the prompt read, a little silence."""
    voice = speech(lang, prompt)
    return wav(silence(lead) + (gain(voice, db) if db else voice) + silence(tail))
