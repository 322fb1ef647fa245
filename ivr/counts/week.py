"""Time as the counts keep it: the ISO week for calls, the day for Twilio's alerts, nothing finer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def today() -> date:
    """Today in UTC (Norway's week starts on the same Monday, give or take an hour at midnight)."""
    return datetime.now(UTC).date()


def iso_week(day: date | None = None) -> str:
    """The ISO week of a day, as "2026-W49"."""
    year, week, _ = (day or today()).isocalendar()
    return f"{year}-W{week:02d}"


def last_weeks(count: int, day: date | None = None) -> list[str]:
    """The ISO weeks of the last `count` weeks up to the one holding `day`, newest first."""
    start = day or today()
    return [iso_week(start - timedelta(weeks=n)) for n in range(max(count, 1))]


def iso_day(stamp: str | None = None) -> str:
    """The day of an ISO 8601 timestamp (as Twilio sends it), or today when it cannot be read."""
    if stamp:
        try:
            parsed = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC)
            day = parsed.date()
            # A timestamp from the future or long past is not believed: the alert happened now.
            if abs((day - today()).days) <= 2:
                return day.isoformat()
    return today().isoformat()
