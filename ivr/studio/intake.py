"""A take, from the browser or a studio session, through the checks and the audio pipeline into the line.

Refused with a message a recorder can act on, and with nothing written, when it is not audio,
over the size limit, silent or too quiet, clipped, mostly silence, or much shorter or longer
than its text takes to say (ivr.timing's estimate; the checks of its sound are ivr.studio.sound).
Accepted takes go through the same processing as every recording (ivr.audio.process: decode
with the imageio-ffmpeg binary, trim, loudness, 8 kHz μ-law) and are stored under audio/recorded/<lang>/ as uploaded, with their
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
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..audio.build import file_digest
from ..audio.errors import DecodeError, WriteError
from ..audio.ffmpeg import AudioSegment, decode
from ..audio.process import process_decoded
from ..audio.sources import PIN_SUFFIX, RECORDED_DIR, RECORDING_SUFFIXES, Recorded, spoken
from ..audio.spec import PIPELINE_VERSION, RATE
from ..audio.store import TMP_DIR, Store, Writer, built_name, write_bytes
from ..audio.types import Audio
from ..catalog import AudioFile
from ..content import Content, text_hash
from .checks import UPLOAD_LIMIT
from .sound import Refused, decode_native, judge, suffix_of
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

__all__ = ["Accepted", "Refused", "take"]

# One take is decoded and processed at a time per process, so a burst of uploads never takes
# more than one core from the calls this process also answers; others wait up to BUSY_WAIT.
_PROCESSING = threading.BoundedSemaphore(1)
BUSY_WAIT = 20.0


@dataclass(frozen=True)
class Accepted:
    """A take stored: the manifest entry callers will hear once it is approved."""

    entry: AudioFile
    replaced: list[str]  # files of the previous take, retired
    speech_seconds: float


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
