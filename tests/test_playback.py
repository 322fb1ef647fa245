"""What the caller hears for each prompt, and audio faults that are loud, never silent."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr.catalog import MANIFEST
from ivr.cli import main
from ivr.content import text_hash
from ivr.simulator import Simulator

from .conftest import CONTENT, SHIPPED_AUDIO


def copy_audio(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_AUDIO, tmp_path / "audio"))


def offline_file(audio: Path, lang: str, prompt: str) -> Path:
    entries = json.loads((audio / MANIFEST).read_text(encoding="utf-8"))["files"]
    return audio / next(e["file"] for e in entries if (e["lang"], e["prompt"]) == (lang, prompt))


def test_a_missing_file_takes_its_language_off_loudly_and_the_line_still_starts(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audio = copy_audio(tmp_path)
    offline_file(audio, "uk", "danger").unlink()
    caplog.set_level(logging.ERROR)
    app = make_app(IVR_AUDIO_DIR=str(audio))
    loaded = app.extensions["ivr"]
    assert "uk" not in loaded.offered and "sq" in loaded.offered
    assert "missing" in loaded.playback.degraded["uk"] and loaded.playback.degraded["uk"].startswith("off:")
    lines = [r.getMessage() for r in caplog.records if "uk" in r.getMessage()]
    assert len(lines) == 1 and "Ukrainian" in lines[0] and "missing" in lines[0]
    assert all(r.levelno == logging.ERROR for r in caplog.records)
    health = app.test_client().get("/healthz").get_json()
    assert "uk" in health["degraded"] and "uk" in health["off"] and "sq" not in health["degraded"]


def test_a_corrupt_manifest_names_each_language_it_takes_off(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audio = copy_audio(tmp_path)
    (audio / MANIFEST).write_text("{ not json", encoding="utf-8")
    caplog.set_level(logging.ERROR)
    app = make_app(IVR_AUDIO_DIR=str(audio))
    loaded = app.extensions["ivr"]
    degraded = loaded.playback.degraded
    # Every language that needs files to be heard: the offline-voice ones and the recorded-only ones.
    needs_files = {c for c, lang in CONTENT.languages.items() if not lang.say}
    assert {"uk", "sq"} <= set(degraded) == needs_files
    assert not set(degraded) & set(loaded.offered)
    messages = [r.getMessage() for r in caplog.records]
    assert any("manifest.json is unreadable" in m for m in messages)
    for code in ("uk", "sq"):
        assert sum(f"language {code} " in m for m in messages) == 1
    assert app.test_client().get("/healthz").get_json()["degraded"] == sorted(needs_files)
    # The line still answers, in Norwegian and English.
    turn = Simulator(app).start()
    assert turn.gather and turn.spoken


def test_a_prompt_whose_file_is_gone_falls_back_to_say_where_the_language_has_a_voice(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audio = tmp_path / "audio"
    (audio / "built").mkdir(parents=True)
    present = audio / "built" / "greeting.wav"
    present.write_bytes(b"RIFF")
    files = [
        {"lang": "en", "prompt": "greeting", "text_hash": text_hash(CONTENT.languages["en"].text("greeting")),
         "engine": "gtts", "file": "built/greeting.wav", "duration": 3.0},
        {"lang": "nb", "prompt": "greeting", "text_hash": text_hash(CONTENT.languages["nb"].text("greeting")),
         "engine": "gtts", "file": "built/gone.wav", "duration": 3.0},
    ]
    (audio / MANIFEST).write_text(json.dumps({"files": files}), encoding="utf-8")
    caplog.set_level(logging.ERROR)
    app = make_app(IVR_AUDIO_DIR=str(audio))
    loaded = app.extensions["ivr"]
    assert "nb" in loaded.offered
    assert loaded.playback.degraded["nb"].startswith("falls back to <Say>")
    assert "en" not in loaded.playback.degraded
    turn = Simulator(app).start()
    nb, en = turn.spoken[:2]
    assert nb.audio is None and nb.language == "nb-NO" and nb.text == CONTENT.languages["nb"].text("greeting")
    assert en.audio and en.audio.endswith("/audio/built/greeting.wav")
    assert [r.getMessage() for r in caplog.records if "language nb " in r.getMessage()]
    health = app.test_client().get("/healthz").get_json()
    assert health["degraded"] == ["nb"] and "nb" not in health["off"]  # offered, on <Say>, and named


def test_ivr_check_and_audio_check_fail_on_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    audio = copy_audio(tmp_path)
    gone = offline_file(audio, "sq", "goodbye")
    gone.unlink()
    env = {"IVR_AUDIO_DIR": str(audio), "IVR_LANGUAGES": "nb,en,sq"}
    result = runner.invoke(main, ["audio", "check", "--lang", "sq", "--engine", "espeak"], env=env)
    assert result.exit_code == 1 and "listed in the manifest but not on disk" in result.output
    from ivr.config import Settings
    from ivr.diagnose import diagnose
    from ivr.runtime import build

    found = diagnose(build(Settings.from_env(env)), identify=False)  # `ivr check` without lingua
    assert any(p.startswith("audio: sq: off:") for p in found.problems), found.problems


def test_a_manifest_entry_outside_the_audio_folder_is_never_a_file(tmp_path: Path) -> None:
    from ivr.catalog import Catalog

    audio = tmp_path / "audio"
    audio.mkdir()
    (tmp_path / "secret.txt").write_text("not audio", encoding="utf-8")
    entry = {"lang": "en", "prompt": "goodbye", "text_hash": "x", "engine": "gtts", "duration": 1.0}
    files = [{**entry, "file": "../secret.txt"}, {**entry, "file": str(tmp_path / "secret.txt")}]
    (audio / MANIFEST).write_text(json.dumps({"files": files}), encoding="utf-8")
    catalog = Catalog.load(audio)
    assert len(catalog) == 0 and len(catalog.missing) == 2
    assert not catalog.has_file("../secret.txt")
