"""Every caller in their own language: ordering by country, time to a language, translator round trip."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from click.testing import CliRunner
from flask import Flask

from ivr.cli import main
from ivr.content import DEFAULT_PROMPTS_DIR, load
from ivr.linguistics import check_identity, check_scripts, script_of
from ivr.timing import time_to_languages

from .conftest import CONTENT, SHIPPED_AUDIO, Twilio, gather, heard, said, text

# Heard with a <Say> voice, or (no voice) with the offline voice committed in audio/.
OFFERED_AS_SHIPPED = [c for c, lang in CONTENT.languages.items() if (lang.say or lang.offline_voice) and not lang.recorded_only]


def options_heard(root) -> list[str]:
    """The languages offered on a page, in the order their options are spoken."""
    by_text = {text(c, f"language_option_{n}"): c for c in CONTENT.languages for n in range(1, 9)}
    return [by_text[t] for t in heard(root) if t in by_text]


@pytest.mark.parametrize(
    ("country", "first"),
    [("RO", "ro"), ("BG", "bg"), ("LT", "lt"), ("UA", "uk"), ("PL", "pl"), ("PH", "tl"),
     ("NG", "en"), ("GH", "en"), ("NO", "nb"), ("ES", "es"), ("SY", "ar"), ("VN", "vi"), ("AL", "sq"),
     ("XK", "sq")],
)
def test_the_callers_likely_language_comes_first_with_norwegian_and_english_close(
    shipped: Flask, country: str, first: str
) -> None:
    twilio = Twilio(shipped)
    heard = options_heard(twilio.twiml("/voice", FromCountry=country))
    assert heard[0] == first
    assert {"nb", "en"} <= set(heard[:3])
    # The same country always gets the same digits.
    assert options_heard(twilio.twiml("/voice", FromCountry=country)) == heard


def test_an_unknown_or_missing_country_gets_the_configured_order(app: Flask, twilio: Twilio) -> None:
    expected = list(app.extensions["ivr"].offered[:8])
    for country in ("", "ZZ", "xx<>", None):
        assert options_heard(twilio.twiml("/voice", FromCountry=country)) == expected
    assert expected[:2] == ["nb", "en"]


def test_the_pressed_digit_chooses_the_language_that_was_offered_for_it(twilio: Twilio) -> None:
    heard = options_heard(twilio.twiml("/voice", FromCountry="ES"))
    root = twilio.twiml("/voice/languages/key", Digits="1", FromCountry="ES")
    assert said(root)[0] == text(heard[0], "danger")


def test_nine_turns_the_page_and_every_offered_language_is_on_some_page(app: Flask, twilio: Twilio) -> None:
    offered = app.extensions["ivr"].offered
    assert len(offered) > 8, "the shipped languages fill more than one page"
    seen: list[str] = []
    root = twilio.twiml("/voice", FromCountry="")
    for _ in range(5):
        seen += options_heard(root)
        root = twilio.twiml(gather(root).get("action"), Digits="9", FromCountry="")
        if options_heard(root)[0] == seen[0]:
            break
    assert sorted(seen) == sorted(offered)
    assert text("nb", "more_languages") in said(twilio.twiml("/voice", FromCountry=""))


def test_silence_in_the_language_menu_reminds_in_both_greeting_languages_then_transfers(twilio: Twilio) -> None:
    root = twilio.twiml("/voice", FromCountry="")
    root = twilio.twiml(root.findtext("Redirect"), FromCountry="")
    assert said(root) == [text("nb", "no_choice"), text("en", "no_choice")]
    root = twilio.twiml(root.findtext("Redirect"), FromCountry="")
    assert root.find("Dial") is not None


@pytest.mark.parametrize("code", OFFERED_AS_SHIPPED)
def test_a_caller_from_the_languages_country_hears_it_within_15_seconds(shipped: Flask, code: str) -> None:
    line = shipped.extensions["ivr"]
    lang = CONTENT.languages[code]
    country = lang.countries[0]
    assert time_to_languages(line.graph, country)[code].value <= 15.0


def test_a_language_without_any_voice_is_not_offered(app: Flask) -> None:
    line = app.extensions["ivr"]  # no audio built at all
    for code, lang in CONTENT.languages.items():
        if lang.recorded_only or not lang.say:
            assert code not in line.offered
            assert code in line.unavailable


def test_a_language_off_says_why_and_what_to_do(app: Flask, app_for: Callable[..., Flask]) -> None:
    without_audio = app.extensions["ivr"].unavailable
    assert without_audio["uk"] == "no <Say> voice and its offline voice is not built: ivr audio build --lang uk"
    assert without_audio["ti"] == "recorded-only and not every prompt is recorded"
    say_only = app_for(IVR_AUDIO_MODE="say", IVR_AUDIO_DIR=str(SHIPPED_AUDIO)).extensions["ivr"]
    assert say_only.unavailable["sq"] == "no <Say> voice, and IVR_AUDIO_MODE=say plays no audio"
    assert "sq" not in say_only.offered


def test_as_shipped_every_language_but_the_recorded_only_ones_is_offered(shipped: Flask) -> None:
    line = shipped.extensions["ivr"]
    assert list(line.offered) == [c for c in CONTENT.order if c in OFFERED_AS_SHIPPED]
    assert {"uk", "sq"} <= set(line.offered)  # Ukraine and Albania: no Twilio voice, the offline one
    assert set(line.unavailable) == {c for c, lang in CONTENT.languages.items() if lang.recorded_only}


def test_ivr_languages_chooses_and_orders_what_is_offered(app_for: Callable[..., Flask]) -> None:
    app = app_for(IVR_LANGUAGES="en,nb")
    root = Twilio(app).twiml("/voice", FromCountry="")
    assert options_heard(root) == ["nb", "en"]  # pinned greeting languages stay first
    assert app.extensions["ivr"].offered == ("en", "nb")


# Translator round trip --------------------------------------------------------------------


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, folder)
    return folder


@pytest.mark.parametrize("fmt", ["po", "csv"])
def test_export_then_import_changes_nothing(runner: CliRunner, prompts: Path, tmp_path: Path, fmt: str) -> None:
    env = {"IVR_PROMPTS_DIR": str(prompts)}
    before = (prompts / "en.toml").read_bytes()
    exported = tmp_path / f"en.{fmt}"
    result = runner.invoke(main, ["i18n", "export", "--lang", "en", "--format", fmt, "-o", str(exported)], env=env)
    assert result.exit_code == 0, result.output
    body = exported.read_text(encoding="utf-8")
    assert text("nb", "msg_rosa") in body and text("en", "msg_rosa") in body
    assert "First words of every call" in body  # the context note
    args = ["i18n", "import", str(exported)] + (["--lang", "en"] if fmt == "csv" else [])
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output
    assert (prompts / "en.toml").read_bytes() == before


def test_an_edited_translation_is_imported_and_loads(runner: CliRunner, prompts: Path, tmp_path: Path) -> None:
    env = {"IVR_PROMPTS_DIR": str(prompts)}
    exported = tmp_path / "en.po"
    runner.invoke(main, ["i18n", "export", "--lang", "en", "-o", str(exported)], env=env)
    po = polib.pofile(str(exported))
    po.find("invalid", by="msgctxt").msgstr = "That key does nothing here."
    po.metadata["X-Translation-Status"] = "reviewed"
    po.save(str(exported))
    result = runner.invoke(main, ["i18n", "import", str(exported)], env=env)
    assert result.exit_code == 0, result.output
    reloaded = load(prompts).languages["en"]
    assert reloaded.text("invalid") == "That key does nothing here."
    assert reloaded.text("msg_rosa") == text("en", "msg_rosa")
    assert (prompts / "en.toml").read_text(encoding="utf-8").startswith("# English")


def test_a_bad_import_changes_nothing_and_lists_every_problem(runner: CliRunner, prompts: Path, tmp_path: Path) -> None:
    env = {"IVR_PROMPTS_DIR": str(prompts)}
    before = (prompts / "en.toml").read_bytes()
    exported = tmp_path / "en.po"
    runner.invoke(main, ["i18n", "export", "--lang", "en", "-o", str(exported)], env=env)
    po = polib.pofile(str(exported))
    po.find("rosa_number", by="msgctxt").msgstr = "ROSA's number is 22 33 11 61. Again: 22 33 11 60."
    po.find("msg_help_return", by="msgctxt").msgstr = "UDI can help. See udi.no."
    po.find("opt_help", by="msgctxt").msgstr = "For help, press the key."
    po.remove(po.find("goodbye", by="msgctxt"))
    po.append(polib.POEntry(msgctxt="surprise", msgid="x", msgstr="y"))
    po.save(str(exported))
    result = runner.invoke(main, ["i18n", "import", str(exported)], env=env)
    assert result.exit_code == 1
    for expected in ("rosa_number has numbers", "msg_help_return has web addresses", "opt_help must name its key 4",
                     "missing or empty prompts: goodbye", "unknown prompt ids: surprise"):
        assert expected in result.output
    assert (prompts / "en.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("x.txt", "hello", "must end in .po or .csv"),
        ("x.csv", "a,b\n1,2\n", "a CSV needs the columns"),
        ("x.po", 'msgid "a"\nmsgstr "b"\n', "does not say its language"),
    ],
)
def test_an_unreadable_import_is_named(runner: CliRunner, prompts: Path, tmp_path: Path, name: str, body: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    result = runner.invoke(main, ["i18n", "import", str(path)], env={"IVR_PROMPTS_DIR": str(prompts)})
    assert result.exit_code == 1 and message in result.output


def test_a_much_longer_translation_is_warned_about_but_imported(runner: CliRunner, prompts: Path, tmp_path: Path) -> None:
    env = {"IVR_PROMPTS_DIR": str(prompts)}
    exported = tmp_path / "en.po"
    runner.invoke(main, ["i18n", "export", "--lang", "en", "-o", str(exported)], env=env)
    po = polib.pofile(str(exported))
    po.find("invalid", by="msgctxt").msgstr = "That key is, I am very sorry to say, not one of the keys in this menu. " * 2
    po.save(str(exported))
    result = runner.invoke(main, ["i18n", "import", str(exported)], env=env)
    assert result.exit_code == 0
    assert "warning: invalid: about" in result.output


def test_export_names_an_unknown_language(runner: CliRunner) -> None:
    result = runner.invoke(main, ["i18n", "export", "--lang", "xx"])
    assert result.exit_code == 1 and "unknown language 'xx'" in result.output


# Script and language identity ----------------------------------------------------------------


@pytest.mark.slow  # lingua
def test_the_real_languages_are_in_their_scripts_and_read_as_themselves() -> None:
    assert check_scripts(CONTENT) == []
    assert check_identity(CONTENT) == []


def test_script_detection() -> None:
    assert script_of("Позвоните ROSA на 22 33 11 60") == "Cyrillic"
    assert script_of("請看 udi.no/retur") == "Han"
    assert script_of("ROSA udi.no") is None


@pytest.mark.slow  # lingua
def test_check_catches_a_wrong_script_and_an_untranslated_prompt(runner: CliRunner, prompts: Path) -> None:
    en = prompts / "en.toml"
    body = en.read_text(encoding="utf-8")
    body = body.replace('more_intro = "More help and information."', 'more_intro = "Больше помощи и информации."')
    body = body.replace(text("en", "msg_work"), text("nb", "msg_work"))
    en.write_text(body, encoding="utf-8")
    result = runner.invoke(main, ["check"], env={"IVR_PROMPTS_DIR": str(prompts)})
    assert result.exit_code == 1
    assert "en.toml: more_intro is written in Cyrillic, not Latin" in result.output
    assert "en.toml: msg_work reads as Bokmal, not English" in result.output


def test_going_back_to_the_language_menu_keeps_the_callers_order(twilio: Twilio) -> None:
    first = options_heard(twilio.twiml("/voice", FromCountry="RO"))
    back = twilio.twiml("/voice/ro/main/key", Digits="*", FromCountry="RO")
    assert options_heard(back) == first


def twilio_voices() -> set[tuple[str, str]]:
    path = Path(__file__).parent / "data" / "twilio-voices.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[2:] if line.strip()]
    return {(language, voice) for language, _type, _gender, voice in rows}


@pytest.mark.parametrize("code", sorted(CONTENT.languages))
def test_every_say_voice_is_one_twilio_lists_for_that_language(code: str) -> None:
    # An invalid voice/language pair fails the call, so only pairs from Twilio's own table.
    say = CONTENT.languages[code].say
    if say is None:
        pytest.skip(f"{code} has no <Say> voice: it needs built audio")
    assert (say.language, say.voice) in twilio_voices()
    assert not say.voice.endswith(("-Generative",)) and "Chirp" not in say.voice  # beta voices
