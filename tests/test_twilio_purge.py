"""`ivr twilio purge` against a fake Twilio on 127.0.0.1: what it deletes, what it leaves, what it says."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ivr.cli import main
from ivr.errors import ConfigError
from ivr.twilio.client import MAX_TRIES, MAX_WAIT, make_client, retry_after

from .fake_twilio import FakeTwilio

HELPLINE = "+4721000000"
ROSA = "+4722331160"
CALLERS = ("+4798765432", "+4791112233", "+48601234567", "+40721234567", "+4790001111")
OPERATOR = "+4793334444"
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_AUTH_TOKEN",
                   "TWILIO_API_BASE_URL", "TWILIO_EDGE", "TWILIO_REGION")


@pytest.fixture(autouse=True)
def no_twilio_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the developer's Twilio account: only what a test sets."""
    for name in TWILIO_SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as twilio:
        yield twilio


def purge(fake: FakeTwilio, *args: str, auth: str = "key", **env: str | None) -> Result:
    settings = {**fake.env(auth), "IVR_CALLER_ID": HELPLINE, **env}
    return CliRunner().invoke(main, ["twilio", "purge", *args], env=settings)


def a_call_with_transfers(fake: FakeTwilio, caller: str, transfers: int = 1, **how: object) -> tuple[str, list[str]]:
    parent = fake.add_call(to=HELPLINE, from_=caller, **how)  # type: ignore[arg-type]
    children = [
        fake.add_call(to=ROSA, from_=HELPLINE, parent=parent, status=str(how.get("status", "completed")),
                      ended_ago=float(how.get("ended_ago", 3600)))  # type: ignore[arg-type]
        for _ in range(transfers)
    ]
    return parent, children


def assert_no_trace(fake: FakeTwilio, *texts: str) -> None:
    for secret in fake.secrets_of_the_account() | set(CALLERS) | {HELPLINE, ROSA, OPERATOR}:
        for text in texts:
            assert secret not in text, "a call SID or number was printed or logged"


def test_deletes_finished_calls_and_their_transfers_children_first(fake: FakeTwilio) -> None:
    one, one_children = a_call_with_transfers(fake, CALLERS[0], transfers=2)
    two, two_children = a_call_with_transfers(fake, CALLERS[1], status="no-answer")
    busy = fake.add_call(to=HELPLINE, from_=CALLERS[2], status="busy")
    failed = fake.add_call(to=HELPLINE, from_=CALLERS[3], status="failed")
    canceled = fake.add_call(to=HELPLINE, from_=CALLERS[4], status="canceled")
    result = purge(fake)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 5 calls and 3 transfers"
    assert set(fake.deleted) == {one, *one_children, two, *two_children, busy, failed, canceled}
    assert fake.calls == {}
    for parent, children in ((one, one_children), (two, two_children)):
        assert all(fake.deleted.index(c) < fake.deleted.index(parent) for c in children)
    # Each call was listed by the helpline's number, its transfers by ParentCallSid.
    lists = [r.params for r in fake.requests if r.method == "GET"]
    assert {"To": HELPLINE, "PageSize": "1000"} in lists and {"From": HELPLINE, "PageSize": "1000"} in lists
    assert {"ParentCallSid": one, "PageSize": "1000"} in lists


def test_leaves_other_numbers_calls_alone_and_purges_test_calls(fake: FakeTwilio) -> None:
    other = fake.add_call(to="+4721999999", from_=CALLERS[0])
    test_call = fake.add_call(to=OPERATOR, from_=HELPLINE, direction="outbound-api")
    # A transfer whose call was deleted already (by hand, say) is found by its From and deleted too.
    orphan = fake.add_call(to=ROSA, from_=HELPLINE, parent="CA" + "0" * 32)
    result = purge(fake)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 1 call and 1 transfer"
    assert fake.deleted == [test_call, orphan] or fake.deleted == [orphan, test_call]
    assert list(fake.calls) == [other]


def test_keeps_calls_in_progress(fake: FakeTwilio) -> None:
    live, live_children = a_call_with_transfers(fake, CALLERS[0], status="in-progress")
    ringing = fake.add_call(to=HELPLINE, from_=CALLERS[1], status="ringing")
    queued = fake.add_call(to=HELPLINE, from_=CALLERS[2], status="queued")
    done = fake.add_call(to=HELPLINE, from_=CALLERS[3])
    result = purge(fake)
    assert result.exit_code == 0, result.output
    # The live call's transfer waits with it, never listed or touched on its own.
    assert result.output.strip() == "deleted 1 call and 0 transfers; 3 still in progress, left alone"
    assert fake.deleted == [done]
    assert {live, *live_children, ringing, queued} == set(fake.calls)
    assert not [r for r in fake.requests if r.method == "DELETE" and r.path.endswith(f"{live}.json")]


