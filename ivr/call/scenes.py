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
    whisper: Position | None = None  # played to whoever answers, before the caller is connected


@dataclass(frozen=True)
class Goodbye:
    """Speak, then end the call."""

    lang: str | None
    parts: tuple[Utterance, ...]
    tallies: tuple[Tally, ...] = ()


@dataclass(frozen=True)
class Whisper:
    """Said to whoever answers a transfer, never to the caller: `texts` in the operator's `lang`.

    With `accept`, the key must be pressed there to be connected (silence or another key hangs
    up that leg); without, the caller is connected when the words end. No texts and no
    `accept`: connect now. `hang_up`: end that leg, the caller hears the unanswered path.
    """

    lang: str
    texts: tuple[str, ...] = ()
    accept: Position | None = None
    hang_up: bool = False
    tallies: tuple[Tally, ...] = ()

    @property
    def parts(self) -> tuple[Utterance, ...]:
        """Nothing the caller hears: the whisper is for the other end."""
        return ()


Scene = Ask | Transfer | Goodbye | Whisper
