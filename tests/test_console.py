"""The console through Flask's test client: who may open it, the simulator's JSON steps, the call map."""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import shutil
import tomllib
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.call.scenes import Utterance
from ivr.content import DEFAULT_PROMPTS_DIR, text_hash
from ivr.timing import prompt_seconds, time_to_languages

from .conftest import CONTENT, LANGUAGES, NODES, SHIPPED_AUDIO, text
from .test_content import SEED_NUMBERS

PASSWORD = "correct horse battery staple"
ROSA = "→ ROSA +47 22 33 11 60"
# The seed numbers as people write them, and as the map prints them.
SEED_AS_WRITTEN = {"112", "113", "116 117", "02800", "22 33 11 60", "116 111", "116 006"}
DRAFTS = [c for c in LANGUAGES if CONTENT.languages[c].status == "machine-draft"]


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH = basic("console", PASSWORD)


class Console:
    """Drives the console's JSON endpoints as the page's script does."""

    def __init__(self, app: Flask, country: str | None = "NO") -> None:
        self.client: FlaskClient = app.test_client()
        self.country = country

    def post(self, step: str, expect: int = 200, **body: object) -> dict:
        response = self.client.post(f"/console/api/{step}", json={"country": self.country, **body}, headers=AUTH)
        assert response.status_code == expect, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        return response.get_json()

    def start(self) -> dict:
        return self.post("start")

    def press(self, turn: dict, key: str) -> dict:
        return self.post("press", url=turn["gather"], key=key)

    def wait(self, turn: dict) -> dict:
        return self.post("wait", url=turn["silence"])

    def transfer(self, turn: dict, status: str) -> dict:
        return self.post("transfer", url=turn["dial"]["action"], status=status)

    def choose(self, turn: dict, lang: str) -> dict:
        """Press the language menu's key for `lang`, found in the turn's open keys."""
        key = next(k["key"] for k in turn["keys"] if k["to"] == f"{lang}/main")
        return self.press(turn, key)


def texts(turn: dict) -> list[str]:
    return [part["text"] for part in turn["spoken"]]


def key_to(turn: dict, key: str) -> dict:
    return next(k for k in turn["keys"] if k["key"] == key)


