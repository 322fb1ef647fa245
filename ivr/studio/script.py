"""What a recorder reads: each prompt's words, numbers kept left to right, with its note and context.

In a right-to-left paragraph (Arabic script: Dari, Arabic) the bidi algorithm shows space-separated
digit groups in reverse order: "22 33 11 60" appears as "60 11 33 22", and a recorder reading the
number as one unit would say it backwards. Every number is therefore wrapped in a left-to-right
isolate (U+2066 … U+2069), on the page and in the script sheet; the words themselves are unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..content import Content
from ..timing import spoken_seconds

LRI, PDI = "\u2066", "\u2069"
RTL_SCRIPTS = frozenset({"Arabic"})
FORMATS = ("md", "csv")
_NUMBER = re.compile(r"\d+(?: \d+)*")  # as ivr.content reads numbers


def isolate_numbers(text: str, script: str) -> str:
    """The text with each number in a left-to-right isolate, for right-to-left scripts."""
    if script not in RTL_SCRIPTS:
        return text
    return _NUMBER.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", text)


def notes(prompts_dir: Path) -> dict[str, str]:
    """The translator's note of each prompt (prompts/notes.toml); option notes cover their siblings."""
    path = prompts_dir / "notes.toml"
    try:
        found = tomllib.loads(path.read_text(encoding="utf-8")).get("notes", {})
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def note_for(context: dict[str, str], prompt: str) -> str:
    if prompt in context:
        return context[prompt]
    family = prompt.rstrip("0123456789").rstrip("_")
    return context.get(f"{family}_1", "") if family.startswith("language_option") else ""


@dataclass(frozen=True)
class Line:
    """One prompt of the script."""

    number: int
    prompt: str
    text: str  # as shown: numbers isolated for right-to-left scripts
    seconds: float  # ivr.timing's estimate
    note: str
    norwegian: str
    english: str


def lines(content: Content, code: str, prompts_dir: Path) -> list[Line]:
    """Every prompt a language needs, numbered in the order of the source file."""
    lang = content.languages[code]
    context = notes(prompts_dir)
    english = content.languages.get("en")
    return [
        Line(
            number=i,
            prompt=p,
            text=isolate_numbers(lang.text(p), lang.script),
            seconds=round(spoken_seconds(lang.text(p), lang.script), 1),
            note=note_for(context, p),
            norwegian=content.source.text(p),
            english=english.text(p) if english else "",
        )
        for i, p in enumerate(content.required_prompts(), start=1)
    ]


def sheet(content: Content, code: str, prompts_dir: Path, fmt: str = "md") -> str:
    """The numbered script sheet for a studio session, as Markdown or CSV."""
    lang = content.languages[code]
    found = lines(content, code, prompts_dir)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("number", "file", "script", "seconds", "note", "norwegian", "english"))
        for line in found:
            writer.writerow(
                (line.number, f"{line.prompt}.wav", line.text, line.seconds, line.note, line.norwegian, line.english)
            )
        return out.getvalue()
    if fmt != "md":
        raise ValueError(f"format is one of {', '.join(FORMATS)}")
    head = [
        f"# Recording script: {lang.english_name} ({lang.name}, {code}), {len(found)} prompts",
        "",
        "Read each prompt exactly as written, as its own take, in a quiet room. Save each take as",
        f"`<file>` below (any of .wav .flac .m4a .ogg .webm .mp3), all in one folder, then: `ivr audio import-takes FOLDER --lang {code}`.",
        "Numbers are read digit group by digit group, left to right, as written. The seconds are an estimate.",
        "",
    ]
    body = []
    for line in found:
        body += [
            f"## {line.number}. `{line.prompt}.wav` (about {line.seconds:.0f} s)",
            "",
            f"> {line.text}",
            "",
        ]
        if line.note:
            body += [f"- Note: {line.note}"]
        body += [f"- Norwegian: {line.norwegian}", f"- English: {line.english}", ""]
    return "\n".join(head + body)
