"""The studio's writes to an audio folder: one writer at a time, the manifest following the records,
superseded files retired and, after a grace period, swept.

The manifest's `approved` flag (ivr.catalog.heard_on_calls, the one rule calls obey) is set from
the take's record by `mirror`, whenever the studio, `ivr audio approve` or `ivr audio build`
writes the manifest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..audio.sources import Recorded
from ..audio.store import Store
from ..catalog import AudioFile
from .records import StudioError, read_record

LOCK_FILE = ".studio.lock"
LOCK_WAIT = 10.0  # seconds an upload waits for another writer (an upload, a review, a build)


def mirror(entry: AudioFile, recorded_dir: Path) -> AudioFile:
    """A manifest entry with its review as the take's record says (recordings only).

    Approved only when the record approves the very recording (its SHA-256) the file was built
    from, for the words the file speaks.
    """
    if entry.engine != "recorded":
        return entry
    recording = Recorded(recorded_dir).find(entry.lang, entry.prompt)
    record = read_record(recording) if recording else None
    approved = bool(record and record.approves(entry))
    week = record.recorded if record and record.source == entry.source else entry.recorded
    if approved == entry.approved and week == entry.recorded:
        return entry
    return dataclasses.replace(entry, approved=approved, recorded=week)


@contextlib.contextmanager
def locked(audio_dir: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """One writer at a time in an audio folder, across processes (gunicorn workers, commands)."""
    try:
        audio_dir.mkdir(parents=True, exist_ok=True)
        handle = open(audio_dir / LOCK_FILE, "a+b")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        raise StudioError(f"the audio folder {audio_dir} cannot be written ({e.strerror or e}); nothing was changed") from e
    with handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise StudioError(
                        "the audio folder is busy (another upload, review or build); try again in a minute"
                    ) from e
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def retire(store: Store, files: Iterable[str], heard: set[str]) -> None:
    """Files the manifest no longer names: gone at once if no caller was ever given them, else
    left for GRACE (their time stamp now says when they were retired; `sweep` deletes them)."""
    for name in files:
        if name in heard:
            with contextlib.suppress(OSError):
                os.utime(store.path(name))
        else:
            store.remove(name)


GRACE = 15 * 60  # seconds a superseded file that callers heard stays on disk: calls in progress may still fetch it


def sweep(store: Store, code: str, entries: Iterable[AudioFile], now: float | None = None) -> list[str]:
    """Delete processed recordings of a language that the manifest stopped naming over GRACE ago
    (`retire` stamps them when it does).

    A file callers may have been given in TwiML is never deleted at once: a call that is playing
    the message before it fetches it later, and a worker that has not reloaded yet still names it.
    """
    listed = {e.file for e in entries}
    folder = store.root / "built" / "recorded" / code
    removed = []
    moment = time.time() if now is None else now
    for path in sorted(folder.glob("*.wav")) if folder.is_dir() else []:
        name = path.relative_to(store.root).as_posix()
        try:
            old = moment - path.stat().st_mtime > GRACE
        except OSError:
            continue
        if name not in listed and old:
            store.remove(name)
            removed.append(name)
    return removed
