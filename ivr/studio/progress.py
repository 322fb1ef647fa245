"""Where each prompt of a language stands (missing, stale, rejected, recorded, approved), and the counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..audio.sources import RECORDED_DIR, Recorded
from ..content import Content, Language, text_hash
from .records import read_record, recorded_for, sha256_of

Status = Literal["missing", "stale", "rejected", "recorded", "approved"]


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
