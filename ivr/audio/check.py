"""`ivr audio check`: everything wrong with the audio folder, listed at once.

Missing (a prompt no allowed engine has a file for, or a recording a recorded-only
language still needs), stale (made from older words, by an older pipeline, or from a
recording that has changed since), orphaned (files and entries nothing uses), too long,
too quiet, too loud, clipped, or not in the telephone format. Each file is measured as
it is on disk, not as the manifest remembers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..catalog import heard_on_calls, playable_engines
from ..content import Content, text_hash
from .errors import DecodeError
from .process import measure_file
from .sources import PIN_SUFFIX, RECORDED_DIR, RECORDING_SUFFIXES, NotHere, Recorded
from .spec import CHECK_TOLERANCE, MAX_SECONDS, PEAK_CEILING, PIPELINE_VERSION, TARGET_LEVEL, TELEPHONE_FORMAT
from .store import Store

RECORD_SUFFIX = ".json"  # a take's record and review (ivr.studio.takes)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with what kind of thing it is."""

    kind: str  # missing, stale, unapproved, orphaned, too long, too quiet, too loud, clipped, format
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.message}"


def audit(content: Content, audio_dir: Path, languages: Sequence[str], engines: Sequence[str]) -> list[Problem]:
    """Every problem in the audio of these languages, for calls that may play these engines."""
    store = Store(audio_dir)
    recorded = Recorded(audio_dir / RECORDED_DIR)
    entries, unreadable = store.load_manifest()
    # An unreadable manifest takes every file off the calls until it is rebuilt: a failure.
    problems = [Problem("missing", "manifest.json", unreadable)] if unreadable else []
    by_prompt: dict[tuple[str, str], list] = {}
    for entry in entries:
        by_prompt.setdefault((entry.lang, entry.prompt), []).append(entry)

    for code in languages:
        lang = content.languages[code]
        allowed = playable_engines(lang, engines)
        required = content.caller_prompts(code)
        unplayable: list[str] = []
        for prompt in required:
            text = lang.prompts.get(prompt, "")
            files = by_prompt.get((code, prompt), [])
            if not any(
                f.text_hash == text_hash(text) and f.engine in allowed and heard_on_calls(f) and store.size(f.file)
                for f in files
            ):
                unplayable.append(prompt)
            for f in files:
                if f.engine == "recorded" and not f.approved and f.text_hash == text_hash(text):
                    problems.append(Problem(
                        "unapproved", f.file,
                        f"{code}/{prompt} is recorded but not approved: listen, then `ivr audio approve --lang {code} "
                        f"--prompt {prompt}` or approve it on the console's call map",
                    ))  # fmt: skip
                if f.text_hash != text_hash(text):
                    problems.append(Problem("stale", f.file, f"made from older words of {code}/{prompt}"))
                elif f.pipeline != PIPELINE_VERSION:
                    problems.append(Problem("stale", f.file, f"made by pipeline {f.pipeline}, now {PIPELINE_VERSION}"))
            plan = recorded.plan(lang, prompt, text)
            if isinstance(plan, NotHere):
                if plan.kind == "stale":
                    problems.append(Problem("stale", f"{code}/{prompt}", plan.reason))
            elif not any(f.engine == "recorded" and f.source == plan.fingerprint for f in files):
                problems.append(Problem("stale", f"{code}/{prompt}", "a new recording is not built yet: run `ivr audio build`"))
        if unplayable and lang.recorded_only:
            problems.append(Problem(
                "missing", code,
                f"recorded-only: {len(unplayable)} of {len(required)} prompts need a recording at "
                f"audio/{RECORDED_DIR}/{code}/<prompt-id>.wav: {', '.join(unplayable)}",
            ))  # fmt: skip
        elif unplayable:
            problems.append(Problem(
                "missing", code,
                f"{len(unplayable)} of {len(required)} prompts have no file from {', '.join(allowed)}: "
                f"{', '.join(unplayable)}",
            ))  # fmt: skip

    chosen = set(languages)
    for entry in entries:
        where = entry.file
        if entry.lang not in content.languages or entry.prompt not in content.caller_prompts(entry.lang):
            problems.append(Problem("orphaned", where, f"{entry.lang}/{entry.prompt} is not a prompt any more"))
            continue
        if entry.lang not in chosen:
            continue
        try:
            blob = store.path(entry.file).read_bytes()
        except OSError:
            problems.append(Problem("missing", where, "listed in the manifest but not on disk"))
            continue
        problems.extend(_measure(where, blob, entry.bytes))

    listed = {e.file for e in entries}
    for code in sorted({*content.languages, *(p.name for p in (audio_dir / "built").glob("*/*"))}):
        for name in store.built_files(code):
            if name not in listed:
                problems.append(Problem("orphaned", name, "not in the manifest"))
    problems.extend(_stray_recordings(content, recorded.folder, required))
    return problems


