"""`ivr twilio ...`: purge the call records, set up and check the number, place a test call.

What these commands print is counts, settings and the problems found: never a call SID or
a caller's number. Any failure the SDK reports is reduced to its HTTP status and Twilio error
code, since the SDK's own messages quote request URIs (which hold call SIDs and numbers).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..errors import IvrError

if TYPE_CHECKING:
    from ..config import Settings

REPORT_EVERY = 24 * 3600  # a worker prints its totals once a day, so its log does not time each call


def _fail(message: object) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def _settings() -> Settings:
    from ..config import Settings

    try:
        return Settings.from_env(os.environ)
    except IvrError as e:
        _fail(e)


def _client(sleep: Callable[[float], Any] = time.sleep) -> Any:
    from .client import make_client

    try:
        return make_client(os.environ, sleep)
    except IvrError as e:
        _fail(e)


def _helpline(number: str | None) -> str:
    """--number, else IVR_CALLER_ID: the helpline's own Twilio number, E.164."""
    from ..phone import E164

    chosen = number or _settings().caller_id
    if not chosen:
        _fail("no number: pass --number +47... or set IVR_CALLER_ID to the helpline's Twilio number")
    if not E164.match(chosen):
        _fail(f"--number {chosen!r} is not an E.164 number like +4721000000")
    return chosen


def _public_base(required_https: bool = True, rehearsal: bool = False) -> tuple[str, bool]:
    """PUBLIC_BASE_URL, and whether this is a rehearsal (said in one line) where `rehearsal` may be."""
    from . import number as numbers

    base = _settings().public_base_url
    if not base:
        _fail("PUBLIC_BASE_URL is not set: the public https:// address Twilio reaches the line at")
    rehearsing = rehearsal and numbers.rehearsal(base, os.environ.get("TWILIO_API_BASE_URL"))
    if rehearsing:
        click.secho(numbers.REHEARSAL, fg="yellow")
    elif required_https and numbers.loopback_http(base):
        _fail(f"PUBLIC_BASE_URL={base} is not https://: http on a loopback address is only for a rehearsal "
              "against a fake Twilio on this machine (TWILIO_API_BASE_URL); the real Twilio cannot reach it")
    elif required_https and not base.startswith("https://"):
        _fail(f"PUBLIC_BASE_URL={base} is not https://: Twilio must reach a live line over TLS")
    return base, rehearsing


@click.group("twilio")
def twilio() -> None:
    """The helpline's Twilio account: purge call records, set up and check the number, test-call it.

    Credentials: TWILIO_ACCOUNT_SID with TWILIO_API_KEY and TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN).
    TWILIO_API_BASE_URL points every Twilio API at another base URL (a local fake, for tests).
    """


# Purge ---------------------------------------------------------------------------------


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT, so a worker ends cleanly between two requests."""
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@twilio.command()
@click.option("--number", help="The helpline's Twilio number (default: IVR_CALLER_ID).")
@click.option("--older-than", "older_than", type=click.IntRange(min=60), default=60, show_default=True,
              metavar="SECONDS", help="Delete only calls that ended this long ago (Twilio needs at least 60).")
@click.option("--every", type=click.IntRange(min=10), default=None, metavar="SECONDS",
              help="Run again every SECONDS until SIGTERM or SIGINT (a worker process).")
def purge(number: str | None, older_than: int, every: int | None) -> None:
    """Delete the line's finished calls and their transfers at Twilio; print counts only."""
    from .purge import CredentialsRefused, PurgeError, Tally
    from .purge import purge as run

    helpline = _helpline(number)
    if every is None:
        client = _client()
        try:
            tally = run(client, helpline, older_than)
        except PurgeError as e:
            _fail(e)
        except Exception as e:  # noqa: BLE001 - never let a traceback print a request URI
            _fail(f"the purge failed ({type(e).__name__}); nothing about any call is printed")
        click.echo(tally.summary())
        sys.exit(0 if tally.ok else 1)
    click.echo(f"purging every {every} s calls that ended over {older_than} s ago; totals once a day and on exit")
    total, since = Tally(), time.monotonic()
    with _stop_on_signals() as stop:
        client = _client(sleep=stop.wait)  # a back-off for 429 ends at SIGTERM too
        while not stop.is_set():
            try:
                tally = run(client, helpline, older_than, stop=stop.is_set)
            except CredentialsRefused as e:
                _fail(e)  # no later run can do better
            except PurgeError as e:
                click.secho(f"error: {e}; trying again in {every} s", fg="red", err=True)
                tally = Tally()
            except Exception as e:  # noqa: BLE001 - the worker goes on; see above
                click.secho(f"error: the purge failed ({type(e).__name__}); trying again in {every} s", fg="red", err=True)
                tally = Tally()
            total.add(tally)
            if tally.failed or tally.stopped:
                click.secho(f"problem: {tally.summary()}", fg="yellow", err=True)
            if time.monotonic() - since >= REPORT_EVERY:
                click.echo(f"last 24 h: {total.summary()}")
                total, since = Tally(), time.monotonic()
            stop.wait(every)
    click.echo(f"stopped; since the last report: {total.summary()}")


