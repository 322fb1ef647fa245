"""What a smoke walk deals in: the steps it makes, the answers it gets, the problems and the report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Step:
    """One webhook request Twilio would make: where, how, with which parameters, and why."""

    url: str  # absolute
    method: str
    params: Params  # the request's own (Digits, DialCallStatus)
    why: str  # "the call", "key 3", "silence", "DialCallStatus=busy", "whisper"
    leg: Params = ()  # call parameters that differ on this leg (the whisper is the called party's)

    @property
    def seen_as(self) -> tuple[str, str, str, Params, Params]:
        parts = urlsplit(self.url)
        return (self.method, parts.path, parts.query, self.params, self.leg)

    @property
    def where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.path}{'?' + parts.query if parts.query else ''} ({self.why})"

    @property
    def digits(self) -> str | None:
        return dict(self.params).get("Digits")


@dataclass(frozen=True)
class Answer:
    """What came back: status, headers, body, how long it took, or why nothing came."""

    status: int
    headers: Message
    body: bytes
    seconds: float
    error: str | None = None


class Problems:
    """Problems by kind, each with the places it was seen, in the order first seen."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}

    def add(self, kind: str, where: str) -> None:
        places = self.seen.setdefault(kind, [])
        if where not in places:
            places.append(where)

    def lines(self, shown: int = 3) -> list[str]:
        found = []
        for kind, places in self.seen.items():
            more = f" and {len(places) - shown} more" if len(places) > shown else ""
            found.append(f"{kind}: {'; '.join(places[:shown])}{more}")
        return found

    def __bool__(self) -> bool:
        return bool(self.seen)


@dataclass
class Report:
    """What a walk found."""

    url: str
    requests: int = 0
    states: int = 0
    menus: set[str] = field(default_factory=set)
    times: list[tuple[float, str]] = field(default_factory=list)  # (seconds, where) of every TwiML answer
    audio: dict[str, str] = field(default_factory=dict)  # <Play> URL -> its Content-Type
    voices: set[tuple[str | None, str | None]] = field(default_factory=set)  # (voice, language) of every <Say>
    walked: set[str] = field(default_factory=set)  # languages walked
    skipped: set[str] = field(default_factory=set)  # languages answered but not walked (--lang)
    problems: Problems = field(default_factory=Problems)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def percentile(self, q: float) -> float:
        """The nearest-rank percentile of the answer times (0 without answers)."""
        ranked = sorted(t for t, _ in self.times)
        return ranked[max(0, math.ceil(q * len(ranked)) - 1)] if ranked else 0.0

    def slowest(self, n: int = 1) -> list[tuple[float, str]]:
        """The n slowest answers, slowest first."""
        return sorted(self.times, reverse=True)[:n] or [(0.0, "-")]


def summary(report: Report) -> list[str]:
    """The report as lines for a terminal (problems separately, see Report.problems)."""
    (slowest, where), *_ = report.slowest()
    lines = [
        (
            f"{report.states} states answered ({len(report.menus)} menus) in {report.requests} requests, "
            f"{report.seconds:.1f} s: {report.url}"
        ),
        (
            f"answer times: p50 {report.percentile(0.5) * 1000:.0f} ms, p95 {report.percentile(0.95) * 1000:.0f} ms, "
            f"max {slowest * 1000:.0f} ms ({where})"
        ),
        "slowest: " + "; ".join(f"{w} {t * 1000:.0f} ms" for t, w in report.slowest(3)),
    ]
    if report.walked:
        lines.append(f"languages walked: {', '.join(sorted(report.walked))}")
    if report.skipped:
        lines.append(f"answered but not walked (not in --lang): {', '.join(sorted(report.skipped))}")
    kinds = sorted(set(report.audio.values()))
    lines.append(f"<Play>: {len(report.audio)} audio files, each fetched once ({', '.join(kinds) or 'none'})")
    voices = sorted(f"{v} ({lang})" for v, lang in report.voices if v)
    lines.append(f"<Say>: {len(voices)} voices ({', '.join(voices) or 'none'})")
    return lines
