"""The translator's round trip: export a language to PO or CSV, import it back all or nothing."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import polib
import tomli_w

from .content import STATUSES, Content, Language, check_texts
from .content.notes import note_for, notes
from .errors import TranslationFileError
from .seconds import spoken_seconds

# po and csv go to translators and come back; a sheet is for a person recording the prompts.
FORMATS = ("po", "csv", "sheet")
CSV_COLUMNS = ("id", "context", "nb", "en", "translation", "status")
# Spoken length: a translation this many times longer than the source gets a warning.
LONGER_THAN_SOURCE = 1.6

def _source_text(source: Language, prompt_id: str, context: dict[str, str]) -> str:
    """The Norwegian to translate; a prompt Norwegian callers never hear (handoff_interpreter) has its note."""
    return source.prompts.get(prompt_id) or f"[{note_for(context, prompt_id) or prompt_id}]"


def export(content: Content, code: str, fmt: str, prompts_dir: Path) -> str:
    """A file a translator fills in: source, English, a note and the current text per prompt."""
    if code not in content.languages:
        raise TranslationFileError([f"unknown language {code!r} (have {', '.join(content.languages)})"])
    if fmt not in FORMATS:
        raise TranslationFileError([f"unknown format {fmt!r} (choose {' or '.join(FORMATS)})"])
    lang, source, english = content.languages[code], content.source, content.languages.get("en")
    context = notes(prompts_dir)
    rows = [
        (p, note_for(context, p), _source_text(source, p, context), english.prompts.get(p, "") if english else "",
         lang.prompts.get(p, ""))
        for p in content.required_prompts(code)
    ]
    if fmt == "sheet":
        from .studio.script import sheet  # the studio's sheet: one script for every recorder

        return sheet(content, code, prompts_dir)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for i, (pid, note, nb, en, current) in enumerate(rows):
            writer.writerow((pid, note, nb, en, current, lang.status if i == 0 else ""))
        return out.getvalue()
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "ivr",
        "Language": code,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Translation-Status": lang.status,
    }
    for pid, note, nb, en, current in rows:
        comment = "\n".join(filter(None, [note, f"English: {en}" if en and code != "en" else ""]))
        po.append(polib.POEntry(msgctxt=pid, msgid=nb, msgstr=current, comment=comment))
    return str(po)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the language, whether its file changed, and warnings."""

    code: str
    changed: bool
    warnings: tuple[str, ...]


def read(path: Path, code: str | None = None) -> tuple[str, str | None, dict[str, str], list[str]]:
    """Parse a translation file: (language, status, texts, problems)."""
    problems: list[str] = []
    texts: dict[str, str] = {}
    status: str | None = None
    suffix = path.suffix.lower().lstrip(".")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TranslationFileError([f"{path}: cannot read: {e}"]) from e
    if suffix == "po":
        try:
            po = polib.pofile(raw)
        except (OSError, ValueError) as e:
            raise TranslationFileError([f"{path.name}: not a PO file: {e}"]) from e
        code = code or po.metadata.get("Language")
        status = po.metadata.get("X-Translation-Status")
        for entry in po:
            if not entry.msgctxt:
                problems.append(f"entry {entry.msgid[:40]!r} has no msgctxt (the prompt id)")
            elif entry.msgctxt in texts:
                problems.append(f"{entry.msgctxt}: appears twice")
            else:
                texts[entry.msgctxt] = entry.msgstr
    elif suffix == "csv":
        rows = list(csv.DictReader(io.StringIO(raw)))
        missing = [c for c in ("id", "translation") if rows and c not in rows[0]]
        if not rows or missing:
            raise TranslationFileError([f"{path.name}: a CSV needs the columns {', '.join(CSV_COLUMNS)}"])
        for row in rows:
            pid = (row.get("id") or "").strip()
            if pid in texts:
                problems.append(f"{pid}: appears twice")
            texts[pid] = row.get("translation") or ""
            status = status or (row.get("status") or "").strip() or None
    else:
        raise TranslationFileError([f"{path.name}: the file must end in .po or .csv"])
    if not code:
        problems.append("the file does not say its language (PO header 'Language', or pass --lang)")
    return code or "", status, texts, problems


def import_file(content: Content, path: Path, prompts_dir: Path, code: str | None = None) -> ImportResult:
    """Validate a translation file whole and write prompts/<code>.toml only if all of it is good."""
    code, status, texts, problems = read(path, code)
    if code and code not in content.languages:
        problems.append(f"unknown language {code!r}: add prompts/{code}.toml with its [language] table first")
    if status and status not in STATUSES:
        problems.append(f"status {status!r} must be one of {', '.join(STATUSES)}")
    if problems:
        raise TranslationFileError(problems)
    lang = content.languages[code]
    required = content.required_prompts(code)
    texts = {p: t.strip() for p, t in texts.items()}
    updated = replace(lang, status=status or lang.status, prompts=MappingProxyType(texts))
    trial = replace(content, languages=MappingProxyType({**content.languages, code: updated}))
    found = [p for p in check_texts(trial) if p.where == f"{code}.toml"]
    if found:
        raise TranslationFileError(found)
    warnings = []
    for pid in required:
        ours = spoken_seconds(texts[pid], lang.script)
        source = spoken_seconds(content.source.text(pid), content.source.script)
        if source and ours / source > LONGER_THAN_SOURCE:
            warnings.append(f"{pid}: about {ours:.0f} s spoken, {ours / source:.1f}x the source; shorter is kinder")
    ordered = {p: texts[p] for p in required}
    if ordered == dict(lang.prompts) and updated.status == lang.status:
        return ImportResult(code, False, tuple(warnings))
    write_language(prompts_dir / f"{code}.toml", updated.status, ordered)
    return ImportResult(code, True, tuple(warnings))


def write_language(path: Path, status: str, prompts: dict[str, str]) -> None:
    """Rewrite a language file's status and prompts, keeping its header and [language] table."""
    original = path.read_text(encoding="utf-8")
    data = tomllib.loads(original)
    data["language"]["status"] = status
    data["prompts"] = prompts
    header = _leading_comments(original)
    body = header + ("\n" if header else "") + tomli_w.dumps(data, multiline_strings=False)
    # Atomic: a half-written language file would stop the line at its next start.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
        tomllib.loads(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _leading_comments(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)

