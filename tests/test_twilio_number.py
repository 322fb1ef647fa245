"""`ivr twilio setup`, `check` and `test-call` against a fake Twilio on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from ivr.cli import main
from ivr.twilio import cli as twilio_cli
from ivr.twilio.client import make_client
from ivr.twilio.number import REHEARSAL, loopback_http, problems, rehearsal, wanted

from .fake_twilio import FakeTwilio
from .test_twilio_purge import HELPLINE, OPERATOR, ROSA, TWILIO_SETTINGS

BASE = "https://ivr.example.org"
BIN = "https://handler.twilio.com/twiml/EH0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def no_twilio_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TWILIO_SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as twilio:
        yield twilio


def ivr(fake: FakeTwilio, *args: str, **env: str | None) -> Result:
    settings = {**fake.env(), "IVR_CALLER_ID": HELPLINE, "PUBLIC_BASE_URL": BASE, **env}
    return CliRunner().invoke(main, ["twilio", *args], env=settings)


def set_up(fake: FakeTwilio, **fields: object) -> str:
    """A number configured exactly as the line needs, with `fields` changed."""
    return fake.add_number(HELPLINE, **{**wanted(BASE), "voice_application_sid": None, "trunk_sid": None, **fields})


# setup -------------------------------------------------------------------------------------


def test_setup_changes_exactly_what_differs_and_shows_before_and_after(fake: FakeTwilio) -> None:
    sid = fake.add_number(HELPLINE)  # a new number: Twilio's demo Voice and SMS URLs, no fallback
    result = ivr(fake, "setup")
    assert result.exit_code == 0, result.output
    [write] = fake.writes()
    assert write.path.endswith(f"/IncomingPhoneNumbers/{sid}.json")
    assert write.params == {
        "VoiceUrl": f"{BASE}/voice",
        "VoiceFallbackUrl": f"{BASE}/voice/fallback",
        "SmsUrl": "",
    }
    lines = result.output.splitlines()
    assert lines[0] == "changed:"
    assert lines[1].split() == ["Voice", "URL", "https://demo.twilio.com/welcome/voice/", "→", f"{BASE}/voice"]
    assert lines[2].split() == ["Fallback", "URL", "(none)", "→", f"{BASE}/voice/fallback"]
    assert lines[3].split() == ["SMS", "URL", "https://demo.twilio.com/welcome/sms/reply", "→", "(none)"]
    assert lines[4] == "the number is set up for the line"
    number = fake.numbers[sid]
    assert (number["voice_url"], number["voice_fallback_url"], number["sms_url"]) == (
        f"{BASE}/voice", f"{BASE}/voice/fallback", "")


def test_setup_a_second_time_changes_nothing_and_says_so(fake: FakeTwilio) -> None:
    fake.add_number(HELPLINE)
    assert ivr(fake, "setup").exit_code == 0
    again = ivr(fake, "setup")
    assert again.exit_code == 0
    assert again.output.strip() == "nothing to change: the number is set up for the line"
    assert len(fake.writes()) == 1


def test_setup_dry_run_sends_no_write(fake: FakeTwilio) -> None:
    sid = fake.add_number(HELPLINE, voice_application_sid="AP" + "1" * 32)
    before = dict(fake.numbers[sid])
    result = ivr(fake, "setup", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would change (dry run, nothing sent):" in result.output
    assert "unbinding the voice application AP111" in result.output
    assert fake.writes() == [] and fake.numbers[sid] == before
    assert {r.method for r in fake.requests} == {"GET"}


def test_setup_unbinds_an_application_and_a_trunk_and_turns_off_what_the_line_does_not_use(fake: FakeTwilio) -> None:
    sid = set_up(
        fake,
        voice_application_sid="AP" + "2" * 32,
        trunk_sid="TK" + "3" * 32,
        voice_caller_id_lookup=True,
        status_callback="https://crm.example.org/calls",
        voice_method="GET",
    )
    result = ivr(fake, "setup")
    assert result.exit_code == 0, result.output
    assert "unbinding the voice application AP222" in result.output
    assert "unbinding the sip trunk TK333" in result.output
    [write] = fake.writes()
    assert write.params == {
        "VoiceMethod": "POST",
        "StatusCallback": "",
        "VoiceCallerIdLookup": "false",
        "VoiceApplicationSid": "",
        "TrunkSid": "",
    }
    assert "Caller name lookup" in result.output and "on  →  off" in result.output
    number = fake.numbers[sid]
    assert number["voice_application_sid"] is None and number["trunk_sid"] is None
    assert number["voice_caller_id_lookup"] is False and number["status_callback"] == ""


def test_setup_with_a_twiml_bin_as_the_fallback(fake: FakeTwilio) -> None:
    sid = set_up(fake)
    result = ivr(fake, "setup", "--fallback-url", BIN)
    assert result.exit_code == 0, result.output
    assert [w.params for w in fake.writes()] == [{"VoiceFallbackUrl": BIN}]
    assert fake.numbers[sid]["voice_fallback_url"] == BIN
    assert ivr(fake, "check", "--fallback-url", BIN).exit_code == 0
    refused = ivr(fake, "setup", "--fallback-url", "http://handler.example.org/x")
    assert refused.exit_code == 1 and "is not https://" in refused.output


def test_setup_refuses_without_an_https_public_base_url(fake: FakeTwilio) -> None:
    fake.add_number(HELPLINE)
    unset = ivr(fake, "setup", PUBLIC_BASE_URL=None)
    assert unset.exit_code == 1 and "PUBLIC_BASE_URL is not set" in unset.output
    plain = ivr(fake, "setup", PUBLIC_BASE_URL="http://ivr.example.org")
    assert plain.exit_code == 1 and "is not https://" in plain.output
    assert fake.requests == []


def test_setup_finds_the_number_exactly_not_by_part(fake: FakeTwilio) -> None:
    fake.add_number("+1" + HELPLINE.lstrip("+"))  # Twilio's filter matches this one too
    result = ivr(fake, "setup")
    assert result.exit_code == 1
    assert "the account has no such number" in result.output
    assert fake.writes() == []


def test_wrong_credentials_are_named(fake: FakeTwilio) -> None:
    set_up(fake)
    result = ivr(fake, "check", TWILIO_API_KEY="SK" + "0" * 32)
    assert result.exit_code == 1
    assert "Twilio refused to read the account's numbers (HTTP 401, error 20003)" in result.output
    missing = ivr(fake, "setup", TWILIO_ACCOUNT_SID=None)
    assert missing.exit_code == 1 and "TWILIO_ACCOUNT_SID is not set" in missing.output


# check -------------------------------------------------------------------------------------


def test_check_passes_on_a_number_set_up_by_setup(fake: FakeTwilio) -> None:
    fake.add_number(HELPLINE, voice_caller_id_lookup=True, trunk_sid="TK" + "4" * 32)
    assert ivr(fake, "check").exit_code == 1
    assert ivr(fake, "setup").exit_code == 0
    result = ivr(fake, "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ok: the number is set up for the line"
    assert len(fake.writes()) == 1  # setup's; check writes nothing


def test_check_accepts_a_twiml_bin_as_the_fallback(fake: FakeTwilio) -> None:
    set_up(fake, voice_fallback_url=BIN)
    assert ivr(fake, "check").exit_code == 0


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"voice_url": ""}, f"Voice URL is missing: it must be {BASE}/voice"),
        ({"voice_url": "https://old.example.org/voice"}, f"Voice URL is https://old.example.org/voice: it must be {BASE}/voice"),
        ({"voice_method": "GET"}, "Voice method is GET: it must be POST"),
        ({"voice_fallback_url": ""}, "Fallback URL is missing"),
        ({"voice_fallback_url": "http://handler.example.org/fallback"}, "Fallback URL http://handler.example.org/fallback is not https://"),
        ({"voice_fallback_url": f"{BASE}/voice"}, "Fallback URL is the Voice URL"),
        ({"voice_caller_id_lookup": True}, "caller name lookup is on"),
        ({"sms_url": "https://demo.twilio.com/welcome/sms/reply"}, "SMS URL points to https://demo.twilio.com/welcome/sms/reply"),
        ({"status_callback": "https://crm.example.org/calls"}, "status callback points to https://crm.example.org/calls"),
        ({"voice_application_sid": "AP" + "5" * 32}, "bound to the application AP5555"),
        ({"trunk_sid": "TK" + "6" * 32}, "bound to the SIP trunk TK6666"),
    ],
    ids=["voice-missing", "voice-wrong", "voice-get", "fallback-missing", "fallback-http", "fallback-is-voice",
         "lookup-on", "sms-url", "status-callback", "application", "trunk"],
)
def test_check_names_each_misconfiguration(fake: FakeTwilio, fields: dict[str, object], problem: str) -> None:
    set_up(fake, **fields)
    result = ivr(fake, "check")
    assert result.exit_code == 1
    assert "1 problem(s) with the number:" in result.output
    [named] = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert problem in named
    assert fake.writes() == []


def test_check_names_http_urls(fake: FakeTwilio) -> None:
    set_up(fake, voice_url="http://ivr.example.org/voice", voice_fallback_url="http://ivr.example.org/voice/fallback")
    result = ivr(fake, "check", PUBLIC_BASE_URL="http://ivr.example.org")
    assert result.exit_code == 1
    assert "PUBLIC_BASE_URL=http://ivr.example.org is not https://" in result.output
    assert "Voice URL http://ivr.example.org/voice is not https://" in result.output
    assert "Fallback URL http://ivr.example.org/voice/fallback is not https://" in result.output


def test_check_names_every_problem_at_once(fake: FakeTwilio) -> None:
    fake.add_number(HELPLINE, voice_caller_id_lookup=True, voice_application_sid="AP" + "7" * 32)
    result = ivr(fake, "check")
    assert result.exit_code == 1
    assert "5 problem(s) with the number:" in result.output  # application, Voice URL, fallback, lookup, SMS


# a rehearsal: http:// on the loopback ------------------------------------------------------------

LOOPBACK = ["http://127.0.0.1:5000", "http://127.8.9.10:8080/", "http://localhost:5000", "http://LocalHost",
            "http://[::1]:5000"]
NOT_LOOPBACK = ["http://ivr.example.org", "http://127.0.0.1.example.org", "http://10.0.0.1:5000",
                "http://127.0.0.1@ivr.example.org", "http://[::2]:5000", "http://0.0.0.0:5000",
                "http://localhost.example.org"]


@pytest.mark.parametrize("base", LOOPBACK)
def test_setup_and_check_accept_http_on_the_loopback_and_say_it_is_a_rehearsal(fake: FakeTwilio, base: str) -> None:
    sid = fake.add_number(HELPLINE, voice_caller_id_lookup=True)
    result = ivr(fake, "setup", PUBLIC_BASE_URL=base)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == REHEARSAL
    assert result.output.count(REHEARSAL) == 1
    root = base.rstrip("/")
    assert fake.numbers[sid]["voice_url"] == f"{root}/voice"
    assert fake.numbers[sid]["voice_fallback_url"] == f"{root}/voice/fallback"
    checked = ivr(fake, "check", PUBLIC_BASE_URL=base)
    assert checked.exit_code == 0, checked.output
    assert checked.output.splitlines() == [REHEARSAL, "ok: the number is set up for the line"]


@pytest.mark.parametrize("base", NOT_LOOPBACK)
def test_http_anywhere_else_is_still_refused_by_setup_and_named_by_check(fake: FakeTwilio, base: str) -> None:
    assert not loopback_http(base)
    set_up(fake, **wanted(base))
    refused = ivr(fake, "setup", PUBLIC_BASE_URL=base)
    assert refused.exit_code == 1
    assert f"PUBLIC_BASE_URL={base} is not https://" in refused.output
    assert REHEARSAL not in refused.output
    assert fake.requests == []
    checked = ivr(fake, "check", PUBLIC_BASE_URL=base)
    assert checked.exit_code == 1 and REHEARSAL not in checked.output
    assert f"PUBLIC_BASE_URL={base} is not https://" in checked.output
    root = base.rstrip("/")
    assert f"Voice URL {root}/voice is not https://" in checked.output
    assert f"Fallback URL {root}/voice/fallback is not https://" in checked.output
    assert fake.writes() == []


def test_a_loopback_url_on_the_number_is_named_when_the_line_is_https(fake: FakeTwilio) -> None:
    set_up(fake, voice_fallback_url="http://127.0.0.1:5000/voice/fallback")
    result = ivr(fake, "check")  # PUBLIC_BASE_URL is https://: a live line, not a rehearsal
    assert result.exit_code == 1 and REHEARSAL not in result.output
    assert "Fallback URL http://127.0.0.1:5000/voice/fallback is not https://" in result.output


def test_a_rehearsal_still_names_an_http_fallback_off_the_loopback(fake: FakeTwilio) -> None:
    local = "http://127.0.0.1:5000"
    set_up(fake, **{**wanted(local), "voice_fallback_url": "http://handler.example.org/fallback"})
    result = ivr(fake, "check", PUBLIC_BASE_URL=local)
    assert result.exit_code == 1
    [named] = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert "Fallback URL http://handler.example.org/fallback is not https://" in named
    refused = ivr(fake, "setup", "--fallback-url", "http://handler.example.org/fallback", PUBLIC_BASE_URL=local)
    assert refused.exit_code == 1 and "--fallback-url http://handler.example.org/fallback is not https://" in refused.output
    assert fake.writes() == []
    local_bin = ivr(fake, "setup", "--fallback-url", "http://127.0.0.1:5001/fallback", PUBLIC_BASE_URL=local)
    assert local_bin.exit_code == 0, local_bin.output
    assert [w.params for w in fake.writes()] == [{"VoiceFallbackUrl": "http://127.0.0.1:5001/fallback"}]


def test_no_rehearsal_against_the_real_twilio(fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loopback PUBLIC_BASE_URL with the real Twilio's API would leave a live number's callers in silence."""
    local = "http://127.0.0.1:5000"
    sid = fake.add_number(HELPLINE)
    before = dict(fake.numbers[sid])
    # No TWILIO_API_BASE_URL: the real Twilio, as far as the command knows; the fake stands in for it.
    monkeypatch.setattr(twilio_cli, "_client", lambda *_: make_client({k: v for k, v in fake.env().items() if v}))
    refused = ivr(fake, "setup", PUBLIC_BASE_URL=local, TWILIO_API_BASE_URL=None)
    assert refused.exit_code == 1 and REHEARSAL not in refused.output
    assert f"PUBLIC_BASE_URL={local} is not https://" in refused.output
    assert "only for a rehearsal against a fake Twilio on this machine" in refused.output
    assert fake.requests == [] and fake.numbers[sid] == before
    set_up(fake, **wanted(local))
    checked = ivr(fake, "check", PUBLIC_BASE_URL=local, TWILIO_API_BASE_URL=None)
    assert checked.exit_code == 1 and REHEARSAL not in checked.output
    assert f"PUBLIC_BASE_URL={local} is not https://" in checked.output
    assert f"Voice URL {local}/voice is not https://" in checked.output
    assert fake.writes() == []


