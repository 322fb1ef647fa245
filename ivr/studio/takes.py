"""Each prompt's recording in a language, its record, and its review by a second person.

Beside audio/recorded/<lang>/<prompt>.<ext> the studio keeps <prompt>.json, the take's record:
the text hash it was recorded for, the SHA-256 of the recording, the ISO week it was recorded
and its review ("recorded", "approved" or "rejected", with the week of the review). Never who:
no recorder's or reviewer's name is asked for or kept, and nothing about any caller.

A record counts only for the recording whose SHA-256 it names: a file replaced by hand is a
new, unreviewed recording. The manifest's `approved` flag (ivr.catalog.heard_on_calls, the one
rule calls obey) is set from the record by `mirror`, whenever the studio, `ivr audio approve`
or `ivr audio build` writes the manifest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from ..audio.sources import PIN_SUFFIX, RECORDED_DIR, Recorded, spoken
from ..audio.store import Store
from ..catalog import AudioFile
from ..content import Content, Language, text_hash
from ..errors import IvrError

RECORD_SUFFIX = ".json"
LOCK_FILE = ".studio.lock"
LOCK_WAIT = 10.0  # seconds an upload waits for another writer (an upload, a review, a build)
Review = Literal["recorded", "approved", "rejected"]
Status = Literal["missing", "stale", "rejected", "recorded", "approved"]
REVIEWS: tuple[Review, ...] = ("recorded", "approved", "rejected")


class StudioError(IvrError):
    """A take or a review could not be done; the message says why, and nothing was changed."""


def iso_week(day: date | None = None) -> str:
    """The ISO week of a day, as "2026-W49": when, to the week, and nothing finer."""
    year, week, _ = (day or date.today()).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class TakeRecord:
    """What is kept about a take: the words it was recorded for, the file, the week, the review."""

    text_hash: str
    source: str  # "sha256:<hex>" of the recording's bytes
    recorded: str  # ISO week
    review: Review = "recorded"
    reviewed: str = ""  # ISO week of the review
    # The approved take callers go on hearing while this retake waits for review, if any: its
    # recording's SHA-256 and the text hash it was approved for. A retake never silences a prompt.
    playing_source: str = ""
    playing_text_hash: str = ""

    def approves(self, entry: AudioFile) -> bool:
        """Whether callers may hear this built file of the prompt."""
        current = self.review == "approved" and entry.source == self.source and entry.text_hash == self.text_hash
        playing = bool(self.playing_source) and (entry.source, entry.text_hash) == (
            self.playing_source,
            self.playing_text_hash,
        )
        return current or playing

    def retake(self, source: str, text_hash: str, week: str) -> TakeRecord:
        """The record of a new take that replaces this one; an approved take goes on playing meanwhile."""
        if self.review == "approved":
            playing = (self.source, self.text_hash)
        else:
            playing = (self.playing_source, self.playing_text_hash)
        return TakeRecord(text_hash, source, week, playing_source=playing[0], playing_text_hash=playing[1])


@dataclass(frozen=True)
class PromptState:
    """Where one prompt of a language stands."""

    prompt: str
    text: str
    status: Status
    recording: Path | None = None
    recorded: str = ""  # ISO week
    reviewed: str = ""
    playing: bool = False  # an earlier, approved take is heard on calls while this one waits
    source: str = ""  # the current take's SHA-256

    @property
    def kept(self) -> bool:
        """A take for the current words that is not rejected: it counts as recorded."""
        return self.status in ("recorded", "approved")


@dataclass(frozen=True)
class Progress:
    """A language's recordings, prompt by prompt, and the counts the pages show."""

    lang: Language
    states: tuple[PromptState, ...]

    def count(self, *statuses: Status) -> int:
        return sum(1 for s in self.states if s.status in statuses)

    @property
    def recorded(self) -> int:
        return sum(1 for s in self.states if s.kept)

    @property
    def total(self) -> int:
        return len(self.states)

    def prompts(self, *statuses: Status) -> list[str]:
        return [s.prompt for s in self.states if s.status in statuses]

    def summary(self) -> str:
        """ "41 of 70 recorded (30 approved); missing 20, stale 5, rejected 4" """
        parts = [f"{self.recorded} of {self.total} recorded ({self.count('approved')} approved)"]
        rest = [f"{s} {self.count(s)}" for s in ("missing", "stale", "rejected") if self.count(s)]
        return parts[0] + (f"; {', '.join(rest)}" if rest else "")


