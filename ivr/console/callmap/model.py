"""The call map's view model: sections of rows, each a prompt with its audio, flags and timing."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...content import Language, spoken_numbers
from ...engines import LABELS
from ...phone import display
from ...seconds import Seconds


@dataclass(frozen=True)
class Audio:
    """A built file for a prompt's current words."""

    url: str
    engine: str
    duration: float
    played: bool  # whether callers hear it, or it is only a preview (its engine may not play on calls)

    @property
    def engine_name(self) -> str:
        return LABELS.get(self.engine, self.engine)


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at."""

    kind: str  # missing-audio, stale-audio, untranslated, machine-draft, preview-only
    text: str


@dataclass(frozen=True)
class Row:
    """One prompt at one point of the call."""

    lang: Language
    prompt: str
    text: str
    seconds: Seconds
    starts_at: Seconds | None  # audio heard before it, from the start of the call
    audio: Audio | None
    flags: tuple[Flag, ...]
    key: str | None = None  # the key this prompt offers
    leads_to: str | None = None  # the section the key leads to
    note: str = ""
    review: Audio | None = None  # a recording of the current words waiting for approval (not heard on calls)

    @property
    def numbers(self) -> list[str]:
        """The numbers it says, as people write them (112, 116 117, 22 33 11 60); keys aside."""
        return [display(n) for n in spoken_numbers(self.text) if len(n) > 1]


@dataclass(frozen=True)
class Section:
    """A place in the call: a page of the language menu, a menu, a message, a transfer."""

    id: str
    title: str
    kind: str
    rows: tuple[Row, ...]
    depth: int = 0
    keys: tuple[str, ...] = ()  # pressed from the main menu to get here
    reached_at: Seconds | None = None
    transfer: str | None = None  # "→ ROSA +47 22 33 11 60"
    transfer_at: Seconds | None = None
    note: str = ""


@dataclass(frozen=True)
class Milestone:
    """How long a caller listens before a way to help."""

    label: str
    keys: str
    at: Seconds | None


@dataclass(frozen=True)
class Said:
    """A number said on the call, and the first time a caller can hear it."""

    number: str
    at: Seconds | None  # when the prompt saying it starts
    prompt: str  # lang/prompt id


@dataclass(frozen=True)
class CallMap:
    """Everything the map page shows for one language."""

    lang: Language
    country: str | None
    offered: bool
    why_not: str | None
    sections: tuple[Section, ...]
    milestones: tuple[Milestone, ...]
    numbers: tuple[Said, ...]
    flags: dict[str, int] = field(default_factory=dict)  # kind -> prompts of this language flagged
    rate: str = ""
