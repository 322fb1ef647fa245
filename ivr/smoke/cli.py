"""`ivr smoke URL`: the command, its options, and the report printed for a terminal."""

from __future__ import annotations

import click

from .checks import E164
from .http import TWILIO_TIMEOUT
from .report import summary
from .walker import DEFAULT_MAX_REQUESTS, DEFAULT_MAX_SECONDS, FAKE_HELPLINE, SLOW, Walker


@click.command("smoke")
@click.argument("url")
@click.option(
    "--lang", "langs", multiple=True, help="Walk only this language (repeat). Default: every language offered."
)
@click.option(
    "--token", envvar="TWILIO_AUTH_TOKEN", show_envvar=True,
    help="The line's Twilio auth token, to sign requests (the environment is safer than the command line).",
)  # fmt: skip
@click.option(
    "--number", envvar="IVR_CALLER_ID", show_envvar=True,
    help="The helpline's own number, sent as To (the caller's number is a fictional one).",
)  # fmt: skip
@click.option("--max-requests", type=click.IntRange(1), default=DEFAULT_MAX_REQUESTS, show_default=True,
              help="Stop (and fail) after this many requests.")  # fmt: skip
@click.option("--timeout", "max_seconds", type=click.FloatRange(1), default=DEFAULT_MAX_SECONDS, show_default=True,
              help="Stop (and fail) after this many seconds in all.")  # fmt: skip
@click.option("--slow", type=click.FloatRange(0.1, TWILIO_TIMEOUT), default=SLOW, show_default=True,
              help="Flag answers slower than this many seconds.")  # fmt: skip
def command(
    url: str, langs: tuple[str, ...], token: str | None, number: str | None, max_requests: int, max_seconds: float,
    slow: float,
) -> None:  # fmt: skip
    """Walk the deployed line at URL (its Voice URL) as Twilio would; name every problem.

    Every key of every menu, every silence, every transfer answered and unanswered; each
    <Play> file fetched once; each <Say> voice checked against Twilio's table. Only the
    line's own webhooks are called: nobody is dialled.
    """
    import os
    import sys
    from pathlib import Path

    from ..content import DEFAULT_PROMPTS_DIR, load
    from ..errors import IvrError

    if not token:
        raise click.UsageError("no auth token: set TWILIO_AUTH_TOKEN (or pass --token)")
    try:
        known = tuple(load(Path(os.environ.get("IVR_PROMPTS_DIR") or DEFAULT_PROMPTS_DIR)).languages)
    except IvrError:
        known = ()  # the URLs still name languages; only --lang needs to know them
    unknown = [c for c in langs if known and c not in known]
    if unknown:
        raise click.BadParameter(
            f"no such language: {', '.join(unknown)} (have {', '.join(known)})", param_hint="--lang"
        )
    if number and not E164.match(number):
        raise click.BadParameter(f"{number!r} is not an E.164 number like +4721000000", param_hint="--number")
    try:
        walker = Walker(
            url, token, helpline=number or FAKE_HELPLINE, languages=langs, known_languages=known,
            account_sid=os.environ.get("TWILIO_ACCOUNT_SID"), max_requests=max_requests, max_seconds=max_seconds,
            slow=slow,
        )  # fmt: skip
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="URL") from e
    if not number:
        click.secho("note: IVR_CALLER_ID is not set; To is a fictional number", fg="yellow", err=True)
    report = walker.run()
    for line in summary(report):
        click.echo(line)
    if report.problems:
        lines = report.problems.lines()
        click.secho(f"{len(lines)} problem(s):", fg="red", err=True)
        for line in lines:
            click.secho(f"  - {line}", fg="red", err=True)
        sys.exit(1)
    click.secho("ok: every state answered in time, with TwiML, audio and voices Twilio accepts", fg="green")