def sha256_of(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def record_path(recording: Path) -> Path:
    return recording.with_suffix(RECORD_SUFFIX)


def read_record(recording: Path, source: str | None = None) -> TakeRecord | None:
    """The record of a recording, if it has one that names exactly this file's bytes."""
    path = record_path(recording)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = TakeRecord(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        return None  # unreadable: the recording is treated as unreviewed
    if record.review not in REVIEWS:
        return None
    try:
        if record.source != (source or sha256_of(recording)):
            return None
    except OSError:
        return None
    return record


def record_json(record: TakeRecord) -> bytes:
    return (json.dumps(dataclasses.asdict(record), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def recorded_for(recording: Path, record: TakeRecord | None, text: str) -> bool:
    """Whether a recording speaks `text`: by its record's text hash, else by the build's .txt."""
    if record is not None:
        return record.text_hash == text_hash(text)
    pin = recording.with_suffix(PIN_SUFFIX)
    try:
        pinned = pin.read_text(encoding="utf-8")
    except FileNotFoundError:
        return True  # a recording copied in by hand speaks the words it was made for, as the build assumes
    except OSError:
        return False
    return spoken(pinned) == spoken(text)


def state(audio_dir: Path, lang: Language, prompt: str) -> PromptState:
    """Missing, stale (its words changed since), rejected, recorded (awaiting review) or approved."""
    text = lang.text(prompt)
    recording = Recorded(audio_dir / RECORDED_DIR).find(lang.code, prompt)
    if recording is None:
        return PromptState(prompt, text, "missing")
    try:
        source = sha256_of(recording)
    except OSError:
        return PromptState(prompt, text, "missing")
    record = read_record(recording, source)
    week, reviewed = (record.recorded, record.reviewed) if record else ("", "")
    playing = bool(record and record.playing_source and record.playing_text_hash == text_hash(text))
    if not recorded_for(recording, record, text):
        return PromptState(prompt, text, "stale", recording, week, reviewed, playing, source)
    status: Status = record.review if record else "recorded"
    return PromptState(prompt, text, status, recording, week, reviewed, playing, source)


def progress(content: Content, audio_dir: Path, code: str) -> Progress:
    """Every prompt a language needs, in the order of the source file."""
    lang = content.languages[code]
    return Progress(lang, tuple(state(audio_dir, lang, p) for p in content.caller_prompts(code)))


# The manifest ----------------------------------------------------------------------------


def mirror(entry: AudioFile, recorded_dir: Path) -> AudioFile:
    """A manifest entry with its review as the take's record says (recordings only).

    Approved only when the record approves the very recording (its SHA-256) the file was built
    from, for the words the file speaks.
    """
    if entry.engine != "recorded":
        return entry
    recording = Recorded(recorded_dir).find(entry.lang, entry.prompt)
    record = read_record(recording) if recording else None
    approved = bool(record and record.approves(entry))
    week = record.recorded if record and record.source == entry.source else entry.recorded
    if approved == entry.approved and week == entry.recorded:
        return entry
    return dataclasses.replace(entry, approved=approved, recorded=week)


@contextlib.contextmanager
def locked(audio_dir: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """One writer at a time in an audio folder, across processes (gunicorn workers, commands)."""
    try:
        audio_dir.mkdir(parents=True, exist_ok=True)
        handle = open(audio_dir / LOCK_FILE, "a+b")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        raise StudioError(f"the audio folder {audio_dir} cannot be written ({e.strerror or e}); nothing was changed") from e
    with handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise StudioError(
                        "the audio folder is busy (another upload, review or build); try again in a minute"
                    ) from e
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# Review -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    """What a review did: the prompts changed, and why others were not."""

    changed: list[str]
    refused: list[tuple[str, str]]  # (prompt, why)


def review(
    content: Content,
    audio_dir: Path,
    code: str,
    prompts: Sequence[str],
    verdict: Review,
    today: date | None = None,
) -> Reviewed:
    """Approve or reject recordings of the current words; the manifest follows at once.

    Only a recording of the current words that the manifest has a built file for can be
    approved: what is approved is exactly what callers will hear.
    """
    if verdict not in ("approved", "rejected"):
        raise StudioError(f"a review is approved or rejected, not {verdict!r}")
    lang = content.languages.get(code)
    if lang is None:
        raise StudioError(f"no language {code!r} (have {', '.join(content.languages)})")
    required = content.caller_prompts(code)
    store = Store(audio_dir)
    week = iso_week(today)
    changed: list[str] = []
    refused: list[tuple[str, str]] = []
    with locked(audio_dir):
        entries, problem = store.load_manifest()
        if problem:
            raise StudioError(f"{problem}: run `ivr audio build --lang {code}` first")
        for prompt in prompts:
            if prompt not in required:
                refused.append((prompt, f"no prompt {prompt!r}"))
                continue
            found = state(audio_dir, lang, prompt)
            if found.status == "missing" or found.recording is None:
                refused.append((prompt, "nothing recorded"))
                continue
            if found.status == "stale":
                refused.append((prompt, "recorded for older words: record it again"))
                continue
            source = sha256_of(found.recording)
            built = [e for e in entries if e.lang == code and e.prompt == prompt and e.engine == "recorded"]
            if not any(e.source == source and e.text_hash == text_hash(found.text) for e in built):
                refused.append((prompt, f"not built yet: run `ivr audio build --lang {code}`"))
                continue
            old = read_record(found.recording, source)
            keep_playing = verdict == "rejected" and old is not None
            record = TakeRecord(
                text_hash=text_hash(found.text),
                source=source,
                recorded=old.recorded if old else "",
                review=verdict,
                reviewed=week,
                # Approved: this take replaces the one callers heard. Rejected: that one goes on.
                playing_source=old.playing_source if keep_playing and old else "",
                playing_text_hash=old.playing_text_hash if keep_playing and old else "",
            )
            store.put(os.path.relpath(record_path(found.recording), audio_dir), record_json(record))
            changed.append(prompt)
        if changed:
            folder = audio_dir / RECORDED_DIR
            mirrored = [mirror(e, folder) for e in entries]
            superseded = [
                e for e in mirrored
                if e.engine == "recorded" and e.lang == code and e.prompt in changed and not e.approved
                and e.source != _current_source(audio_dir, lang, e.prompt)
            ]  # fmt: skip
            kept = [e for e in mirrored if e not in superseded]
            store.save_manifest(kept)
            heard = {e.file for e in entries if e.approved}
            retire(store, [e.file for e in superseded], heard)
            sweep(store, code, kept)
    return Reviewed(changed, refused)


def retire(store: Store, files: Iterable[str], heard: set[str]) -> None:
    """Files the manifest no longer names: gone at once if no caller was ever given them, else
    left for GRACE (their time stamp now says when they were retired; `sweep` deletes them)."""
    for name in files:
        if name in heard:
            with contextlib.suppress(OSError):
                os.utime(store.path(name))
        else:
            store.remove(name)


def _current_source(audio_dir: Path, lang: Language, prompt: str) -> str | None:
    recording = Recorded(audio_dir / RECORDED_DIR).find(lang.code, prompt)
    try:
        return sha256_of(recording) if recording else None
    except OSError:
        return None


GRACE = 15 * 60  # seconds a superseded file that callers heard stays on disk: calls in progress may still fetch it


def sweep(store: Store, code: str, entries: Iterable[AudioFile], now: float | None = None) -> list[str]:
    """Delete processed recordings of a language that the manifest stopped naming over GRACE ago
    (`retire` stamps them when it does).

    A file callers may have been given in TwiML is never deleted at once: a call that is playing
    the message before it fetches it later, and a worker that has not reloaded yet still names it.
    """
    listed = {e.file for e in entries}
    folder = store.root / "built" / "recorded" / code
    removed = []
    moment = time.time() if now is None else now
    for path in sorted(folder.glob("*.wav")) if folder.is_dir() else []:
        name = path.relative_to(store.root).as_posix()
        try:
            old = moment - path.stat().st_mtime > GRACE
        except OSError:
            continue
        if name not in listed and old:
            store.remove(name)
            removed.append(name)
    return removed


def lines_for_check(progress: Progress) -> list[str]:
    """What a recorded language still needs, for `ivr check` and the pages."""
    code = progress.lang.code
    lines = []
    for status, what in (
        ("missing", f"not recorded (record them at /console/record?lang={code})"),
        ("stale", "recorded for older words"),
        ("rejected", "rejected by a reviewer"),
        ("recorded", "recorded, not approved yet"),
    ):
        found = progress.prompts(status)  # type: ignore[arg-type]
        if found:
            lines.append(f"  {len(found)} {what}: {', '.join(found)}")
    if not lines:
        return [f"  every prompt of {code} is recorded and approved"]
    return lines


def listed(entries: Iterable[AudioFile], code: str, prompt: str) -> list[AudioFile]:
    return [e for e in entries if e.lang == code and e.prompt == prompt and e.engine == "recorded"]
