"""The recording studio: takes in through the checks, review by a second person, and only then calls.

Uploads go through the real route (basic auth, Content-Length, the audio pipeline); commands
through Click's CliRunner; calls as signed Twilio webhooks. Takes are eSpeak NG reading the script.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr import create_app
from ivr.audio.store import Store
from ivr.audio.wavfile import read_wav
from ivr.catalog import Catalog
from ivr.cli import main
from ivr.console.access import RECORDER_ENDPOINTS
from ivr.content import DEFAULT_PROMPTS_DIR, load, text_hash
from ivr.errors import ConfigError
from ivr.studio import intake, manifest
from ivr.studio.checks import UPLOAD_LIMIT
from ivr.studio.script import LRI, PDI, sheet
from ivr.studio.takes import progress

from . import studio_fixtures as takes
from .audio_fixtures import set_text
from .conftest import BASE, CONTENT, TOKEN, Twilio
from .test_console import basic

pytestmark = pytest.mark.slow  # real audio processing (ffmpeg) of every take: `pytest -m 'not slow'` leaves it out

CONSOLE = basic("console", "console-password-for-tests")
RECORDER = basic("recorder", "recorder-password-for-tests")
TI = CONTENT.languages["ti"]
PROMPT = "danger"
REQUIRED = CONTENT.caller_prompts("ti")


def studio_app(audio: Path, **overrides: str) -> Flask:
    return create_app({
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "IVR_AUDIO_DIR": str(audio),
        "IVR_CONSOLE_PASSWORD": "console-password-for-tests",
        "IVR_RECORDER_PASSWORD": "recorder-password-for-tests",
        **overrides,
    })  # fmt: skip


def upload(app: Flask, data: bytes, prompt: str = PROMPT, headers: dict[str, str] | None = None, lang: str = "ti", **extra):
    words = text_hash(app.extensions["ivr"].content.languages[lang].text(prompt))
    return app.test_client().post(
        f"/console/record/take?lang={lang}&prompt={prompt}&for={words}",
        data=data,
        headers={**(RECORDER if headers is None else headers), "Content-Type": "audio/wav", **extra},
    )


def snapshot(audio: Path) -> dict[str, bytes]:
    """Every file of the audio folder but scratch space and the lock."""
    return {
        p.relative_to(audio).as_posix(): p.read_bytes()
        for p in sorted(audio.rglob("*"))
        if p.is_file() and ".tmp" not in p.parts and p.name != ".studio.lock"
    }


def cli(*args: str, audio: Path, prompts: Path | None = None):
    env = {"IVR_AUDIO_DIR": str(audio), "IVR_ALLOW_UNSIGNED": "1"}
    if prompts:
        env["IVR_PROMPTS_DIR"] = str(prompts)
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def ti_takes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder from a studio session: every Tigrinya prompt read by eSpeak NG, named by prompt id."""
    folder = tmp_path_factory.mktemp("ti-takes")
    for prompt in REQUIRED:
        (folder / f"{prompt}.wav").write_bytes(takes.take(TI, prompt))
    return folder


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """A line with one Tigrinya take kept (not yet approved)."""
    audio = tmp_path / "audio"
    app = studio_app(audio)
    response = upload(app, takes.take(TI, PROMPT))
    assert response.status_code == 200, response.get_json()
    yield app, audio


# The whole way: every prompt, approved, offered ---------------------------------------------


