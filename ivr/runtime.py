"""The loaded deployment: settings, content, audio and the call graph, built and checked once.

Views, the console and the CLI get it through `current()` (inside a request) or `build()`;
nothing imports the application factory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from .call import validate
from .call.graph import CallGraph
from .catalog import Catalog
from .config import Settings
from .content import Content, load
from .errors import ConfigError, ContentError
from .playback import Playback
from .twiml import Renderer

EXTENSION = "ivr"


@dataclass(frozen=True)
class Runtime:
    """What every request needs, built once per process."""

    settings: Settings
    content: Content
    catalog: Catalog
    playback: Playback
    graph: CallGraph
    renderer: Renderer
    # Rendered answers by (position, event, language order, caller ID, base URL): a position's
    # TwiML never changes while the process runs, so each is built once.
    cache: dict[Any, tuple[bytes, tuple[tuple[str, str], ...], str]] = field(default_factory=dict, compare=False)

    @property
    def offered(self) -> tuple[str, ...]:
        """The languages callers can hear, in the default order."""
        return self.graph.offered

    @property
    def unavailable(self) -> dict[str, str]:
        """The languages callers cannot hear, and why."""
        return self.playback.unavailable


def build(settings: Settings) -> Runtime:
    """Load and check content, audio and the whole call for these settings; raise on any problem."""
    content = load(settings.prompts_dir)
    problems = settings.check_against(content)
    if problems:
        raise ConfigError(problems)
    content = settings.with_candidate_voices(content)
    catalog = Catalog.load(settings.audio_dir)
    playback = Playback(content, settings, catalog)
    if not playback.offered:
        raise ConfigError(["no language can be heard: check IVR_LANGUAGES and the audio"])
    graph = CallGraph.build(content, settings, playback)
    found = validate.check(graph)
    if found:
        raise ContentError(found)
    return Runtime(settings, content, catalog, playback, graph, Renderer(content, settings, playback))


def current() -> Runtime:
    """The deployment of the app handling this request."""
    runtime: Runtime = current_app.extensions[EXTENSION]
    return runtime
