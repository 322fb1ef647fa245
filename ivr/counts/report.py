"""The counts as people see them (console and `ivr stats`): every count under 5 is "fewer than 5".

No totals are shown across weeks or labels: a total next to its parts would give away a
part that is shown as "fewer than 5".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from . import store
from .counter import Counter
from .week import iso_week, last_weeks

FEW = 5
FEWER = "fewer than 5"
ERROR_LINK = "https://www.twilio.com/docs/errors/{code}"
# The charts, in the order shown: (metric, title).
CHARTS = (
    ("call", "Calls"),
    ("language", "Languages chosen"),
    ("topic", "Topics heard"),
    ("transfer", "Transfers"),
    ("transfer_end", "How transfers ended"),
    ("silent", "Silent until the line gave up"),
    ("ended", "Ended by the line, with a goodbye"),
    ("whisper", "Whispers to ROSA"),
)

Shown = int | str  # a count of 5 or more, or FEWER


def shown(count: int) -> Shown:
    """A count as it may be shown: 0, FEWER for 1-4, else the count."""
    return FEWER if 0 < count < FEW else count


@dataclass
class Chart:
    """One metric: a row per label, a cell per week (newest first)."""

    metric: str
    title: str
    rows: list[tuple[str, list[Shown]]] = field(default_factory=list)


@dataclass
class ErrorCode:
    """One of Twilio's error codes, as the debugger reported it."""

    code: str
    levels: list[str]
    this_week: Shown
    before: Shown
    last_day: str
    messages: list[str]
    paths: list[str]

    @property
    def link(self) -> str:
        return ERROR_LINK.format(code=self.code) if self.code.isdigit() else ""


@dataclass
class Report:
    """What the console's health page and `ivr stats` show."""

    weeks: list[str]
    charts: list[Chart]
    errors: list[ErrorCode]
    counting: bool = True
    problem: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "counting": self.counting,
            "problem": self.problem,
            "weeks": self.weeks,
            "counts": {c.metric: {label: dict(zip(self.weeks, cells, strict=True)) for label, cells in c.rows} for c in self.charts},
            "errors": [
                {
                    "code": e.code, "link": e.link, "levels": e.levels, "this_week": e.this_week, "before": e.before,
                    "last_day": e.last_day, "messages": e.messages, "paths": e.paths,
                }
                for e in self.errors
            ],
        }


def build(counter: Counter, weeks: int = 8, today: date | None = None) -> Report:
    """Read the counts of the last `weeks` weeks and Twilio's alerts; a database fault is reported, not raised."""
    wanted = last_weeks(weeks, today)
    if not counter.enabled:
        return Report(wanted, [], [], counting=False)
    try:
        engine = counter.engine()
        store.create_schema(engine, counter.url)
        weekly = store.read_weekly(engine, wanted)
        alerts = store.read_alerts(engine)
    except Exception as error:  # noqa: BLE001 - the page says the database failed, and how
        return Report(wanted, [], [], problem=f"the database could not be read ({type(error).__name__})")
    return Report(wanted, _charts(wanted, weekly), _errors(iso_week(today), alerts))


def _charts(weeks: list[str], weekly: list[tuple[str, str, str, int]]) -> list[Chart]:
    cells: dict[str, dict[str, dict[str, int]]] = {}
    for week, metric, label, count in weekly:
        cells.setdefault(metric, {}).setdefault(label, {})[week] = count
    titles = dict(CHARTS)
    metrics = [m for m, _ in CHARTS if m in cells] + sorted(m for m in cells if m not in titles)
    charts = []
    for metric in metrics:
        labels = cells[metric]
        order = sorted(labels, key=lambda label: (-sum(labels[label].values()), label))
        rows = [(label, [shown(labels[label].get(w, 0)) for w in weeks]) for label in order]
        charts.append(Chart(metric, titles.get(metric, metric), rows))
    return charts


def _errors(this_week: str, alerts: list[tuple[str, str, str, str, str, int]]) -> list[ErrorCode]:
    found: dict[str, dict[str, object]] = {}
    for day, code, level, path, message, count in alerts:  # newest day first
        entry = found.setdefault(code, {"levels": [], "now": 0, "before": 0, "last": day, "messages": [], "paths": []})
        week = iso_week(date.fromisoformat(day))
        entry["now" if week == this_week else "before"] += count  # type: ignore[operator]
        for key, value in (("levels", level), ("messages", message), ("paths", path)):
            kept: list[str] = entry[key]  # type: ignore[assignment]
            if value and value not in kept and len(kept) < 3:
                kept.append(value)
    return [
        ErrorCode(
            code=code,
            levels=e["levels"],  # type: ignore[arg-type]
            this_week=shown(e["now"]),  # type: ignore[arg-type]
            before=shown(e["before"]),  # type: ignore[arg-type]
            last_day=e["last"],  # type: ignore[arg-type]
            messages=e["messages"],  # type: ignore[arg-type]
            paths=e["paths"],  # type: ignore[arg-type]
        )
        for code, e in sorted(found.items(), key=lambda item: str(item[1]["last"]), reverse=True)
    ]


def bar(cell: Shown, largest: int) -> int:
    """A bar's width in steps of 5 % (CSS classes w0…w100; no inline style under the console's CSP).

    A count shown as "fewer than 5" gets the same short bar whatever it is.
    """
    if not isinstance(cell, int):
        return 5
    if cell == 0 or largest <= 0:
        return 0
    return max(5, min(100, round(cell * 20 / largest) * 5))


def largest(chart: Chart) -> int:
    """The largest count shown in a chart (the bars' 100 %)."""
    return max((c for _, cells in chart.rows for c in cells if isinstance(c, int)), default=0)
