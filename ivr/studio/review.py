"""A second person's review of recordings: approved or rejected, and the manifest follows at once."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..audio.sources import RECORDED_DIR, Recorded
from ..audio.store import Store
from ..content import Content, Language, text_hash
from .manifest import locked, mirror, retire, sweep
from .progress import state
from .records import Review, StudioError, TakeRecord, iso_week, read_record, record_json, record_path, sha256_of


@dataclass(frozen=True)
class Reviewed:
    """What a review did: the prompts changed, and why others were not."""

    changed: list[str]
    refused: list[tuple[str, str]]  # (prompt, why)


def review(
    content: Content,
    audio_dir: Path,
    code: str,
    prompts: Sequence[str],
    verdict: Review,
    today: date | None = None,
) -> Reviewed:
    """Approve or reject recordings of the current words; the manifest follows at once.

    Only a recording of the current words that the manifest has a built file for can be
    approved: what is approved is exactly what callers will hear.
    """
    if verdict not in ("approved", "rejected"):
        raise StudioError(f"a review is approved or rejected, not {verdict!r}")
    lang = content.languages.get(code)
    if lang is None:
        raise StudioError(f"no language {code!r} (have {', '.join(content.languages)})")
    required = content.caller_prompts(code)
    store = Store(audio_dir)
    week = iso_week(today)
    changed: list[str] = []
    refused: list[tuple[str, str]] = []
    with locked(audio_dir):
        entries, problem = store.load_manifest()
        if problem:
            raise StudioError(f"{problem}: run `ivr audio build --lang {code}` first")
        for prompt in prompts:
            if prompt not in required:
                refused.append((prompt, f"no prompt {prompt!r}"))
                continue
            found = state(audio_dir, lang, prompt)
            if found.status == "missing" or found.recording is None:
                refused.append((prompt, "nothing recorded"))
                continue
            if found.status == "stale":
                refused.append((prompt, "recorded for older words: record it again"))
                continue
            source = sha256_of(found.recording)
            built = [e for e in entries if e.lang == code and e.prompt == prompt and e.engine == "recorded"]
            if not any(e.source == source and e.text_hash == text_hash(found.text) for e in built):
                refused.append((prompt, f"not built yet: run `ivr audio build --lang {code}`"))
                continue
            old = read_record(found.recording, source)
            keep_playing = verdict == "rejected" and old is not None
            record = TakeRecord(
                text_hash=text_hash(found.text),
                source=source,
                recorded=old.recorded if old else "",
                review=verdict,
                reviewed=week,
                # Approved: this take replaces the one callers heard. Rejected: that one goes on.
                playing_source=old.playing_source if keep_playing and old else "",
                playing_text_hash=old.playing_text_hash if keep_playing and old else "",
            )
            store.put(os.path.relpath(record_path(found.recording), audio_dir), record_json(record))
            changed.append(prompt)
        if changed:
            folder = audio_dir / RECORDED_DIR
            mirrored = [mirror(e, folder) for e in entries]
            superseded = [
                e for e in mirrored
                if e.engine == "recorded" and e.lang == code and e.prompt in changed and not e.approved
                and e.source != _current_source(audio_dir, lang, e.prompt)
            ]  # fmt: skip
            kept = [e for e in mirrored if e not in superseded]
            store.save_manifest(kept)
            heard = {e.file for e in entries if e.approved}
            retire(store, [e.file for e in superseded], heard)
            sweep(store, code, kept)
    return Reviewed(changed, refused)


def _current_source(audio_dir: Path, lang: Language, prompt: str) -> str | None:
    recording = Recorded(audio_dir / RECORDED_DIR).find(lang.code, prompt)
    try:
        return sha256_of(recording) if recording else None
    except OSError:
        return None