def status(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> int:
    """GET a URL and close the response (a static file holds an open file until closed)."""
    response = client.get(url, headers=headers or {})
    response.close()
    return response.status_code


def page_text(body: str) -> str:
    """A page's visible words, tags removed and entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture
def console_app(app_for: Callable[..., Flask]) -> Flask:
    return app_for(IVR_CONSOLE_PASSWORD=PASSWORD)


@pytest.fixture
def console(console_app: Flask) -> Console:
    return Console(console_app)


# Audio, written with the standard library in the manifest format ivr/catalog.py reads ---------


def write_audio(folder: Path, entries: list[tuple[str, str, str]], seconds: float = 0.5) -> Path:
    """A folder with one short WAV per (lang, prompt, words) and a manifest naming them."""
    files = []
    for lang, prompt, words in entries:
        name = f"built/espeak/{lang}/{prompt}-{text_hash(words)[:16]}.wav"
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\x00\x00" * int(8000 * seconds))
        files.append(
            {
                "lang": lang,
                "prompt": prompt,
                "text_hash": text_hash(words),
                "engine": "espeak",
                "file": name,
                "duration": seconds,
                "bytes": path.stat().st_size,
            }
        )
    (folder / "manifest.json").write_text(json.dumps({"files": files}), encoding="utf-8")
    return folder


# Who may open the console ---------------------------------------------------------------


CONSOLE_URLS = ["/console/", "/console/map?lang=nb", "/console/static/console.js"]


@pytest.mark.parametrize("url", CONSOLE_URLS)
def test_without_a_password_the_console_does_not_exist(app: Flask, url: str) -> None:
    client = app.test_client()
    assert status(client, url) == 404
    assert client.post("/console/api/start", json={}).status_code == 404


@pytest.mark.parametrize("url", CONSOLE_URLS)
def test_in_local_development_it_opens_without_a_password(app_for: Callable[..., Flask], url: str) -> None:
    assert status(app_for(IVR_CONSOLE_OPEN="1").test_client(), url) == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("console", "wrong"),
        basic("admin", PASSWORD),
        basic("console", PASSWORD + " "),
        {"Authorization": f"Bearer {PASSWORD}"},
    ],
    ids=["none", "wrong-password", "wrong-user", "longer-password", "not-basic"],
)
@pytest.mark.parametrize("url", [*CONSOLE_URLS, "/console/map"])
def test_a_request_without_the_password_is_refused(console_app: Flask, url: str, headers: dict[str, str]) -> None:
    response = console_app.test_client().get(url, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="')
    assert "no-store" in response.headers["Cache-Control"]
    api = console_app.test_client().post("/console/api/start", json={"country": "NO"}, headers=headers)
    assert api.status_code == 401


@pytest.mark.parametrize("url", CONSOLE_URLS)
def test_the_password_opens_it(console_app: Flask, url: str) -> None:
    assert status(console_app.test_client(), url, AUTH) == 200


def test_it_drives_an_unsigned_line_as_ivr_serve_runs_it(app_for: Callable[..., Flask]) -> None:
    # `ivr serve` without TWILIO_AUTH_TOKEN: unsigned webhooks, local development, no password.
    app = app_for(TWILIO_AUTH_TOKEN="", PUBLIC_BASE_URL="", IVR_ALLOW_UNSIGNED="1", IVR_CONSOLE_OPEN="1")
    client = app.test_client()
    turn = client.post("/console/api/start", json={"country": "NO"}).get_json()
    main = client.post("/console/api/press", json={"country": "NO", "url": turn["gather"], "key": "1"}).get_json()
    assert main["place"] == "nb/main" and texts(main)[0] == text("nb", "danger")


def test_a_set_password_is_asked_for_in_local_development_too(app_for: Callable[..., Flask]) -> None:
    client = app_for(IVR_CONSOLE_OPEN="1", IVR_CONSOLE_PASSWORD=PASSWORD).test_client()
    assert client.get("/console/").status_code == 401
    assert client.get("/console/", headers=AUTH).status_code == 200


def test_a_password_outside_ascii_works(app_for: Callable[..., Flask]) -> None:
    client = app_for(IVR_CONSOLE_PASSWORD="blåbærsyltetøy").test_client()
    assert client.get("/console/", headers=basic("console", "blåbærsyltetøy")).status_code == 200
    assert client.get("/console/", headers=basic("console", "blabaersyltetoy")).status_code == 401


def test_pages_are_not_cached_framed_or_scripted_from_elsewhere(console_app: Flask) -> None:
    response = console_app.test_client().get("/console/", headers=AUTH)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in response.headers
    # No inline script: the page's only script is the static file the policy allows.
    assert "<script>" not in response.get_data(as_text=True)


# The simulator page -----------------------------------------------------------------------


def test_the_simulator_page_has_the_keypad_the_countries_and_silence(console_app: Flask) -> None:
    body = console_app.test_client().get("/console/", headers=AUTH).get_data(as_text=True)
    for key in "0123456789*#":
        assert f'data-key="{key}"' in body
    assert re.search(r'<option value="NO"[^>]*selected', body)
    for code in console_app.extensions["ivr"].offered:
        for country in CONTENT.languages[code].countries:
            assert f'<option value="{country}"' in body
    assert 'id="wait"' in body and "Wait in silence" in body
    for ending in ("completed", "no-answer", "busy"):
        assert f'data-ending="{ending}"' in body
    assert "/console/static/console.js" in body and "/console/static/console.css" in body


def test_the_static_files_are_served(console_app: Flask) -> None:
    client = console_app.test_client()
    for name, mimetype in (("console.js", "text/javascript"), ("console.css", "text/css"), ("print.css", "text/css")):
        response = client.get(f"/console/static/{name}", headers=AUTH)
        assert response.status_code == 200 and response.mimetype == mimetype
        response.close()


# The simulator's JSON steps, through the real webhooks -------------------------------------


def test_the_call_starts_with_the_greeting_and_the_language_menu(console: Console) -> None:
    turn = console.start()
    assert texts(turn)[:2] == [text("nb", "greeting"), text("en", "greeting")]
    assert turn["place"] == "languages"
    assert turn["gather"].startswith("/voice/languages/key")
    assert turn["silence"].startswith("/voice/languages")
    assert key_to(turn, "0")["label"] == ROSA and key_to(turn, "0")["transfer"]
    assert {k["to"] for k in turn["keys"]} >= {"nb/main", "en/main"}
    assert turn["dial"] is None and not turn["ended"]
    assert all(part["audio"] is None and part["tag"] for part in turn["spoken"])


def test_norwegian_then_0_is_a_transfer_to_rosa_that_can_end_every_way(console: Console) -> None:
    main = console.choose(console.start(), "nb")
    assert main["place"] == "nb/main"
    assert texts(main)[:2] == [text("nb", "danger"), text("nb", "safety")]
    rosa = console.press(main, "0")
    assert rosa["dial"]["label"] == ROSA
    assert rosa["dial"]["number"] == "+4722331160"
    assert rosa["dial"]["caller_id"] == "+47 21 00 00 00"  # the helpline's number, never a caller's
    assert rosa["gather"] is None and rosa["keys"] == []
    unanswered = console.transfer(rosa, "no-answer")
    assert texts(unanswered)[:2] == [text("nb", "rosa_unanswered"), text("nb", "rosa_number")]
    assert key_to(unanswered, "1")["label"] == ROSA
    assert texts(console.transfer(rosa, "busy"))[0] == text("nb", "rosa_unanswered")
    goodbye = console.transfer(rosa, "completed")
    assert texts(goodbye) == [text("nb", "rosa_number"), text("nb", "goodbye")] and goodbye["ended"]
    assert goodbye["gather"] is None and goodbye["dial"] is None


def test_the_open_keys_say_where_they_lead_and_what_the_caller_was_told(console: Console) -> None:
    main = console.choose(console.start(), "en")
    root = CONTENT.menu.nodes[CONTENT.menu.root]
    for option in root.options:
        entry = key_to(main, option.key)
        if CONTENT.menu.nodes[option.to].kind == "transfer":
            assert entry["label"] == ROSA
        else:
            assert entry["to"] == f"en/{option.to}"
        assert entry["meaning"] == text("en", option.prompt)
    assert key_to(main, "*")["to"] == "languages" and key_to(main, "*")["meaning"] == "back"
    assert key_to(main, "#")["to"] == "en/main"
    assert len(main["keys"]) == len(root.options) + 3  # and no other key does anything


def test_a_wrong_key_says_so_and_plays_the_menu_again(console: Console) -> None:
    main = console.choose(console.start(), "en")
    wrong = console.press(main, "9")
    assert texts(wrong)[0] == text("en", "invalid")
    assert wrong["place"] == "en/main"


def test_waiting_in_silence_follows_the_line(console: Console) -> None:
    topic = console.press(console.choose(console.start(), "en"), "1")
    back = console.wait(topic)
    assert back["place"] == "en/main" and texts(back) == [text("en", "no_choice")]
    back = console.wait(back)
    assert back["dial"]["label"] == ROSA  # never silence forever: ROSA's number, then ROSA
    assert text("en", "rosa_number") in texts(back)


def test_the_callers_country_orders_the_language_menu(console_app: Flask) -> None:
    for code in ("ro", "bg", "lt"):
        assert code in console_app.extensions["ivr"].offered  # never skipped: these are on page 1
        country = CONTENT.languages[code].countries[0]
        turn = Console(console_app, country).start()
        assert key_to(turn, "1")["to"] == f"{code}/main"
        assert key_to(turn, "1")["meaning"] == CONTENT.languages[code].name


def test_each_step_goes_through_the_signed_webhooks(console: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ivr.views")
    main = console.choose(console.start(), "en")
    console.press(main, "4")
    paths = [r.args[0] for r in caplog.records if r.name == "ivr.views" and r.args]
    assert "/voice" in paths and "/voice/languages/key" in paths and "/voice/en/main/key" in paths
    # The line checks signatures (TWILIO_AUTH_TOKEN is set): an unsigned webhook is refused.
    assert console.client.post(main["gather"], data={"Digits": "4"}).status_code == 403


def test_no_caller_data_is_logged_or_kept(console: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    turn = console.press(console.choose(console.start(), "nb"), "0")
    console.transfer(turn, "no-answer")
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert not re.search(r"CA[0-9a-f]{32}", logged)  # no call sid
    assert "FromCountry" not in logged and "+47" not in logged
    response = console.client.post("/console/api/start", json={"country": "NO"}, headers=AUTH)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_built_audio_is_played_from_the_url_twilio_would_play(app_for: Callable[..., Flask], tmp_path: Path) -> None:
    audio = write_audio(tmp_path / "audio", [("en", "danger", text("en", "danger"))])
    app = app_for(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_AUDIO_DIR=str(audio), IVR_PLAY_ENGINES="recorded,espeak")
    main = Console(app).choose(Console(app).start(), "en")
    first = main["spoken"][0]
    assert first["text"] == text("en", "danger")
    assert first["audio"].startswith("/audio/built/espeak/en/danger-") and first["engine"] == "espeak"
    assert first["engine_name"] == "offline (eSpeak NG)"
    fetched = app.test_client().get(first["audio"])
    assert fetched.status_code == 200 and fetched.mimetype == "audio/wav"
    fetched.close()
    assert main["spoken"][1]["audio"] is None  # no file: the browser's voice stands in


def test_audio_on_another_host_is_allowed_by_the_pages_policy(app_for: Callable[..., Flask], tmp_path: Path) -> None:
    audio = write_audio(tmp_path / "audio", [("en", "danger", text("en", "danger"))])
    app = app_for(
        IVR_CONSOLE_PASSWORD=PASSWORD,
        IVR_AUDIO_DIR=str(audio),
        IVR_PLAY_ENGINES="espeak",
        AUDIO_BASE_URL="https://cdn.example.net/line-audio",
    )
    main = Console(app).choose(Console(app).start(), "en")
    assert main["spoken"][0]["audio"].startswith("https://cdn.example.net/line-audio/built/espeak/en/danger-")
    policy = app.test_client().get("/console/", headers=AUTH).headers["Content-Security-Policy"]
    assert "media-src 'self' https://cdn.example.net;" in policy


def test_a_service_with_a_number_is_offered_as_a_transfer(app_for: Callable[..., Flask]) -> None:
    app = app_for(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_DIAL_ALARMTELEFONEN="+47116111")
    console = Console(app)
    key = next(o.key for o in CONTENT.menu.nodes[CONTENT.menu.root].options if o.to == "children")
    children = console.press(console.choose(console.start(), "en"), key)
    offer = key_to(children, "1")
    assert offer["transfer"] and offer["label"] == "→ Alarmtelefonen 116 111 +47116111"
    assert offer["meaning"] == text("en", "opt_dial_alarmtelefonen")
    transfer = console.press(children, "1")
    assert transfer["dial"]["label"] == "→ Alarmtelefonen 116 111 +47116111"
    again = console.transfer(transfer, "no-answer")
    assert texts(again)[0] == text("en", "service_unanswered") and again["place"] == "en/children"


# Refusing what the console does not do ------------------------------------------------------

BAD_URLS = [
    "https://evil.example/voice/en/main/key",
    "http://localhost/voice/en/main/key",
    "//evil.example/voice/en/main/key",
    "/console/api/start",
    "/audio/built/espeak/en/danger.wav",
    "/voicemail",
    "voice/en/main/key",
    "/voice/../console/",
    "/voice/en/./main/key",
    "/voice/en/main/key#fragment",
    "/voice/en/main key",
    "/voice/en\\main/key",
    "/voice/en/main/key\n",
    "/voice/" + "a" * 400,
    "",
    None,
    42,
    ["/voice"],
]


@pytest.mark.parametrize("url", BAD_URLS, ids=[repr(u)[:40] for u in BAD_URLS])
@pytest.mark.parametrize("step,extra", [("press", {"key": "1"}), ("wait", {}), ("transfer", {"status": "busy"})])
def test_only_voice_urls_of_this_line_are_followed(console: Console, step: str, extra: dict, url: object) -> None:
    answer = console.post(step, expect=400, url=url, **extra)
    assert answer["error"]


@pytest.mark.parametrize("key", ["", "a", "10", "**", None, 1, "٣"])
def test_only_keypad_keys_can_be_pressed(console: Console, key: object) -> None:
    console.post("press", expect=400, url="/voice/languages/key", key=key)


@pytest.mark.parametrize("status", ["", "answered", "canceled", None])
def test_a_transfer_ends_only_as_twilio_can_end_it(console: Console, status: object) -> None:
    console.post("transfer", expect=400, url="/voice/nb/connect/rosa/done", status=status)


@pytest.mark.parametrize("country", ["no", "NOR", "N", "<b>", 47, ["NO"]])
def test_the_country_is_two_capital_letters(console: Console, country: object) -> None:
    console.country = country  # type: ignore[assignment]
    console.post("start", expect=400)


def test_the_steps_take_only_json_objects(console_app: Flask) -> None:
    client = console_app.test_client()
    assert client.post("/console/api/start", data={"country": "NO"}, headers=AUTH).status_code == 400
    assert client.post("/console/api/start", json=["NO"], headers=AUTH).status_code == 400
    assert client.get("/console/api/start", headers=AUTH).status_code == 405


# The call map -----------------------------------------------------------------------------


def map_page(app: Flask, lang: str, expect: int = 200) -> str:
    response = app.test_client().get(f"/console/map?lang={lang}", headers=AUTH)
    assert response.status_code == expect
    return response.get_data(as_text=True)


def numbers_table(body: str) -> set[str]:
    return set(re.findall(r'<td class="number">([^<]+)</td>', body))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_map_shows_every_seed_number_in_every_language(console_app: Flask, lang: str) -> None:
    numbers = numbers_table(map_page(console_app, lang))
    assert numbers >= SEED_AS_WRITTEN
    assert {n.replace(" ", "") for n in numbers} >= SEED_NUMBERS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_map_has_every_node_and_every_prompt(console_app: Flask, lang: str) -> None:
    body = map_page(console_app, lang)
    for node in NODES:
        assert f'id="node-{node}"' in body
    for prompt in CONTENT.caller_prompts(lang):
        assert f"<code>{prompt}</code>" in body
    words = page_text(body)
    for prompt in ("danger", "goodbye", "rosa_unanswered", "invalid", "keys"):
        assert text(lang, prompt) in words
    assert ROSA in words


def test_the_map_is_a_tree_with_the_keys_to_each_place(console_app: Flask) -> None:
    body = page_text(map_page(console_app, "en"))
    menu = CONTENT.menu
    for node, depth in menu.walk():
        path, here = [], node
        while here.parent is not None:
            parent = menu.nodes[here.parent]
            path.insert(0, next(o.key for o in parent.options if o.to == here.id))
            here = parent
        assert len(path) == depth
        if path:
            assert " › ".join(path) in body


def test_the_map_times_the_way_to_help_as_the_line_does(console_app: Flask) -> None:
    from ivr.console import callmap

    ivr = console_app.extensions["ivr"]
    found = callmap.build(ivr, "en", "GB")
    starts = time_to_languages(ivr.graph, "GB")["en"]
    chosen = next(m for m in found.milestones if "chosen" in m.label)
    option = next(r for s in found.sections if s.kind == "languages" for r in s.rows if r.leads_to)
    assert option.starts_at == starts
    assert chosen.at.value == pytest.approx(starts.value + prompt_seconds(ivr.graph, Utterance("en", option.prompt)).value)
    rosa = next(m for m in found.milestones if m.label.startswith(ROSA))
    main = next(s for s in found.sections if s.id == f"node-{CONTENT.menu.root}")
    assert main.reached_at == chosen.at
    assert rosa.at.value > chosen.at.value and rosa.at.estimated  # no audio: estimates, marked


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_way_to_each_language_is_timed_as_the_line_times_it(console_app: Flask, lang: str) -> None:
    from ivr.console import callmap

    line = console_app.extensions["ivr"]
    if lang not in line.offered:
        pytest.skip(f"{lang} is not offered")
    found = callmap.build(console_app.extensions["ivr"], lang, "NO")  # later pages for most
    pages = [s for s in found.sections if s.kind == "languages"]
    option = next(r for s in pages for r in s.rows if r.leads_to)
    assert option.starts_at == time_to_languages(line.graph, "NO")[lang]
    assert option.lang.code == lang and option.key == option.prompt.removeprefix("language_option_")
    assert pages[-1].keys == (option.key,)
    if len(pages) > 1:  # the caller heard page 1 out, then pressed 9 for page 2
        last = pages[0].rows[-1]
        assert pages[1].reached_at == last.starts_at + last.seconds


def test_the_map_can_be_heard_as_from_another_country(console_app: Flask) -> None:
    client = console_app.test_client()
    body = client.get("/console/map?lang=en&country=ng", headers=AUTH).get_data(as_text=True)
    assert "as heard by a caller from <strong>NG</strong>" in body
    assert client.get("/console/map?lang=en&country=N0R", headers=AUTH).status_code == 400


def test_built_audio_is_on_the_map_with_its_length_and_engine(app_for: Callable[..., Flask], tmp_path: Path) -> None:
    audio = write_audio(
        tmp_path / "audio",
        [
            ("en", "danger", text("en", "danger")),
            ("en", "goodbye", "Words that were changed since."),
        ],
        seconds=2.5,
    )
    app = app_for(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_AUDIO_DIR=str(audio), IVR_PLAY_ENGINES="recorded,espeak")
    body = map_page(app, "en")
    danger = re.search(r"<code>danger</code>.*?</td>", body, re.DOTALL).group(0)
    assert re.search(r'<audio controls preload="none" src="/audio/built/espeak/en/danger-[0-9a-f]{16}\.wav">', danger)
    assert "offline (eSpeak NG), 2.5 s" in danger
    goodbye = re.search(r"<code>goodbye</code>.*?</td>", body, re.DOTALL).group(0)
    assert "stale audio" in goodbye and "<audio" not in goodbye
    keys = re.search(r"<code>keys</code>.*?</td>", body, re.DOTALL).group(0)
    assert "no audio built" in keys


def test_audio_callers_do_not_hear_is_marked_as_a_preview(app_for: Callable[..., Flask], tmp_path: Path) -> None:
    audio = write_audio(tmp_path / "audio", [("en", "danger", text("en", "danger"))])
    body = map_page(app_for(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_AUDIO_DIR=str(audio)), "en")  # espeak not played
    danger = re.search(r"<code>danger</code>.*?</td>", body, re.DOTALL).group(0)
    assert "<audio" in danger and "preview only" in danger and "callers do not hear it" in danger


def test_ukrainian_as_shipped_is_mapped_with_the_offline_voice_callers_hear(app_for: Callable[..., Flask]) -> None:
    # No Twilio voice: the committed eSpeak NG files are what a Ukrainian caller hears.
    body = map_page(app_for(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_AUDIO_DIR=str(SHIPPED_AUDIO)), "uk")
    assert "Not offered" not in body
    for prompt in ("danger", "opt_rosa", "msg_trafficking_law", "keys"):
        cell = re.search(rf"<code>{prompt}</code>.*?</td>", body, re.DOTALL).group(0)
        assert re.search(rf'<audio controls preload="none" src="/audio/built/espeak/uk/{prompt}-[0-9a-f]{{16}}\.wav">', cell)
        assert not re.search(r"flag-(missing-audio|stale-audio|preview-only)", cell)


def test_untranslated_prompts_are_flagged(app_for: Callable[..., Flask], tmp_path: Path) -> None:
    prompts = shutil.copytree(DEFAULT_PROMPTS_DIR, tmp_path / "prompts")
    lang = next(c for c in LANGUAGES if c not in ("nb",) and CONTENT.languages[c].say and c != "en")
    source = tomllib.loads((prompts / "nb.toml").read_text(encoding="utf-8"))["prompts"]["goodbye"]
    path = prompts / f"{lang}.toml"
    line = f"goodbye = {json.dumps(source, ensure_ascii=False)}"
    body, n = re.subn(r"(?m)^goodbye = .*$", line, path.read_text(encoding="utf-8"))
    assert n == 1
    path.write_text(body, encoding="utf-8")
    page = map_page(app_for(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_PROMPTS_DIR=str(prompts)), lang)
    goodbye = re.search(r"<code>goodbye</code>.*?</td>", page, re.DOTALL).group(0)
    assert "untranslated: the same words as the Norwegian source" in goodbye
    danger = re.search(r"<code>danger</code>.*?</td>", page, re.DOTALL).group(0)
    assert "untranslated" not in danger


@pytest.mark.skipif(not DRAFTS, reason="no machine-draft language in prompts/")
def test_a_machine_draft_language_is_flagged_for_review(console_app: Flask) -> None:
    body = map_page(console_app, DRAFTS[0])
    assert "machine draft</strong>" in body
    assert "machine draft: to be reviewed by a native speaker" in body


def test_a_service_without_a_number_is_read_out_and_its_offer_explained(app_for: Callable[..., Flask]) -> None:
    without = page_text(map_page(app_for(IVR_CONSOLE_PASSWORD=PASSWORD), "en"))
    assert "said only when the deployment sets IVR_DIAL_ALARMTELEFONEN" in without
    with_number = page_text(map_page(app_for(IVR_CONSOLE_PASSWORD=PASSWORD, IVR_DIAL_ALARMTELEFONEN="+47116111"), "en"))
    assert "said only when the deployment sets IVR_DIAL_ALARMTELEFONEN" not in with_number
    assert "→ Alarmtelefonen 116 111 +47116111" in with_number


def test_the_map_has_a_print_stylesheet_and_room_for_notes(console_app: Flask) -> None:
    body = map_page(console_app, "nb")
    assert re.search(r'<link rel="stylesheet" href="/console/static/print\.css" media="print">', body)
    assert body.count('<td class="notes-col"></td>') >= len(CONTENT.required_prompts())


def test_an_unknown_language_is_a_404_that_lists_the_languages(console_app: Flask) -> None:
    body = map_page(console_app, "xx", expect=404)
    assert "No language “xx” on this line" in html.unescape(body)
    for code in LANGUAGES:
        assert f'href="/console/map?lang={code}"' in body


def test_the_map_without_a_language_lists_them(console_app: Flask) -> None:
    response = console_app.test_client().get("/console/map", headers=AUTH)
    assert response.status_code == 200
    for code in LANGUAGES:
        assert f'href="/console/map?lang={code}"' in response.get_data(as_text=True)


def test_a_language_that_cannot_be_heard_is_mapped_and_says_why(console_app: Flask) -> None:
    line = console_app.extensions["ivr"]
    if not line.unavailable:
        pytest.skip("every language can be heard")
    code, why = next(iter(line.unavailable.items()))
    body = html.unescape(map_page(console_app, code))
    assert f"Not offered on this line: {why}" in body
    assert "no recording" in body or "no audio built" in body


def test_every_page_and_static_file_ships_in_the_wheel() -> None:
    # Files beside the code are left out of a wheel unless pyproject.toml's package-data names them.
    from fnmatch import fnmatch

    root = Path(__file__).parent.parent
    globs = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    console = root / "ivr" / "console"
    files = [f.relative_to(console).as_posix() for f in console.rglob("*") if f.is_file() and f.suffix != ".py"]
    files = [f for f in files if "__pycache__" not in f]
    assert files
    for name in files:
        assert any(fnmatch(name, pattern) for pattern in globs["ivr.console"]), name


def test_the_simulator_and_the_map_show_the_handoff_and_the_whisper(console: Console, console_app: Flask) -> None:
    before = console.press(console.start(), "0")
    assert before["dial"]["whisper_text"] == text("nb", "whisper_no_language")
    main = console.choose(console.start(), "ro")
    rosa = console.press(main, "0")
    assert texts(rosa)[-2:] == [text("ro", "handoff"), text("ro", "handoff_interpreter")]
    assert "rumensk" in rosa["dial"]["whisper_text"] and rosa["dial"]["whisper"].startswith("/voice/ro/")
    page = html.unescape(map_page(console_app, "ro"))
    assert 'id="whisper"' in page and "Innringeren har valgt rumensk." in page
