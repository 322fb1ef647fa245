"""Fixtures that drive the line as Twilio does: signed webhook requests through the test client."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.catalog import Catalog
from ivr.content import load, text_hash

from .pg import database_url, postgres_server, postgres_url  # noqa: F401 - fixtures for the counting tests

TOKEN = "test-auth-token-0123456789abcdef"
BASE = "https://ivr.example.org"
HELPLINE = "+4721000000"  # the line's own Twilio number, as Twilio sends it in To
CALLER = "+4798765432"  # a caller's number: must never appear anywhere
CONTENT = load()
SHIPPED_AUDIO = Path(__file__).resolve().parent.parent / "audio"
SHIPPED_CATALOG = Catalog.load(SHIPPED_AUDIO)
LANGUAGES = list(CONTENT.languages)
NODES = list(CONTENT.menu.nodes)
SETTINGS = (
    "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL", "ROSA_NUMBER", "IVR_CALLER_ID", "IVR_AUDIO_MODE",
    "IVR_ALLOW_UNSIGNED", "IVR_LANGUAGES", "IVR_PLAY_ENGINES", "AUDIO_BASE_URL",
    "IVR_CONSOLE_PASSWORD", "IVR_RECORDER_PASSWORD", "IVR_CONSOLE_OPEN", "IVR_PROXY_HOPS", "IVR_PROMPTS_DIR",
    "IVR_AUDIO_DIR", "IVR_WHISPER_ACCEPT", "IVR_WHISPER_LANGUAGE", "IVR_FREE_CALL",
    "IVR_DATABASE_URL", "IVR_COUNTS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they set, never the developer's; counts go to the test's own file."""
    import os

    for name in list(os.environ):
        if name in SETTINGS or name.startswith("IVR_DIAL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path / 'counts.sqlite'}")


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Create the line with test settings; keyword arguments override them."""
    made: list[Flask] = []

    def make(**overrides: str) -> Flask:
        config = {
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": BASE,
            "IVR_AUDIO_DIR": str(tmp_path / "no-audio"),
            **overrides,
        }
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:  # the counts' database connections, closed within the test that opened them
        app.extensions["counts"].close()


@pytest.fixture(scope="session")
def app_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Flask]:
    """One shared line per set of settings: the app keeps no state between requests."""
    made: dict[tuple[tuple[str, str], ...], Flask] = {}
    no_audio = tmp_path_factory.mktemp("no-audio")
    counts = f"sqlite:///{tmp_path_factory.mktemp('counts') / 'counts.sqlite'}"

    def get(**overrides: str) -> Flask:
        key = tuple(sorted(overrides.items()))
        if key not in made:
            config = {
                "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE, "IVR_AUDIO_DIR": str(no_audio),
                "IVR_DATABASE_URL": counts, **overrides,
            }
            made[key] = create_app(config)
        return made[key]

    return get


@pytest.fixture
def app(app_for: Callable[..., Flask]) -> Flask:
    """The line with every language and no built audio, shared: tests that patch it use make_app instead."""
    return app_for()


@pytest.fixture
def shipped(app_for: Callable[..., Flask]) -> Flask:
    """The line as this repository ships it: with the audio committed in audio/."""
    return app_for(IVR_AUDIO_DIR=str(SHIPPED_AUDIO))


class Twilio:
    """Sends webhooks the way Twilio does: POST, call parameters, X-Twilio-Signature."""

    def __init__(self, app: Flask, token: str = TOKEN, base: str = BASE) -> None:
        self.client = app.test_client()
        self.token = token
        self.base = base
        self.call = {
            "CallSid": "CA" + "1" * 32,
            "AccountSid": "AC" + "2" * 32,
            "From": CALLER,
            "Caller": CALLER,
            "To": HELPLINE,
            "Called": HELPLINE,
            "FromCountry": "NO",
            "ToCountry": "NO",
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }

    def post(self, url: str, sign: bool = True, **params: str):
        """POST a webhook; `url` may be absolute (from TwiML) or a path."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        data = {**self.call, **params}
        data = {k: v for k, v in data.items() if v is not None}
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = RequestValidator(self.token).compute_signature(self.base + path, data)
        return self.client.post(path, data=data, headers=headers, base_url="http://internal:8000")

    def twiml(self, url: str, **params: str) -> ET.Element:
        """POST and parse the TwiML answer, which must be a 200 text/xml document."""
        response = self.post(url, **params)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return ET.fromstring(response.get_data(as_text=True))


@pytest.fixture
def twilio(app: Flask) -> Twilio:
    return Twilio(app)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# Reading TwiML -------------------------------------------------------------------------


def said(root: ET.Element) -> list[str]:
    """Every text spoken, in order (inside and outside <Gather>)."""
    return [e.text or "" for e in root.iter("Say")]


def heard(root: ET.Element) -> list[str]:
    """Every prompt a caller hears, in order: <Say> text, and the words each <Play> file was made from.

    Played files are looked up in the audio committed in audio/ (the `shipped` line's).
    """
    files = {f.file: f for f in SHIPPED_CATALOG.files()}
    words = []
    for verb in root.iter():
        if verb.tag == "Say":
            words.append(verb.text or "")
        elif verb.tag == "Play":
            played = files[urlsplit(verb.text or "").path.removeprefix("/audio/")]
            words.append(CONTENT.languages[played.lang].text(played.prompt))
            assert text_hash(words[-1]) == played.text_hash  # the file speaks the current words
    return words


def gather(root: ET.Element) -> ET.Element:
    found = root.find("Gather")
    assert found is not None, ET.tostring(root, encoding="unicode")
    return found


def redirect(root: ET.Element) -> str:
    found = root.find("Redirect")
    assert found is not None, ET.tostring(root, encoding="unicode")
    return found.text or ""


def dial(root: ET.Element) -> ET.Element | None:
    return root.find("Dial")


def text(lang: str, prompt: str) -> str:
    """The current words of a prompt."""
    return CONTENT.languages[lang].text(prompt)


def walk_call(twilio: Twilio, lang: str) -> Iterator[tuple[str, ET.Element]]:
    """Every menu and message of a language, reached by pressing keys from the main menu."""
    seen: set[str] = set()
    queue = [(f"/voice/{lang}/{CONTENT.menu.root}", "")]
    while queue:
        url, key = queue.pop(0)
        root = twilio.twiml(url, Digits=key) if key else twilio.twiml(url)
        yield url, root
        found = root.find("Gather")
        if found is None:
            continue
        action = found.get("action", "")
        for option in "123456789":
            after = twilio.twiml(action, Digits=option)
            target = after.find("Gather")
            if target is None:
                continue
            place = urlsplit(target.get("action", "")).path
            if place not in seen and place != urlsplit(action).path and "/connect/" not in place:
                seen.add(place)
                queue.append((action, option))
