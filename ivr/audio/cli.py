"""`ivr audio build` and `ivr audio check`; light to import, the pipeline loads when run."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from ..config import Settings
from ..content import Content, load
from ..engines import ENGINES
from ..errors import IvrError

if TYPE_CHECKING:  # annotations only: the pipeline is imported when a command runs
    from .build import Report

CHAIN = ENGINES  # best first


def _default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@click.group()
def audio() -> None:
    """Build and check the prompts' audio files (see audio/README.md)."""


def _setup(langs: Sequence[str]) -> tuple[Settings, Content, tuple[str, ...]]:
    """Settings and content as the app reads them, and the languages to work on."""
    try:
        settings = Settings.from_env(os.environ)
        content = load(settings.prompts_dir)
    except IvrError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(1)
    unknown = [c for c in langs if c not in content.languages]
    if unknown:
        raise click.BadParameter(
            f"no prompts/<code>.toml for {', '.join(unknown)} (have {', '.join(content.languages)})",
            param_hint="--lang",
        )
    languages = tuple(langs) or settings.languages or tuple(content.languages)
    return settings, content, tuple(c for c in languages if c in content.languages)


@audio.command()
@click.option("--lang", "langs", multiple=True, help="Build this language (repeat). Default: IVR_LANGUAGES, else all.")
@click.option(
    "--engine",
    "engines",
    multiple=True,
    type=click.Choice(ENGINES),
    help="An engine of the chain, best first (repeat). Default: recorded, gtts, espeak.",
)
@click.option("--force", is_flag=True, help="Make every file again, even when it is up to date.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 32),
    default=_default_jobs,
    show_default="CPU count, at most 8",
    help="Prompts built at once.",
)
def build(langs: tuple[str, ...], engines: tuple[str, ...], force: bool, jobs: int) -> None:
    """Make a telephone-ready file for every prompt: 8 kHz mono μ-law WAV at one loudness."""
    from .build import Builder
    from .sources import default_sources
    from .store import Store

    settings, content, languages = _setup(langs)
    chain = tuple(dict.fromkeys(engines)) or CHAIN
    builder = Builder(content, Store(settings.audio_dir), default_sources(settings.audio_dir, chain), jobs=jobs, force=force)
    work = builder.plan(languages)
    click.echo(
        f"{len(work.jobs)} to build, {sum(1 for o in work.settled if o.status == 'kept')} up to date "
        f"({', '.join(languages)}; chain: {', '.join(chain)}; {settings.audio_dir})"
    )
    try:
        if work.jobs:
            with click.progressbar(  # type: ignore[var-annotated]  # generic over items; a length here
                length=len(work.jobs),
                label="building",
                file=sys.stderr,
                show_pos=True,
                item_show_func=lambda o: f"{o.lang}/{o.prompt}" if o else "",
            ) as bar:
                report = builder.run(work, progress=lambda o: bar.update(1, o))
        else:
            report = builder.run(work)
    except KeyboardInterrupt:
        click.secho("interrupted: the previous manifest and its files are untouched", fg="yellow", err=True)
        sys.exit(130)
    _summary(report)
    if not report.ok:
        sys.exit(1)


def _summary(report: Report) -> None:
    """The table per language and engine, then what went wrong, by name."""
    rows = report.table()
    if rows:
        click.echo(f"{'language':<9} {'engine':<9} {'built':>6} {'kept':>6} {'failed':>7}")
        for (lang, engine), n in rows.items():
            click.echo(f"{lang:<9} {engine:<9} {n['built']:>6} {n['kept']:>6} {n['failed']:>7}")
    for lang, outcomes in report.missing().items():
        first = outcomes[0]
        click.echo(
            f"{lang}: {len(outcomes)} prompts have no source (e.g. {first.prompt}: {first.reason}); "
            f"`ivr audio check --lang {lang}` lists them"
        )
    for engine, why in report.unavailable.items():
        click.secho(f"{engine} unavailable here: {why}", fg="yellow")
    for note in report.notes:
        click.secho(f"note: {note}", fg="yellow")
    if report.removed:
        click.echo(f"removed {len(report.removed)} files no longer needed")
    click.echo(
        f"built {report.count('built')}, kept {report.count('kept')}, failed {report.count('failed')} "
        f"in {report.seconds:.1f} s; manifest {'updated' if report.manifest_written else 'unchanged'}"
    )
    if report.error:
        click.secho(f"error: {report.error}", fg="red", err=True)
    if report.failures:
        click.secho(f"{len(report.failures)} failure(s):", fg="red", err=True)
        for failure in report.failures:
            click.secho(f"  - {failure}", fg="red", err=True)


@audio.command()
@click.option("--lang", "langs", multiple=True, help="Check this language (repeat). Default: IVR_LANGUAGES, else all.")
@click.option(
    "--engine",
    "engines",
    multiple=True,
    type=click.Choice(ENGINES),
    help="Engines whose files count as playable (repeat). Default: IVR_PLAY_ENGINES.",
)
def check(langs: tuple[str, ...], engines: tuple[str, ...]) -> None:
    """List missing, stale, orphaned, too long, too quiet and too loud audio."""
    from .check import audit

    settings, content, languages = _setup(langs)
    allowed = tuple(dict.fromkeys(engines)) or settings.play_engines
    problems = audit(content, settings.audio_dir, languages, allowed)
    if problems:
        for problem in problems:
            click.secho(str(problem), fg="red", err=True)
        click.secho(f"{len(problems)} audio problem(s) in {settings.audio_dir}", fg="red", err=True)
        sys.exit(1)
    click.secho(f"ok: {', '.join(languages)} ({', '.join(allowed)})", fg="green")


from ..studio.cli import register  # noqa: E402 - approve, export-script, import-takes

register(audio)
