"""A take's sound: its container by its first bytes, decoded for the checks, judged fit for callers.

Refused with a message a recorder can act on when it is not audio, silent or too quiet,
clipped, mostly silence, or much shorter or longer than its text takes to say (ivr.timing's
estimate, through ivr.studio.checks.bounds).

Imports pydub (through ivr.audio.process): import this module inside a request, never at start-up.
"""

from __future__ import annotations

import math
import subprocess
from array import array
from pathlib import Path

from ..audio._audioop import audioop
from ..audio.ffmpeg import AudioSegment, ffmpeg_exe, silence
from ..audio.process import (
    ABSOLUTE_GATE,
    FRAME_MS,
    FULL_SCALE,
    RELATIVE_GATE,
    TRIM_BELOW_PEAK,
    TRIM_FLOOR,
    speech_level,
    trim,
)
from .checks import (
    CLIP_LEVEL,
    CLIP_SHARE,
    ENDS_FORGIVEN,
    MAX_TAKE_SECONDS,
    QUIET_LEVEL,
    SPEECH_SHARE,
    bounds,
)
from .records import StudioError

# First bytes of the formats taken, and the suffix the recording is stored under.
# MediaRecorder sends WebM (Chromium), Ogg (Firefox) or MP4 (Safari).
SIGNATURES = (
    (b"RIFF", ".wav"),
    (b"fLaC", ".flac"),
    (b"OggS", ".ogg"),
    (b"\x1a\x45\xdf\xa3", ".webm"),
    (b"ID3", ".mp3"),
)
DECODE_TIMEOUT = 60


class Refused(StudioError):
    """A take that does not go on the line; the message says why and what to do."""


def suffix_of(data: bytes) -> str:
    """The container a take is in, by its first bytes; Refused for anything else."""
    for magic, suffix in SIGNATURES:
        if data.startswith(magic):
            if suffix == ".wav" and data[8:12] != b"WAVE":
                break
            return suffix
    if data[4:8] == b"ftyp":
        return ".m4a"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return ".mp3"
    raise Refused("this is not audio: send a recording (WebM, Ogg, MP4/M4A, WAV, FLAC or MP3)")


def decode_native(path: Path) -> AudioSegment:
    """The first audio stream as 16-bit mono at 48 kHz, without the pipeline's high-pass, for the checks
    (a clipped peak is still at full scale; at most MAX_TAKE_SECONDS + 1 s is decoded)."""
    rate = 48000
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
        "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le", "-f", "s16le", "-t",
        str(MAX_TAKE_SECONDS + 1), "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Refused(f"this take could not be decoded ({e}); record it again") from e
    if done.returncode != 0 or len(done.stdout) < 2:
        raise Refused("this is not audio that can be decoded: record it again, or send WAV, FLAC, Ogg or MP3")
    pcm = done.stdout[: len(done.stdout) // 2 * 2]
    return AudioSegment(data=pcm, sample_width=2, frame_rate=rate, channels=1)


def speech_seconds(segment: AudioSegment) -> float:
    """Seconds of 20 ms frames that hold speech, gated as ivr.audio.process.speech_level is."""
    pcm, rate = segment.raw_data, segment.frame_rate
    step = rate * FRAME_MS // 1000 * 2
    powers = [audioop.rms(pcm[i : i + step], 2) ** 2 for i in range(0, len(pcm) - step + 1, step)]
    floor = (FULL_SCALE * 10 ** (ABSOLUTE_GATE / 20)) ** 2
    loud = [p for p in powers if p > floor]
    if not loud:
        return 0.0
    gate = sum(loud) / len(loud) * 10 ** (-RELATIVE_GATE / 10)
    return sum(1 for p in loud if p > gate) * FRAME_MS / 1000


def judge(segment: AudioSegment, text: str, script: str) -> float:
    """Raise Refused when a decoded take is not fit for callers; else its seconds of speech."""
    total = len(segment) / 1000
    if total > MAX_TAKE_SECONDS:
        raise Refused(f"this take is over {MAX_TAKE_SECONDS:.0f} seconds: one prompt at a time, please")
    speech = trim(segment)
    level = speech_level(speech.raw_data, speech.frame_rate) if len(speech) else None
    if level is None:
        raise Refused(
            "no voice was heard: it is silent. Check that the right microphone is chosen and not muted, then record again"
        )
    if level < QUIET_LEVEL:
        raise Refused(
            f"too quiet ({level:.0f} dBFS; at least {QUIET_LEVEL:.0f}): come closer to the microphone "
            "or turn its level up, then record again"
        )
    pcm = speech.raw_data
    samples = len(pcm) // 2
    clipped = _clipped(pcm)
    if samples and clipped / samples > CLIP_SHARE:
        raise Refused(
            f"clipped: {clipped} samples hit the top of the range, which crackles on the phone. "
            "Move a little away from the microphone or turn its level down, then record again"
        )
    lead = _lead(segment, speech)
    tail = total - lead - len(speech) / 1000
    span = total - min(lead, ENDS_FORGIVEN) - min(tail, ENDS_FORGIVEN)
    voiced = speech_seconds(speech)
    if span > 0 and voiced / span < SPEECH_SHARE:
        raise Refused(
            f"mostly silence: {voiced:.1f} s of speech in {span:.1f} s. Start speaking soon after "
            "pressing Record, press Stop when you finish, and record it again"
        )
    said = len(speech) / 1000
    allowed = bounds(text, script)
    if said < allowed.shortest:
        raise Refused(
            f"much shorter than the text: {said:.1f} s of speech, but it takes about "
            f"{allowed.expected:.0f} s to say (at least {allowed.shortest:.1f} s). Read the whole text, then record again"
        )
    if said > allowed.longest:
        raise Refused(
            f"much longer than the text: {said:.1f} s of speech, but it takes about "
            f"{allowed.expected:.0f} s to say (at most {allowed.longest:.0f} s). Read only this text, "
            "without long pauses, then record again"
        )
    return said


def _clipped(pcm: bytes) -> int:
    """Samples at the top of the range, either sign."""
    samples = array("h", pcm)
    return sum(1 for s in samples if s >= CLIP_LEVEL or s <= -CLIP_LEVEL)


def _lead(segment: AudioSegment, speech: AudioSegment) -> float:
    """Seconds before the trimmed speech starts (trim keeps a little before the onset)."""
    peak = segment.max_dBFS
    if peak == -math.inf:
        return 0.0
    threshold = max(peak - TRIM_BELOW_PEAK, TRIM_FLOOR)
    return silence.detect_leading_silence(segment, silence_threshold=threshold, chunk_size=10) / 1000
