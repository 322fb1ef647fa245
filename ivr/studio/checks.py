"""The limits a take must meet, light to import (the page shows them; ivr.studio.intake applies them)."""

from __future__ import annotations

from dataclasses import dataclass

from ..timing import spoken_seconds

# A take from the browser: at most MAX_TAKE_SECONDS of audio, and the bulkiest form a browser
# may send it in is uncompressed 48 kHz 16-bit mono WAV (96 KB/s): 120 s of it is 11.5 MB.
# Opus from Chromium or Firefox at 64 kbit/s is 8 KB/s, a twelfth of that. Anything bigger is
# not one prompt, and is refused from its Content-Length before a byte is read.
UPLOAD_LIMIT = 12 * 1024 * 1024
# Files from a studio session may be 96 kHz 24-bit stereo (576 KB/s): 120 s is 69 MB.
IMPORT_LIMIT = 80 * 1024 * 1024
MAX_TAKE_SECONDS = 120.0  # the longest prompt is under a minute; a take this long is a mistake

QUIET_LEVEL = -45.0  # dBFS active speech level: below this the voice is lost in the hiss once levelled
CLIP_LEVEL = 32700  # a sample this close to full scale (-0.02 dBFS) was clipped by the microphone or the gain
CLIP_SHARE = 0.001  # clipped samples in one of a thousand: audible crackle
SPEECH_SHARE = 0.3  # under 30 % of the take is speech (ends aside): mostly silence
ENDS_FORGIVEN = 2.0  # seconds of silence before and after the speech that are simply cut
# Against ivr.timing's estimate from the text. eSpeak NG reading all 70 Tigrinya prompts takes
# 1.2 to 2.4 times the estimate (digits read one by one are slow), Dari 1.0 to 1.7 times.
SHORTEST = 0.4  # a take under 40 % of the estimate skips words
LONGEST = 2.5  # over 2.5 times the estimate (plus SLACK) it has long pauses or extra words
SLACK = 3.0  # seconds: short prompts vary most


@dataclass(frozen=True)
class Bounds:
    """How long a take of a text may be, in seconds of speech (silence at the ends cut)."""

    expected: float
    shortest: float
    longest: float


def bounds(text: str, script: str) -> Bounds:
    """The estimate of ivr.timing, and the range a take is accepted in."""
    expected = spoken_seconds(text, script)
    return Bounds(expected, round(expected * SHORTEST, 1), round(expected * LONGEST + SLACK, 1))
