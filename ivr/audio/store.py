"""The audio folder on disk: atomic writes, the manifest, and nothing half-written.

Every file goes to audio/.tmp/ first and is renamed into place, so whoever reads the
folder (the web app, Twilio fetching a URL) sees the old file or the new one, never part
of one. The writer is injectable, so tests can fill the disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..catalog import MANIFEST, AudioFile, read_manifest
from ..engines import rank
from .errors import WriteError
from .spec import LEAD_IN_MS, PEAK_CEILING, PIPELINE_VERSION, RATE, TAIL_MS, TARGET_LEVEL

TMP_DIR = ".tmp"
BUILT_DIR = "built"
Writer = Callable[[Path, bytes], None]


def write_bytes(path: Path, data: bytes) -> None:
    """Write and flush to the disk, so a rename afterwards never exposes an empty file."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def built_name(engine: str, lang: str, prompt: str, digest: str) -> str:
    """Where a built file lives, relative to the audio folder; the digest makes it unique."""
    return f"{BUILT_DIR}/{engine}/{lang}/{prompt}-{digest[:16]}.wav"


def sort_key(entry: AudioFile) -> tuple:
    return (entry.lang, entry.prompt, rank(entry.engine), entry.file)


class Store:
    """One audio folder."""

    def __init__(self, root: Path, writer: Writer = write_bytes) -> None:
        self.root = root
        self.writer = writer

    def path(self, name: str) -> Path:
        return self.root / name

    def size(self, name: str) -> int | None:
        """A file's size, or None when it is not there."""
        try:
            return self.path(name).stat().st_size
        except OSError:
            return None

    def put(self, name: str, data: bytes) -> None:
        """Write a file atomically; raise WriteError and leave any old file as it was."""
        tmp = self.root / TMP_DIR / f"{uuid.uuid4().hex}.part"
        try:
            tmp.parent.mkdir(parents=True, exist_ok=True)
            self.writer(tmp, data)
            target = self.path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise WriteError(f"cannot write {name}: {e.strerror or e}") from e

    def remove(self, name: str) -> None:
        """Delete a file, and its folder when that becomes empty."""
        path = self.path(name)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty, or already gone
            path.parent.rmdir()

    def clean_tmp(self) -> None:
        """Remove leftovers of an interrupted build (one build at a time per folder)."""
        for leftover in (self.root / TMP_DIR).glob("*.part"):
            leftover.unlink(missing_ok=True)

    def built_files(self, lang: str) -> Iterator[str]:
        """Every built file of a language on disk, whatever the manifest says."""
        base = self.root / BUILT_DIR
        if base.is_dir():
            for path in sorted(base.glob(f"*/{lang}/*.wav")):
                yield path.relative_to(self.root).as_posix()

    def load_manifest(self) -> tuple[list[AudioFile], str | None]:
        """The manifest's entries, and a problem when it is there but unreadable."""
        entries, problem = read_manifest(self.root)
        return entries, f"{problem}; it will be rebuilt from the files" if problem else None

    def save_manifest(self, entries: Iterable[AudioFile]) -> bool:
        """Write the manifest if it changed; True when it was written."""
        body = manifest_json(entries)
        path = self.path(MANIFEST)
        try:
            if path.read_text(encoding="utf-8") == body:
                return False
        except (OSError, UnicodeDecodeError):
            pass
        self.put(MANIFEST, body.encode("utf-8"))
        return True


def manifest_json(entries: Iterable[AudioFile]) -> str:
    """The manifest as text: stable order, one file per line, no timestamps, so an unchanged
    build writes nothing and a changed one shows in `git diff` as the lines that changed."""
    about = "Written by `ivr audio build`; see audio/README.md. Do not edit by hand."
    fmt = {
        "container": "wav",
        "encoding": "mu-law",
        "rate": RATE,
        "channels": 1,
        "loudness_target_dbfs": TARGET_LEVEL,
        "peak_ceiling_dbfs": PEAK_CEILING,
        "lead_in_ms": LEAD_IN_MS,
        "tail_ms": TAIL_MS,
        "pipeline": PIPELINE_VERSION,
    }
    files = ",\n".join("  " + json.dumps(_fields(e), ensure_ascii=False) for e in sorted(entries, key=sort_key))
    return (
        f'{{\n "about": {json.dumps(about)},\n "format": {json.dumps(fmt)},\n'
        f' "files": [\n{files}\n ]\n}}\n'
    )


def _fields(entry: AudioFile) -> dict[str, object]:
    """An entry as the manifest lists it: a review (approved, recorded) only for a person's recording."""
    fields = dataclasses.asdict(entry)
    if entry.engine != "recorded":
        del fields["approved"], fields["recorded"]
    return fields
