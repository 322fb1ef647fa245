"""What a recorder reads: each prompt's words, numbers kept left to right, with its note and context.

In right-to-left scripts every number and web address is in a left-to-right isolate (ivr.bidi), on
the page and in the script sheet, so "22 33 11 60" is not read backwards; the words are unchanged.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..bidi import LRI, PDI, for_reading
from ..content import Content
from ..content.notes import note_for, notes
from ..timing import spoken_seconds

__all__ = ["FORMATS", "LRI", "PDI", "Line", "lines", "note_for", "notes", "sheet"]
FORMATS = ("md", "csv")


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
            text=for_reading(lang.text(p), lang.script),
            seconds=round(spoken_seconds(lang.text(p), lang.script), 1),
            note=note_for(context, p),
            # handoff_interpreter is never said in Norwegian or English: its note explains it instead
            norwegian=content.source.prompts.get(p, ""),
            english=english.prompts.get(p, "") if english else "",
        )
        for i, p in enumerate(content.caller_prompts(code), start=1)
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
        body += [f"- Norwegian: {line.norwegian}"] if line.norwegian else []
        body += [f"- English: {line.english}"] if line.english else []
        body += [""]
    return "\n".join(head + body)