def _measure(where: str, blob: bytes, listed_bytes: int) -> list[Problem]:
    try:
        measured, fmt = measure_file(blob)
    except DecodeError as e:
        return [Problem("format", where, str(e))]
    problems = []
    if fmt != TELEPHONE_FORMAT:
        problems.append(Problem("format", where, f"{fmt}, not {TELEPHONE_FORMAT}"))
    if len(blob) != listed_bytes:
        problems.append(Problem("stale", where, f"{len(blob)} bytes on disk, {listed_bytes} in the manifest"))
    if measured.duration > MAX_SECONDS:
        problems.append(Problem("too long", where, f"{measured.duration:.1f} s; split messages over {MAX_SECONDS:.0f} s"))
    if measured.loudness is None or measured.loudness < TARGET_LEVEL - CHECK_TOLERANCE:
        level = "silent" if measured.loudness is None else f"{measured.loudness:.1f} dBFS"
        problems.append(Problem("too quiet", where, f"{level}; the target is {TARGET_LEVEL:.0f} dBFS"))
    elif measured.loudness > TARGET_LEVEL + CHECK_TOLERANCE:
        problems.append(Problem("too loud", where, f"{measured.loudness:.1f} dBFS; the target is {TARGET_LEVEL:.0f} dBFS"))
    if measured.peak > PEAK_CEILING + 0.5:
        problems.append(Problem("clipped", where, f"peaks at {measured.peak:.1f} dBFS"))
    return problems


def _stray_recordings(content: Content, folder: Path, required: list[str]) -> list[Problem]:
    """Recordings and text files no prompt uses: a typo in a name is a recording never played."""
    problems: list[Problem] = []
    if not folder.is_dir():
        return problems
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder.parent).as_posix()
        lang = path.parent.name if path.parent.parent == folder else ""
        if path.name.startswith(".") or path.name.lower() == "readme.md":
            continue
        if lang not in content.languages:
            problems.append(Problem("orphaned", rel, "not in a language folder (recorded/<lang>/)"))
        elif path.suffix not in (*RECORDING_SUFFIXES, PIN_SUFFIX, RECORD_SUFFIX):
            problems.append(Problem("orphaned", rel, f"not a recording ({', '.join(RECORDING_SUFFIXES)})"))
        elif path.stem not in required:
            problems.append(Problem("orphaned", rel, f"no prompt {path.stem!r} in {lang}"))
        elif path.suffix in (PIN_SUFFIX, RECORD_SUFFIX) and not any(
            path.with_suffix(s).is_file() for s in RECORDING_SUFFIXES
        ):
            problems.append(Problem("orphaned", rel, "a text file without its recording"))
        elif path.suffix in RECORDING_SUFFIXES and Recorded(folder).find(lang, path.stem) != path:
            problems.append(Problem("orphaned", rel, "another recording of the same prompt is used instead"))
    return problems
