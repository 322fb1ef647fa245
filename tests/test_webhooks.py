"""The call, driven as Twilio drives it: signed webhooks, assertions on the TwiML elements."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr import views
from ivr.content import spoken_numbers

from .conftest import (
    BASE,
    CALLER,
    CONTENT,
    HELPLINE,
    NODES,
    Twilio,
    dial,
    gather,
    redirect,
    said,
    text,
)

ROSA = "+4722331160"
MENUS = [n for n in NODES if CONTENT.menu.nodes[n].kind == "menu"]
MESSAGES = [n for n in NODES if CONTENT.menu.nodes[n].kind == "message"]


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def offered(app: Flask) -> tuple[str, ...]:
    return app.extensions["ivr"].offered


# The greeting and the language menu ------------------------------------------------------


def test_the_first_words_warn_of_danger_in_norwegian_then_english(twilio: Twilio) -> None:
    root = twilio.twiml("/voice")
    spoken = said(root)
    assert spoken[:2] == [text("nb", "greeting"), text("en", "greeting")]
    for words in spoken[:2]:
        assert "1 1 2" in words and "0" in spoken_numbers(words)  # each greeting says 112 and key 0
    # A neutral name: nothing that would alarm someone overhearing.
    assert not re.search(r"menneskehandel|trafficking|vold|violence", " ".join(spoken[:2]), re.I)
    says = root.find("Gather").findall("Say")
    assert (says[0].get("language"), says[1].get("language")) == ("nb-NO", "en-GB")


def test_menus_listen_for_one_key_long_enough_and_never_end_in_silence(twilio: Twilio) -> None:
    root = twilio.twiml("/voice")
    g = gather(root)
    assert g.get("input") == "dtmf"
    assert g.get("numDigits") == "1"
    assert 8 <= int(g.get("timeout")) <= 10
    assert g.get("finishOnKey") == ""
    assert g.get("action").startswith(BASE + "/voice/")
    assert list(root)[-1].tag == "Redirect"
    assert redirect(root).startswith(BASE + "/voice/")


def test_each_language_is_offered_in_its_own_language_and_voice(app: Flask, twilio: Twilio) -> None:
    root = twilio.twiml("/voice", FromCountry="")
    g = gather(root)
    for position, code in enumerate(offered(app)[:8], start=1):
        words = text(code, f"language_option_{position}")
        element = next(e for e in g.findall("Say") if e.text == words)
        voice = CONTENT.languages[code].say
        assert (element.get("language"), element.get("voice")) == (voice.language, voice.voice)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_choosing_a_language_opens_its_main_menu_with_danger_and_safety(app: Flask, twilio: Twilio, lang: str) -> None:
    key = str(offered(app).index(lang) + 1)
    root = twilio.twiml("/voice/languages/key", Digits=key, FromCountry="")
    spoken = said(root)
    assert spoken[0] == text(lang, "danger") and "1 1 2" in spoken[0]
    assert spoken[1] == text(lang, "safety")
    assert spoken[-1] == text(lang, "keys")
    assert gather(root).get("action") == f"{BASE}/voice/{lang}/main/key"


def test_zero_reaches_rosa_from_the_language_menu(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/languages/key", Digits="0")
    d = dial(root)
    assert d is not None and d.findtext("Number") == ROSA
    assert d.get("callerId") == HELPLINE


@pytest.mark.parametrize("digits", ["7", "x", "12", "<script>"])
def test_a_wrong_key_in_the_language_menu_says_so_and_repeats(app_for: Callable[..., Flask], digits: str) -> None:
    root = Twilio(app_for(IVR_LANGUAGES="nb,en")).twiml("/voice/languages/key", Digits=digits)
    spoken = said(root)
    assert spoken[:2] == [text("nb", "invalid"), text("en", "invalid")]
    assert text("nb", "greeting") in spoken


def test_silence_in_the_language_menu_ends_with_rosa(twilio: Twilio) -> None:
    root = twilio.twiml("/voice")
    for _ in range(10):
        if dial(root) is not None:
            break
        root = twilio.twiml(redirect(root))
    else:
        pytest.fail("silence never ended")
    assert dial(root).findtext("Number") == ROSA
    assert " ".join(said(root)).count("22 33 11 60") >= 4  # twice in each greeting language


# Every node in every language ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_common_keys_mean_the_same_everywhere(twilio: Twilio, lang: str) -> None:
    for node_id in MENUS + MESSAGES:
        node = CONTENT.menu.nodes[node_id]
        key_url = f"/voice/{lang}/{node_id}/key"
        assert dial(twilio.twiml(key_url, Digits="0")).findtext("Number") == ROSA
        again = twilio.twiml(key_url, Digits="#")
        assert gather(again).get("action") == f"{BASE}{key_url}"
        back = twilio.twiml(key_url, Digits="*")
        if node.parent is None:
            assert gather(back).get("action") == f"{BASE}/voice/languages/key"
        else:
            assert gather(back).get("action") == f"{BASE}/voice/{lang}/{node.parent}/key"


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_option_leads_where_the_menu_says(twilio: Twilio, lang: str) -> None:
    for node_id in MENUS:
        for option in CONTENT.menu.nodes[node_id].options:
            root = twilio.twiml(f"/voice/{lang}/{node_id}/key", Digits=option.key)
            assert option.key in text(lang, option.prompt)
            target = CONTENT.menu.nodes[option.to]
            if target.kind == "transfer":
                assert dial(root).findtext("Number") == ROSA
                assert said(root)[0] == text(lang, target.body[0])
            else:
                assert gather(root).get("action") == f"{BASE}/voice/{lang}/{option.to}/key"
                assert said(root)[0] == text(lang, (target.intro or target.body)[0])


def test_a_wrong_key_is_blameless_and_after_three_offers_zero(twilio: Twilio) -> None:
    url = "/voice/en/help/key"
    root = twilio.twiml(url, Digits="9")
    assert said(root)[0] == text("en", "invalid")
    assert said(root)[1] == text("en", "help_intro")
    for _ in range(2):
        root = twilio.twiml(gather(root).get("action"), Digits="9")
    assert said(root)[:2] == [text("en", "invalid"), text("en", "invalid_help")]
    assert "0" in said(root)[1]
    # A right key afterwards counts from zero again.
    root = twilio.twiml(gather(root).get("action"), Digits="1")
    assert gather(root).get("action") == f"{BASE}/voice/en/help_police/key"


def test_empty_digits_replay_the_menu(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/en/main/key", Digits="")
    assert said(root) == [text("en", "no_choice")]
    assert gather(root).get("action") == f"{BASE}/voice/en/main/key?s=1"


def test_silence_reminds_once_then_says_rosas_number_twice_and_transfers(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/en/help")
    assert said(root)[-1] == text("en", "keys")
    root = twilio.twiml(redirect(root))
    assert said(root) == [text("en", "no_choice")]  # not the whole menu again
    root = twilio.twiml(redirect(root))
    spoken = said(root)
    assert spoken[0] == text("en", "no_input")
    assert spoken[-1] == text("en", "handoff")
    assert " ".join(spoken).count("22 33 11 60") == 2
    assert dial(root).findtext("Number") == ROSA


def test_silence_after_a_message_returns_to_its_menu(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/nb/help_permit")
    assert said(root)[0] == text("nb", "msg_help_permit")
    after = twilio.twiml(redirect(root))
    assert gather(after).get("action") == f"{BASE}/voice/nb/help/key?s=1"


@pytest.mark.parametrize("query", ["s=abc", "s=-1", "e=x&s=", "w=1&p=7", "s=%C2%B2"])
def test_odd_counters_in_the_url_count_as_zero(twilio: Twilio, query: str) -> None:
    root = twilio.twiml(f"/voice/en/main?{query}")
    assert said(root)[0] == text("en", "danger")  # the whole menu: no silence counted


@pytest.mark.parametrize("query", ["s=9", "s=99999999999999999999"])
def test_a_counter_past_its_limit_is_capped_and_goes_straight_to_rosa(twilio: Twilio, query: str) -> None:
    root = twilio.twiml(f"/voice/en/main?{query}")
    assert dial(root) is not None and dial(root).findtext("Number") == ROSA


# Transfers ------------------------------------------------------------------------------------


def test_the_transfer_hides_the_callers_number(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/en/main/key", Digits="0")
    d = dial(root)
    assert d.get("callerId") == HELPLINE != CALLER
    assert d.get("action") == f"{BASE}/voice/en/connect/rosa/done"
    assert said(root) == [text("en", "handoff")]


def test_a_configured_caller_id_and_rosa_number_are_used(make_app: Callable[..., Flask]) -> None:
    twilio = Twilio(make_app(IVR_CALLER_ID="+47 21 99 99 99", ROSA_NUMBER="+4722000000"))
    d = dial(twilio.twiml("/voice/nb/main/key", Digits="0"))
    assert (d.get("callerId"), d.findtext("Number")) == ("+4721999999", "+4722000000")


@pytest.mark.parametrize("to", [None, "", "client:anonymous", "+47 21"])
def test_without_a_number_to_show_the_line_reads_rosas_number_instead_of_revealing_the_caller(
    twilio: Twilio, to: str | None
) -> None:
    root = twilio.twiml("/voice/en/main/key", Digits="0", To=to)
    assert dial(root) is None
    assert " ".join(said(root)).count("22 33 11 60") == 2
    assert root[-1].tag == "Hangup"


@pytest.mark.parametrize("direction", ["outbound-api", "outbound-dial"])
def test_on_a_call_the_line_placed_to_is_the_operators_phone_and_is_never_shown_to_rosa(
    twilio: Twilio, direction: str
) -> None:
    """`ivr twilio test-call` rings an operator: there To is the operator's own number."""
    operator = "+4791111111"
    root = twilio.twiml("/voice/en/main/key", Digits="0", To=operator, Direction=direction)
    assert dial(root) is None
    assert operator not in ET.tostring(root, encoding="unicode")
    assert " ".join(said(root)).count("22 33 11 60") == 2