# The number ----------------------------------------------------------------------------


def _show_changes(todo: list[Any], verb: str) -> None:
    width = max(len(c.label) for c in todo)
    click.echo(f"{verb}:")
    for c in todo:
        click.echo(f"  {c.label:<{width}}  {_shown(c.before)}  →  {_shown(c.after)}")


def _shown(value: str | bool) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return value or "(none)"


@twilio.command()
@click.option("--number", help="The helpline's Twilio number (default: IVR_CALLER_ID).")
@click.option("--fallback-url", help="Fallback URL instead of PUBLIC_BASE_URL/voice/fallback, e.g. a TwiML Bin "
              "made from `ivr fallback-twiml` (answers even when the app is down).")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def setup(number: str | None, fallback_url: str | None, dry_run: bool) -> None:
    """Point the number at the line: Voice and Fallback URL, no status callback, lookup or SMS URL."""
    from . import number as numbers

    helpline = _helpline(number)
    base, rehearsing = _public_base(rehearsal=True)
    if fallback_url and not numbers.secure_enough(fallback_url, rehearsing):
        _fail(f"--fallback-url {fallback_url} is not https://")
    client = _client()
    try:
        found = numbers.find(client, helpline)
        todo = numbers.changes(numbers.current(found), numbers.wanted(base, fallback_url))
        if not todo:
            click.secho("nothing to change: the number is set up for the line", fg="green")
            return
        for c in todo:
            if c.attr in ("voice_application_sid", "trunk_sid"):
                click.secho(f"unbinding the {c.label.lower()} {c.before}: while bound, Twilio ignores the Voice URL",
                            fg="yellow")
        if dry_run:
            _show_changes(todo, "would change (dry run, nothing sent)")
            return
        left = numbers.changes(numbers.apply(found, todo), numbers.wanted(base, fallback_url))
    except IvrError as e:
        _fail(e)
    _show_changes(todo, "changed")
    if left:
        _fail("Twilio did not take: " + ", ".join(c.label for c in left))
    click.secho("the number is set up for the line", fg="green")


@twilio.command()
@click.option("--number", help="The helpline's Twilio number (default: IVR_CALLER_ID).")
@click.option("--fallback-url", help="The Fallback URL you set up, if not PUBLIC_BASE_URL/voice/fallback.")
def check(number: str | None, fallback_url: str | None) -> None:
    """Read the number's configuration and name every problem; exit 1 if there is any."""
    from . import number as numbers

    helpline = _helpline(number)
    base, rehearsing = _public_base(required_https=False, rehearsal=True)
    client = _client()
    try:
        found = numbers.problems(numbers.current(numbers.find(client, helpline)), base, fallback_url, rehearsing)
    except IvrError as e:
        _fail(e)
    if not numbers.secure_enough(base, rehearsing):
        found.insert(0, f"PUBLIC_BASE_URL={base} is not https://")
    if found:
        click.secho(f"{len(found)} problem(s) with the number:", fg="red", err=True)
        for p in found:
            click.secho(f"  - {p}", fg="red", err=True)
        sys.exit(1)
    click.secho("ok: the number is set up for the line", fg="green")


@twilio.command("test-call")
@click.option("--to", "to", required=True, help="Your own phone, E.164 (+47 and 8 digits).")
@click.option("--lang", help="Start in this language's main menu (default: the language menu).")
@click.option("--keys", default="", help="Then press these keys, comma-separated, e.g. 4,2 (menus only).")
@click.option("--number", help="The helpline's Twilio number to call from (default: IVR_CALLER_ID).")
def test_call(to: str, lang: str | None, keys: str, number: str | None) -> None:
    """Call your own phone from the helpline, straight into the line, to hear it as callers do."""
    from ..content import load
    from . import testcall

    settings = _settings()
    helpline = _helpline(number)
    content = load(settings.prompts_dir)
    services = {settings.dial_number(content, s) for s in content.menu.services}
    why = testcall.refuse(to, {helpline, *(n for n in services if n)})
    if why:
        _fail(why)
    offered = settings.languages or content.order
    if lang is not None and lang not in offered:
        _fail(f"--lang {lang!r} is not offered (offered: {', '.join(offered)})")
    try:
        path = testcall.start_path(content.menu, lang, [k.strip() for k in keys.split(",") if k.strip()])
    except IvrError as e:
        _fail(e)
    (base, _), client = _public_base(), _client()
    try:
        client.calls.create(to=to, from_=helpline, url=base + path, method="POST", time_limit=testcall.TIME_LIMIT)
    except Exception as e:  # noqa: BLE001 - status and code only, see the module's docstring
        from .number import refused

        _fail(refused("place the call", e))
    click.secho(f"calling your phone from the helpline; answer to hear {path}", fg="green")
    click.echo("The call's record at Twilio goes with the next `ivr twilio purge`, like any call.")
