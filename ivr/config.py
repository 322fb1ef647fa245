"""Settings, read from the environment once and checked as a whole."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from .content.model import DEFAULT_PROMPTS_DIR, Content
from .engines import DEFAULT_PLAY_ENGINES, ENGINES
from .errors import ConfigError
from .phone import E164, is_emergency

DEFAULT_AUDIO_DIR = Path(__file__).resolve().parent.parent / "audio"
# The weekly counts, when IVR_DATABASE_URL is unset: a SQLite file in the project's instance folder.
DEFAULT_DATABASE = Path(__file__).resolve().parent.parent / "instance" / "counts.sqlite"
DATABASE_URL = re.compile(r"^(sqlite(\+pysqlite)?|postgres(ql)?(\+psycopg)?)://")
AUDIO_MODES = ("auto", "say")
DIAL_PREFIX = "IVR_DIAL_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Everything a deployment can change; see the README's configuration table."""

    auth_token: str | None = None
    public_base_url: str | None = None
    rosa_number: str | None = None  # None: the number in prompts/menu.toml
    caller_id: str | None = None
    audio_mode: Literal["auto", "say"] = "auto"
    allow_unsigned: bool = False
    languages: tuple[str, ...] | None = None
    play_engines: tuple[str, ...] = DEFAULT_PLAY_ENGINES
    audio_base_url: str | None = None
    service_numbers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    console_password: str | None = None
    candidate_voices: tuple[str, ...] = ()  # languages whose unconfirmed <Say> voice is turned on
    # Opens only the recording studio (/console/record) and its upload, never the rest of the
    # console: recorders record, and a person with the console password approves.
    recorder_password: str | None = None
    console_open: bool = False  # the console without a password (`ivr serve`); production refuses it
    proxy_hops: int | None = None  # trusted proxies in front (ProxyFix); None: 1, production 0
    whisper_accept: bool = False  # ROSA presses 1 to take a call; default: the whisper only announces
    whisper_language: str = "nb"  # the language whoever answers at ROSA hears the whisper in
    free_call: bool = False  # the number is free to call (an 800 number): the welcome may say so
    prompts_dir: Path = DEFAULT_PROMPTS_DIR
    audio_dir: Path = DEFAULT_AUDIO_DIR
    database_url: str = f"sqlite:///{DEFAULT_DATABASE}"
    counts: bool = True  # IVR_COUNTS=off: nothing is counted and no database is opened

    @classmethod
    def from_env(cls, env: Mapping[str, object]) -> Settings:
        """Read settings from environment-style names; raise ConfigError naming every problem."""
        problems: list[str] = []

        def text(name: str) -> str | None:
            value = env.get(name)
            if value is None:
                return None
            value = str(value).strip()
            return value or None

        def number(name: str) -> str | None:
            value = text(name)
            if value is None:
                return None
            value = re.sub(r"[\s()-]", "", value)
            if is_emergency(value):
                problems.append(f"{name}={value!r} is an emergency number; the line never dials one")
            elif not E164.match(value):
                problems.append(f"{name}={value!r} is not an E.164 number like +4722331160")
            return value

        def flag(name: str) -> bool:
            return str(env.get(name, "")).strip().lower() in _TRUE

        def url(name: str) -> str | None:
            value = text(name)
            if value and not re.match(r"^https?://[^/\s]+", value):
                problems.append(f"{name}={value!r} must start with https:// (or http://)")
            return value.rstrip("/") if value else None

        def codes(name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...] | None:
            value = text(name)
            if value is None:
                return None
            items = tuple(dict.fromkeys(c.strip() for c in value.split(",") if c.strip()))
            bad = [c for c in items if allowed is not None and c not in allowed]
            if bad:
                problems.append(f"{name}: unknown {', '.join(bad)} (choose from {', '.join(allowed or ())})")
            if not items:
                problems.append(f"{name} is set but lists nothing")
            return items

        def count(name: str, most: int) -> int | None:
            value = text(name)
            if value is None:
                return None
            if not (value.isascii() and value.isdigit()) or int(value) > most:
                problems.append(f"{name}={value!r} must be a whole number from 0 to {most}")
                return None
            return int(value)

        audio_mode = text("IVR_AUDIO_MODE") or "auto"
        if audio_mode not in AUDIO_MODES:
            problems.append(f"IVR_AUDIO_MODE={audio_mode!r} must be one of {', '.join(AUDIO_MODES)}")
        database_url = text("IVR_DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE}"
        if not DATABASE_URL.match(database_url):
            # Never the value itself: a database URL may carry a password.
            problems.append("IVR_DATABASE_URL must be sqlite:///<path> or postgresql://<user>@<host>/<database>")
        counts = (text("IVR_COUNTS") or "on").lower()
        if counts not in _TRUE | _FALSE:
            problems.append(f"IVR_COUNTS={counts!r} must be on or off")
        services = {
            key.removeprefix(DIAL_PREFIX).lower(): number(key)
            for key in sorted(env)
            if key.startswith(DIAL_PREFIX) and text(key)
        }
        settings = cls(
            auth_token=text("TWILIO_AUTH_TOKEN"),
            public_base_url=url("PUBLIC_BASE_URL"),
            rosa_number=number("ROSA_NUMBER"),
            caller_id=number("IVR_CALLER_ID"),
            audio_mode=audio_mode,  # type: ignore[arg-type]
            allow_unsigned=flag("IVR_ALLOW_UNSIGNED"),
            languages=codes("IVR_LANGUAGES"),
            play_engines=codes("IVR_PLAY_ENGINES", ENGINES) or DEFAULT_PLAY_ENGINES,
            audio_base_url=url("AUDIO_BASE_URL"),
            service_numbers=MappingProxyType({k: v for k, v in services.items() if v}),
            console_password=text("IVR_CONSOLE_PASSWORD"),
            candidate_voices=codes("IVR_CANDIDATE_VOICES") or (),
            recorder_password=text("IVR_RECORDER_PASSWORD"),
            console_open=flag("IVR_CONSOLE_OPEN"),
            proxy_hops=count("IVR_PROXY_HOPS", 5),
            whisper_accept=flag("IVR_WHISPER_ACCEPT"),
            whisper_language=text("IVR_WHISPER_LANGUAGE") or "nb",
            free_call=flag("IVR_FREE_CALL"),
            prompts_dir=Path(text("IVR_PROMPTS_DIR") or DEFAULT_PROMPTS_DIR),
            audio_dir=Path(text("IVR_AUDIO_DIR") or DEFAULT_AUDIO_DIR),
            database_url=database_url,
            counts=counts in _TRUE,
        )
        if settings.recorder_password and settings.recorder_password == settings.console_password:
            problems.append(
                "IVR_RECORDER_PASSWORD is the same as IVR_CONSOLE_PASSWORD: recorders would be able to "
                "approve their own takes; give them a password of their own"
            )
        if problems:
            raise ConfigError(problems)
        return settings

    def check_against(self, content: Content) -> list[str]:
        """Problems that need the content to see: unknown languages and services."""
        problems = []
        if self.languages:
            unknown = [c for c in self.languages if c not in content.languages]
            if unknown:
                problems.append(
                    f"IVR_LANGUAGES: no prompts/<code>.toml for {', '.join(unknown)} "
                    f"(have {', '.join(content.languages)})"
                )
        for code in self.candidate_voices:
            lang = content.languages.get(code)
            if lang is None or lang.candidate_say is None:
                have = [c for c, lang in content.languages.items() if lang.candidate_say]
                problems.append(
                    f"IVR_CANDIDATE_VOICES: {code} has no candidate voice (candidate_say in prompts/{code}.toml; "
                    f"have {', '.join(have) or 'none'})"
                )
        if self.whisper_language not in content.rosa_speaks:
            problems.append(
                f"IVR_WHISPER_LANGUAGE={self.whisper_language!r}: ROSA's staff speak {', '.join(content.rosa_speaks)}"
            )
        for service in self.service_numbers:
            if service not in content.menu.services or service == "rosa":
                known = [s for s in content.menu.services if s != "rosa"]
                problems.append(
                    f"{DIAL_PREFIX}{service.upper()}: no such service (have {', '.join(known)}; "
                    "ROSA's number is ROSA_NUMBER)"
                )
        return problems

    def with_candidate_voices(self, content: Content) -> Content:
        """The content with IVR_CANDIDATE_VOICES' languages speaking their candidate <Say> voice.

        Turned on after hearing it on a test call (`ivr twilio test-call --lang uk`). The voice then
        replaces the offline voice (eSpeak NG) on calls; recordings and gTTS audio still come first.
        """
        languages = dict(content.languages)
        for code in self.candidate_voices:
            lang = languages.get(code)
            if lang is not None and lang.candidate_say is not None:
                languages[code] = replace(lang, say=lang.candidate_say, offline_voice=False)
        return replace(content, languages=MappingProxyType(languages))

    def dial_number(self, content: Content, service: str) -> str | None:
        """The E.164 number to dial for a service, or None when it must only be read out."""
        if service == "rosa" and self.rosa_number:
            return self.rosa_number
        if service in self.service_numbers:
            return self.service_numbers[service]
        found = content.menu.services.get(service)
        return found.number if found else None
