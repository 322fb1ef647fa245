"""A take, from the browser or a studio session, through the checks and the audio pipeline into the line.

Refused with a message a recorder can act on, and with nothing written, when it is not audio,
over the size limit, silent or too quiet, clipped, mostly silence, or much shorter or longer
than its text takes to say (ivr.timing's estimate). Accepted takes go through the same
processing as every recording (ivr.audio.process: decode with the imageio-ffmpeg binary, trim,
loudness, 8 kHz μ-law) and are stored under audio/recorded/<lang>/ as uploaded, with their
record (ivr.studio.takes), the processed file under audio/built/recorded/ and a manifest entry,
under the same names `ivr audio build` gives them, so a later build keeps them as they are.

Nothing is replaced before its successor is on disk: each file is written aside and renamed
into place, and the manifest is replaced after the files it names exist. An approved take goes
on playing until its retake is approved; a file callers may have been given is deleted only a
while after the manifest stops naming it (ivr.studio.manifest.sweep).

Imports pydub (through ivr.audio.process): import this module inside a request, never at start-up.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import subprocess
import threading
import uuid
from array import array
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..audio._audioop import audioop
from ..audio.build import file_digest
from ..audio.errors import DecodeError, WriteError
from ..audio.ffmpeg import AudioSegment, decode, ffmpeg_exe, silence
from ..audio.process import (
    ABSOLUTE_GATE,
    FRAME_MS,
    FULL_SCALE,
    RELATIVE_GATE,
    TRIM_BELOW_PEAK,
    TRIM_FLOOR,
    process_decoded,
    speech_level,
    trim,
)
from ..audio.sources import (
    PIN_SUFFIX,
    RECORDED_DIR,
    RECORDING_SUFFIXES,
    Recorded,
    spoken,
)
from ..audio.spec import PIPELINE_VERSION, RATE
from ..audio.store import TMP_DIR, Store, Writer, built_name, write_bytes
from ..audio.types import Audio
from ..catalog import AudioFile
from ..content import Content, text_hash
from .checks import (
    CLIP_LEVEL,
    CLIP_SHARE,
    ENDS_FORGIVEN,
    MAX_TAKE_SECONDS,
    QUIET_LEVEL,
    SPEECH_SHARE,
    UPLOAD_LIMIT,
    bounds,
)
from .takes import (
    StudioError,
    TakeRecord,
    iso_week,
    locked,
    read_record,
    record_json,
    record_path,
    retire,
    sweep,
)

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
# One take is decoded and processed at a time per process, so a burst of uploads never takes
# more than one core from the calls this process also answers; others wait up to BUSY_WAIT.
_PROCESSING = threading.BoundedSemaphore(1)
BUSY_WAIT = 20.0


class Refused(StudioError):
    """A take that does not go on the line; the message says why and what to do."""


@dataclass(frozen=True)
class Accepted:
    """A take stored: the manifest entry callers will hear once it is approved."""

    entry: AudioFile
    replaced: list[str]  # files of the previous take, retired
    speech_seconds: float


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


def take(
    content: Content,
    audio_dir: Path,
    code: str,
    prompt: str,
    data: bytes,
    recorded_for: str | None = None,
    limit: int = UPLOAD_LIMIT,
    today: date | None = None,
    writer: Writer = write_bytes,
) -> Accepted:
    """Check a take of one prompt and, if it is fit, store it as that prompt's recording.

    `recorded_for` is the text hash the recorder was shown: a take of words that have changed
    since is refused, so a recording never claims words it does not speak.
    """
    lang = content.languages.get(code)
    if lang is None:
        raise Refused(f"no language {code!r} on this line")
    if prompt not in content.caller_prompts(code) or prompt not in lang.prompts:
        raise Refused(f"no prompt {prompt!r} in {code}")
    text = lang.text(prompt)
    words = text_hash(text)
    if recorded_for is not None and recorded_for != words:
        raise Refused("the text of this prompt changed after this page was opened: reload the page and record it again")
    if len(data) > limit:
        raise Refused(f"too big: {len(data) / 1e6:.1f} MB, and a take may be at most {limit / 1e6:.0f} MB")
    if not data:
        raise Refused("the take is empty: record it again")
    suffix = suffix_of(data)
    store = Store(audio_dir, writer)
    scratch = audio_dir / TMP_DIR / f"take-{uuid.uuid4().hex}{suffix}"
    if not _PROCESSING.acquire(timeout=BUSY_WAIT):
        raise StudioError("the studio is busy with other takes; press Keep again in a minute")
    try:
        try:
            scratch.parent.mkdir(parents=True, exist_ok=True)
            scratch.write_bytes(data)
        except OSError as e:
            raise Refused(f"the take could not be stored ({e.strerror or e}); nothing was changed") from e
        decoded = decode_native(scratch)
        said = judge(decoded, text, lang.script)
        try:
            processed = process_decoded(_telephone_rate(scratch), "this take")
        except DecodeError as e:
            raise Refused(f"{e}; record it again") from e
    finally:
        scratch.unlink(missing_ok=True)
        _PROCESSING.release()
    source = "sha256:" + hashlib.sha256(data).hexdigest()
    name = built_name("recorded", code, prompt, file_digest(code, prompt, "recorded", source, words))
    m = processed.measure
    week = iso_week(today)
    entry = AudioFile(
        lang=code, prompt=prompt, text_hash=words, engine="recorded", file=name, duration=m.duration,
        loudness=m.loudness, bytes=len(processed.wav), peak=m.peak, source=source, pipeline=PIPELINE_VERSION,
        approved=False, recorded=week,
    )  # fmt: skip
    folder = f"{RECORDED_DIR}/{code}"
    recording = f"{folder}/{prompt}{suffix}"
    with locked(audio_dir):
        previous = Recorded(audio_dir / RECORDED_DIR).find(code, prompt)
        before = read_record(previous) if previous else None
        record = before.retake(source, words, week) if before else TakeRecord(words, source, week)
        entry = dataclasses.replace(entry, approved=record.approves(entry))
        entries, problem = store.load_manifest()
        if problem:
            raise Refused(f"{problem}: ask whoever runs the line to run `ivr audio build`; nothing was stored")
        _stage(store, [
            (name, processed.wav),
            (recording, data),  # replaces the previous take of the same format, once every file is written
            (f"{folder}/{prompt}{PIN_SUFFIX}", (spoken(text) + "\n").encode("utf-8")),
            (os.path.relpath(record_path(audio_dir / recording), audio_dir), record_json(record)),
        ])  # fmt: skip
        old = [e for e in entries if e.lang == code and e.prompt == prompt and e.engine == "recorded"]
        # The approved take callers hear stays until this one is approved in its turn.
        playing = [e for e in old if e.file != name and record.approves(e)]
        listed = [*(e for e in entries if e not in old), *playing, entry]
        try:
            store.save_manifest(listed)
        except WriteError as e:
            raise Refused(f"the take is stored but the manifest could not be updated ({e}): run `ivr audio build --lang {code}`") from e
        replaced = [e.file for e in old if e.file != name and e not in playing]
        retire(store, replaced, {e.file for e in old if e.approved})
        sweep(store, code, listed)
        for other in RECORDING_SUFFIXES:
            if other != suffix and store.size(f"{folder}/{prompt}{other}") is not None:
                store.remove(f"{folder}/{prompt}{other}")
                replaced.append(f"{folder}/{prompt}{other}")
    return Accepted(entry, replaced, said)


def _stage(store: Store, files: list[tuple[str, bytes]]) -> None:
    """Write every file aside first, then rename them all into place: a full disk replaces nothing."""
    staged: list[tuple[Path, Path]] = []
    try:
        for name, blob in files:
            tmp = store.root / TMP_DIR / f"{uuid.uuid4().hex}.part"
            tmp.parent.mkdir(parents=True, exist_ok=True)
            staged.append((tmp, store.path(name)))
            store.writer(tmp, blob)
    except OSError as e:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise Refused(f"the take could not be stored ({e.strerror or e}); nothing was changed") from e
    for tmp, target in staged:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)


def _telephone_rate(path: Path) -> AudioSegment:
    """The take decoded as every source is (high-pass, SoX resampling to 8 kHz)."""
    try:
        return decode(Audio(path=path), RATE)
    except DecodeError as e:
        raise Refused("this is not audio that can be decoded: record it again") from e