def test_every_tigrinya_prompt_imported_and_approved_is_offered_with_play_of_the_approved_files(
    tmp_path: Path, ti_takes: Path
) -> None:
    audio = tmp_path / "audio"
    result = cli("audio", "import-takes", str(ti_takes), "--lang", "ti", audio=audio)
    assert result.exit_code == 0, result.output
    assert f"{len(REQUIRED)} kept, 0 refused" in result.output

    # Recorded, not approved: the line does not offer Tigrinya, and says why.
    running = studio_app(audio)
    assert "ti" not in running.extensions["ivr"].offered
    check = cli("check", audio=audio)
    assert f"{len(REQUIRED)} recorded, not approved yet" in check.output
    audit = cli("audio", "check", "--lang", "ti", audio=audio)
    assert "unapproved:" in audit.output and audit.exit_code == 1

    approve = cli("audio", "approve", "--lang", "ti", "--all", audio=audio)
    assert approve.exit_code == 0, approve.output
    assert f"{len(REQUIRED)} of {len(REQUIRED)} recorded ({len(REQUIRED)} approved)" in approve.output

    # The line that was running before the approval follows the manifest, without a restart.
    follower = running.extensions["ivr.follower"]
    follower.due = 0.0
    assert Twilio(running).twiml("/voice").find("Gather") is not None  # this request only notices the change …
    follower.join()  # … the reload runs beside it, and the next request has it
    for app in (running, studio_app(audio)):
        twilio = Twilio(app)
        twilio.call["FromCountry"] = "ER"  # an Eritrean caller: Tigrinya first
        menu = twilio.twiml("/voice")
        files = {f.file: f for f in Catalog.load(audio).files()}
        played = [urlsplit(p.text or "").path.removeprefix("/audio/") for p in menu.iter("Play")]
        ours = [files[f] for f in played if f in files and files[f].lang == "ti"]
        assert any(f.prompt.startswith("language_option_") for f in ours)  # Tigrinya is offered, in Tigrinya
        key = next(o for o in ours if o.prompt.startswith("language_option_")).prompt.rsplit("_", 1)[1]
        main_menu = twilio.twiml(menu.find("Gather").get("action"), Digits=key)
        verbs = [v for v in main_menu.iter() if v.tag in ("Play", "Say")]
        assert verbs and all(v.tag == "Play" for v in verbs)  # every word a person's approved recording
        for verb in verbs:
            entry = files[urlsplit(verb.text or "").path.removeprefix("/audio/")]
            assert entry.lang == "ti" and entry.engine == "recorded" and entry.approved
            assert entry.text_hash == text_hash(TI.text(entry.prompt))
        fetched = app.test_client().get(urlsplit(verbs[0].text or "").path)
        assert fetched.status_code == 200 and fetched.mimetype == "audio/wav"
        fetched.close()

    # A later build changes nothing, and a forced one keeps the approvals.
    assert "built 0, kept" in cli("audio", "build", "--lang", "ti", "--engine", "recorded", audio=audio).output
    forced = cli("audio", "build", "--lang", "ti", "--engine", "recorded", "--force", audio=audio)
    assert forced.exit_code == 0, forced.output
    assert all(e.approved for e in Catalog.load(audio).files() if e.lang == "ti")
    assert "ti" in studio_app(audio).extensions["ivr"].offered


# A kept take ---------------------------------------------------------------------------------


def test_a_kept_take_is_processed_and_stored_with_its_text_hash_and_week_and_nobody_s_name(
    kept: tuple[Flask, Path],
) -> None:
    app, audio = kept
    folder = audio / "recorded" / "ti"
    assert sorted(p.name for p in folder.iterdir()) == [f"{PROMPT}.json", f"{PROMPT}.txt", f"{PROMPT}.wav"]
    record = json.loads((folder / f"{PROMPT}.json").read_text(encoding="utf-8"))
    # No name, no address, nothing finer than a week.
    assert set(record) == {"text_hash", "source", "recorded", "review", "reviewed", "playing_source", "playing_text_hash"}
    assert record["text_hash"] == text_hash(TI.text(PROMPT)) and record["review"] == "recorded"
    assert record["recorded"].startswith("20") and "-W" in record["recorded"]
    (entry,) = [e for e in Store(audio).load_manifest()[0] if e.lang == "ti"]
    assert (entry.engine, entry.approved, entry.recorded) == ("recorded", False, record["recorded"])
    stored = read_wav((audio / entry.file).read_bytes())
    assert (stored.rate, stored.channels, stored.encoding) == (8000, 1, "mu-law")
    assert abs(entry.loudness - -20.0) < 1.0  # the pipeline's loudness
    # Not heard on calls, not served to Twilio; the studio plays it back to recorder and reviewer.
    ivr = app.extensions["ivr"]
    assert ivr.catalog.find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) is None
    assert app.test_client().get(f"/audio/{entry.file}").status_code == 404
    played = app.test_client().get(f"/console/record/take/ti/{PROMPT}.wav", headers=RECORDER)
    assert played.status_code == 200 and played.data == (audio / entry.file).read_bytes()
    played.close()
    page = app.test_client().get("/console/record?lang=ti", headers=RECORDER).get_data(as_text=True)
    assert f"1 of {len(REQUIRED)} recorded" in page and "recorded, waiting for review" in page
    # The build sees the same file under the same name: nothing to do.
    build = cli("audio", "build", "--lang", "ti", "--engine", "recorded", audio=audio)
    assert "built 0, kept 1" in build.output


