"""`ivr audio approve`, `ivr audio export-script` and `ivr audio import-takes`: the studio from a terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # annotations only: commands import what they run
    from ..config import Settings
    from ..content import Content


def _setup(code: str) -> tuple[Settings, Content]:
    """Settings and content as the app reads them; the language must exist (as for `ivr audio`)."""
    from ..audio.cli import _setup as setup_languages

    settings, content, _ = setup_languages((code,))
    return settings, content


@click.command()
@click.option("--lang", "code", required=True, help="The language, e.g. ti.")
@click.option("--prompt", "prompts", multiple=True, help="A prompt id to approve (repeat).")
@click.option("--all", "every", is_flag=True, help="Every prompt recorded for its current words and not yet approved.")
@click.option("--reject", is_flag=True, help="Reject instead: the prompt must be recorded again.")
@click.option("--copied", is_flag=True, help="With AUDIO_BASE_URL: audio/built/recorded/<lang>/ is copied there.")
def approve(code: str, prompts: tuple[str, ...], every: bool, reject: bool, copied: bool) -> None:
    """Approve recordings after listening to them: only approved recordings play on calls."""
    from .takes import StudioError, lines_for_check, progress, review

    if bool(prompts) == every:
        raise click.UsageError("give --prompt ID (repeatable) or --all")
    settings, content = _setup(code)
    if settings.audio_base_url and not reject and not copied:
        # Calls fetch approved files from there at once: one not copied yet is a silent prompt.
        raise click.UsageError(
            f"AUDIO_BASE_URL is set ({settings.audio_base_url}): copy audio/built/recorded/{code}/ there "
            "first, then approve with --copied"
        )
    chosen = list(prompts) or progress(content, settings.audio_dir, code).prompts("recorded")
    if not chosen:
        click.echo(f"{code}: nothing is waiting for review")
        for line in lines_for_check(progress(content, settings.audio_dir, code)):
            click.echo(line)
        return
    try:
        done = review(content, settings.audio_dir, code, chosen, "rejected" if reject else "approved")
    except StudioError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(1)
    verb = "rejected" if reject else "approved"
    if done.changed:
        click.secho(f"{verb} {len(done.changed)} in {code}: {', '.join(done.changed)}", fg="green")
    for prompt, why in done.refused:
        click.secho(f"not {verb}: {code}/{prompt}: {why}", fg="red", err=True)
    after = progress(content, settings.audio_dir, code)
    click.echo(after.summary())
    if done.refused:
        sys.exit(1)


@click.command("export-script")
@click.option("--lang", "code", required=True, help="The language, e.g. ti.")
@click.option("--format", "fmt", type=click.Choice(["md", "csv"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def export_script(code: str, fmt: str, output: Path | None) -> None:
    """A numbered script sheet for a studio session: each prompt's words, note, seconds and file name."""
    from .script import sheet

    settings, content = _setup(code)
    body = sheet(content, code, settings.prompts_dir, fmt)
    if output:
        output.write_text(body, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(body, nl=False)


@click.command("import-takes")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--lang", "code", required=True, help="The language the takes are in, e.g. ti.")
def import_takes(folder: Path, code: str) -> None:
    """Import a folder of takes named by prompt id (greeting.wav …) through the studio's checks."""
    from ..audio.sources import RECORDING_SUFFIXES
    from .checks import IMPORT_LIMIT
    from .intake import Refused, take
    from .takes import StudioError, progress

    settings, content = _setup(code)
    required = set(content.caller_prompts(code))
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    kept = refused = 0
    for path in files:
        if path.suffix.lower() not in RECORDING_SUFFIXES:
            click.secho(f"skipped {path.name}: not a recording ({', '.join(RECORDING_SUFFIXES)})", fg="yellow")
            continue
        if path.stem not in required:
            click.secho(f"refused {path.name}: no prompt {path.stem!r} (name each file by its prompt id)", fg="red", err=True)
            refused += 1
            continue
        try:
            if path.stat().st_size > IMPORT_LIMIT:
                raise Refused(f"over {IMPORT_LIMIT // 1_000_000} MB: one prompt per file")
            accepted = take(content, settings.audio_dir, code, path.stem, path.read_bytes(), limit=IMPORT_LIMIT)
        except (Refused, StudioError, OSError) as e:
            click.secho(f"refused {path.name}: {e}", fg="red", err=True)
            refused += 1
            continue
        kept += 1
        click.echo(f"kept {path.name}: {accepted.speech_seconds:.1f} s")
    after = progress(content, settings.audio_dir, code)
    click.echo(f"{kept} kept, {refused} refused; {after.summary()}")
    if kept:
        click.echo(f"listen, then approve: ivr audio approve --lang {code} --all (or on the console's call map)")
    if refused:
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add the studio's commands to `ivr audio`."""
    for command in (approve, export_script, import_takes):
        group.add_command(command)