@pytest.mark.parametrize(
    ("twilio_api", "expected"),
    [(None, False), ("", False), ("https://api.twilio.com", False), ("https://twilio.example.org", False),
     ("http://127.0.0.1:8080", True), ("https://localhost:8443", True), ("http://[::1]:8080", True)],
)
def test_a_rehearsal_needs_the_twilio_api_on_this_machine_too(twilio_api: str | None, expected: bool) -> None:
    assert rehearsal("http://127.0.0.1:5000", twilio_api) is expected
    assert rehearsal("https://127.0.0.1:5000", twilio_api) is False  # https needs no allowance
    assert rehearsal("http://ivr.example.org", twilio_api) is False


def test_problems_name_a_loopback_voice_url_unless_rehearsing() -> None:
    local = "http://127.0.0.1:5000"
    now = {**wanted(local), "voice_application_sid": "", "trunk_sid": ""}
    assert problems(now, local, rehearsing=True) == []
    assert problems(now, local) == [f"Voice URL {local}/voice is not https://",
                                    f"Fallback URL {local}/voice/fallback is not https://"]


def test_a_test_call_is_never_a_rehearsal(fake: FakeTwilio) -> None:
    result = ivr(fake, "test-call", "--to", OPERATOR, PUBLIC_BASE_URL="http://127.0.0.1:5000")
    assert result.exit_code == 1 and "is not https://" in result.output
    assert fake.requests == []


