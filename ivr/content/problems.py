"""A problem found in the content: where it is, and what is wrong, as data rather than a string."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem: `where` is a file (`en.toml`) or a place (`node help`), `prompt` if any."""

    where: str
    message: str
    prompt: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
