"""No trace of who called: no caller data in logs, URLs or TwiML; no recording, SMS or callback."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest

from ivr import views

from .conftest import CALLER, CONTENT, HELPLINE, Twilio, dial, gather

CALL_SID = "CA" + "1" * 32


def a_whole_call(twilio: Twilio) -> list[ET.Element]:
    """Greeting, language, topics, a wrong key, silence, ROSA busy, retry, ROSA answered, goodbye."""
    answers = [twilio.twiml("/voice")]
    answers.append(twilio.twiml(gather(answers[-1]).get("action"), Digits="2"))
    for key in ("4", "2", "*", "*", "3", "*", "9", "5", "#"):
        answers.append(twilio.twiml(gather(answers[-1]).get("action"), Digits=key))
    answers.append(twilio.twiml(answers[-1].findtext("Redirect")))
    answers.append(twilio.twiml(gather(answers[-1]).get("action"), Digits="0"))
    answers.append(twilio.twiml(dial(answers[-1]).get("action"), DialCallStatus="busy"))
    answers.append(twilio.twiml(gather(answers[-1]).get("action"), Digits="1"))
    answers.append(twilio.twiml(dial(answers[-1]).get("action"), DialCallStatus="completed", DialCallDuration="600"))
    return answers


def test_no_caller_data_in_any_log_line(twilio: Twilio, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every logger
    twilio.call["FromCity"] = "DRAMMEN"
    twilio.call["FromZip"] = "3015"
    answers = a_whole_call(twilio)
    assert answers[-1][-1].tag == "Hangup"
    assert caplog.records, "the call should log its steps"
    logged = "\n".join(r.getMessage() + " " + repr(r.args) for r in caplog.records)
    for secret in (CALLER, CALLER[1:], CALLER[3:], HELPLINE, CALL_SID, "DRAMMEN", "3015"):
        assert secret not in logged


def test_no_caller_data_in_any_url_or_twiml(twilio: Twilio) -> None:
    twilio.call["FromCountry"] = "RO"
    for root in a_whole_call(twilio):
        body = ET.tostring(root, encoding="unicode")
        for secret in (CALLER, CALLER[3:], CALL_SID, "FromCountry", "=RO"):
            assert secret not in body


def test_an_error_does_not_log_caller_data(make_app, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "step", broken)
    caplog.set_level(logging.DEBUG)
    twilio = Twilio(app)
    twilio.twiml("/voice/en/main/key", Digits="1")
    assert "boom" in caplog.text
    assert CALLER not in caplog.text and CALLER[3:] not in caplog.text and CALL_SID not in caplog.text


def test_the_safety_promises_are_made_in_every_language() -> None:
    # Said on entering the main menu in each language (tests/test_call.py); the meaning is the source's.
    assert "slette dette nummeret" in CONTENT.source.prompts["goodbye"]
    assert all(s in CONTENT.source.prompts["safety"] for s in ("legge på", "ringe deg tilbake", "hvem du er"))


def test_a_failing_count_logs_no_traceback_on_a_fresh_or_a_cached_answer(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    # The answer cache (ivr.answered) logged the whole traceback of a failed count; a driver's
    # message or a traceback may carry anything, so only the error's type is logged, on both paths.
    app = make_app()

    class Broken:
        def record(self, tallies: object) -> None:
            raise RuntimeError(f"insert failed for {CALLER} {CALL_SID}")

        def close(self, *args: object) -> None:
            pass

    app.extensions["counts"] = Broken()
    caplog.set_level(logging.DEBUG)
    twilio = Twilio(app)
    for _ in range(2):  # the first is rendered by Flask, the second served from the cache
        assert gather(twilio.twiml("/voice")) is not None
    assert len(app.extensions["ivr"].cache) == 1
    failures = [r for r in caplog.records if "could not count" in r.getMessage()]
    assert len(failures) == 2 and all(r.exc_info is None for r in failures)
    assert CALLER not in caplog.text and CALLER[3:] not in caplog.text and CALL_SID not in caplog.text
