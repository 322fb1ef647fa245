"""Where a prompt's audio comes from, best first: a person's recording, gTTS, eSpeak NG.

Each source first *plans* (cheap, offline: is there something for this prompt, and what
identifies it) and only *fetches* when the build needs new audio. Sources are passed to
the builder, so tests hand it fakes or a gTTS whose HTTP is faked.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from ..content import Language
from .errors import EngineUnavailable, SourceError
from .espeak import Backend, find_backend
from .types import Audio

RECORDED_DIR = "recorded"
# Best first when a prompt has more than one recording.
# .webm is what Chromium's MediaRecorder makes (the console's recording studio).
RECORDING_SUFFIXES = (".wav", ".flac", ".m4a", ".ogg", ".webm", ".mp3")
PIN_SUFFIX = ".txt"


@dataclass(frozen=True)
class Plan:
    """A source has audio for a prompt: what identifies it, and how to get it."""

    engine: str
    fingerprint: str  # goes into the file name: a different voice or recording, a new URL
    fetch: Callable[[], Audio]
    pin: tuple[Path, str] | None = None  # a recording's text file to write once it is used


@dataclass(frozen=True)
class NotHere:
    """A source has nothing for a prompt, and why."""

    engine: str
    reason: str
    kind: Literal["none", "stale", "unavailable"] = "none"


class Source(Protocol):
    """One way to get audio for prompts."""

    engine: str

    def plan(self, lang: Language, prompt: str, text: str) -> Plan | NotHere:
        """What this source has for one prompt; never slow, never on the network."""
        ...


def spoken(text: str) -> str:
    """The words as one line, as every voice gets them."""
    return " ".join(text.split())


class Recorded:
    """Human recordings at audio/recorded/<lang>/<prompt-id>.<wav|flac|m4a|ogg|webm|mp3>.

    A recording speaks the words it was made from. Next to it, <prompt-id>.txt holds those
    words; the build writes it the first time it uses a recording. When the prompt's text
    later changes, the recording is stale and is not played until it is made again.
    """

    engine = "recorded"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find(self, lang: str, prompt: str) -> Path | None:
        """The recording for a prompt, if someone has made one."""
        for suffix in RECORDING_SUFFIXES:
            path = self.folder / lang / f"{prompt}{suffix}"
            if path.is_file():
                return path
        return None

    def plan(self, lang: Language, prompt: str, text: str) -> Plan | NotHere:
        """The recording, if it speaks the current text."""
        path = self.find(lang.code, prompt)
        if path is None:
            return NotHere(self.engine, f"no recording {self.folder.name}/{lang.code}/{prompt}.*")
        pin = path.with_suffix(PIN_SUFFIX)
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            pinned = pin.read_text(encoding="utf-8") if pin.is_file() else None
        except OSError as e:
            return NotHere(self.engine, f"cannot read {path}: {e}", "stale")
        if pinned is not None and spoken(pinned) != spoken(text):
            return NotHere(
                self.engine,
                f"{path.name} speaks older words ({pin.name}); record the new text, then update {pin.name}",
                "stale",
            )
        return Plan(
            engine=self.engine,
            fingerprint=f"sha256:{digest}",
            fetch=lambda: Audio(path=path),
            pin=(pin, spoken(text)) if pinned is None else None,
        )


class Gtts:
    """Google's text-to-speech through gTTS: needs the internet, so it is careful about it.

    Each request has a timeout and a few retries with growing waits. When requests fail
    to connect before any has succeeded, the machine is taken to be offline and gTTS is
    skipped for the rest of the build instead of waiting on every prompt.
    """

    engine = "gtts"

    def __init__(
        self,
        timeout: float | tuple[float, float] = (5.0, 20.0),
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        parallel: int = 2,
        tld: str = "com",
        offline_after: int = 2,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.tld = tld
        self.offline_after = offline_after
        self._slots = threading.Semaphore(parallel)  # be gentle with Google
        self._lock = threading.Lock()
        self._succeeded = 0
        self._refused = 0
        self.offline: str | None = None  # why gTTS is taken to be unreachable

    def plan(self, lang: Language, prompt: str, text: str) -> Plan | NotHere:
        """gTTS can speak the prompt when the language has a gTTS code."""
        if not lang.gtts:
            return NotHere(self.engine, f"{lang.code} has no gTTS voice")
        code = lang.gtts
        return Plan(self.engine, f"gtts:{code}:{self.tld}", lambda: self.fetch(spoken(text), code))

    def fetch(self, text: str, code: str) -> Audio:
        """MP3 from Google; raise EngineUnavailable when offline, SourceError otherwise."""
        from gtts import gTTS, gTTSError

        attempt = 0
        while True:
            if self.offline:
                raise EngineUnavailable(f"gTTS unreachable: {self.offline}")
            mp3 = io.BytesIO()
            try:
                with self._slots:
                    gTTS(text, lang=code, tld=self.tld, timeout=self.timeout).write_to_fp(mp3)
            except gTTSError as e:
                connection = e.rsp is None
                status = getattr(e.rsp, "status_code", None)
                retry = connection or status in (429, 500, 502, 503, 504)
                why = f"{e}" if connection else f"HTTP {status}: {e}"
                self._failed(connection, why)
                if not retry or attempt >= self.retries:
                    if self.offline:
                        raise EngineUnavailable(f"gTTS unreachable: {self.offline}") from e
                    raise SourceError(f"gTTS failed after {attempt + 1} tries: {why}") from e
            except (ValueError, AssertionError) as e:  # unsupported language, empty text
                raise SourceError(f"gTTS refused {code!r}: {e}") from e
            else:
                if mp3.tell() == 0:
                    raise SourceError("gTTS answered with no audio")
                with self._lock:
                    self._succeeded += 1
                    self._refused = 0
                return Audio(data=mp3.getvalue(), format="mp3")
            attempt += 1
            if not self.offline:
                self.sleep(self.backoff * 2 ** (attempt - 1))

    def _failed(self, connection: bool, why: str) -> None:
        with self._lock:
            if not connection:
                self._refused = 0
                return
            self._refused += 1
            if not self._succeeded and self._refused >= self.offline_after:
                self.offline = why


class Espeak:
    """eSpeak NG, offline: a robotic but always-available voice for previews and tests."""

    engine = "espeak"
    RATE = 140  # words per minute; eSpeak's 175 is too fast for a frightened caller

    def __init__(self, rate: int = RATE, find: Callable[[], Backend] = find_backend) -> None:
        self.rate = rate
        self._find = find
        self._backend: Backend | None = None
        self._unavailable: str | None = None
        self._lock = threading.Lock()

    def backend(self) -> Backend | None:
        """The library or program, found once; None when neither is here."""
        with self._lock:
            if self._backend is None and self._unavailable is None:
                try:
                    self._backend = self._find()
                except EngineUnavailable as e:
                    self._unavailable = str(e)
            return self._backend

    def plan(self, lang: Language, prompt: str, text: str) -> Plan | NotHere:
        """eSpeak NG can speak the prompt when the language names an eSpeak NG voice."""
        if not lang.espeak:
            return NotHere(self.engine, f"{lang.code} has no eSpeak NG voice")
        backend = self.backend()
        if backend is None:
            return NotHere(self.engine, self._unavailable or "eSpeak NG is not here", "unavailable")
        voice = lang.espeak
        rate = lang.espeak_rate or self.rate
        return Plan(
            self.engine,
            f"espeak:{voice}:{rate}:{backend.version}",
            lambda: backend.synth(spoken(text), voice, rate),
        )


def default_sources(audio_dir: Path, engines: tuple[str, ...]) -> list[Source]:
    """The real sources for these engines, in the order given."""
    made: dict[str, Callable[[], Source]] = {
        "recorded": lambda: Recorded(audio_dir / RECORDED_DIR),
        "gtts": Gtts,
        "espeak": Espeak,
    }
    return [made[e]() for e in engines]