def test_on_a_test_call_a_configured_caller_id_is_still_shown(make_app: Callable[..., Flask]) -> None:
    twilio = Twilio(make_app(IVR_CALLER_ID="+4721999999"))
    d = dial(twilio.twiml("/voice/en/main/key", Digits="0", To="+4791111111", Direction="outbound-api"))
    assert d is not None and d.get("callerId") == "+4721999999"


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled", "", "garbage"])
def test_when_rosa_does_not_answer_the_caller_hears_the_number_and_can_retry(twilio: Twilio, status: str) -> None:
    root = twilio.twiml("/voice/en/connect/rosa/done", DialCallStatus=status)
    spoken = said(root)
    assert spoken[0] == text("en", "rosa_unanswered")
    assert " ".join(spoken).count("22 33 11 60") == 2
    action = gather(root).get("action")
    assert dial(twilio.twiml(action, Digits="1")).findtext("Number") == ROSA
    back = twilio.twiml(action, Digits="*")
    assert gather(back).get("action") == f"{BASE}/voice/en/main/key"
    wrong = twilio.twiml(action, Digits="5")
    assert said(wrong)[0] == text("en", "invalid")


def test_silence_after_rosa_did_not_answer_ends_politely_with_the_number(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/nb/connect/rosa/done", DialCallStatus="busy")
    for _ in range(5):
        if root[-1].tag == "Hangup":
            break
        root = twilio.twiml(redirect(root))
    assert root[-1].tag == "Hangup"
    spoken = said(root)
    assert " ".join(spoken).count("22 33 11 60") == 2
    assert spoken[-1] == text("nb", "goodbye")


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_after_talking_to_rosa_the_goodbye_suggests_deleting_the_number(twilio: Twilio, status: str) -> None:
    root = twilio.twiml("/voice/en/connect/rosa/done", DialCallStatus=status)
    assert said(root) == [text("en", "rosa_number"), text("en", "goodbye")]  # ROSA may have hung up first
    assert "22 33 11 60" in said(root)[0] and "call list" in said(root)[1]
    assert root[-1].tag == "Hangup"


def test_rosa_unanswered_before_a_language_was_chosen_speaks_both_greeting_languages(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/-/connect/rosa/done", DialCallStatus="busy")
    assert said(root)[:2] == [text("nb", "rosa_unanswered"), text("en", "rosa_unanswered")]


def test_short_numbers_are_read_not_dialled_by_default(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/en/children")
    assert text("en", "opt_dial_alarmtelefonen") not in said(root)
    assert "1 1 6 1 1 1" in said(root)[0]
    assert said(twilio.twiml("/voice/en/children/key", Digits="1"))[0] == text("en", "invalid")


def test_a_configured_short_number_is_offered_and_dialled(make_app: Callable[..., Flask]) -> None:
    twilio = Twilio(make_app(IVR_DIAL_ALARMTELEFONEN="+4781000111"))
    root = twilio.twiml("/voice/en/children")
    assert said(root)[-2] == text("en", "opt_dial_alarmtelefonen")
    root = twilio.twiml("/voice/en/children/key", Digits="1")
    d = dial(root)
    assert (d.findtext("Number"), d.get("callerId")) == ("+4781000111", HELPLINE)
    after = twilio.twiml(d.get("action"), DialCallStatus="no-answer")
    assert said(after)[0] == text("en", "service_unanswered")
    assert gather(after).get("action") == f"{BASE}/voice/en/children/key"


def test_emergency_numbers_are_never_dialled(make_app: Callable[..., Flask]) -> None:
    from ivr.errors import ConfigError

    for name in ("ROSA_NUMBER", "IVR_CALLER_ID", "IVR_DIAL_POLICE"):
        for number in ("112", "+47112", "+47113", "+47 110"):
            with pytest.raises(ConfigError, match="emergency number"):
                make_app(**{name: number})


# Unknown URLs, the fallback and failures ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "lands_on"),
    [
        ("/voice/xx/main", "/voice/languages/key"),
        ("/voice/nb/nowhere", "/voice/nb/main/key"),
        ("/voice/nb/nowhere/key", "/voice/nb/main/key"),
        ("/voice/a/b/c/d/e", "/voice/languages/key"),
        ("/voice/..%2f..%2fetc/passwd", "/voice/languages/key"),
        ("/voice/", "/voice/languages/key"),
    ],
)
def test_unknown_urls_take_the_caller_back_into_the_menu(twilio: Twilio, url: str, lands_on: str) -> None:
    root = twilio.twiml(url, Digits="5")
    assert gather(root).get("action") == BASE + lands_on


def test_the_fallback_says_rosas_number_and_112_in_both_languages_then_transfers(twilio: Twilio) -> None:
    root = twilio.twiml("/voice/fallback", ErrorCode="11200", ErrorUrl=BASE + "/voice")
    spoken = said(root)
    assert spoken == [text("nb", "error"), text("en", "error"), text("nb", "handoff"), text("en", "handoff")]
    for words in spoken[:2]:
        assert "1 1 2" in words and "22 33 11 60" in words
    assert dial(root).findtext("Number") == ROSA
    assert dial(root).get("callerId") == HELPLINE


def test_an_exception_in_a_view_fails_toward_rosa(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(make_app())
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views, "step", broken)
    root = twilio.twiml("/voice/en/main/key", Digits="3")
    assert said(root) == [text("en", "error"), text("en", "handoff")]
    assert dial(root).findtext("Number") == ROSA
    assert dial(root).get("callerId") == HELPLINE


def test_when_even_the_error_answer_fails_the_last_resort_still_transfers(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(IVR_CALLER_ID="+4721000001")
    twilio = Twilio(app)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("everything is on fire")

    monkeypatch.setattr(views, "step", broken)
    monkeypatch.setattr(views, "error", broken)
    root = twilio.twiml("/voice/en/main")
    assert said(root) == [text("nb", "error"), text("en", "error"), text("nb", "handoff"), text("en", "handoff")]
    assert dial(root).findtext("Number") == ROSA
    assert dial(root).get("callerId") == "+4721000001"


def test_get_requests_work_too(twilio: Twilio) -> None:
    from twilio.request_validator import RequestValidator

    from .conftest import TOKEN

    url = "/voice/en/main?s=1"
    signature = RequestValidator(TOKEN).compute_signature(BASE + url, {})
    response = twilio.client.get(url, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and response.mimetype == "text/xml"


# Strict input, counts and the answer cache -----------------------------------------------------


@pytest.mark.parametrize("url", ["/voice//", "/voice//en/main", "/voice///languages/key", "/voice/en//main/key"])
def test_odd_paths_answer_twiml_after_the_signature_check_never_a_redirect(twilio: Twilio, url: str) -> None:
    assert twilio.post(url, sign=False).status_code == 403  # the signature first, as everywhere
    root = twilio.twiml(url, Digits="1")
    assert gather(root).get("action").startswith(BASE + "/voice/")


@pytest.mark.parametrize("digits", ["²", "١", "12", "😀", "1\x00"])
def test_a_key_that_is_not_one_ascii_key_is_a_wrong_key(twilio: Twilio, digits: str) -> None:
    root = twilio.twiml("/voice/en/main/key", Digits=digits)
    assert said(root)[0] == text("en", "invalid")


@pytest.mark.parametrize("query", ["s=%C2%B2", "e=%C2%B2&p=%C2%B3", "p=%D9%A3"])  # ², ³ and Arabic 3, as sent
def test_unicode_digits_in_the_counters_count_as_zero(twilio: Twilio, query: str) -> None:
    root = twilio.twiml(f"/voice/languages/key?{query}", Digits="#")
    assert gather(root).get("action") == f"{BASE}/voice/languages/key"


def test_each_answer_hands_its_counts_to_the_counter(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    seen: list[tuple[tuple[str, str], ...]] = []

    class Counter:
        def record(self, tallies: tuple[tuple[str, str], ...]) -> None:
            seen.append(tallies)

        def close(self, *args: object) -> None:
            pass

    app.extensions["counts"] = Counter()
    twilio = Twilio(app)
    for _ in range(2):  # the second call is answered from the cache, and counted all the same
        start = twilio.twiml("/voice", FromCountry="NO")
        chosen = twilio.twiml(gather(start).get("action"), Digits="2", FromCountry="NO")
        rosa = twilio.twiml(gather(chosen).get("action"), Digits="0")
        twilio.twiml(dial(rosa).get("action"), DialCallStatus="busy")
    expected = [(("call", "started"),), (("language", "en"),), (("transfer", "rosa"),), (("transfer_end", "rosa:busy"),)]
    assert seen == expected * 2


def test_a_counter_that_fails_never_breaks_the_call(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    class Broken:
        def record(self, tallies: object) -> None:
            raise RuntimeError("database down")

        def close(self, *args: object) -> None:
            pass

    app.extensions["counts"] = Broken()
    root = Twilio(app).twiml("/voice")
    assert gather(root) is not None and "error" not in said(root)[0].lower()


def test_the_same_position_answers_the_same_bytes_from_the_cache(twilio: Twilio, app: Flask) -> None:
    first = twilio.post("/voice/en/help").get_data()
    assert twilio.post("/voice/en/help").get_data() == first
    cached = [k for k in app.extensions["ivr"].cache if k[0] == "/voice/en/help"]
    assert cached, "the answer was cached"


def test_the_console_is_not_even_registered_when_it_is_off(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    assert "console" not in app.blueprints
    assert Twilio(app).client.get("/console/").status_code == 404
    assert "console" in make_app(IVR_CONSOLE_PASSWORD="secret-password-123").blueprints


def test_a_body_that_is_not_utf8_fails_the_signature_check(twilio: Twilio) -> None:
    from .conftest import TOKEN

    signature = RequestValidator(TOKEN).compute_signature(BASE + "/voice", {"Digits": "1"})
    response = twilio.client.post("/voice", data=b"Digits=1&To=%FF%FE", headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403


def test_the_signature_and_the_answer_read_the_same_value_of_a_repeated_parameter(twilio: Twilio) -> None:
    from .conftest import TOKEN

    url = "/voice/en/main/key"
    signature = RequestValidator(TOKEN).compute_signature(BASE + url, {"Digits": "0"})
    response = twilio.client.post(url, data=b"Digits=0&Digits=3", headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200  # 0, the value that was signed, not 3
    assert text("en", "handoff") in response.get_data(as_text=True)


def test_an_answer_already_rendered_is_served_before_flask_but_only_when_signed(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    twilio = Twilio(app)
    first = twilio.post("/voice/en/help", Digits="")
    assert first.status_code == 200

    def never(**kwargs: object) -> None:
        raise AssertionError("Flask's view ran: the cached answer was not served before it")

    app.view_functions["voice.answer"] = never
    again = twilio.post("/voice/en/help", Digits="")
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.mimetype == "text/xml"
    assert twilio.post("/voice/en/help", sign=False).status_code == 403  # unsigned: Flask refuses it
    forged = twilio.client.post("/voice/en/help", data={"Digits": ""}, headers={"X-Twilio-Signature": "x" * 28})
    assert forged.status_code == 403
    miss = twilio.post("/voice/en/main")  # not cached: Flask, whose view is broken here, fails toward help
    assert miss.status_code == 200 and b"<Dial" in miss.get_data()
