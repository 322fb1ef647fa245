"""Processing, measured on real audio: 8 kHz mono μ-law, one loudness, a clean start, no clipping."""

from __future__ import annotations

import math
import re
from array import array
from pathlib import Path

import pytest

from ivr.audio._audioop import audioop
from ivr.audio.errors import DecodeError
from ivr.audio.ffmpeg import decode
from ivr.audio.process import measure, process, speech_level
from ivr.audio.spec import LEAD_IN_MS, LEVEL_TOLERANCE, PEAK_CEILING, TAIL_MS, TARGET_LEVEL
from ivr.audio.types import Audio
from ivr.audio.wavfile import mulaw_wav, read_wav

from .audio_fixtures import decoded, encode, no_network, probe, speech  # noqa: F401

SENTENCE = "If you are in danger now, hang up and call 1 1 2."


@pytest.fixture(scope="module")
def voice() -> tuple[bytes, int]:
    return speech(SENTENCE, "en")


def scaled(pcm: bytes, db: float) -> bytes:
    return audioop.mul(pcm, 2, 10 ** (db / 20))


def silence(rate: int, seconds: float) -> bytes:
    return b"\0\0" * int(rate * seconds)


def write(tmp_path: Path, name: str, blob: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(blob)
    return path


def test_espeak_speaks_norwegian_offline_through_the_wheel() -> None:
    pcm, rate = speech("Er du i fare nå, legg på og ring 1 1 2.", "nb")
    assert rate == 22050
    assert 2.0 < len(pcm) / 2 / rate < 8.0
    assert speech_level(pcm, rate) is not None


def test_the_output_is_8khz_mono_mulaw_wav_as_ffmpeg_reads_it(voice: tuple[bytes, int], tmp_path: Path) -> None:
    path = write(tmp_path, "out.wav", process(Audio(data=voice[0], format="s16le", rate=voice[1])).wav)
    assert re.match(r"pcm_mulaw\b.*, 8000 Hz, mono,", probe(path))
    # ffmpeg's own decoding gives the same samples as ours.
    assert decoded(path) == read_wav(path.read_bytes()).pcm


@pytest.mark.parametrize("gain", [-30.0, -12.0, 0.0, 6.0])
def test_every_input_level_comes_out_at_the_target(voice: tuple[bytes, int], gain: float) -> None:
    pcm, rate = voice
    out = process(Audio(data=scaled(pcm, gain), format="s16le", rate=rate))
    wav = read_wav(out.wav)
    assert (wav.rate, wav.channels, wav.encoding) == (8000, 1, "mu-law")
    level = speech_level(wav.pcm)
    assert level is not None and abs(level - TARGET_LEVEL) <= LEVEL_TOLERANCE
    assert out.measure.loudness == pytest.approx(level, abs=0.01)
    peak = 20 * math.log10(audioop.max(wav.pcm, 2) / 32768)
    assert peak <= PEAK_CEILING + 0.2  # μ-law rounding near full scale is coarse


def test_peaks_are_limited_not_clipped() -> None:
    # Quiet speech-like noise with sharp clicks: reaching the target level would put the
    # clicks far past full scale; the limiter must hold them below the ceiling instead.
    rate = 8000
    samples = array("h", (int(1500 * math.sin(i * 0.3) * math.sin(i * 0.0021)) for i in range(rate * 3)))
    for at in range(2000, len(samples), 3000):
        samples[at] = 30000
        samples[at + 1] = -30000
    out = process(Audio(data=samples.tobytes(), format="s16le", rate=rate))
    pcm = read_wav(out.wav).pcm
    assert out.measure.peak <= PEAK_CEILING + 0.2
    assert abs(out.measure.loudness - TARGET_LEVEL) <= LEVEL_TOLERANCE
    full_scale = sum(1 for s in array("h", pcm) if abs(s) >= 32000)
    assert full_scale == 0


def test_silence_around_speech_is_trimmed_then_a_lead_in_and_tail_added(voice: tuple[bytes, int]) -> None:
    pcm, rate = voice
    plain = process(Audio(data=pcm, format="s16le", rate=rate)).measure
    padded = silence(rate, 2.0) + pcm + silence(rate, 3.0)
    out = process(Audio(data=padded, format="s16le", rate=rate))
    # The same length give or take the margins kept around speech (there is none to keep
    # before speech that starts at the very first sample).
    assert out.measure.duration == pytest.approx(plain.duration, abs=0.1)
    samples = array("h", read_wav(out.wav).pcm)
    lead = LEAD_IN_MS * 8
    assert not any(samples[:lead]), "the lead-in is digital silence"
    assert any(samples[lead : lead + 400]), "speech starts right after the lead-in"
    assert not any(samples[-TAIL_MS * 8 :])
    # At least the lead-in, plus the fade into the few milliseconds kept before speech.
    assert LEAD_IN_MS / 1000 <= out.measure.lead_in <= LEAD_IN_MS / 1000 + 0.04


def test_noise_floor_before_speech_is_trimmed_too(voice: tuple[bytes, int]) -> None:
    pcm, rate = voice
    hiss = array("h", (((i * 7919) % 61) - 30 for i in range(rate)))  # about -65 dBFS
    out = process(Audio(data=hiss.tobytes() + pcm, format="s16le", rate=rate))
    plain = process(Audio(data=pcm, format="s16le", rate=rate))
    assert out.measure.duration == pytest.approx(plain.measure.duration, abs=0.1)


def test_resampling_does_not_fold_high_frequencies_into_the_phone_band() -> None:
    # A 5 kHz whistle cannot be carried at 8 kHz: it must vanish, not come back at 3 kHz.
    rate = 22050
    tone = array("h", (int(10000 * math.sin(2 * math.pi * 5000 * i / rate)) for i in range(rate)))
    out = decode(Audio(data=tone.tobytes(), format="s16le", rate=rate), 8000)
    assert out.frame_rate == 8000 and out.channels == 1
    assert out[100:-100].dBFS < -60
    # ...while speech frequencies pass untouched.
    tone = array("h", (int(10000 * math.sin(2 * math.pi * 1000 * i / rate)) for i in range(rate)))
    out = decode(Audio(data=tone.tobytes(), format="s16le", rate=rate), 8000)
    assert out[100:-100].dBFS == pytest.approx(20 * math.log10(10000 / 32768) - 3.01, abs=0.3)


@pytest.mark.parametrize(
    ("name", "output", "channels"),
    [
        ("take.wav", ("-ar", "44100", "-c:a", "pcm_s24le", "-f", "wav"), 2),
        ("take.flac", ("-ar", "48000", "-f", "flac"), 2),
        ("take.mp3", ("-ar", "44100", "-c:a", "libmp3lame", "-f", "mp3"), 2),
        ("take.ogg", ("-ar", "48000", "-c:a", "libopus", "-f", "ogg"), 1),
        ("take.m4a", ("-ar", "44100", "-c:a", "aac", "-f", "ipod"), 2),
    ],
)
def test_recordings_in_every_accepted_format_come_out_the_same(
    voice: tuple[bytes, int], tmp_path: Path, name: str, output: tuple[str, ...], channels: int
) -> None:
    pcm, rate = voice
    stereo = audioop.tostereo(pcm, 2, 1, 1) if channels == 2 else pcm
    path = tmp_path / name
    encode(stereo, rate, *output, channels=channels, to=path)
    out = process(Audio(path=path))
    wav = read_wav(out.wav)
    assert (wav.rate, wav.channels, wav.encoding) == (8000, 1, "mu-law")
    assert abs(out.measure.loudness - TARGET_LEVEL) <= LEVEL_TOLERANCE
    plain = process(Audio(data=pcm, format="s16le", rate=rate)).measure
    assert out.measure.duration == pytest.approx(plain.duration, abs=0.15)


def test_a_corrupt_recording_is_a_decode_error_that_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, "greeting.wav", b"RIFF\x10\x00\x00\x00WAVEjunk" + b"\x07" * 500)
    with pytest.raises(DecodeError, match=r"greeting\.wav"):
        process(Audio(path=path))


def test_silence_is_not_speech(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="no speech"):
        process(Audio(data=silence(22050, 2.0), format="s16le", rate=22050))


def test_the_wav_writer_and_reader_agree_with_g711() -> None:
    ramp = array("h", range(-32000, 32000, 250)).tobytes()
    wav = mulaw_wav(ramp)
    assert len(wav) == 58 + len(ramp) // 2
    assert read_wav(wav).pcm == audioop.ulaw2lin(audioop.lin2ulaw(ramp, 2), 2)
    with pytest.raises(DecodeError):
        read_wav(b"not a wav file at all")


def test_measure_reports_duration_lead_in_and_peak() -> None:
    pcm = silence(8000, 0.5) + array("h", [1000, -16384] * 2000).tobytes()
    m = measure(pcm)
    assert (m.duration, m.lead_in) == (1.0, 0.5)
    assert m.peak == pytest.approx(-6.02, abs=0.01)
