"""/healthz for the platform, /console/health and `ivr stats` for the people who run the line."""

from __future__ import annotations

import json
import re
from base64 import b64encode
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr import health
from ivr.cli import main
from ivr.counts import report, store
from ivr.counts.week import iso_week, last_weeks, today

from .conftest import BASE, TOKEN, Twilio
from .pg import free_port
from .test_alerts import debugger_event, post
from .test_counts import CALLS, LEGEVAKT, walk

PASSWORD = "console-password-for-tests"
AUTH = {"Authorization": "Basic " + b64encode(f"console:{PASSWORD}".encode()).decode()}
HEALTH_KEYS = {"status", "content", "languages", "audio_files", "degraded", "off", "database"}


def seed(url: str, rows: dict[tuple[str, str, str], int]) -> None:
    engine = store.make_engine(url)
    store.create_schema(engine, url)
    store.add_weekly(engine, rows)
    engine.dispose()


# /healthz -----------------------------------------------------------------------------------


def test_healthz_answers_a_tiny_json_without_authentication(make_app: Callable[..., Flask]) -> None:
    app = make_app(IVR_CONSOLE_PASSWORD=PASSWORD)
    loaded = app.extensions["ivr"]
    answer = app.test_client().get("/healthz")  # no signature, no password
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert set(body) == HEALTH_KEYS
    assert body["status"] == "ok" and body["content"] is True
    assert body["languages"] == len(loaded.offered) > 2
    assert body["audio_files"] == 0  # this line has no built audio
    assert body["degraded"] == []  # no audio fault: this line simply has no built audio
    assert body["off"] == health.off(loaded) and "uk" in body["off"]
    assert set(body["off"]).isdisjoint(loaded.offered)
    assert body["database"] is True
    text = answer.get_data(as_text=True)
    for secret in (TOKEN, PASSWORD, "ivr.example.org", "counts.sqlite", "+4722331160"):
        assert secret not in text  # no secret, no setting


def test_healthz_counts_the_shipped_audio(shipped: Flask) -> None:
    body = shipped.test_client().get("/healthz").get_json()
    assert body["audio_files"] == len(shipped.extensions["ivr"].catalog) > 0


@pytest.mark.parametrize(("setting", "database"), [({"IVR_COUNTS": "off"}, "off"), ({"dead": "1"}, False)])
def test_healthz_is_200_whatever_the_database(make_app: Callable[..., Flask], setting: dict[str, str], database: object) -> None:
    if "dead" in setting:
        setting = {"IVR_DATABASE_URL": f"postgresql://ivr@127.0.0.1:{free_port()}/gone"}
    answer = make_app(**setting).test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json()["database"] == database


