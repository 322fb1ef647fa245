"""IVR_CANDIDATE_VOICES: an unconfirmed Twilio voice (Ukrainian's) is off until a deployment turns it on."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from ivr.config import Settings
from ivr.content import DEFAULT_PROMPTS_DIR, SayVoice, load
from ivr.errors import ConfigError, ContentError

from .conftest import CONTENT, SHIPPED_AUDIO, Twilio

UK_VOICE = SayVoice("uk-UA", "Google.uk-UA-Wavenet-A")  # twilio-facts.md F3: to be heard first


def test_ukrainian_carries_its_candidate_voice_off_by_default() -> None:
    uk = CONTENT.languages["uk"]
    assert uk.candidate_say == UK_VOICE
    assert uk.say is None and uk.offline_voice
    assert [c for c, lang in CONTENT.languages.items() if lang.candidate_say] == ["uk"]
    assert Settings.from_env({}).with_candidate_voices(CONTENT).languages["uk"].say is None


def test_turned_on_callers_hear_the_candidate_voice_instead_of_the_offline_one(
    make_app: Callable[..., Flask],
) -> None:
    url = "/voice/uk/main"
    shipped = Twilio(make_app(IVR_AUDIO_DIR=str(SHIPPED_AUDIO))).twiml(url)
    assert shipped.findall(".//Play") and not shipped.findall(".//Say")  # eSpeak NG files, as shipped
    on = Twilio(make_app(IVR_AUDIO_DIR=str(SHIPPED_AUDIO), IVR_CANDIDATE_VOICES="uk")).twiml(url)
    says = on.findall(".//Say")
    assert not on.findall(".//Play") and says
    assert {(s.get("language"), s.get("voice")) for s in says} == {(UK_VOICE.language, UK_VOICE.voice)}
    assert says[0].text == CONTENT.languages["uk"].text("danger")


def test_turned_on_ukrainian_is_offered_without_any_audio(make_app: Callable[..., Flask]) -> None:
    off = make_app().extensions["ivr"]
    on = make_app(IVR_CANDIDATE_VOICES="uk").extensions["ivr"]
    assert "uk" not in off.offered and "uk" in off.unavailable
    assert "uk" in on.offered


@pytest.mark.parametrize(("value", "problem"), [
    ("nb", "IVR_CANDIDATE_VOICES: nb has no candidate voice (candidate_say in prompts/nb.toml; have uk)"),
    ("xx", "IVR_CANDIDATE_VOICES: xx has no candidate voice"),
])
def test_a_language_without_a_candidate_voice_is_refused(make_app: Callable[..., Flask], value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        make_app(IVR_CANDIDATE_VOICES=value)
    assert any(p.startswith(problem) for p in refused.value.problems)


def test_a_candidate_voice_beside_a_confirmed_one_is_a_content_error(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, folder)
    en = folder / "en.toml"
    en.write_text(en.read_text(encoding="utf-8").replace(
        "[prompts]", 'candidate_say = { language = "en-GB", voice = "Polly.Emma" }\n\n[prompts]', 1), encoding="utf-8")
    with pytest.raises(ContentError, match="en.toml: candidate_say is for a language without a confirmed <Say> voice"):
        load(folder)
