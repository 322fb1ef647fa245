"""From any source to a telephone-ready file: one format, one loudness, a clean start.

In order: decode (ffmpeg: mono, 100 Hz high-pass, SoX resampling to 8 kHz); trim leading
and trailing silence; bring the active speech level to TARGET_LEVEL, with a peak limiter
so that nothing clips; fade the edges; add LEAD_IN_MS of silence before and TAIL_MS after;
encode as 8 kHz mono G.711 μ-law WAV. The result is measured as stored, and the figures
go to the manifest.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

from ._audioop import audioop
from .errors import DecodeError
from .ffmpeg import AudioSegment, decode, silence
from .spec import LEAD_IN_MS, LEVEL_TOLERANCE, PEAK_CEILING, RATE, TAIL_MS, TARGET_LEVEL
from .types import Audio
from .wavfile import mulaw_wav, read_wav

FADE_MS = 10  # no click where trimmed speech starts and ends

FRAME_MS = 20  # frames for the speech level
ABSOLUTE_GATE = -50.0  # dBFS; quieter frames are silence
RELATIVE_GATE = 15.0  # dB below the mean of the frames above the absolute gate
TRIM_BELOW_PEAK = 45.0  # dB below the loudest sample counts as silence when trimming
TRIM_FLOOR = -65.0  # dBFS; never look for speech below this
KEEP_BEFORE_MS = 20  # speech onsets start softly: keep a little before the detected start
KEEP_AFTER_MS = 60  # and a little more after the end, where words decay
LIMITER_BLOCK = 40  # samples (5 ms): the limiter's resolution
RELEASE_DB_PER_BLOCK = 0.5  # how fast the limiter lets go (about 100 dB/s)
FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Measure:
    """What a telephone-ready file sounds like, measured."""

    duration: float  # seconds, lead-in and tail included
    loudness: float | None  # dBFS active speech level; None when there is no speech
    peak: float  # dBFS, the loudest sample
    lead_in: float  # seconds of digital silence before the first sound


@dataclass(frozen=True)
class Processed:
    """A telephone-ready WAV file and its measurements."""

    wav: bytes
    measure: Measure


def db(amplitude: float) -> float:
    """An amplitude as dBFS (full scale: 32768)."""
    return 20 * math.log10(amplitude / FULL_SCALE) if amplitude > 0 else -math.inf


def speech_level(pcm: bytes, rate: int = RATE) -> float | None:
    """Active speech level, dBFS: the mean power of the 20 ms frames that hold speech.

    A frame holds speech when it is above ABSOLUTE_GATE and no more than RELATIVE_GATE
    below the mean of those frames (a two-stage gate, as in ITU-R BS.1770, without the
    weighting filter: the phone band is already narrow). Pauses do not lower it.
    """
    step = rate * FRAME_MS // 1000 * 2
    powers = [audioop.rms(pcm[i : i + step], 2) ** 2 for i in range(0, len(pcm) - step + 1, step)]
    floor = (FULL_SCALE * 10 ** (ABSOLUTE_GATE / 20)) ** 2
    loud = [p for p in powers if p > floor]
    if not loud:
        return None
    gate = sum(loud) / len(loud) * 10 ** (-RELATIVE_GATE / 10)
    active = [p for p in loud if p > gate]
    return 10 * math.log10(sum(active) / len(active) / FULL_SCALE**2)


def measure(pcm: bytes, rate: int = RATE) -> Measure:
    """Measure 16-bit mono samples."""
    samples = array("h", pcm)
    first = next((i for i, s in enumerate(samples) if s), len(samples))
    return Measure(
        duration=round(len(samples) / rate, 3),
        loudness=_round(speech_level(pcm, rate)),
        peak=round(db(audioop.max(pcm, 2)), 2) if pcm else -math.inf,
        lead_in=round(first / rate, 3),
    )


def measure_file(blob: bytes) -> tuple[Measure, str]:
    """Measure a WAV file as stored; also say its format ("8000 Hz mono mu-law")."""
    wav = read_wav(blob)
    pcm = wav.pcm if wav.channels == 1 else audioop.tomono(wav.pcm, 2, 0.5, 0.5)
    return measure(pcm, wav.rate), f"{wav.rate} Hz {'mono' if wav.channels == 1 else f'{wav.channels} channels'} {wav.encoding}"


def process(audio: Audio) -> Processed:
    """Turn a source's audio into a telephone-ready file; raise DecodeError if it has no speech."""
    return process_decoded(decode(audio, RATE), audio.describe())


