"""Which built audio files exist: audio/manifest.json, read by one function for the web and the build.

The web path only reads the manifest; building audio (ivr.audio) needs pydub and never
runs during a call. A manifest that cannot be read, or that lists a file that is gone, is
never an error here: the catalog says what went wrong (`problem`, `missing`) and the
playback (ivr.playback) decides, loudly, what callers hear instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .content import Language, text_hash
from .engines import ENGINES, rank

MANIFEST = "manifest.json"
ENGINE_PREFERENCE = ENGINES


def playable_engines(lang: Language, play_engines: Iterable[str]) -> tuple[str, ...]:
    """The engines whose files a caller may hear in `lang`, given IVR_PLAY_ENGINES.

    A recorded-only language plays recordings only. A language with no <Say> voice that allows
    the offline voice on calls adds eSpeak NG as a last resort: a robotic voice in the caller's
    own language is better than no way to hear it (recordings and gTTS still come first).
    """
    engines = tuple(play_engines)
    if lang.recorded_only:
        return tuple(e for e in engines if e == "recorded")
    if lang.offline_voice and "espeak" not in engines:
        return (*engines, "espeak")
    return engines


@dataclass(frozen=True)
class AudioFile:
    """One built prompt file, as the manifest records it."""

    lang: str
    prompt: str
    text_hash: str
    engine: str
    file: str
    duration: float = 0.0
    loudness: float | None = None
    bytes: int = 0
    peak: float | None = None  # dBFS, the loudest sample
    source: str = ""  # what was spoken: a recording's sha256, or the voice (gtts:no:com)
    pipeline: int = 0  # the processing version that made the file
    # Recordings only: a second person listened and approved it (see heard_on_calls), and the
    # ISO week it was recorded ("2026-W49"). Never who: no names are kept.
    approved: bool = False
    recorded: str = ""


def heard_on_calls(entry: AudioFile) -> bool:
    """THE rule for what a caller may hear from the manifest: a person's recording only once a
    second person has approved it (console call map or `ivr audio approve`); a voice's file always.

    Every lookup for calls goes through `Catalog.find`, which applies it, and only such files are
    served at /audio/, so an unreviewed recording is never played or fetched by a caller.
    """
    return entry.engine != "recorded" or entry.approved


def read_manifest(audio_dir: Path) -> tuple[list[AudioFile], str | None]:
    """The manifest's entries, and why it could not be read when it is there but broken."""
    path = audio_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [AudioFile(**e) for e in data.get("files", [])], None
    except FileNotFoundError:
        return [], None
    except (ValueError, TypeError, OSError, AttributeError) as e:
        return [], f"{MANIFEST} is unreadable ({type(e).__name__}: {e})"


def _plain(name: str) -> bool:
    """A relative path inside the audio folder: no '..', no absolute path."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


class Catalog:
    """The built audio files, looked up by language, prompt and current text."""

    def __init__(
        self, files: Iterable[AudioFile] = (), problem: str | None = None, missing: Iterable[AudioFile] = ()
    ) -> None:
        self._files: dict[tuple[str, str], list[AudioFile]] = {}
        for f in files:
            self._files.setdefault((f.lang, f.prompt), []).append(f)
        for group in self._files.values():
            group.sort(key=lambda f: rank(f.engine))
        self._names = frozenset(f.file for group in self._files.values() for f in group if heard_on_calls(f))
        self.problem = problem  # why the manifest could not be read, if it could not
        self.missing: tuple[AudioFile, ...] = tuple(missing)  # listed, but not on disk

    @classmethod
    def load(cls, audio_dir: Path) -> Catalog:
        """Read the manifest; keep only files that exist, and remember the rest."""
        entries, problem = read_manifest(audio_dir)
        present = [e for e in entries if _plain(e.file) and (audio_dir / e.file).is_file()]
        gone = [e for e in entries if e not in present]
        return cls(present, problem, gone)

    def find(
        self, lang: str, prompt: str, text: str, engines: Iterable[str], unreviewed: bool = False
    ) -> AudioFile | None:
        """The best file made from exactly this text by an allowed engine that callers may hear.

        `unreviewed=True` also finds recordings not approved yet: for reviewers' previews only.
        """
        allowed = set(engines)
        wanted = text_hash(text)
        return next(
            (
                f
                for f in self._files.get((lang, prompt), ())
                if f.text_hash == wanted and f.engine in allowed and (unreviewed or heard_on_calls(f))
            ),
            None,
        )

    def any_for(self, lang: str, prompt: str) -> list[AudioFile]:
        """Every file of a prompt, whatever its words or engine (best engine first)."""
        return list(self._files.get((lang, prompt), ()))

    def covers(self, lang: str, prompts: Mapping[str, str], engines: Iterable[str]) -> bool:
        """Whether every prompt of a language can be played from a file."""
        engines = tuple(engines)
        return all(self.find(lang, p, t, engines) for p, t in prompts.items())

    def has_file(self, name: str) -> bool:
        """Whether `name` (relative to the audio folder) is a file the manifest lists that callers may hear."""
        return name in self._names

    def files(self) -> list[AudioFile]:
        """Every file the manifest lists that exists."""
        return [f for group in self._files.values() for f in group]

    def __len__(self) -> int:
        return sum(len(v) for v in self._files.values())