# test-call ---------------------------------------------------------------------------------


def test_test_call_posts_one_call_from_the_helpline_into_the_line(fake: FakeTwilio) -> None:
    result = ivr(fake, "test-call", "--to", OPERATOR)
    assert result.exit_code == 0, result.output
    [write] = fake.writes()
    assert write.path.endswith("/Calls.json")
    assert write.params == {"To": OPERATOR, "From": HELPLINE, "Url": f"{BASE}/voice", "Method": "POST", "TimeLimit": "900"}
    assert OPERATOR not in result.output


@pytest.mark.parametrize(
    ("args", "url"),
    [
        (["--lang", "en"], "/voice/en/main"),
        (["--lang", "nb", "--keys", "4"], "/voice/nb/help"),
        (["--lang", "en", "--keys", "4,2"], "/voice/en/help_health"),
        (["--lang", "en", "--keys", "4, *, 3"], "/voice/en/trafficking"),
        (["--lang", "en", "--keys", "7,#,1"], "/voice/en/violence"),
    ],
)
def test_test_call_starts_in_a_language_after_pressing_keys(fake: FakeTwilio, args: list[str], url: str) -> None:
    result = ivr(fake, "test-call", "--to", OPERATOR, *args)
    assert result.exit_code == 0, result.output
    [write] = fake.writes()
    assert write.params["Url"] == BASE + url


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--keys", "2"], "--keys needs --lang"),
        (["--lang", "en", "--keys", "2"], "puts the call through to a service"),
        (["--lang", "en", "--keys", "0"], "would ring a real service"),
        (["--lang", "en", "--keys", "4,2,1"], "leads nowhere a test call may go"),
        (["--lang", "en", "--keys", "8"], "leads nowhere"),
        (["--lang", "xx"], "--lang 'xx' is not offered"),
    ],
)
def test_test_call_refuses_keys_that_ring_a_service_or_lead_nowhere(fake: FakeTwilio, args: list[str], why: str) -> None:
    result = ivr(fake, "test-call", "--to", OPERATOR, *args)
    assert result.exit_code == 1
    assert why in result.output
    assert fake.requests == []


@pytest.mark.parametrize(
    "number",
    ["112", "113", "110", "+47112", "+47113", "116117", "+47116117", "+47116006", "02800", "+4702800",
     "+471234", "93334444", "+4712345678", "+4702800123", HELPLINE, ROSA],
)
def test_test_call_refuses_emergency_short_and_service_numbers(fake: FakeTwilio, number: str) -> None:
    result = ivr(fake, "test-call", "--to", number)
    assert result.exit_code == 1
    assert "error:" in result.output
    assert fake.requests == []


def test_a_test_call_is_purged_like_any_call(fake: FakeTwilio) -> None:
    assert ivr(fake, "test-call", "--to", OPERATOR).exit_code == 0
    [call] = fake.calls.values()
    call.update(status="completed", end_time="Tue, 01 Dec 2026 00:00:00 +0000")
    result = ivr(fake, "purge")
    assert result.output.strip() == "deleted 1 call and 0 transfers"
    assert fake.calls == {}
