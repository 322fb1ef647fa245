"""POST /twilio/alerts: Twilio's Debugger webhook, signed, kept as error codes per day and nothing else."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr.counts import alerts, store
from ivr.counts.week import today

from .conftest import BASE, CALLER, HELPLINE, TOKEN

CALL_SID = "CA" + "7" * 32
ALERT_SID = "NO" + "8" * 32
SPACED = "+47 987 65 432"  # the caller's number as a message might write it
assert SPACED.replace(" ", "") == CALLER


def debugger_event(code: str = "11200", level: str = "ERROR", **more: object) -> dict[str, str]:
    """A Debugger webhook's parameters, as Twilio documents them, full of the caller's number."""
    url = f"{BASE}/voice/en/main/key?From=%2B4798765432&CallSid={CALL_SID}&Caller={CALLER}"
    payload = {
        "resource_sid": CALL_SID,
        "service_sid": None,
        "error_code": code,
        "more_info": {
            "Msg": f"An attempt to retrieve content from {url} returned the HTTP status code 502; caller {SPACED} "
                   f"(call {CALL_SID}) at 2026-12-01T09:14:07Z",
            "sourceComponent": "12000",
            "ErrorCode": code,
            "LogLevel": level,
            "url": url,
            **more,
        },
        "webhook": {
            "type": "application/x-www-form-urlencoded",
            "request": {
                "url": url,
                "method": "POST",
                "headers": {"X-Twilio-Signature": "abc"},
                "parameters": {"From": CALLER, "Caller": CALLER, "CallSid": CALL_SID, "To": HELPLINE,
                               "FromCity": "DRAMMEN", "FromZip": "3015"},
            },
            "response": {"status_code": 502, "headers": {}, "body": f"<html>{CALLER}</html>"},
        },
    }
    return {
        "AccountSid": "AC" + "2" * 32,
        "Sid": ALERT_SID,
        "ParentAccountSid": "",
        "Timestamp": f"{today().isoformat()}T09:14:07.000Z",
        "Level": level,
        "PayloadType": "application/json",
        "Payload": json.dumps(payload),
    }


def post(app: Flask, form: dict[str, str], sign: bool = True, token: str = TOKEN, url: str = BASE + "/twilio/alerts",
         **kwargs: object):
    headers = {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)} if sign else {}
    return app.test_client().post("/twilio/alerts", data=form, headers=headers, base_url="http://internal:8000", **kwargs)


def kept(app: Flask) -> list[tuple[str, str, str, str, str, int]]:
    counter = app.extensions["counts"]
    assert counter.flush(30.0)
    return store.read_alerts(counter.engine())


@pytest.fixture
def line(make_app: Callable[..., Flask], database_url: str) -> Flask:
    return make_app(IVR_DATABASE_URL=database_url)


def test_an_alert_is_kept_as_code_level_day_path_and_scrubbed_message(line: Flask) -> None:
    assert post(line, debugger_event()).status_code == 204
    assert post(line, debugger_event()).status_code == 204
    [(day, code, level, path, message, count)] = kept(line)
    assert (day, code, level, path, count) == (today().isoformat(), "11200", "error", "/voice/en/main/key", 2)
    assert message == (
        "An attempt to retrieve content from https://ivr.example.org/voice/en/main/key?… returned the HTTP "
        "status code 502; caller # (call …) at #T#Z"
    )


def test_codes_and_levels_are_counted_apart(line: Flask) -> None:
    post(line, debugger_event("11200"))
    post(line, debugger_event("13227", "WARNING"))
    post(line, debugger_event("13227", "WARNING"))
    assert sorted((c, lv, n) for _, c, lv, _, _, n in kept(line)) == [("11200", "error", 1), ("13227", "warning", 2)]


@pytest.mark.parametrize("how", ["unsigned", "forged", "other-token", "other-url", "params-changed"])
def test_an_alert_without_a_valid_signature_is_refused(make_app: Callable[..., Flask], how: str) -> None:
    app = make_app()
    form = debugger_event()
    if how == "unsigned":
        answer = post(app, form, sign=False)
    elif how == "forged":
        answer = app.test_client().post("/twilio/alerts", data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    elif how == "other-token":
        answer = post(app, form, token="another-account-token")
    elif how == "other-url":
        answer = post(app, form, url=BASE + "/voice")
    else:
        signed = RequestValidator(TOKEN).compute_signature(BASE + "/twilio/alerts", form)
        answer = app.test_client().post("/twilio/alerts", data={**form, "Level": "WARNING"},
                                        headers={"X-Twilio-Signature": signed})
    assert answer.status_code == 403
    assert kept(app) == []


def test_the_check_fails_closed(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    # A request target that is not a plain path (absolute form) makes the checker refuse.
    answer = post(app, debugger_event(), environ_overrides={"RAW_URI": "http://evil.example/twilio/alerts"})
    assert answer.status_code == 403

    def broken(*args: object) -> bool:
        raise RuntimeError("the validator broke")

    monkeypatch.setattr(alerts, "is_signed", broken)
    assert post(app, debugger_event()).status_code == 403
    assert kept(app) == []


def test_an_alert_carrying_the_callers_number_leaves_no_trace(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    app = make_app()  # counts in tmp_path (conftest)
    for code in ("11200", "12300", "13227", "not-a-code"):
        assert post(app, debugger_event(code)).status_code == 204
    assert len(kept(app)) == 4
    secrets = [CALLER, CALLER[1:], CALLER[3:], "98765432", "987 65 432", "%2B47", CALL_SID, ALERT_SID,
               "DRAMMEN", "3015", "AC" + "2" * 32, "09:14"]
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "Twilio alert 11200 (error) counted" in logged  # the log says what happened …
    for secret in secrets:
        assert secret not in logged  # … and nothing of the alert
    stored = repr(kept(app))
    places = [tmp_path, Path(app.instance_path)]
    files = [p for place in places if place.exists() for p in place.rglob("*") if p.is_file()]
    assert any(p.name.startswith("counts.sqlite") for p in files)  # the database was searched too
    for secret in secrets:
        assert secret not in stored
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("Call from +47 987 65 432 failed", "Call from # failed"),
        ("Caller 98765432, (+47) 987-65-432 or 4798765432", "Caller #, (# or #"),
        ("Dial 112 or 113 now", "Dial 112 or 113 now"),  # short numbers stay readable
        ("at 2026-12-01 10:55:03 UTC", "at # UTC"),  # no time finer than the day
        (f"resource {CALL_SID} sid", "resource … sid"),
        ("see https://x.example/voice?From=%2B4798765432&x=1 now", "see https://x.example/voice?… now"),
        ("mail ola@example.no now", "mail …@… now"),
        ("line\nbreak\x00here", "line break here"),
        ("x" * 500, "x" * 159 + "…"),
    ],
)
def test_messages_are_scrubbed_of_numbers_sids_times_and_queries(text: str, cleaned: str) -> None:
    assert alerts.scrub(text, alerts.MAX_MESSAGE) == cleaned


def test_an_audio_files_path_stays_readable() -> None:
    url = "https://ivr.example.org/audio/built/gtts/nb/greeting-a730bc14f2fb933e.wav?x=+4798765432"
    event = {"Level": "Error", "Payload": json.dumps({"error_code": 11200, "more_info": {"url": url}})}
    found = alerts.parse(event)
    assert (found.code, found.level, found.path) == ("11200", "error", "/audio/built/gtts/nb/greeting-a730bc14f2fb933e.wav")


@pytest.mark.parametrize(
    "event",
    [{}, {"Payload": "not json"}, {"Payload": "[1, 2]"}, {"Payload": '{"more_info": "x", "webhook": 3}'},
     {"Payload": '{"error_code": {"a": 1}}', "Level": "LOUD", "Timestamp": "yesterday"},
     {"Payload": json.dumps({"error_code": "11200", "more_info": {"Msg": ["a list"]}})}],
)
def test_odd_events_are_counted_as_what_can_be_read(event: dict[str, str]) -> None:
    found = alerts.parse(event)
    assert found.day == today().isoformat()
    assert found.code in ("unknown", "11200") and found.level in alerts.LEVELS + ("other",)
    assert found.message == "" and found.path == ""


def test_a_timestamp_far_from_today_is_not_believed() -> None:
    assert alerts.parse({"Timestamp": "1999-01-01T00:00:00Z"}).day == today().isoformat()


def test_alerts_with_counting_off_are_answered_and_not_kept(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app(IVR_COUNTS="off", IVR_DATABASE_URL=f"sqlite:///{tmp_path / 'never.sqlite'}")
    assert post(app, debugger_event()).status_code == 204
    assert app.extensions["counts"].flush(5.0)
    assert not (tmp_path / "never.sqlite").exists()


def test_an_alert_with_the_database_gone_is_answered_at_once(make_app: Callable[..., Flask]) -> None:
    from .pg import free_port

    app = make_app(IVR_DATABASE_URL=f"postgresql://ivr@127.0.0.1:{free_port()}/gone")
    assert post(app, debugger_event()).status_code == 204
