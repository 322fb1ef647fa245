"""prompts/notes.toml: a context note per prompt, for translators, recorders and reviewers."""

from __future__ import annotations

import tomllib
from pathlib import Path


def notes(prompts_dir: Path) -> dict[str, str]:
    """Every prompt's note; an unreadable or missing file means no notes, never an error."""
    path = prompts_dir / "notes.toml"
    try:
        found = tomllib.loads(path.read_text(encoding="utf-8")).get("notes", {})
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def note_for(context: dict[str, str], prompt: str) -> str:
    """One prompt's note; the note of language_option_1 covers its siblings."""
    if prompt in context:
        return context[prompt]
    family = prompt.rstrip("0123456789").rstrip("_")
    return context.get(f"{family}_1", "") if family.startswith("language_option") else ""
