"""The recording studio in a real browser: Debian's Chromium with its fake microphone.

Chromium reads the microphone from a WAV made here, eSpeak NG reading the script of the prompts
recorded, and grants it without asking (--use-fake-ui-for-media-stream). A recorder (recorder
password) records three prompts, keeps them and sees the progress; a reviewer (console password)
approves them on the call map; the studio and the map then say so.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import make_server

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from ivr import create_app
from ivr.audio.store import Store

from . import studio_fixtures as takes
from .conftest import CONTENT, SETTINGS
from .test_console_browser import ARGS, CHROMIUM, QuietHandler, ThreadingServer, shot

CONSOLE = "console-password-for-tests"
RECORDER = "recorder-password-for-tests"
LANG = "ti"
PROMPTS = ("language_option_1", "language_option_2", "language_option_3")
TAKE_MS = 3200  # each take: the speech (about 2 s) and some silence after it

pytestmark = [pytest.mark.slow, pytest.mark.skipif(  # Chromium: `pytest -m 'not slow'` leaves it out
    not CHROMIUM.exists(),
    reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium); CI installs it",
)]


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio-audio")


@pytest.fixture(scope="module")
def server(audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name in SETTINGS or name.startswith("IVR_DIAL_"):
                env.delenv(name)
        app = create_app(
            {
                "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
                "IVR_CONSOLE_PASSWORD": CONSOLE,
                "IVR_RECORDER_PASSWORD": RECORDER,
                "IVR_AUDIO_DIR": str(audio_dir),
                "IVR_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('counts') / 'counts.sqlite'}",
            }
        )
    httpd = make_server("127.0.0.1", 0, app, server_class=ThreadingServer, handler_class=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="studio-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
    app.extensions["counts"].close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose microphone hears eSpeak NG reading the first prompt's script, then silence."""
    mic = tmp_path_factory.mktemp("mic") / "script.wav"
    lang = CONTENT.languages[LANG]
    mic.write_bytes(takes.wav(takes.silence(0.3) + takes.speech(lang, PROMPTS[0]) + takes.silence(6.0)))
    playwright: Playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                *ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={mic}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


def context_for(browser: Browser, user: str, password: str, **options: object) -> BrowserContext:
    return browser.new_context(http_credentials={"username": user, "password": password}, **options)  # type: ignore[arg-type]


