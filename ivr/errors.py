"""One error hierarchy for the whole line: the CLI reports these, the web layer answers TwiML."""

from __future__ import annotations

from collections.abc import Iterable


class IvrError(Exception):
    """Base of every error this package raises on purpose."""


class ProblemsError(IvrError):
    """An error that carries every problem found, not just the first.

    `found` keeps the problems as given (structured `Problem`s or strings); `problems` as text.
    """

    what = "problems"

    def __init__(self, problems: Iterable[object]) -> None:
        self.found: tuple[object, ...] = tuple(problems)
        self.problems: tuple[str, ...] = tuple(str(p) for p in self.found)
        super().__init__(self._message())

    def _message(self) -> str:
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"{len(self.problems)} {self.what}:\n{lines}"


class ContentError(ProblemsError):
    """The menu or a language file in prompts/ is broken; the line must not start."""

    what = "problem(s) in prompts/"


class ConfigError(ProblemsError):
    """A setting in the environment is missing or invalid."""

    what = "configuration problem(s)"


class AudioError(IvrError):
    """A prompt could not be synthesized, decoded or written."""


class TranslationFileError(ProblemsError):
    """A translation file offered for import is invalid; nothing was written."""

    what = "problem(s) in the translation file"


class SimulatorError(IvrError, ValueError):
    """A simulated call could not take the step asked for: a URL that is not the line's own /voice
    webhooks, nothing listening for it, or an answer that is not TwiML."""
