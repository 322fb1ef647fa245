"""Each prompt's recording in a language, its record, and its review by a second person.

Beside audio/recorded/<lang>/<prompt>.<ext> the studio keeps <prompt>.json, the take's record:
the text hash it was recorded for, the SHA-256 of the recording, the ISO week it was recorded
and its review ("recorded", "approved" or "rejected", with the week of the review). Never who:
no recorder's or reviewer's name is asked for or kept, and nothing about any caller.

A record counts only for the recording whose SHA-256 it names: a file replaced by hand is a
new, unreviewed recording. The manifest's `approved` flag (ivr.catalog.heard_on_calls, the one
rule calls obey) is set from the record by `mirror`, whenever the studio, `ivr audio approve`
or `ivr audio build` writes the manifest.

The parts: `records` (the take's record), `progress` (each prompt's state, a language's counts),
`manifest` (the lock, the manifest mirroring the records, retire and sweep), `review`. This
module gathers their public names, where callers import them from.
"""

from __future__ import annotations

from .manifest import GRACE, LOCK_FILE, LOCK_WAIT, locked, mirror, retire, sweep
from .progress import Progress, PromptState, Status, lines_for_check, progress, state
from .records import (
    RECORD_SUFFIX,
    REVIEWS,
    Review,
    StudioError,
    TakeRecord,
    iso_week,
    read_record,
    record_json,
    record_path,
    recorded_for,
    sha256_of,
)
from .review import Reviewed, review

__all__ = [
    "GRACE", "LOCK_FILE", "LOCK_WAIT", "RECORD_SUFFIX", "REVIEWS",
    "PromptState", "Progress", "Review", "Reviewed", "Status", "StudioError", "TakeRecord",
    "iso_week", "lines_for_check", "locked", "mirror", "progress", "read_record", "record_json",
    "record_path", "recorded_for", "retire", "review", "sha256_of", "state", "sweep",
]  # fmt: skip