def test_the_reviewer_approves_on_the_map_and_the_recorder_password_cannot(kept: tuple[Flask, Path]) -> None:
    app, audio = kept
    client = app.test_client()
    page = client.get("/console/map?lang=ti", headers=CONSOLE).get_data(as_text=True)
    assert "1 recordings waiting for review" in page and f'data-prompt="{PROMPT}"' in page
    body = {"lang": "ti", "prompts": [PROMPT], "verdict": "approved"}
    before = snapshot(audio)
    assert client.post("/console/record/review", json=body, headers=RECORDER).status_code == 401
    assert client.post("/console/record/review", json=body).status_code == 401
    assert snapshot(audio) == before
    answer = client.post("/console/record/review", json=body, headers=CONSOLE)
    assert answer.status_code == 200 and answer.get_json()["changed"] == [PROMPT]
    (entry,) = [e for e in Store(audio).load_manifest()[0] if e.lang == "ti"]
    assert entry.approved
    assert app.extensions["ivr"].catalog.find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) == entry
    record = json.loads((audio / "recorded" / "ti" / f"{PROMPT}.json").read_text(encoding="utf-8"))
    assert record["review"] == "approved" and record["reviewed"].startswith("20")
    page = client.get("/console/map?lang=ti", headers=CONSOLE).get_data(as_text=True)
    assert "waiting for review" not in page
    # A reject takes it off calls again, and the studio shows it to be recorded again.
    client.post("/console/record/review", json={**body, "verdict": "rejected"}, headers=CONSOLE)
    assert app.extensions["ivr"].catalog.find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) is None
    assert "rejected: record it again" in client.get("/console/record?lang=ti", headers=RECORDER).get_data(as_text=True)


# Refusals: each leaves the previous take exactly as it was -------------------------------------


def _too_long() -> bytes:
    voice = takes.speech(TI, PROMPT)
    return takes.wav(voice * 4)


