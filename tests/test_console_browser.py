"""The console in a real browser: Debian's Chromium driven by Playwright, against a real server.

The server runs in a thread on 127.0.0.1 with a free port; English audio is built offline
into a temporary folder first, so the page plays real files. Screenshots are saved to
tests/artifacts/ (ignored by git); with IVR_UPDATE_SCREENSHOTS=1 the README's copies in
tests/screenshots/ are replaced too.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from ivr import create_app
from ivr.cli import main

from .conftest import CONTENT, SETTINGS, text
from .test_console import PASSWORD, SEED_AS_WRITTEN

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).parent
ARTIFACTS = HERE / "artifacts"
SCREENSHOTS = HERE / "screenshots"
ROSA = "→ ROSA +47 22 33 11 60"
AUDIO_SRC = re.compile(r"^/audio/built/.+\.wav$")

pytestmark = [
    pytest.mark.slow,  # Chromium: `pytest -m 'not slow'` leaves it out
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium); CI installs it",
    ),
]


def shot(page: Page, name: str, readme: bool = True) -> None:
    """Save a screenshot as a test artifact, and as the README's copy when asked to (IVR_UPDATE_SCREENSHOTS=1)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if readme and os.environ.get("IVR_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def build_english_audio(folder: Path) -> None:
    """English audio made offline by the audio pipeline (eSpeak NG), into `folder`."""
    result = CliRunner().invoke(
        main, ["audio", "build", "--lang", "en", "--engine", "espeak"], env={"IVR_AUDIO_DIR": str(folder)}
    )
    assert result.exit_code == 0, result.output


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, a thread per request (the page fetches audio meanwhile).

    Not Werkzeug's development server: when the browser drops an audio request half-way (a new
    turn replaces the <audio> elements), that one can skip closing the file it was sending.
    """

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Log nothing: the test output stays readable."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The line with the console on, served on 127.0.0.1 at a free port: its base URL."""
    audio = tmp_path_factory.mktemp("console-audio")
    with pytest.MonkeyPatch.context() as env:
        # Only these settings, never the developer's (conftest's cleaning is per test).
        for name in list(os.environ):
            if name in SETTINGS or name.startswith("IVR_DIAL_"):
                env.delenv(name)
        build_english_audio(audio)
        app = create_app(
            {
                "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
                "IVR_CONSOLE_PASSWORD": PASSWORD,
                "IVR_AUDIO_DIR": str(audio),
                "IVR_PLAY_ENGINES": "recorded,gtts,espeak",  # so the offline voice's files are played
                "IVR_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('counts') / 'counts.sqlite'}",
            }
        )
    httpd = make_server("127.0.0.1", 0, app, server_class=ThreadingServer, handler_class=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="console-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    playwright: Playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        http_credentials={"username": "console", "password": PASSWORD},
        viewport={"width": 1280, "height": 900},
    )
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"the page's script failed: {errors}"


def call(page: Page, server: str, country: str) -> None:
    page.goto(server + "/console/")
    page.select_option("#country", country)
    page.click("#call")
    expect(page.locator("#place")).to_have_text("The language menu")


def language_key(page: Page, lang: str) -> str:
    """The key the language menu offers for `lang`, read from the page's table of open keys."""
    row = page.locator("#keys tbody tr", has_text=f"{CONTENT.languages[lang].name}: main menu").first
    return row.locator(".keycap").inner_text()


def topic_key(node: str) -> str:
    return next(o.key for o in CONTENT.menu.nodes[CONTENT.menu.root].options if o.to == node)


def test_norwegian_caller_presses_0_and_is_put_through_to_rosa(page: Page, server: str) -> None:
    call(page, server, "NO")
    page.click(f"#keypad [data-key='{language_key(page, 'nb')}']")  # the mouse
    expect(page.locator("#place")).to_have_text("Norsk: main menu")
    expect(page.locator("#spoken li").first).to_contain_text(text("nb", "danger"))
    expect(page.locator("#standin-note")).to_be_visible()  # no Norwegian audio here: the browser's voice
    page.keyboard.press("0")  # the keyboard
    expect(page.locator("#transfer")).to_be_visible()
    expect(page.locator("#transfer-label")).to_have_text(ROSA)
    expect(page.locator("#keypad [data-key='1']")).to_be_disabled()
    shot(page, "console-transfer")
    page.click("[data-ending='no-answer']")
    expect(page.locator("#spoken li").first).to_contain_text(text("nb", "rosa_unanswered"))
    expect(page.locator("#keys tbody")).to_contain_text(ROSA)
    page.click("#call")  # call again: back to the start
    expect(page.locator("#place")).to_have_text("The language menu")


