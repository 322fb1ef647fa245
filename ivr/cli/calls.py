"""`ivr call`: call the line from a terminal, through the real webhooks, signed as Twilio signs them."""

from __future__ import annotations

import os
import secrets
import textwrap

import click

from ..call.step import ENDINGS
from ..phone import display
from ..simulator import Lead, Simulator, Turn
from . import main


def lead_text(lead: Lead) -> str:
    """Where a key leads, for a terminal: a place, '→ +47 22 33 11 60' or 'goodbye'."""
    if lead.dial:
        return f"→ {display(lead.dial.number)}"
    return lead.to.name if lead.to else "goodbye"


@main.command()
@click.option("--lang", help="Choose this language in the language menu (e.g. nb, en).")
@click.option("--keys", "keys", default=None, help="Keys to press, comma-separated; '-' waits in silence. Without it, type keys.")
@click.option("--country", default="NO", show_default=True, help="The caller's country, as Twilio's FromCountry.")
@click.option("--transfer", type=click.Choice(ENDINGS), default="no-answer", show_default=True,
              help="How a transfer ends when more keys follow it.")
def call(lang: str | None, keys: str | None, country: str, transfer: str) -> None:
    """Call the line from the terminal, through the real webhooks, signed as Twilio signs them."""
    from ..app import create_app

    app = create_app({"TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN") or secrets.token_hex(16)})
    sim = Simulator(app, country=country)
    root = app.extensions["ivr"].content.menu.root
    script = [k.strip() for k in keys.split(",")] if keys is not None else None
    turn = sim.start()
    if lang:
        loaded = app.extensions["ivr"]
        # Turn the pages (9) as a caller would until the language is on one.
        for _ in range(len(loaded.graph.pages(loaded.graph.order_for(country)))):
            _show(turn)
            choice = next(
                (k for k, lead in sim.keys(turn).items() if lead.to and (lead.to.lang, lead.to.node) == (lang, root)),
                None,
            )
            if choice is not None:
                break
            more = loaded.graph.rules.more_key
            click.secho(f"[language menu: pressing {more} for more languages]", dim=True)
            turn = sim.press(turn, more)
        if choice is None:
            raise click.BadParameter(f"{lang!r} is not offered in the language menu", param_hint="--lang")
        click.secho(f"[language menu: pressing {choice} for {lang}]", dim=True)
        turn = sim.press(turn, choice)
    while True:
        _show(turn)
        if turn.dial:
            click.secho(f"  → transfer to {display(turn.dial.number)}, shown as {turn.dial.caller_id}", fg="green", bold=True)
            whisper = sim.whisper(turn)
            if whisper is not None:
                words = " ".join(s.text for s in whisper.spoken)
                click.secho(f"  [whisper to whoever answers at ROSA] {words}", fg="green")
            if script is not None and not script:
                return
            ending = transfer if script is not None else click.prompt(
                "  how did it end", type=click.Choice(ENDINGS), default="no-answer")
            turn = sim.dial_ended(turn, ending)
            continue
        if turn.ended:
            click.secho("  [call ended]", dim=True)
            return
        click.secho("  keys: " + "  ".join(f"{k} {lead_text(v)}" for k, v in sim.keys(turn).items()), fg="cyan")
        if script is not None:
            if not script:
                return
            key = script.pop(0)
            click.secho(f"> {key or '-'}", bold=True)
        else:
            key = click.prompt("> key (Enter = silence, q = hang up)", default="", show_default=False)
            if key == "q":
                return
        turn = sim.wait(turn) if key in ("", "-") else sim.press(turn, key)


def _show(turn: Turn) -> None:
    for said in turn.spoken:
        where = f"[{said.language or '?'}{' ' + said.engine if said.engine else ''}]"
        click.echo(textwrap.fill(said.text, width=100, initial_indent=f"{where} ", subsequent_indent="      "))
