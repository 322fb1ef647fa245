"""Commands about the line as a whole: serve it, check it, time it, print its TwiML Bin fallback."""

from __future__ import annotations

import os

import click

from ..config import Settings
from . import main


def settings() -> Settings:
    """The settings of this environment (an IvrError names every bad one)."""
    return Settings.from_env(os.environ)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 5000)), help="Port (default: $PORT or 5000).")
def serve(host: str, port: int) -> None:
    """Run the line locally for development (unsigned when TWILIO_AUTH_TOKEN is unset)."""
    from ..app import create_app

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
    app = create_app(overrides)
    click.echo(f"The line answers at http://{host}:{port}/voice (Voice URL) and /voice/fallback (Fallback URL)")
    click.echo(f"Hear it in a browser: http://{host}:{port}/console/")
    app.run(host=host, port=port)


@main.command()
def check() -> None:
    """Check the menu, every language, the whole call and the settings; list every problem."""
    from ..diagnose import diagnose
    from ..runtime import build

    found = diagnose(build(settings()))
    for note in found.notes:
        click.echo(note)
    if found.problems:
        click.secho("\n".join(found.problems), fg="red", err=True)
        raise SystemExit(1)
    click.secho("ok", fg="green")


@main.command()
@click.option("--country", help="Also show the order for a caller from this country (FromCountry).")
def timing(country: str | None) -> None:
    """How long a caller waits: for their language (with their country and without), and in silence (~ = estimated)."""
    from ..call.position import Position
    from ..runtime import build
    from ..timing import arrival, time_in_silence, time_to_languages, time_to_rosa_option

    loaded = build(settings())
    graph, content = loaded.graph, loaded.content
    click.echo(f"key 0 (ROSA) is first offered after {time_to_rosa_option(graph)}")
    unmatched = time_to_languages(graph, None)
    click.echo(f"{'language':<22} {'country':<8} {'with country':>13} {'without':>10} {'silent: transfer':>17}")
    for code in loaded.offered:
        lang = content.languages[code]
        home = lang.countries[0] if lang.countries else None
        matched = time_to_languages(graph, home)[code] if home else unmatched[code]
        silent = time_in_silence(graph, arrival(graph, code))
        click.echo(
            f"{code + ' ' + lang.english_name:<22} {home or '-':<8} {str(matched):>13} {str(unmatched[code]):>10} "
            f"{str(silent.gives_up):>17}"
        )
    start = time_in_silence(graph, Position("start"))
    click.echo(
        f"silent from the start: the transfer to ROSA begins after {start.gives_up} (ringing after {start.rings}); "
        "silent after choosing a language: 'silent: transfer', from the main menu's first word"
    )
    if country:
        order = [c for page in graph.pages(graph.order_for(country)) for c in page]
        click.echo(f"order for a caller from {country.upper()}: {', '.join(order)}")


@main.command("fallback-twiml")
@click.option("--caller-id", default="{{To}}", show_default=True,
              help="The number ROSA sees; {{To}} is the helpline's number in a TwiML Bin.")
def fallback_twiml(caller_id: str) -> None:
    """Print TwiML for the number's Fallback URL as a TwiML Bin, which answers even when the app is down."""
    from ..runtime import build

    click.echo(build(settings()).renderer.standalone_fallback(caller_id))
