"""A take's record, kept beside its recording: the words it was for, its bytes, its week, its review.

Beside audio/recorded/<lang>/<prompt>.<ext> the studio keeps <prompt>.json: the text hash it
was recorded for, the SHA-256 of the recording, the ISO week it was recorded and its review
("recorded", "approved" or "rejected", with the week of the review). Never who. A record
counts only for the recording whose SHA-256 it names: a file replaced by hand is a new,
unreviewed recording.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from ..audio.sources import PIN_SUFFIX, spoken
from ..catalog import AudioFile
from ..content import text_hash
from ..errors import IvrError

RECORD_SUFFIX = ".json"
Review = Literal["recorded", "approved", "rejected"]
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
