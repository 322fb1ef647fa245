"""`ivr i18n`: hand a language to a translator and take the translation back."""

from __future__ import annotations

from pathlib import Path

import click

from . import main
from .line import settings


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
    from ..content import load
    from ..i18n import export

    found = settings()
    body = export(load(found.prompts_dir), code, fmt, found.prompts_dir)
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
    from ..content import load
    from ..i18n import import_file

    found = settings()
    result = import_file(load(found.prompts_dir), file, found.prompts_dir, code)
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if result.changed:
        click.secho(f"updated prompts/{result.code}.toml", fg="green")
    else:
        click.echo(f"prompts/{result.code}.toml unchanged")
