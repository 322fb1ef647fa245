"""`ivr stats`: the weekly counts and Twilio's error codes, as the console's health page shows them."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

from ..errors import ConfigError

if TYPE_CHECKING:  # sqlalchemy is imported only when the command runs
    from .report import Report


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--weeks", type=click.IntRange(1, 104), default=8, show_default=True, help="How many weeks, up to this one.")
def stats(as_json: bool, weeks: int) -> None:
    """Show what the line counted (per ISO week; under 5 shown as "fewer than 5") and Twilio's errors."""
    from ..config import Settings
    from .counter import Counter
    from .report import build

    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(1)
    counter = Counter(settings.database_url, enabled=settings.counts)
    try:
        report = build(counter, weeks)
    finally:
        counter.close()
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report))
    if report.problem:
        click.secho(f"error: {report.problem}", fg="red", err=True)
        sys.exit(1)


def render_text(report: Report) -> str:
    """The report as plain-text tables."""
    if not report.counting:
        return "counting is off (IVR_COUNTS=off): nothing is counted"
    lines: list[str] = []
    label_width = max([24, *(len(label) + 2 for c in report.charts for label, _ in c.rows)])
    cell = max(len("fewer than 5"), 8) + 2
    header = "".ljust(label_width) + "".join(w.rjust(cell) for w in report.weeks)
    for chart in report.charts:
        lines += [chart.title, header]
        for label, cells in chart.rows:
            lines.append(f"  {label}".ljust(label_width) + "".join(str(c).rjust(cell) for c in cells))
        lines.append("")
    if not report.charts and not report.problem:
        lines += [f"nothing counted in {report.weeks[-1]} … {report.weeks[0]}", ""]
    lines.append("Twilio errors (debugger alerts)" if report.errors else "Twilio errors: none reported")
    for e in report.errors:
        lines.append(f"  {e.code} {'/'.join(e.levels)}: this week {e.this_week}, before {e.before}, last {e.last_day}  {e.link}")
        lines += [f"      {m}" for m in e.messages] + [f"      at {p}" for p in e.paths]
    return "\n".join(lines)
