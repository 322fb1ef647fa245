"""The `ivr` command: run the line, check it, and call it from a terminal."""

from __future__ import annotations

import os
import secrets
import sys
import textwrap

import click

from .errors import IvrError


@click.group()
@click.version_option(package_name="ivr")
def main() -> None:
    """A telephone helpline for people in Norway who may be victims of human trafficking."""


def _fail(error: IvrError) -> None:
    click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 5000)), help="Port (default: $PORT or 5000).")
def serve(host: str, port: int) -> None:
    """Run the line locally for development (unsigned when TWILIO_AUTH_TOKEN is unset)."""
    from .app import create_app

    overrides: dict[str, str] = {"IVR_DEV": "1"}
    if not os.environ.get("TWILIO_AUTH_TOKEN"):
        overrides["IVR_ALLOW_UNSIGNED"] = "1"
        click.secho(
            "WARNING: TWILIO_AUTH_TOKEN is not set: signatures are NOT checked and anyone who can "
            "reach this port can drive the line. Local development only.",
            fg="red",
            bold=True,
            err=True,
        )
    try:
        app = create_app(overrides)
    except IvrError as e:
        _fail(e)
    click.echo(f"The line answers at http://{host}:{port}/voice (Voice URL) and /voice/fallback (Fallback URL)")
    app.run(host=host, port=port)


@main.command()
def check() -> None:
    """Check the menu, every language and the settings; list every problem."""
    from .app import build
    from .config import Settings
    from .errors import ProblemsError

    try:
        ivr = build(Settings.from_env(os.environ))
    except ProblemsError as e:
        click.secho(str(e), fg="red", err=True)
        sys.exit(1)
    line = ivr.line
    problems = [
        f"{code}: asked for in IVR_LANGUAGES but cannot be heard: {why}"
        for code, why in line.unavailable.items()
        if ivr.settings.languages and code in ivr.settings.languages
    ]
    for code, why in line.unavailable.items():
        click.echo(f"off: {code} ({ivr.content.languages[code].english_name}): {why}")
    click.echo(f"offered: {', '.join(line.offered)}")
    click.echo(f"nodes: {len(ivr.content.menu.nodes)}, prompts per language: {len(ivr.content.required_prompts())}")
    if problems:
        click.secho("\n".join(problems), fg="red", err=True)
        sys.exit(1)
    click.secho("ok", fg="green")


@main.command()
@click.option("--lang", help="Choose this language in the language menu (e.g. nb, en).")
@click.option("--keys", "keys", default=None, help="Keys to press, comma-separated; '-' waits in silence. Without it, type keys.")
@click.option("--country", default="NO", show_default=True, help="The caller's country, as Twilio's FromCountry.")
@click.option(
    "--transfer",
    type=click.Choice(["completed", "busy", "no-answer", "failed"]),
    default="no-answer",
    show_default=True,
    help="How a transfer ends when more keys follow it.",
)
def call(lang: str | None, keys: str | None, country: str, transfer: str) -> None:
    """Call the line from the terminal, through the real webhooks, signed as Twilio signs them."""
    from .app import create_app
    from .simulator import Simulator, describe_number

    try:
        app = create_app({"TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN") or secrets.token_hex(16)})
    except IvrError as e:
        _fail(e)
    sim = Simulator(app, country=country)
    script = [k.strip() for k in keys.split(",")] if keys is not None else None
    turn = sim.start()
    if lang:
        choice = next((k for k, where in sim.keys(turn).items() if where == f"{lang}/main"), None)
        if choice is None:
            raise click.BadParameter(f"{lang!r} is not offered in the language menu", param_hint="--lang")
        click.secho(f"[language menu: pressing {choice} for {lang}]", dim=True)
        turn = sim.press(turn, choice)
    while True:
        _show(turn)
        if turn.dial:
            click.secho(f"  → transfer to {describe_number(turn.dial.number)}, shown as {turn.dial.caller_id}", fg="green", bold=True)
            if script is not None and not script:
                return
            turn = sim.dial_ended(turn, transfer if script is not None else click.prompt(
                "  how did it end", type=click.Choice(["completed", "busy", "no-answer", "failed"]), default="no-answer"))
            continue
        if turn.ended:
            click.secho("  [call ended]", dim=True)
            return
        options = sim.keys(turn)
        click.secho("  keys: " + "  ".join(f"{k} {v}" for k, v in options.items()), fg="cyan")
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


def _show(turn) -> None:  # noqa: ANN001 - a simulator Turn
    for said in turn.spoken:
        where = f"[{said.language or '?'}{' ' + said.engine if said.engine else ''}]"
        click.echo(textwrap.fill(said.text, width=100, initial_indent=f"{where} ", subsequent_indent="      "))