@pytest.fixture
def recorder(browser: Browser, server: str) -> Iterator[Page]:
    context = context_for(browser, "recorder", RECORDER, viewport={"width": 1100, "height": 900})
    context.grant_permissions(["microphone"], origin=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"the page's script failed: {errors}"


def record(page: Page, prompt: str, keyboard: bool = False) -> None:
    """Record, stop, listen and keep one prompt, with the mouse or with the keyboard alone."""
    card = page.locator(f"#p-{prompt}")
    if keyboard:
        card.locator("[data-act='record']").focus()
        page.keyboard.press("Enter")
        expect(card.locator("[data-act='stop']")).to_be_focused()  # focus follows the task
        page.wait_for_timeout(TAKE_MS)
        page.keyboard.press("Enter")
        expect(card.locator("[data-act='listen']")).to_be_focused()
        page.keyboard.press("Enter")
        expect(card.locator("[data-act='keep']")).to_be_focused()
        page.keyboard.press("Enter")
    else:
        card.locator("[data-act='record']").click()
        expect(card.locator("[data-result]")).to_contain_text("Recording")
        page.wait_for_timeout(TAKE_MS)
        card.locator("[data-act='stop']").click()
        expect(card.locator("[data-act='keep']")).to_be_enabled()
        card.locator("[data-act='listen']").click()
        card.locator("[data-act='keep']").click()
    expect(card.locator("[data-result]")).to_contain_text("Kept", timeout=20_000)
    expect(card.locator("[data-status]")).to_have_text("recorded, waiting for review")


def test_a_recorder_records_three_prompts_and_a_reviewer_approves_them(
    recorder: Page, browser: Browser, server: str, audio_dir: Path
) -> None:
    total = len(CONTENT.caller_prompts(LANG))
    recorder.goto(f"{server}/console/record?lang={LANG}")
    expect(recorder.locator("#summary")).to_have_text(f"0 of {total} recorded")
    script = recorder.locator(f"#p-{PROMPTS[0]} .script")
    expect(script).to_have_text(CONTENT.languages[LANG].text(PROMPTS[0]))
    expect(recorder.locator(f"#p-{PROMPTS[0]} .context")).to_contain_text(CONTENT.languages["nb"].text(PROMPTS[0]))
    expect(recorder.locator("nav")).not_to_contain_text("Call map")  # the recorder sees only the studio

    expect(recorder.locator(f"#p-{PROMPTS[0]} .kept-take")).to_be_hidden()
    record(recorder, PROMPTS[0])
    expect(recorder.locator(f"#p-{PROMPTS[0]} .kept-take")).to_be_visible()  # the kept take, to listen to
    expect(recorder.locator("#summary")).to_have_text(f"1 of {total} recorded")
    # Keeping moves on to the next prompt to record.
    expect(recorder.locator(f"#p-{PROMPTS[1]} [data-act='record']")).to_be_focused()
    record(recorder, PROMPTS[1])
    record(recorder, PROMPTS[2], keyboard=True)
    expect(recorder.locator("#summary")).to_have_text(f"3 of {total} recorded")
    expect(recorder.locator("#count-missing")).to_have_text(str(total - 3))
    shot(recorder, "studio-recorder", readme=False)

    entries, _ = Store(audio_dir).load_manifest()
    kept = {e.prompt: e for e in entries if e.lang == LANG}
    assert set(kept) == set(PROMPTS)
    assert all(e.engine == "recorded" and not e.approved for e in kept.values())
    for prompt in PROMPTS:
        assert (audio_dir / "recorded" / LANG / f"{prompt}.webm").is_file()  # the take as the browser made it
        assert 1.0 < kept[prompt].duration < 4.0  # trimmed: the silence after the speech is gone
    # The kept take, processed as callers would hear it, plays in the page.
    kept_src = recorder.locator(f"#p-{PROMPTS[0]} [data-kept]").get_attribute("src") or ""
    assert recorder.request.get(server + kept_src).headers["content-type"] == "audio/wav"

    # The recorder password opens nothing else of the console.
    for url in ("/console/", f"/console/map?lang={LANG}"):
        assert recorder.request.get(server + url).status == 401

    reviewer = context_for(browser, "console", CONSOLE)
    try:
        page = reviewer.new_page()
        page.goto(f"{server}/console/map?lang={LANG}")
        expect(page.locator(".review .flag, .flag-unapproved").first).to_be_visible()
        expect(page.locator("ul.review")).to_contain_text("3 recordings waiting for review")
        for prompt in PROMPTS:
            row = page.locator(f"[data-review-row][data-prompt='{prompt}']").first
            src = row.locator("audio").get_attribute("src") or ""
            assert page.request.get(server + src).ok  # the reviewer listens to exactly this file
        # One approved by its own button, the other two by "approve all", confirmed.
        first = page.locator(f"[data-review-row][data-prompt='{PROMPTS[0]}']").first
        first.locator("[data-verdict='approved']").click()
        expect(first.locator(".review-result")).to_contain_text("Approved")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#review-all")
        expect(page.locator("#review-all-box .review-result")).to_contain_text("2 approved")
        for prompt in PROMPTS[1:]:
            expect(page.locator(f"[data-review-row][data-prompt='{prompt}'] .review-result").first).to_contain_text("Approved")
        page.reload()
        expect(page.locator("ul.review")).not_to_contain_text("waiting for review")
        shot(page, "studio-map-approved", readme=False)
    finally:
        reviewer.close()

    recorder.reload()
    expect(recorder.locator("#count-approved")).to_have_text("3")
    for prompt in PROMPTS:
        expect(recorder.locator(f"#p-{prompt} [data-status]")).to_contain_text("approved")
    entries, _ = Store(audio_dir).load_manifest()
    assert all(e.approved for e in entries if e.lang == LANG)


def test_the_recorder_password_cannot_approve(browser: Browser, server: str) -> None:
    context = context_for(browser, "recorder", RECORDER)
    try:
        page = context.new_page()
        page.goto(f"{server}/console/record?lang={LANG}")
        status = page.evaluate(
            """() => fetch('/console/record/review', {method: 'POST', headers: {'Content-Type': 'application/json'},
                 body: JSON.stringify({lang: 'ti', prompts: ['greeting'], verdict: 'approved'})}).then(r => r.status)"""
        )
        assert status == 401
    finally:
        context.close()


def test_on_a_phone_the_buttons_are_big_and_nothing_overflows(browser: Browser, server: str) -> None:
    phone = context_for(
        browser, "recorder", RECORDER, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        page = phone.new_page()
        page.goto(f"{server}/console/record?lang=fa")  # Dari: right to left, numbers kept in order
        button = page.locator("#p-greeting [data-act='record']")
        box = button.bounding_box()
        assert box and box["width"] >= 120 and box["height"] >= 48  # a thumb's size
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        expect(page.locator("#p-greeting .kept-take")).to_be_hidden()  # nothing kept yet: no player
        labels = page.locator("#p-greeting button").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
        assert all(labels) and len(labels) == 4
        page.locator("#p-danger").scroll_into_view_if_needed()
        shot(page, "studio-phone")
    finally:
        phone.close()


def test_without_a_password_the_studio_is_refused(browser: Browser, server: str) -> None:
    stranger = browser.new_context()
    try:
        page = stranger.new_page()
        try:
            response = page.goto(f"{server}/console/record?lang={LANG}")
        except PlaywrightError as e:
            assert "ERR_INVALID_AUTH_CREDENTIALS" in str(e)
        else:
            assert response is not None and response.status == 401
    finally:
        stranger.close()
