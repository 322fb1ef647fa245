"""The `ivr` command: run the line, check it, and call it from a terminal."""

from __future__ import annotations

import os
import secrets
import sys
import textwrap
from pathlib import Path

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

    overrides: dict[str, str] = {"IVR_CONSOLE_OPEN": "1"}
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
    click.echo(f"Hear it in a browser: http://{host}:{port}/console/")
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
    from .linguistics import check_identity, check_scripts

    line, content = ivr.line, ivr.content
    problems = [
        f"{code}: asked for in IVR_LANGUAGES but cannot be heard: {why}"
        for code, why in line.unavailable.items()
        if ivr.settings.languages and code in ivr.settings.languages
    ]
    problems += check_scripts(content) + check_identity(content)
    for code, why in line.unavailable.items():
        lang = content.languages[code]
        click.echo(f"off: {code} ({lang.english_name}): {why}")
        if lang.recorded_only:
            missing = [p for p, t in lang.prompts.items() if not ivr.catalog.find(code, p, t, ["recorded"])]
            click.echo(f"  {len(missing)} recordings missing in audio/recorded/{code}/: {', '.join(missing)}")
    robotic = [c for c in line.offered if line.plays_offline_voice(c)]
    if robotic:
        click.echo(
            f"offline voice (eSpeak NG) on calls, no Twilio voice: {', '.join(robotic)}; build gTTS audio online "
            f"to replace it: ivr audio build {' '.join('--lang ' + c for c in robotic)} --engine recorded --engine gtts"
        )
    drafts = [c for c in line.offered if content.languages[c].status == "machine-draft"]
    if drafts:
        click.echo(f"machine drafts, to be reviewed by a native speaker: {', '.join(drafts)}")
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


def _show(turn) -> None:
    for said in turn.spoken:
        where = f"[{said.language or '?'}{' ' + said.engine if said.engine else ''}]"
        click.echo(textwrap.fill(said.text, width=100, initial_indent=f"{where} ", subsequent_indent="      "))


from .audio.cli import audio

main.add_command(audio)
from .counts.cli import stats  # noqa: E402
main.add_command(stats)

from .twilio.cli import twilio  # noqa: E402
main.add_command(twilio)


@main.group()
def i18n() -> None:
    """Hand a language to a translator and take the translation back."""


@i18n.command("export")
@click.option("--lang", "code", required=True, help="The language to export, e.g. ro.")
@click.option("--format", "fmt", type=click.Choice(["po", "csv", "sheet"]), default="po", show_default=True,
              help="po or csv for translators; sheet: a numbered recorder's sheet, numbers kept left to right")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def i18n_export(code: str, fmt: str, output: Path | None) -> None:
    """Export every prompt: Norwegian source, English, a context note, the current text."""
    from .content import load
    from .i18n import export

    settings = _settings()
    try:
        body = export(load(settings.prompts_dir), code, fmt, settings.prompts_dir)
    except IvrError as e:
        _fail(e)
    if output:
        output.write_text(body, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(body, nl=False)


@i18n.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", "code", help="The language, when the file does not say (CSV).")
def i18n_import(file: Path, code: str | None) -> None:
    """Import a filled-in PO or CSV file: all of it, or nothing if anything is wrong."""
    from .content import load
    from .i18n import import_file

    settings = _settings()
    try:
        result = import_file(load(settings.prompts_dir), file, settings.prompts_dir, code)
    except IvrError as e:
        _fail(e)
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if result.changed:
        click.secho(f"updated prompts/{result.code}.toml", fg="green")
    else:
        click.echo(f"prompts/{result.code}.toml unchanged")


def _settings():
    from .config import Settings

    try:
        return Settings.from_env(os.environ)
    except IvrError as e:
        _fail(e)


@main.command()
@click.option("--country", help="Also show the order for a caller from this country (FromCountry).")
def timing(country: str | None) -> None:
    """How long a caller waits for their language: with their country and without (~ = estimated)."""
    from .app import build
    from .timing import time_to_languages, time_to_rosa_option

    try:
        ivr = build(_settings())
    except IvrError as e:
        _fail(e)
    line, content = ivr.line, ivr.content
    click.echo(f"key 0 (ROSA) is first offered after {time_to_rosa_option(line)}")
    unmatched = time_to_languages(line, None)
    click.echo(f"{'language':<22} {'country':<8} {'with country':>13} {'without':>10}")
    for code in line.offered:
        lang = content.languages[code]
        home = lang.countries[0] if lang.countries else None
        matched = time_to_languages(line, home)[code] if home else unmatched[code]
        click.echo(f"{code + ' ' + lang.english_name:<22} {home or '-':<8} {matched!s:>13} {unmatched[code]!s:>10}")
    if country:
        order = [c for page in line.language_pages(country) for c in page]
        click.echo(f"order for a caller from {country.upper()}: {', '.join(order)}")


@main.command("fallback-twiml")
@click.option("--caller-id", default="{{To}}", show_default=True,
              help="The number ROSA sees; {{To}} is the helpline's number in a TwiML Bin.")
def fallback_twiml(caller_id: str) -> None:
    """Print TwiML for the number's Fallback URL as a TwiML Bin, which answers even when the app is down."""
    from .app import build

    try:
        ivr = build(_settings())
    except IvrError as e:
        _fail(e)
    click.echo(ivr.renderer.standalone_fallback(caller_id))

