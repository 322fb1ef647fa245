"""What the caller hears at a position and what may follow: the output of `step`, rendered as TwiML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .position import Position

GATHER_TIMEOUT = 8  # seconds to answer; Twilio's default 5 is too short for a frightened caller
DIAL_TIMEOUT = 30  # seconds of ringing before the caller hears ROSA's number instead

Tally = tuple[str, str]  # (metric, label): counted per week, never tied to a call


class Utterance(NamedTuple):
    """One prompt in one language."""

    lang: str
    prompt: str


@dataclass(frozen=True)
class Ask:
    """Speak, listening for one key at `here`; after the timeout, `on_silence` follows."""

    lang: str | None
    parts: tuple[Utterance, ...]
    here: Position
    on_silence: Position
    tallies: tuple[Tally, ...] = ()


@dataclass(frozen=True)
class Transfer:
    """Speak, then put the caller through to `service` at `number`, showing `caller_id`;
    `after` hears how the transfer ended."""

    lang: str | None
    parts: tuple[Utterance, ...]
    service: str
    number: str
    caller_id: str
    after: Position
    tallies: tuple[Tally, ...] = ()


@dataclass(frozen=True)
class Goodbye:
    """Speak, then end the call."""

    lang: str | None
    parts: tuple[Utterance, ...]
    tallies: tuple[Tally, ...] = ()


Scene = Ask | Transfer | Goodbye