REFUSALS: dict[str, tuple[Callable[[], bytes], str]] = {
    "silence": (lambda: takes.wav(takes.silence(4)), "no voice was heard"),
    "too quiet": (lambda: takes.take(TI, PROMPT, db=-30), "too quiet"),
    "clipped": (lambda: takes.take(TI, PROMPT, db=18), "clipped"),
    "mostly silence": (lambda: takes.wav(takes.speech(TI, PROMPT) + takes.silence(45)), "mostly silence"),
    "too short": (lambda: takes.wav(takes.speech(TI, PROMPT)[: 22050 * 2 * 2]), "much shorter than the text"),
    "too long": (_too_long, "much longer than the text"),
    "not audio": (lambda: b"%PDF-1.4\n" + b"0" * 4000, "not audio"),
    "broken audio": (lambda: b"RIFF\x00\x10\x00\x00WAVEfmt " + b"\x07" * 4000, "not audio"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_take_says_why_and_leaves_the_previous_take_untouched(kept: tuple[Flask, Path], case: str) -> None:
    app, audio = kept
    make, message = REFUSALS[case]
    before = snapshot(audio)
    data = make()
    response = upload(app, data, **{"Content-Length": str(len(data))})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert message in response.get_json()["error"]
    assert snapshot(audio) == before
    assert not list((audio / ".tmp").glob("*"))  # no scratch left behind


def test_an_oversized_take_is_refused_from_its_length_before_a_byte_is_read(kept: tuple[Flask, Path]) -> None:
    app, audio = kept
    before = snapshot(audio)

    class Unread(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise AssertionError("the body was read")

        readline = readinto = read  # type: ignore[assignment]

    words = text_hash(TI.text(PROMPT))
    response = app.test_client().post(
        f"/console/record/take?lang=ti&prompt={PROMPT}&for={words}",
        input_stream=Unread(),
        headers={**RECORDER, "Content-Type": "audio/webm"},
        environ_overrides={"CONTENT_LENGTH": str(UPLOAD_LIMIT + 1)},  # as the browser declares it
    )
    assert response.status_code == 413 and "too big" in response.get_json()["error"]
    assert snapshot(audio) == before


def test_a_take_without_its_length_a_form_post_or_another_site_is_refused(kept: tuple[Flask, Path]) -> None:
    app, audio = kept
    before = snapshot(audio)
    words = text_hash(TI.text(PROMPT))
    url = f"/console/record/take?lang=ti&prompt={PROMPT}&for={words}"
    client = app.test_client()
    chunked = client.post(
        url,
        input_stream=io.BytesIO(takes.take(TI, PROMPT)),
        headers={**RECORDER, "Content-Type": "audio/wav", "Transfer-Encoding": "chunked"},
    )
    assert chunked.status_code == 411
    form = client.post(url, data=takes.take(TI, PROMPT), headers={**RECORDER, "Content-Type": "text/plain"})
    assert form.status_code == 415
    cross = upload(app, takes.take(TI, PROMPT), **{"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    changed = client.post(url.replace(words, "0" * 64), data=takes.take(TI, PROMPT), headers={**RECORDER, "Content-Type": "audio/wav"})
    assert changed.status_code == 422 and "changed after this page was opened" in changed.get_json()["error"]
    assert snapshot(audio) == before


def test_no_password_or_a_wrong_one_is_refused_and_changes_nothing(kept: tuple[Flask, Path]) -> None:
    app, audio = kept
    before = snapshot(audio)
    for headers in ({}, basic("recorder", "wrong"), basic("console", "recorder-password-for-tests")):
        assert upload(app, takes.take(TI, PROMPT), headers=headers).status_code == 401
        for url in ("/console/record?lang=ti", f"/console/record/take/ti/{PROMPT}.wav", "/console/record/static/record.js"):
            response = app.test_client().get(url, headers=headers)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic ")
            response.close()
    assert snapshot(audio) == before


def _sample_url(rule) -> str:
    values = {"filename": "console.js", "code": "ti", "prompt": PROMPT}
    return rule.build({a: values.get(a, "x") for a in rule.arguments}, append_unknown=False)[1]


def test_the_recorder_password_opens_nothing_else_of_the_console(kept: tuple[Flask, Path]) -> None:
    app, audio = kept
    before = snapshot(audio)
    client = app.test_client()
    others = [r for r in app.url_map.iter_rules() if r.rule.startswith("/console") and r.endpoint not in RECORDER_ENDPOINTS]
    assert {"console.simulator", "console.call_map", "console.static", "console.api.start", "console.record.review"} <= {
        r.endpoint for r in others
    }
    for rule in others:
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers=RECORDER, json={"lang": "ti", "prompts": [PROMPT], "verdict": "approved", "country": "NO"})
            assert response.status_code == 401, (method, url)
    assert snapshot(audio) == before
    for rule in app.url_map.iter_rules():  # and what it opens, it opens
        if rule.endpoint in RECORDER_ENDPOINTS and "GET" in rule.methods:
            url = _sample_url(rule) if rule.endpoint != "console.record.static" else "/console/record/static/record.js"
            response = client.get(url, headers=RECORDER)
            assert response.status_code == 200, url
            response.close()


def test_the_recorder_password_alone_opens_the_studio_while_the_console_is_off(tmp_path: Path) -> None:
    app = create_app({
        "TWILIO_AUTH_TOKEN": TOKEN, "IVR_AUDIO_DIR": str(tmp_path / "audio"),
        "IVR_RECORDER_PASSWORD": "recorder-password-for-tests",
    })  # fmt: skip
    client = app.test_client()
    assert client.get("/console/", headers=RECORDER).status_code == 404  # the console itself is off
    assert client.get("/console/record?lang=ti").status_code == 401
    assert client.get("/console/record?lang=ti", headers=RECORDER).status_code == 200


def test_the_recorder_password_must_differ_from_the_console_s(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="IVR_RECORDER_PASSWORD is the same"):
        create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_CONSOLE_PASSWORD": "same-same", "IVR_RECORDER_PASSWORD": "same-same"})


# A retake, a full disk ----------------------------------------------------------------------------


def _flac(wav_bytes: bytes, folder: Path) -> bytes:
    from ivr.audio.ffmpeg import ffmpeg_exe

    src, out = folder / "in.wav", folder / "out.flac"
    src.write_bytes(wav_bytes)
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(src), str(out)], check=True)
    return out.read_bytes()


def test_a_retake_replaces_the_old_take_only_once_the_new_one_is_stored_and_approved(
    kept: tuple[Flask, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, audio = kept
    approve = {"lang": "ti", "prompts": [PROMPT], "verdict": "approved"}
    app.test_client().post("/console/record/review", json=approve, headers=CONSOLE)
    (old,) = [e for e in Store(audio).load_manifest()[0] if e.lang == "ti"]
    before = snapshot(audio)

    def full_disk(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    retake = _flac(takes.take(TI, PROMPT, lead=0.3), tmp_path)
    with pytest.raises(intake.Refused, match="nothing was changed"):
        intake.take(CONTENT, audio, "ti", PROMPT, retake, writer=full_disk)
    assert snapshot(audio) == before  # the approved take still plays

    response = upload(app, retake, **{"Content-Type": "audio/flac"})
    assert response.status_code == 200, response.get_json()
    folder = audio / "recorded" / "ti"
    assert (folder / f"{PROMPT}.flac").read_bytes() == retake and not (folder / f"{PROMPT}.wav").exists()
    listed = {e.file: e for e in Store(audio).load_manifest()[0] if e.lang == "ti"}
    (new,) = [e for e in listed.values() if e.file != old.file]
    assert not new.approved  # a new take is reviewed again …
    # … and until then callers go on hearing the approved one: a retake never silences a prompt.
    assert listed[old.file].approved and (audio / old.file).is_file()
    assert app.extensions["ivr"].catalog.find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) == listed[old.file]
    page = app.test_client().get(f"/console/record/take/ti/{PROMPT}.wav", headers=RECORDER)
    assert page.data == (audio / new.file).read_bytes()  # the studio plays the new take
    page.close()
    # A build in between keeps both, as they are.
    cli("audio", "build", "--lang", "ti", "--engine", "recorded", audio=audio)
    assert {e.file: e.approved for e in Store(audio).load_manifest()[0] if e.lang == "ti"} == {old.file: True, new.file: False}

    app.test_client().post("/console/record/review", json=approve, headers=CONSOLE)
    (now,) = [e for e in Store(audio).load_manifest()[0] if e.lang == "ti"]
    assert now.file == new.file and now.approved
    assert app.extensions["ivr"].catalog.find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) == now
    # The old file may still be fetched by a call in progress: it goes after a grace period.
    assert (audio / old.file).is_file()
    monkeypatch.setattr(manifest, "GRACE", -1.0)
    manifest.sweep(Store(audio), "ti", [now])
    assert not (audio / old.file).exists() and (audio / now.file).is_file()


def test_a_rejected_retake_leaves_the_approved_take_playing(kept: tuple[Flask, Path]) -> None:
    app, audio = kept
    client = app.test_client()
    client.post("/console/record/review", json={"lang": "ti", "prompts": [PROMPT], "verdict": "approved"}, headers=CONSOLE)
    (old,) = [e for e in Store(audio).load_manifest()[0] if e.lang == "ti"]
    assert upload(app, takes.take(TI, PROMPT, lead=0.2, tail=0.4)).status_code == 200
    client.post("/console/record/review", json={"lang": "ti", "prompts": [PROMPT], "verdict": "rejected"}, headers=CONSOLE)
    assert app.extensions["ivr"].catalog.find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) == old
    page = client.get("/console/record?lang=ti", headers=RECORDER).get_data(as_text=True)
    assert "rejected: record it again" in page and "callers hear the approved take before it" in page


# Stale after a text change --------------------------------------------------------------------


def test_a_recording_is_stale_once_its_text_changes_and_is_then_not_played(kept: tuple[Flask, Path], tmp_path: Path) -> None:
    app, audio = kept
    app.test_client().post(
        "/console/record/review", json={"lang": "ti", "prompts": [PROMPT], "verdict": "approved"}, headers=CONSOLE
    )
    prompts = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, prompts)
    new_words = TI.text(PROMPT) + " ሓጋዚ።"
    set_text(prompts, "ti", PROMPT, new_words)
    content = load(prompts)
    (state,) = [s for s in progress(content, audio, "ti").states if s.prompt == PROMPT]
    assert state.status == "stale"
    changed = studio_app(audio, IVR_PROMPTS_DIR=str(prompts))
    assert changed.extensions["ivr"].catalog.find("ti", PROMPT, new_words, ["recorded"]) is None
    page = changed.test_client().get("/console/record?lang=ti", headers=RECORDER).get_data(as_text=True)
    assert "stale: the text changed since it was recorded" in page and 'id="count-stale">1<' in page
    assert f"1 recorded for older words: {PROMPT}" in cli("check", audio=audio, prompts=prompts).output
    refused = cli("audio", "approve", "--lang", "ti", "--prompt", PROMPT, audio=audio, prompts=prompts)
    assert refused.exit_code == 1 and "recorded for older words" in refused.output


# Commands ----------------------------------------------------------------------------------------


def test_import_takes_reports_each_refusal_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "session"
    folder.mkdir()
    (folder / "greeting.wav").write_bytes(takes.take(TI, "greeting"))
    (folder / "danger.wav").write_bytes(takes.wav(takes.silence(3)))
    (folder / "safety.wav").write_bytes(b"not a recording at all")
    (folder / "greting.wav").write_bytes(takes.take(TI, "greeting"))
    (folder / "notes.docx").write_bytes(b"PK")
    audio = tmp_path / "audio"
    result = cli("audio", "import-takes", str(folder), "--lang", "ti", audio=audio)
    assert result.exit_code == 1
    assert "kept greeting.wav" in result.output
    assert "refused danger.wav: no voice was heard" in result.output
    assert "refused safety.wav: this is not audio" in result.output
    assert "refused greting.wav: no prompt 'greting'" in result.output
    assert "skipped notes.docx" in result.output
    assert "1 kept, 3 refused" in result.output
    assert sorted(p.name for p in (audio / "recorded" / "ti").glob("*.wav")) == ["greeting.wav"]


def test_an_empty_take_is_refused(tmp_path: Path) -> None:
    with pytest.raises(intake.Refused, match="empty"):
        intake.take(CONTENT, tmp_path, "ti", PROMPT, b"")
    assert not (tmp_path / "recorded").exists()


def test_approve_needs_a_prompt_or_all_and_names_what_it_cannot_approve(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    assert cli("audio", "approve", "--lang", "ti", audio=audio).exit_code == 2
    result = cli("audio", "approve", "--lang", "ti", "--prompt", "greeting", audio=audio)
    assert result.exit_code == 1 and "ti/greeting: nothing recorded" in result.output


def test_the_script_sheet_is_numbered_and_keeps_right_to_left_numbers_in_order(tmp_path: Path) -> None:
    md = cli("audio", "export-script", "--lang", "fa", audio=tmp_path).output
    assert md.startswith("# Recording script: Dari")
    assert f"## 1. `{REQUIRED[0]}.wav`" in md and f"## {len(REQUIRED)}. `{REQUIRED[-1]}.wav`" in md
    assert f"{LRI}22 33 11 60{PDI}" in md and f"{LRI}1 1 2{PDI}" in md
    assert CONTENT.languages["en"].text("danger") in md  # the English for context
    csv_text = sheet(CONTENT, "fa", DEFAULT_PROMPTS_DIR, "csv")
    import csv

    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["file"] for r in rows] == [f"{p}.wav" for p in REQUIRED]
    assert [r["number"] for r in rows] == [str(i) for i in range(1, len(REQUIRED) + 1)]
    danger = next(r for r in rows if r["file"] == "danger.wav")
    assert danger["script"].replace(LRI, "").replace(PDI, "") == CONTENT.languages["fa"].text("danger")
    ti = sheet(CONTENT, "ti", DEFAULT_PROMPTS_DIR)
    assert LRI not in ti and TI.text("danger") in ti  # left-to-right scripts are left as they are
    written = cli("audio", "export-script", "--lang", "ti", "--format", "csv", "-o", str(tmp_path / "ti.csv"), audio=tmp_path)
    assert written.exit_code == 0 and (tmp_path / "ti.csv").read_text(encoding="utf-8").startswith("number,file,script")


def test_the_page_shows_rtl_numbers_isolated_and_the_studio_page_stays_light(tmp_path: Path) -> None:
    script = (
        "import sys, base64\nfrom ivr import create_app\n"
        f"app = create_app({{'IVR_ALLOW_UNSIGNED': '1', 'IVR_AUDIO_DIR': {str(tmp_path)!r}, "
        "'IVR_RECORDER_PASSWORD': 'recorder-password-for-tests'})\n"
        "auth = {'Authorization': 'Basic ' + base64.b64encode(b'recorder:recorder-password-for-tests').decode()}\n"
        "page = app.test_client().get('/console/record?lang=fa', headers=auth)\n"
        "assert page.status_code == 200\n"
        f"assert {LRI + '22 33 11 60' + PDI!r} in page.get_data(as_text=True)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('pydub', 'gtts', 'polib'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""




def test_a_full_disk_refuses_the_take_before_anything_is_written(
    kept: tuple[Flask, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, audio = kept
    before = snapshot(audio)

    def full(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)  # the scratch copy the pipeline decodes
    response = upload(app, takes.take(TI, PROMPT, lead=0.2))
    assert response.status_code == 422
    assert "No space left on device" in response.get_json()["error"] and "nothing was changed" in response.get_json()["error"]
    monkeypatch.undo()
    assert snapshot(audio) == before


def test_with_audio_served_from_elsewhere_approval_waits_until_the_files_are_copied(tmp_path: Path) -> None:
    """Calls would fetch an approved file from AUDIO_BASE_URL at once: one not there is silence."""
    audio = tmp_path / "audio"
    app = studio_app(audio, AUDIO_BASE_URL="https://cdn.example.net/line")
    assert upload(app, takes.take(TI, PROMPT)).status_code == 200
    body = {"lang": "ti", "prompts": [PROMPT], "verdict": "approved"}
    answer = app.test_client().post("/console/record/review", json=body, headers=CONSOLE)
    assert answer.status_code == 409 and "copy audio/built/recorded/ti/ there first" in answer.get_json()["error"]
    env = {"IVR_AUDIO_DIR": str(audio), "AUDIO_BASE_URL": "https://cdn.example.net/line"}
    refused = CliRunner().invoke(main, ["audio", "approve", "--lang", "ti", "--all"], env=env)
    assert refused.exit_code == 2 and "--copied" in refused.output
    assert not any(e.approved for e in Store(audio).load_manifest()[0])
    done = CliRunner().invoke(main, ["audio", "approve", "--lang", "ti", "--all", "--copied"], env=env)
    assert done.exit_code == 0, done.output
    assert all(e.approved for e in Store(audio).load_manifest()[0] if e.lang == "ti")


def test_approve_and_reject_from_the_terminal(kept: tuple[Flask, Path]) -> None:
    _, audio = kept
    approved = cli("audio", "approve", "--lang", "ti", "--prompt", PROMPT, audio=audio)
    assert approved.exit_code == 0 and f"approved 1 in ti: {PROMPT}" in approved.output
    assert Catalog.load(audio).find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) is not None
    rejected = cli("audio", "approve", "--lang", "ti", "--prompt", PROMPT, "--reject", audio=audio)
    assert rejected.exit_code == 0 and f"rejected 1 in ti: {PROMPT}" in rejected.output
    assert Catalog.load(audio).find("ti", PROMPT, TI.text(PROMPT), ["recorded"]) is None
    assert "rejected 1" in rejected.output  # the summary counts it
    assert "nothing is waiting for review" in cli("audio", "approve", "--lang", "ti", "--all", audio=audio).output


def test_only_a_recording_carries_a_review_in_the_manifest(kept: tuple[Flask, Path]) -> None:
    _, audio = kept
    lines = [json.loads(line.rstrip(",")) for line in (audio / "manifest.json").read_text(encoding="utf-8").splitlines() if line.startswith('  {"lang"')]
    (recorded,) = [e for e in lines if e["engine"] == "recorded"]
    assert recorded["approved"] is False and recorded["recorded"].startswith("20")
    shipped = Path(__file__).resolve().parent.parent / "audio" / "manifest.json"
    from ivr.audio.store import manifest_json

    entries, _ = Store(shipped.parent).load_manifest()
    assert manifest_json(entries) == shipped.read_text(encoding="utf-8")  # the voices' lines are as they were