def test_leaves_too_recent_calls_for_the_next_run_without_retrying(fake: FakeTwilio) -> None:
    just_ended = fake.add_call(to=HELPLINE, from_=CALLERS[0], ended_ago=20)  # under Twilio's minute
    refused, refused_children = a_call_with_transfers(fake, CALLERS[1])  # Twilio says 20009 for the parent
    blocked, blocked_children = a_call_with_transfers(fake, CALLERS[2])  # ... and for this child
    fake.too_recent |= {refused, blocked_children[0]}
    result = purge(fake)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 0 calls and 1 transfer; 3 too recent, left for the next run"
    assert fake.deleted == refused_children
    deletes = [r.path for r in fake.requests if r.method == "DELETE"]
    assert not [p for p in deletes if just_ended in p]  # not even tried: it ended under a minute ago
    assert sum(refused in p for p in deletes) == 1 and sum(blocked_children[0] in p for p in deletes) == 1
    assert not [p for p in deletes if blocked in p]  # its transfer is still there: so is the call

    # The next run, once Twilio is ready: everything goes, the blocked call with its transfer.
    fake.too_recent.clear()
    fake.calls[just_ended]["end_time"] = fake.calls[refused]["end_time"]
    again = purge(fake)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "deleted 3 calls and 1 transfer"
    assert fake.calls == {}
    assert fake.deleted.index(blocked_children[0]) < fake.deleted.index(blocked)


def test_older_than_keeps_calls_that_ended_more_recently(fake: FakeTwilio) -> None:
    recent = fake.add_call(to=HELPLINE, from_=CALLERS[0], ended_ago=600)
    old = fake.add_call(to=HELPLINE, from_=CALLERS[1], ended_ago=7200)
    result = purge(fake, "--older-than", "3600")
    assert result.output.strip() == "deleted 1 call and 0 transfers; 1 too recent, left for the next run"
    assert fake.deleted == [old] and list(fake.calls) == [recent]
    refused = purge(fake, "--older-than", "30")
    assert refused.exit_code == 2 and "--older-than" in refused.output  # never under Twilio's minute


