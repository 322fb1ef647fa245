"""Built audio on a call: <Play> with absolute URLs that serve, cached for a year, nothing else reachable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr import create_app
from ivr.catalog import MANIFEST, Catalog
from ivr.cli import main
from ivr.content import load
from ivr.simulator import Simulator

from .audio_fixtures import (  # noqa: F401 - fixtures
    PROMPT_COUNT,
    TEXTS,
    build,
    built_small,
    no_network,
    probe,
    small,
)
from .conftest import BASE, TOKEN, Twilio, walk_call

pytestmark = pytest.mark.slow  # real audio builds: `pytest -m 'not slow'` leaves them out

ROOT = Path(__file__).resolve().parent.parent


def line(prompts: Path, audio: Path, **settings: str) -> Flask:
    return create_app({
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "IVR_PROMPTS_DIR": str(prompts),
        "IVR_AUDIO_DIR": str(audio),
        **settings,
    })  # fmt: skip


def first_file(audio: Path) -> str:
    return json.loads((audio / MANIFEST).read_text())["files"][0]["file"]


@pytest.fixture
def served(built_small: tuple[Path, Path]) -> tuple[Flask, Path]:
    prompts, audio = built_small
    return line(prompts, audio, IVR_PLAY_ENGINES="recorded,gtts,espeak"), audio


def test_a_file_is_served_as_wav_cached_for_a_year_with_an_etag(served: tuple[Flask, Path]) -> None:
    app, audio = served
    name = first_file(audio)
    with app.test_client().get(f"/audio/{name}") as response:  # Twilio signs nothing when it fetches audio
        response.make_sequence()
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"  # one of the types <Play> accepts
    cache = response.cache_control
    assert cache.public and cache.max_age == 31_536_000 and cache.immutable
    assert not cache.no_cache and not cache.private
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert response.data == (audio / name).read_bytes()
    assert int(response.headers["Content-Length"]) == len(response.data)


def test_a_revalidation_is_answered_304_without_the_body(served: tuple[Flask, Path]) -> None:
    app, audio = served
    client = app.test_client()
    name = first_file(audio)
    with client.get(f"/audio/{name}") as first:
        etag = first.headers["ETag"]
    with client.get(f"/audio/{name}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""
    with client.get(f"/audio/{name}", headers={"If-None-Match": '"other"'}) as other:
        assert other.status_code == 200


def test_head_answers_the_headers_only(served: tuple[Flask, Path]) -> None:
    app, audio = served
    with app.test_client().head(f"/audio/{first_file(audio)}") as response:
        assert response.status_code == 200 and response.mimetype == "audio/wav" and response.data == b""


@pytest.mark.parametrize(
    "path",
    [
        "/audio/manifest.json",
        "/audio/../manifest.json",
        "/audio/%2e%2e/pyproject.toml",
        "/audio/built/espeak/nb/..%2f..%2f..%2fmanifest.json",
        "/audio/built/../../../../etc/passwd",
        "/audio//etc/passwd",
        "/audio/%2Fetc%2Fpasswd",
        "/audio/built/espeak/nb/unlisted.wav",
        "/audio/recorded/nb/greeting.wav",
        "/audio/.tmp/x.part",
        "/audio/",
    ],
)
def test_nothing_but_listed_files_can_be_reached(served: tuple[Flask, Path], path: str) -> None:
    app, audio = served
    (audio / "built" / "espeak" / "nb" / "unlisted.wav").write_bytes(b"RIFF")
    (audio / "recorded" / "nb").mkdir(parents=True, exist_ok=True)
    (audio / "recorded" / "nb" / "greeting.wav").write_bytes(b"RIFF")
    # A path with // or .. may first be redirected to its clean form; it still ends in a 404.
    with app.test_client().get(path, follow_redirects=True) as response:
        assert response.status_code == 404, response.data[:100]


def test_even_a_manifest_that_names_a_path_outside_the_folder_serves_nothing_outside(tmp_path: Path) -> None:
    from .audio_fixtures import small_prompts

    prompts = small_prompts(tmp_path / "prompts")
    audio = tmp_path / "audio"
    audio.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    entry = {"lang": "nb", "prompt": "greeting", "text_hash": "x", "engine": "espeak", "file": "../secret.txt"}
    (audio / MANIFEST).write_text(json.dumps({"files": [entry]}))
    client = line(prompts, audio).test_client()
    for path in ("/audio/../secret.txt", "/audio/%2e%2e/secret.txt", "/audio/..%2fsecret.txt"):
        with client.get(path, follow_redirects=True) as response:
            assert response.status_code == 404 and b"secret" not in response.data


def test_a_call_plays_every_prompt_from_absolute_urls_that_serve(served: tuple[Flask, Path]) -> None:
    app, audio = served
    sim = Simulator(app)
    client = app.test_client()
    start = sim.start()
    nb_main = sim.press(start, "1")
    message = sim.press(nb_main, "1")
    heard = [*start.spoken, *nb_main.spoken, *message.spoken]
    assert heard and all(s.audio for s in heard), [s for s in heard if not s.audio]
    assert "<Say" not in start.xml + nb_main.xml + message.xml
    assert [s.text for s in start.spoken[:2]] == [TEXTS["nb"]["greeting"], TEXTS["en"]["greeting"]]
    assert {s.engine for s in heard} == {"espeak"}
    for said in heard:
        url = urlsplit(said.audio)
        assert f"{url.scheme}://{url.netloc}" == BASE and url.path.startswith("/audio/built/espeak/")
        with client.get(url.path) as response:
            assert response.status_code == 200 and response.mimetype == "audio/wav"
            assert response.data[:4] == b"RIFF" and response.data[20:22] == b"\x07\x00"  # μ-law
    played = audio / urlsplit(heard[0].audio).path.removeprefix("/audio/")
    assert "8000 Hz, mono" in probe(played)


def test_by_default_the_offline_voice_is_not_played_to_callers(built_small: tuple[Path, Path]) -> None:
    prompts, audio = built_small
    start = Simulator(line(prompts, audio)).start()  # IVR_PLAY_ENGINES defaults to recorded,gtts
    assert start.spoken and not any(s.audio for s in start.spoken)
    assert "<Play" not in start.xml


def test_audio_base_url_moves_the_files_to_a_cdn(built_small: tuple[Path, Path]) -> None:
    prompts, audio = built_small
    app = line(prompts, audio, IVR_PLAY_ENGINES="espeak,recorded", AUDIO_BASE_URL="https://cdn.example.net/line-audio/")
    start = Simulator(app).start()
    assert all(s.audio and s.audio.startswith("https://cdn.example.net/line-audio/built/espeak/") for s in start.spoken)


def test_a_fresh_clone_without_audio_speaks_every_prompt(tmp_path: Path) -> None:
    from .audio_fixtures import small_prompts

    app = line(small_prompts(tmp_path / "prompts"), tmp_path / "no-audio", IVR_PLAY_ENGINES="recorded,gtts,espeak")
    start = Simulator(app).start()
    assert start.spoken and all(s.voice and not s.audio for s in start.spoken)


def test_the_web_path_never_imports_pydub_or_gtts(built_small: tuple[Path, Path]) -> None:
    prompts, audio = built_small
    code = (
        "import json, sys; from ivr import create_app; from ivr.simulator import Simulator; "
        f"app = create_app({{'TWILIO_AUTH_TOKEN': 't', 'IVR_PROMPTS_DIR': {str(prompts)!r}, "
        f"'IVR_AUDIO_DIR': {str(audio)!r}, 'IVR_PLAY_ENGINES': 'recorded,gtts,espeak'}}); "
        "turn = Simulator(app).start(); assert any(s.audio for s in turn.spoken); "
        "heavy = lambda: sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydub', 'gtts', 'imageio_ffmpeg', 'espeakng_loader')); "
        "web = heavy() + sorted(m for m in sys.modules if m.startswith('ivr.audio')); "
        "import ivr.cli; "  # the `ivr` command registers `ivr audio` without loading the pipeline
        "print(json.dumps([web, heavy()]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout) == [[], []]


@pytest.fixture(scope="module")
def real_nb_en(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Norwegian and English content, built offline once."""
    audio = tmp_path_factory.mktemp("real") / "audio"
    content = load()
    from ivr.audio.build import Builder
    from ivr.audio.sources import Espeak, Recorded
    from ivr.audio.store import Store

    report = Builder(content, Store(audio), [Recorded(audio / "recorded"), Espeak()], jobs=2).build(["nb", "en"])
    assert report.ok, report.failures
    return audio