def test_healthz_fails_only_when_the_line_cannot_answer_a_call(make_app: Callable[..., Flask],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no menu")

    monkeypatch.setattr(health, "first_answer", broken)
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["status"] == "failing"


def test_healthz_is_outside_voice_and_head_works(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    assert client.head("/healthz").status_code == 200
    assert client.post("/voice/healthz").status_code == 403  # under /voice, everything is signed


# The "fewer than 5" rule ---------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, "fewer than 5"), (4, "fewer than 5"), (5, 5), (123, 123)])
def test_counts_under_five_are_shown_as_fewer_than_five(count: int, shown: object) -> None:
    assert report.shown(count) == shown


def test_bars_do_not_tell_small_counts_apart() -> None:
    assert report.bar("fewer than 5", 100) == report.bar("fewer than 5", 0) == 5
    assert report.bar(0, 10) == 0
    assert report.bar(10, 10) == 100 and report.bar(5, 10) == 50 and report.bar(5, 1000) == 5


def test_the_report_keeps_weeks_apart_and_shows_no_totals(tmp_path: Path) -> None:
    from ivr.counts.counter import Counter

    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    now, before, old = last_weeks(3)
    seed(url, {(now, "language", "nb"): 7, (before, "language", "nb"): 3, (now, "language", "uk"): 1,
               (old, "call", "started"): 9, (iso_week(today() - timedelta(weeks=60)), "call", "started"): 50})
    counter = Counter(url)
    found = report.build(counter, weeks=2).as_json()
    counter.close()
    assert found["weeks"] == [now, before]
    assert found["counts"] == {"language": {"nb": {now: 7, before: "fewer than 5"}, "uk": {now: "fewer than 5", before: 0}}}


# `ivr stats` ----------------------------------------------------------------------------------


def test_ivr_stats_prints_the_counts_of_a_walked_call(make_app: Callable[..., Flask], runner: CliRunner,
                                                      database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(IVR_DATABASE_URL=database_url, IVR_DIAL_LEGEVAKT=LEGEVAKT)
    for _ in range(5):
        walk(Twilio(app), CALLS[2])  # silence until ROSA, who does not answer
    walk(Twilio(app), CALLS[0])
    post(app, debugger_event("11200"))
    assert app.extensions["counts"].flush(30.0)
    monkeypatch.setenv("IVR_DATABASE_URL", database_url)

    result = runner.invoke(main, ["stats", "--json", "--weeks", "3"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    week = iso_week()
    assert found["weeks"] == last_weeks(3)
    assert found["counts"]["call"]["started"][week] == 6
    assert found["counts"]["silent"]["languages"][week] == 5
    assert found["counts"]["transfer"]["rosa"][week] == 6
    assert found["counts"]["language"]["en"][week] == "fewer than 5"
    assert found["counts"]["transfer_end"]["rosa:no-answer"][week] == 5
    [error] = found["errors"]
    assert error["code"] == "11200" and error["link"] == "https://www.twilio.com/docs/errors/11200"
    assert error["this_week"] == "fewer than 5" and error["before"] == 0

    text = runner.invoke(main, ["stats"])
    assert text.exit_code == 0, text.output
    assert re.search(r"^  started\s+6\s+0\s", text.output, re.MULTILINE), text.output
    assert re.search(r"^  en\s+fewer than 5\s", text.output, re.MULTILINE)
    assert "11200 error: this week fewer than 5, before 0" in text.output
    assert "https://www.twilio.com/docs/errors/11200" in text.output


def test_ivr_stats_with_counting_off_or_a_dead_database(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_COUNTS", "off")
    off = runner.invoke(main, ["stats"])
    assert off.exit_code == 0 and "counting is off" in off.output
    monkeypatch.setenv("IVR_COUNTS", "on")
    monkeypatch.setenv("IVR_DATABASE_URL", f"postgresql://ivr:s3cret@127.0.0.1:{free_port()}/gone")
    dead = runner.invoke(main, ["stats"])
    assert dead.exit_code == 1
    assert "the database could not be read (OperationalError)" in dead.output
    assert "s3cret" not in dead.output


def test_ivr_stats_refuses_a_bad_number_of_weeks(runner: CliRunner) -> None:
    result = runner.invoke(main, ["stats", "--weeks", "0"])
    assert result.exit_code == 2 and "--weeks" in result.output


# /console/health -------------------------------------------------------------------------------


def test_the_console_health_page_needs_the_password(make_app: Callable[..., Flask]) -> None:
    client = make_app(IVR_CONSOLE_PASSWORD=PASSWORD).test_client()
    assert client.get("/console/health").status_code == 401
    assert make_app().test_client().get("/console/health").status_code == 404  # console off
    assert client.get("/console/health", headers=AUTH).status_code == 200


def test_the_console_health_page_shows_counts_charts_and_error_links(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'page.sqlite'}"
    now, before = last_weeks(2)
    seed(url, {(now, "language", "nb"): 12, (now, "language", "en"): 6, (before, "language", "nb"): 2,
               (now, "topic", "help"): 3, (now, "transfer_end", "rosa:answered"): 5})
    app = make_app(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_DATABASE_URL=url)
    post(app, debugger_event("11200"))
    assert app.extensions["counts"].flush(30.0)
    answer = app.test_client().get("/console/health", headers=AUTH)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'href="https://www.twilio.com/docs/errors/11200"' in page
    for title in ("Languages chosen", "Topics heard", "How transfers ended"):
        assert f"<h3>{title}</h3>" in page
    assert re.search(r'class="bar w100"></span><span class="n">12<', page)  # nb, the largest
    assert re.search(r'class="bar w50"></span><span class="n">6<', page)
    assert page.count("fewer than 5") >= 3  # nb the week before, help, the alert
    assert ">2<" not in page and ">3<" not in page  # small counts never shown as themselves
    assert "style=" not in page and "<script>" not in page  # the CSP allows neither
    assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"]
    assert 'aria-current="page">Line health</a>' in page


def test_the_console_links_to_line_health_from_every_page(make_app: Callable[..., Flask]) -> None:
    client = make_app(IVR_CONSOLE_PASSWORD=PASSWORD).test_client()
    for path in ("/console/", "/console/map"):
        assert 'href="/console/health"' in client.get(path, headers=AUTH).get_data(as_text=True)


def test_the_console_says_when_counting_is_off_or_the_database_is_gone(make_app: Callable[..., Flask]) -> None:
    off = make_app(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_COUNTS="off").test_client().get("/console/health", headers=AUTH)
    assert off.status_code == 200 and "Counting is off" in off.get_data(as_text=True)
    gone = make_app(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_DATABASE_URL=f"postgresql://ivr@127.0.0.1:{free_port()}/x")
    page = gone.test_client().get("/console/health", headers=AUTH)
    assert page.status_code == 200 and "the database could not be read" in page.get_data(as_text=True)


def test_the_base_url_is_not_on_the_page(make_app: Callable[..., Flask]) -> None:
    page = make_app(IVR_CONSOLE_PASSWORD=PASSWORD).test_client().get("/console/health", headers=AUTH)
    assert BASE not in page.get_data(as_text=True)


def test_the_health_check_builds_the_real_first_answer(make_app: Callable[..., Flask]) -> None:
    twiml = health.first_answer(make_app().extensions["ivr"])
    assert twiml.startswith("<?xml") and "<Gather" in twiml and "Polly.Ida-Neural" in twiml


def test_calls_walked_through_the_line_show_on_the_console_as_counts_only(make_app: Callable[..., Flask]) -> None:
    app = make_app(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_DIAL_LEGEVAKT=LEGEVAKT)
    for _ in range(5):
        walk(Twilio(app), CALLS[2])  # silence in the language menu, then ROSA, who does not answer
    walk(Twilio(app), CALLS[1])
    assert app.extensions["counts"].flush(30.0)
    page = app.test_client().get("/console/health", headers=AUTH).get_data(as_text=True)
    row = re.search(r'<th scope="row">languages</th>\s*<td><span class="bar w100"></span><span class="n">5<', page)
    assert row, page
    assert re.search(r'<th scope="row">started</th>\s*<td><span class="bar w100"></span><span class="n">6<', page)
    assert re.search(r'<th scope="row">nb</th>\s*<td><span class="bar w5 few"></span><span class="n">fewer than 5<', page)
    assert "+4798765432" not in page and "CA" + "1" * 32 not in page
