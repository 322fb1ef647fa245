"""Delete the helpline's finished calls at Twilio, transfers first, and keep nothing about them.

A call to the line is a Call record at Twilio with the caller's number in it; each transfer
(<Dial> to ROSA or another service) is a second record, a child with `parent_call_sid`. The
purge lists the calls to the line's number (and from it: test calls, and transfers whose
parent is already gone), deletes each finished one that ended at least `older_than` seconds
ago, its children first, and only then the parent: a child Twilio refuses leaves its parent for
the next run, so the child is found again through it.

Nothing is written anywhere: SIDs live in memory for one run, and the result is counts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ..errors import IvrError
from .client import failure, refusal

FINISHED = frozenset({"completed", "failed", "busy", "no-answer", "canceled"})
# twilio-facts.md §4, error 20009: "please wait at least 1 minute to make your DELETE request".
TWILIO_MIN_WAIT = 60
PAGE_SIZE = 1000  # Twilio's largest page: fewest requests
TOO_RECENT = 20009  # "You attempted to delete a call ... before it was completed"
NOT_FOUND = 404


class PurgeError(IvrError):
    """The purge cannot go on (credentials refused, Twilio unreachable); names no call."""


class CredentialsRefused(PurgeError):
    """Twilio refused the credentials: no later run can do better, so a worker stops too."""


class _Stop(Exception):
    """Stop this run, leaving the rest for the next one."""


@dataclass
class Tally:
    """What one run did, in counts only."""

    calls: int = 0
    transfers: int = 0
    too_recent: int = 0
    in_progress: int = 0
    gone: int = 0  # already deleted (404), by someone else or an earlier run
    failed: Counter[str] = field(default_factory=Counter)  # Twilio error code -> how many
    stopped: str | None = None  # why the run ended early, if it did
    interrupted: bool = False  # asked to stop (SIGTERM) before the end of the run
    waits: int = 0  # back-offs for Twilio's rate limit (429)
    waited: float = 0.0

    def summary(self) -> str:
        """One line, e.g. 'deleted 12 calls and 9 transfers; 2 too recent, left for the next run'."""
        parts = [f"deleted {_n(self.calls, 'call')} and {_n(self.transfers, 'transfer')}"]
        if self.too_recent:
            parts.append(f"{self.too_recent} too recent, left for the next run")
        if self.in_progress:
            parts.append(f"{self.in_progress} still in progress, left alone")
        if self.gone:
            parts.append(f"{self.gone} already gone")
        for code, count in sorted(self.failed.items()):
            parts.append(f"{count} refused by Twilio (error {code}), left for the next run")
        if self.waits:
            parts.append(f"backed off {_n(self.waits, 'time')} for Twilio's rate limit ({self.waited:.0f} s)")
        if self.stopped:
            parts.append(f"stopped early: {self.stopped}")
        if self.interrupted:
            parts.append("interrupted, the rest left for the next run")
        return "; ".join(parts)

    def add(self, other: Tally) -> None:
        """Add another run's counts (a worker reports totals, not each run)."""
        for name in ("calls", "transfers", "too_recent", "in_progress", "gone", "waits", "waited"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed.update(other.failed)

    @property
    def ok(self) -> bool:
        """Nothing went wrong beyond calls that are simply not ready yet."""
        return not self.failed and self.stopped is None


def purge(
    client: Client,
    number: str,
    older_than: float = TWILIO_MIN_WAIT,
    stop: Callable[[], bool] = lambda: False,
    now: dt.datetime | None = None,
) -> Tally:
    """Delete the finished calls to and from `number`, and their transfers; return the counts."""
    tally = Tally()
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(seconds=older_than)
    http = client.http_client
    waits_before = len(getattr(http, "waits", ()))
    try:
        calls = {c.sid: c for c in _list(client, to=number)}
        calls.update({c.sid: c for c in _list(client, from_=number)})
        parents = [c for c in calls.values() if not c.parent_call_sid]
        orphans = [c for c in calls.values() if c.parent_call_sid and c.parent_call_sid not in calls]
        for call in parents:
            if not _ready(call, cutoff, tally):
                continue
            children = list(_list(client, parent_call_sid=call.sid))
            # A child left behind keeps its parent, through which the next run finds it.
            left = [c for c in children if not (_ready(c, cutoff, tally) and _delete(client, c, tally, stop))]
            if not left:
                _delete(client, call, tally, stop)
        for child in orphans:
            if _ready(child, cutoff, tally):
                _delete(client, child, tally, stop)
    except _Stop as why:
        tally.stopped = str(why) or None
        tally.interrupted = not str(why)
    finally:
        waits = getattr(http, "waits", [])[waits_before:]
        tally.waits, tally.waited = len(waits), sum(waits)
    return tally


def _list(client: Client, **filters: str) -> Iterable[Any]:
    """Call records matching `filters`, every page; errors become PurgeError or _Stop, naming no call."""
    try:
        yield from client.calls.stream(page_size=PAGE_SIZE, **filters)
    except (TwilioException, OSError) as e:
        status, code = failure(e)
        if status == 429:
            raise _Stop("Twilio kept answering 429 (rate limit) while listing calls") from None
        raise _refused("list calls", status, code) from None


def _ready(call: Any, cutoff: dt.datetime, tally: Tally) -> bool:
    """Whether a call may be deleted now; counts the ones that may not."""
    if call.status not in FINISHED:
        tally.in_progress += 1
        return False
    ended = call.end_time or call.date_updated or call.date_created
    if not isinstance(ended, dt.datetime) or ended > cutoff:
        tally.too_recent += 1
        return False
    return True


def _delete(client: Client, call: Any, tally: Tally, stop: Callable[[], bool]) -> bool:
    """Delete one record; True if it is gone. Never retried here: what is refused waits for the next run."""
    if stop():
        raise _Stop()
    try:
        client.calls(call.sid).delete()
    except (TwilioException, OSError) as e:
        status, code = failure(e)
        if code == TOO_RECENT:
            tally.too_recent += 1
            return False
        if status == NOT_FOUND:
            tally.gone += 1
            return True
        if status == 429:
            raise _Stop("Twilio kept answering 429 (rate limit)") from None
        if status in (401, 403):
            raise _refused("delete calls", status, code) from None
        tally.failed[str(code or status or type(e).__name__)] += 1
        return False
    if call.parent_call_sid:
        tally.transfers += 1
    else:
        tally.calls += 1
    return True


def _refused(doing: str, status: int | None, code: int | None) -> PurgeError:
    cls = CredentialsRefused if status in (401, 403) else PurgeError
    return cls(refusal(doing, status, code))


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