def test_english_topic_shows_its_words_and_plays_its_built_audio(page: Page, server: str) -> None:
    call(page, server, "GB")
    page.click(f"#keypad [data-key='{language_key(page, 'en')}']")
    expect(page.locator("#place")).to_have_text("English: main menu")
    page.click(f"#keypad [data-key='{topic_key('danger')}']")
    expect(page.locator("#place")).to_have_text("English: danger (message)")
    item = page.locator("#spoken li").first
    expect(item).to_contain_text(text("en", "msg_danger"))
    expect(item).to_contain_text("Built audio")
    audio = item.locator("audio")
    src = audio.get_attribute("src") or ""
    assert src.startswith("/audio/built/") and src.endswith(".wav")
    fetched = page.request.get(server + src)
    assert fetched.ok and fetched.headers["content-type"] == "audio/wav"
    duration = audio.evaluate(
        """el => new Promise(done => {
             if (el.readyState >= 1) return done(el.duration);
             el.addEventListener('loadedmetadata', () => done(el.duration));
             el.addEventListener('error', () => done(-1));
             el.load();
           })"""
    )
    assert duration > 1, "Chromium could not decode the built audio"
    expect(page.locator("#keys tbody")).to_contain_text(ROSA)
    shot(page, "console-simulator")


def test_silence_is_a_button_and_a_wrong_key_is_named(page: Page, server: str) -> None:
    call(page, server, "NO")
    page.click("#wait")  # silence turns the language menu's page
    expect(page.locator("#trail")).to_contain_text("silence")
    expect(page.locator("#spoken")).not_to_contain_text(text("nb", "greeting"))
    page.keyboard.press("*")  # back to the first page
    expect(page.locator("#spoken li").first).to_contain_text(text("nb", "greeting"))
    page.click(f"#keypad [data-key='{language_key(page, 'en')}']")
    expect(page.locator("#place")).to_have_text("English: main menu")
    page.keyboard.press("9")
    expect(page.locator("#spoken li").first).to_contain_text(text("en", "invalid"))


def test_on_a_phone_screen_keys_are_tapped_and_nothing_overflows(browser: Browser, server: str) -> None:
    phone = browser.new_context(
        http_credentials={"username": "console", "password": PASSWORD},
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
    )
    try:
        page = phone.new_page()
        page.goto(server + "/console/")
        page.select_option("#country", "NO")
        page.tap("#call")
        expect(page.locator("#place")).to_have_text("The language menu")
        key = page.locator("#keypad [data-key='1']")
        box = key.bounding_box()
        assert box and box["width"] >= 60 and box["height"] >= 56  # big enough for a thumb
        key.tap()
        expect(page.locator("#place")).to_have_text("Norsk: main menu")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "console-phone")
    finally:
        phone.close()


def test_the_map_shows_every_seed_number(page: Page, server: str) -> None:
    for lang in ("nb", "en"):
        page.goto(f"{server}/console/map?lang={lang}")
        expect(page.locator("h1")).to_contain_text(CONTENT.languages[lang].name)
        numbers = set(page.locator(".numbers-said td.number").all_inner_texts())
        assert numbers >= SEED_AS_WRITTEN
        words = page.locator("main").inner_text()
        for number in SEED_AS_WRITTEN:
            assert number in words
        assert ROSA in words
    expect(page.locator("#node-danger audio").first).to_have_attribute("src", AUDIO_SRC)
    shot(page, "console-map")
    page.emulate_media(media="print")
    expect(page.locator(".toolbar")).to_be_hidden()
    shot(page, "console-map-print", readme=False)


def test_the_map_of_an_unknown_language_lists_the_languages(page: Page, server: str) -> None:
    response = page.goto(f"{server}/console/map?lang=xx")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_contain_text("No language “xx” on this line")
    page.click("a[href='/console/map?lang=en']")
    expect(page.locator("h1")).to_contain_text("English")


def test_the_console_refuses_a_browser_without_the_password(browser: Browser, server: str) -> None:
    stranger = browser.new_context()
    try:
        for url in ("/console/", "/console/map?lang=nb"):
            page = stranger.new_page()
            # Chromium ends a refused navigation as a 401 page or as ERR_INVALID_AUTH_CREDENTIALS,
            # depending on the version; either way nothing of the console is shown.
            try:
                response = page.goto(server + url)
            except PlaywrightError as e:
                assert "ERR_INVALID_AUTH_CREDENTIALS" in str(e)
            else:
                assert response is not None and response.status == 401
                assert "Call the line" not in page.content()
            page.close()
        # The exact answers, asked by the browser itself from a page of the same origin.
        page = stranger.new_page()
        page.goto(server + "/")
        for url in ("/console/", "/console/map?lang=nb", "/console/static/console.js"):
            status, challenge = page.evaluate(
                "url => fetch(url, {credentials: 'omit'}).then(r => [r.status, r.headers.get('www-authenticate')])", url
            )
            assert status == 401 and challenge.startswith("Basic ")
        status = page.evaluate(
            """url => fetch(url, {method: 'POST', credentials: 'omit', headers: {'Content-Type': 'application/json'},
                                  body: JSON.stringify({country: 'NO'})}).then(r => r.status)""",
            "/console/api/start",
        )
        assert status == 401
    finally:
        stranger.close()


def test_the_console_refuses_a_wrong_password(browser: Browser, server: str) -> None:
    # Chromium gives up on a page whose credentials are refused (ERR_INVALID_AUTH_CREDENTIALS),
    # so the answers are read through the same browser context's requests.
    wrong = browser.new_context(http_credentials={"username": "console", "password": "wrong"})
    try:
        for url in ("/console/", "/console/map?lang=nb", "/console/static/console.js"):
            assert wrong.request.get(server + url).status == 401
        assert wrong.request.post(server + "/console/api/start", data={"country": "NO"}).status == 401
    finally:
        wrong.close()
