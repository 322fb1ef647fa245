"""What the caller hears for each prompt: a built audio file or Twilio's <Say>, and for how long.

Built once per process from the content, the settings and the audio catalog; TwiML, the
timing, the call map, `ivr check` and `ivr audio check` all ask it, so they cannot disagree.
It also decides which languages can be heard at all, and says loudly when audio that should
play is gone: `degraded` names each language that falls back to <Say> or goes off because of
an audio fault, and why (the log, /healthz and the console report it).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from .catalog import AudioFile, Catalog, playable_engines
from .config import Settings
from .content import Content, Language
from .seconds import PAUSE, Seconds, spoken_seconds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Say:
    """A prompt spoken by Twilio's voice: the words on one line, the voice and its language tag."""

    text: str
    voice: str | None
    language: str | None


Source = AudioFile | Say


def for_voice(text: str) -> str:
    """Collapse whitespace; texts are stored for people, the voice needs one line."""
    return re.sub(r"\s+", " ", text).strip()


class Playback:
    """Per (language, prompt): the file or the voice, its seconds; per language: audible or why not."""

    def __init__(self, content: Content, settings: Settings, catalog: Catalog) -> None:
        self.content = content
        self.settings = settings
        self.catalog = catalog
        self._sources: dict[tuple[str, str], Source] = {}
        self.unavailable: dict[str, str] = {}  # language -> why callers cannot hear it
        self.degraded: dict[str, str] = {}  # language -> the audio fault that made it fall back or go off
        for lang in content.languages.values():
            self._judge(lang)
        wanted = settings.languages or content.order
        self.offered: tuple[str, ...] = tuple(c for c in wanted if c not in self.unavailable)

    def engines(self, lang: Language) -> tuple[str, ...]:
        """The engines whose files callers may hear in this language (none in IVR_AUDIO_MODE=say)."""
        if self.settings.audio_mode != "auto":
            return ()
        return playable_engines(lang, self.settings.play_engines)

    def _judge(self, lang: Language) -> None:
        engines = self.engines(lang)
        files = {p: self.catalog.find(lang.code, p, t, engines) for p, t in lang.prompts.items()}
        voice = lang.say if not lang.recorded_only else None
        for prompt, found in files.items():
            self._sources[(lang.code, prompt)] = found or self.say(lang, prompt)
        uncovered = [p for p, f in files.items() if f is None]
        gone = [f for f in self.catalog.missing if f.lang == lang.code and f.engine in engines]
        fault = None
        if gone:
            fault = f"{len(gone)} audio file(s) listed in manifest.json are missing, e.g. {gone[0].file}"
        elif self.catalog.problem and engines and uncovered and not voice:
            # Unreadable: which voiced languages lost files is unknown (the manifest's own ERROR line
            # says so); a language that needs files to be heard at all is named.
            fault = self.catalog.problem
        if not uncovered or voice:
            if fault and uncovered:
                self.degraded[lang.code] = f"falls back to <Say> for {len(uncovered)} prompt(s): {fault}"
            return
        if fault:
            why = f"off: {fault}"
            self.degraded[lang.code] = why
        elif self.settings.audio_mode != "auto":
            why = "no <Say> voice, and IVR_AUDIO_MODE=say plays no audio"
        elif lang.recorded_only:
            why = "recorded-only and not every prompt is recorded"
        elif lang.offline_voice:
            why = f"no <Say> voice and its offline voice is not built: ivr audio build --lang {lang.code}"
        else:
            why = "no <Say> voice and not every prompt has playable audio"
        self.unavailable[lang.code] = why

    def say(self, lang: Language, prompt: str) -> Say:
        """The <Say> for a prompt, whether or not a file plays for it."""
        # A language without a voice of its own (it plays files) borrows the last greeting
        # language's voice for any prompt without a file, so a missing file is still heard.
        voice = lang.say or self.content.languages[self.content.greeting[-1]].say
        return Say(for_voice(lang.text(prompt)), voice.voice if voice else None, voice.language if voice else None)

    def report(self) -> None:
        """Log, once at start-up, every audio fault: one ERROR line per language it affects."""
        if self.catalog.problem:
            log.error("audio: %s; prompts without a file are spoken with <Say>", self.catalog.problem)
        for code, why in self.degraded.items():
            log.error("audio: language %s (%s) %s", code, self.content.languages[code].english_name, why)

    def source(self, lang: str, prompt: str) -> Source:
        """What plays for one prompt: its audio file (made from these words) or <Say>."""
        return self._sources[(lang, prompt)]

    def seconds(self, lang: str, prompt: str) -> Seconds:
        """How long one prompt plays on a call: the file's duration, else an estimate from its text."""
        found = self.source(lang, prompt)
        if isinstance(found, AudioFile) and found.duration:
            return Seconds(found.duration, False)
        language = self.content.languages[lang]
        return Seconds(spoken_seconds(language.text(prompt), language.script) + PAUSE, True)

    def plays_offline_voice(self, code: str) -> bool:
        """Whether callers hear the offline voice (eSpeak NG) in this language (no better audio yet)."""
        return any(
            isinstance(s, AudioFile) and s.engine == "espeak" for (c, _), s in self._sources.items() if c == code
        )
