"""The `ivr` command: run the line, check it, call it from a terminal, hand out translations.

One error boundary: any IvrError a command raises is printed as `error: …` (exit 1) by the group.
"""

from __future__ import annotations

from typing import Any

import click

from ..errors import IvrError


class Failure(click.ClickException):
    """An IvrError, as the command line reports it."""

    def show(self, file: Any = None) -> None:
        click.secho(f"error: {self.format_message()}", fg="red", err=True)


class IvrGroup(click.Group):
    """A command group whose commands' IvrErrors end as one red `error:` line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IvrError as e:
            raise Failure(str(e)) from e


@click.group(cls=IvrGroup)
@click.version_option(package_name="ivr")
def main() -> None:
    """A telephone helpline for people in Norway who may be victims of human trafficking."""


from ..audio.cli import audio  # noqa: E402
from ..counts.cli import stats  # noqa: E402
from ..smoke import command as smoke  # noqa: E402
from . import calls, i18n, line  # noqa: E402 - the commands register themselves on `main`

main.add_command(audio)
main.add_command(stats)
main.add_command(smoke)

from ..twilio.cli import twilio  # noqa: E402

main.add_command(twilio)

__all__ = ["IvrGroup", "calls", "i18n", "line", "main"]