def test_every_prompt_of_norwegian_and_english_plays_as_8khz_audio(real_nb_en: Path) -> None:
    app = create_app({
        "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE, "IVR_AUDIO_DIR": str(real_nb_en),
        "IVR_LANGUAGES": "nb,en", "IVR_PLAY_ENGINES": "recorded,gtts,espeak",
    })  # fmt: skip
    ivr = app.extensions["ivr"]
    for code in ("nb", "en"):
        lang = ivr.content.languages[code]
        heard = {p: lang.text(p) for p in ivr.content.caller_prompts(code)}
        assert ivr.catalog.covers(code, heard, ["espeak"])
    twilio = Twilio(app)
    client = app.test_client()
    fetched = set()
    for lang in ("nb", "en"):
        for _, root in walk_call(twilio, lang):
            assert root.find(".//Say") is None
            for play in root.iter("Play"):
                path = urlsplit(play.text or "").path
                if path not in fetched:
                    fetched.add(path)
                    with client.get(path) as response:
                        assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert len(fetched) > 40


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")
def test_chromium_plays_the_mulaw_files_for_the_browser_console(built_small: tuple[Path, Path]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    import base64

    _, audio = built_small
    wav = (audio / first_file(audio)).read_bytes()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        try:
            page = browser.new_page()
            page.set_content("<audio id=a></audio>")
            heard = page.evaluate(
                """async (b64) => {
                  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                  const buffer = await new OfflineAudioContext(1, 8000, 8000).decodeAudioData(bytes.buffer);
                  const a = document.getElementById('a');
                  a.src = 'data:audio/wav;base64,' + b64;
                  const loaded = await new Promise(done => {
                    a.onloadedmetadata = () => done(a.duration);
                    a.onerror = () => done('error ' + (a.error && a.error.code));
                  });
                  await a.play();
                  return {rate: buffer.sampleRate, decoded: buffer.duration, element: loaded};
                }""",
                base64.b64encode(wav).decode(),
            )
        finally:
            browser.close()
    duration = (len(wav) - 58) / 8000
    assert heard["rate"] == 8000
    assert heard["decoded"] == pytest.approx(duration, abs=0.01)
    assert heard["element"] == pytest.approx(duration, abs=0.01)


OFFLINE_VOICE = sorted(c for c, lang in load().languages.items() if lang.offline_voice)


def test_languages_without_a_twilio_voice_ship_the_offline_voice_for_every_prompt(runner: CliRunner) -> None:
    # Ukrainian and Albanian have no <Say> voice: the committed eSpeak NG files are how their
    # callers hear them. After changing their texts: ivr audio build --lang uk --lang sq
    assert {"uk", "sq"} <= set(OFFLINE_VOICE)
    catalog = Catalog.load(ROOT / "audio")
    content = load()
    for code in OFFLINE_VOICE:
        lang = content.languages[code]
        missing = [p for p, words in lang.prompts.items() if not catalog.find(code, p, words, ("espeak",))]
        assert not missing, f"{code}: no current audio for {missing}: run `ivr audio build --lang {code}`"
    # Measured as files on disk: telephone format, loudness, length, no clipping, nothing stale.
    args = ["audio", "check", *(a for code in OFFLINE_VOICE for a in ("--lang", code))]
    result = runner.invoke(main, args, env={"IVR_AUDIO_DIR": str(ROOT / "audio")})
    assert result.exit_code == 0, result.output
    assert f"ok: {', '.join(sorted(OFFLINE_VOICE, key=content.order.index))}" in result.output