def process_decoded(decoded: AudioSegment, what: str) -> Processed:
    """`process` for audio already decoded to 8 kHz mono (the studio checks it first)."""
    wav = mulaw_wav(shape(decoded, what))
    # Measure what is stored: μ-law rounding is part of the sound.
    return Processed(wav, measure(read_wav(wav).pcm))


def telephone_pcm(audio: Audio) -> bytes:
    """Every step but the μ-law encoding: 16-bit samples at 8 kHz, levelled, framed in silence."""
    return shape(decode(audio, RATE), audio.describe())


def shape(decoded: AudioSegment, what: str) -> bytes:
    """Trim, level, limit, fade and frame 8 kHz mono audio."""
    speech = trim(decoded)
    level = speech_level(speech.raw_data)
    if level is None:
        raise DecodeError(f"no speech in {what}: it is silent or far too quiet")
    gain = TARGET_LEVEL - level
    for _ in range(3):  # limiting takes a little energy away; correct for it
        loud = _gain_with_limiter(speech.raw_data, gain, PEAK_CEILING)
        off = TARGET_LEVEL - (speech_level(loud) or TARGET_LEVEL)
        if abs(off) < LEVEL_TOLERANCE / 3:
            break
        gain += off
    shaped = speech._spawn(loud).fade_in(FADE_MS).fade_out(FADE_MS)
    framed = AudioSegment.silent(LEAD_IN_MS, RATE) + shaped + AudioSegment.silent(TAIL_MS, RATE)
    return framed.raw_data


def trim(segment: AudioSegment) -> AudioSegment:
    """Cut leading and trailing silence, keeping a little around the speech."""
    peak = segment.max_dBFS
    if peak == -math.inf:
        return segment[:0]
    threshold = max(peak - TRIM_BELOW_PEAK, TRIM_FLOOR)
    start = silence.detect_leading_silence(segment, silence_threshold=threshold, chunk_size=10)
    end = len(segment) - silence.detect_leading_silence(segment.reverse(), silence_threshold=threshold, chunk_size=10)
    if end <= start:
        return segment[:0]
    return segment[max(0, start - KEEP_BEFORE_MS) : min(len(segment), end + KEEP_AFTER_MS)]


def _gain_with_limiter(pcm: bytes, gain_db: float, ceiling_db: float) -> bytes:
    """Apply a gain, pulling it down around peaks so no sample passes the ceiling.

    The gain is set per 5 ms block, looks one block ahead and ramps sample by sample
    between blocks, so it is already down when a peak arrives and never steps audibly.
    """
    gain = 10 ** (gain_db / 20)
    ceiling = FULL_SCALE * 10 ** (ceiling_db / 20)
    size = LIMITER_BLOCK * 2
    blocks = [pcm[i : i + size] for i in range(0, len(pcm), size)]
    wanted = []
    for block in blocks:
        peak = audioop.max(block, 2)
        wanted.append(min(gain, ceiling / peak) if peak else gain)
    release = 10 ** (RELEASE_DB_PER_BLOCK / 20)
    gains: list[float] = []
    for i, want in enumerate(wanted):
        ahead = min(want, wanted[i + 1]) if i + 1 < len(wanted) else want
        gains.append(min(ahead, gains[-1] * release) if gains else ahead)
    out = bytearray()
    before = gains[0] if gains else gain
    for block, after in zip(blocks, gains, strict=True):
        if before == after:
            out += audioop.mul(block, 2, after)
        else:
            samples = array("h", block)
            n = len(samples)
            for j, s in enumerate(samples):
                f = before + (after - before) * (j + 1) / n
                samples[j] = max(-32768, min(32767, round(s * f)))
            out += samples.tobytes()
        before = after
    return bytes(out)


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None