def test_reads_every_page(fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ivr.twilio.purge.PAGE_SIZE", 2)
    made = [fake.add_call(to=HELPLINE, from_=CALLERS[i % 5]) for i in range(7)]
    result = purge(fake)
    assert result.output.strip() == "deleted 7 calls and 0 transfers"
    assert sorted(fake.deleted) == sorted(made)
    pages = [r.params for r in fake.requests if r.method == "GET" and r.params.get("To") == HELPLINE]
    assert [p.get("PageToken") for p in pages] == [None, "PA2", "PA4", "PA6"]


def test_backs_off_on_429_honouring_retry_after(fake: FakeTwilio) -> None:
    call, children = a_call_with_transfers(fake, CALLERS[0])
    fake.rate_limit(2, retry_after="1")
    started = time.monotonic()
    result = purge(fake)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 1 call and 1 transfer; backed off 2 times for Twilio's rate limit (2 s)"
    assert time.monotonic() - started >= 2  # Retry-After: 1, twice
    assert fake.deleted == [*children, call]


def test_a_rate_limit_that_does_not_end_stops_the_run_bounded(fake: FakeTwilio) -> None:
    fake.add_call(to=HELPLINE, from_=CALLERS[0])
    fake.rate_limit(1000, retry_after="0")
    result = purge(fake)
    assert result.exit_code == 1
    assert "stopped early: Twilio kept answering 429 (rate limit) while listing calls" in result.output
    assert len(fake.requests) == MAX_TRIES
    assert fake.deleted == []


def test_other_refusals_are_counted_by_code_and_left(fake: FakeTwilio) -> None:
    gone = fake.add_call(to=HELPLINE, from_=CALLERS[0])
    broken = fake.add_call(to=HELPLINE, from_=CALLERS[1])
    fine = fake.add_call(to=HELPLINE, from_=CALLERS[2])
    fake.broken |= {gone: 404, broken: 500}
    result = purge(fake)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == (
        "deleted 1 call and 0 transfers; 1 already gone; 1 refused by Twilio (error 20500), left for the next run"
    )
    assert fake.deleted == [fine]


def test_prints_logs_and_stores_no_sid_or_number(
    fake: FakeTwilio, caplog: pytest.LogCaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)  # everything any library logs, the SDK's and urllib3's included
    monkeypatch.chdir(tmp_path)
    for caller in CALLERS:
        a_call_with_transfers(fake, caller, transfers=2)
    live = fake.add_call(to=HELPLINE, from_=CALLERS[0], status="in-progress")
    recent = fake.add_call(to=HELPLINE, from_=CALLERS[1], ended_ago=5)
    gone = fake.add_call(to=HELPLINE, from_=CALLERS[2])
    broken = fake.add_call(to=HELPLINE, from_=CALLERS[3])
    fake.broken |= {gone: 404, broken: 500}  # Twilio's error messages name the call's URI
    fake.rate_limit(1, retry_after="0")
    secrets = fake.secrets_of_the_account()
    result = purge(fake, HOME=str(tmp_path))
    assert "deleted 5 calls and 10 transfers" in result.output
    assert {live, recent, broken} <= set(fake.calls)
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert_no_trace(fake, result.output, logged)
    assert secrets  # the fake's SIDs and numbers were there to be leaked
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_missing_credentials_are_named(fake: FakeTwilio) -> None:
    result = purge(fake, TWILIO_ACCOUNT_SID=None, TWILIO_API_KEY=None, TWILIO_API_SECRET=None)
    assert result.exit_code == 1
    assert "TWILIO_ACCOUNT_SID is not set" in result.output
    assert "set TWILIO_API_KEY and TWILIO_API_SECRET" in result.output and "TWILIO_AUTH_TOKEN" in result.output
    half = purge(fake, TWILIO_API_SECRET=None)
    assert half.exit_code == 1 and "TWILIO_API_SECRET is not set" in half.output
    assert fake.requests == []


def test_wrong_credentials_stop_with_a_clear_message(fake: FakeTwilio) -> None:
    fake.add_call(to=HELPLINE, from_=CALLERS[0])
    result = purge(fake, TWILIO_API_SECRET="not-the-secret")
    assert result.exit_code == 1
    assert "Twilio refused to list calls (HTTP 401, error 20003)" in result.output
    assert "TWILIO_API_KEY/TWILIO_API_SECRET" in result.output
    assert fake.deleted == [] and len(fake.calls) == 1
    assert_no_trace(fake, result.output)


def test_the_auth_token_works_too(fake: FakeTwilio) -> None:
    fake.add_call(to=HELPLINE, from_=CALLERS[0])
    result = purge(fake, auth="token")
    assert result.output.strip() == "deleted 1 call and 0 transfers"
    assert {r.user for r in fake.requests} == {fake.account_sid}


def test_number_comes_from_the_option_or_ivr_caller_id(fake: FakeTwilio) -> None:
    other = "+4721999999"
    fake.add_call(to=other, from_=CALLERS[0])
    kept = fake.add_call(to=HELPLINE, from_=CALLERS[0])
    assert purge(fake, "--number", other).output.strip() == "deleted 1 call and 0 transfers"
    assert list(fake.calls) == [kept]
    none = purge(fake, IVR_CALLER_ID=None)
    assert none.exit_code == 1 and "set IVR_CALLER_ID" in none.output
    assert purge(fake, "--number", "21000000").exit_code == 1


@pytest.mark.slow  # real processes: `pytest -m 'not slow'` leaves it out
def test_the_procfile_worker_purges_then_stops_cleanly_on_sigterm(fake: FakeTwilio, tmp_path: Path) -> None:
    lines = (Path(__file__).resolve().parent.parent / "Procfile").read_text(encoding="utf-8").splitlines()
    command = next(entry for entry in lines if entry.startswith("worker: ")).removeprefix("worker: ")
    assert command.startswith("ivr twilio purge --every ")
    call, children = a_call_with_transfers(fake, CALLERS[0])
    env = {k: v for k, v in os.environ.items() if k not in TWILIO_SETTINGS and not k.startswith("IVR_")}
    env.update({k: v for k, v in fake.env().items() if v is not None})
    env.update({"IVR_CALLER_ID": HELPLINE, "HOME": str(tmp_path)})
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    worker = subprocess.Popen(
        ["sh", "-c", "exec " + command],  # exec: the signal reaches the worker, as on a platform
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(fake.deleted) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        later = fake.add_call(to=HELPLINE, from_=CALLERS[1])  # waits for the next run, minutes away
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        worker.kill()
    assert worker.returncode == 0, err
    assert fake.deleted == [*children, call]
    assert list(fake.calls) == [later]
    assert out.splitlines()[-1] == "stopped; since the last report: deleted 1 call and 1 transfer"
    assert_no_trace(fake, out, err)
    assert list(tmp_path.iterdir()) == []


def test_a_stop_request_ends_the_run_between_two_deletes(fake: FakeTwilio) -> None:
    from ivr.twilio.purge import Tally
    from ivr.twilio.purge import purge as run

    for caller in CALLERS[:3]:
        fake.add_call(to=HELPLINE, from_=caller)
    client = make_client({k: v for k, v in fake.env().items() if v is not None})
    asked = iter([False, True])
    tally = run(client, HELPLINE, stop=lambda: next(asked, True))
    assert len(fake.deleted) == 1 and len(fake.calls) == 2
    assert tally.summary() == "deleted 1 call and 0 transfers; interrupted, the rest left for the next run"
    assert tally.ok  # nothing went wrong: a worker asked to stop exits 0
    total = Tally()
    total.add(tally)
    total.add(run(client, HELPLINE))
    assert total.summary() == "deleted 3 calls and 0 transfers"


# The client ------------------------------------------------------------------------------


def test_every_twilio_domain_goes_to_the_base_url(fake: FakeTwilio) -> None:
    env = {k: v for k, v in fake.env().items() if v is not None}
    client = make_client(env)
    http = client.http_client
    assert http.rewrite("https://api.twilio.com/2010-04-01/Accounts.json?x=1") == f"{fake.url}/2010-04-01/Accounts.json?x=1"
    assert http.rewrite("https://api.dublin.ie1.twilio.com/2010-04-01/A.json") == f"{fake.url}/2010-04-01/A.json"
    assert http.rewrite("https://example.org/x") == "https://example.org/x"  # not Twilio's: untouched
    client.request("GET", "https://monitor.twilio.com/v1/Alerts")
    client.request("GET", "https://voice.twilio.com/v1/Archives")
    assert [r.path for r in fake.requests] == ["/v1/Alerts", "/v1/Archives"]
    prefixed = make_client({**env, "TWILIO_API_BASE_URL": fake.url + "/twilio/"})
    assert prefixed.http_client.rewrite("https://api.twilio.com/2010-04-01/A.json") == f"{fake.url}/twilio/2010-04-01/A.json"


def test_without_a_base_url_the_real_twilio_is_used(fake: FakeTwilio) -> None:
    env = {k: v for k, v in fake.env().items() if v is not None and k != "TWILIO_API_BASE_URL"}
    assert make_client(env).http_client.rewrite("https://api.twilio.com/x") == "https://api.twilio.com/x"


def test_base_url_must_be_https_off_this_machine(fake: FakeTwilio) -> None:
    env = {k: v for k, v in fake.env().items() if v is not None}
    with pytest.raises(ConfigError, match="TWILIO_API_BASE_URL must be https://"):
        make_client({**env, "TWILIO_API_BASE_URL": "http://twilio.example.org"})
    with pytest.raises(ConfigError, match="must be a URL"):
        make_client({**env, "TWILIO_API_BASE_URL": "api.twilio.com"})
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID must be the account's SID"):
        make_client({**env, "TWILIO_ACCOUNT_SID": env["TWILIO_API_KEY"]})  # swapped by mistake


def test_retry_after_is_honoured_bounded_and_defaults_to_doubling() -> None:
    assert retry_after({"Retry-After": "3"}, 1) == 3
    assert retry_after({"retry-after": "7200"}, 1) == MAX_WAIT
    assert retry_after({}, 1) == 1 and retry_after({}, 3) == 4
    in_ten = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 10))
    assert 8 <= retry_after({"Retry-After": in_ten}, 1) <= 10
    assert retry_after({"Retry-After": "soon"}, 2) == 2


def test_the_request_logs_of_the_sdk_and_urllib3_are_silenced(fake: FakeTwilio, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client({k: v for k, v in fake.env().items() if v is not None})
    assert client.http_client.logger.disabled
    pool = logging.getLogger("urllib3.connectionpool")
    pool.debug('%s://%s:%s "%s %s %s" %s %s', "https", "api.twilio.com", 443, "DELETE", "/Calls/CA1.json", "HTTP/1.1", 204, 0)
    pool.warning("a warning still gets through")
    assert [r.getMessage() for r in caplog.records] == ["a warning still gets through"]
