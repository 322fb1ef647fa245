"""`ivr audio build`: sources in order, incremental, atomic, and nothing lost when things fail."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
import requests

from ivr.audio.build import Builder, file_digest
from ivr.audio.errors import SourceError
from ivr.audio.process import measure_file
from ivr.audio.sources import Espeak, Recorded
from ivr.audio.spec import LEVEL_TOLERANCE, TARGET_LEVEL
from ivr.audio.store import Store, write_bytes
from ivr.catalog import MANIFEST, Catalog
from ivr.content import load, text_hash

from .audio_fixtures import (  # noqa: F401 - fixtures
    OPERATOR,
    PROMPT_COUNT,
    SO_PROMPT_COUNT,
    TEXTS,
    Counting,
    FakeGoogle,
    build,
    built_small,
    cli,
    encode,
    google,
    no_network,
    no_wait_gtts,
    set_text,
    small,
    small_prompts,
    speech,
)

pytestmark = pytest.mark.slow  # real audio builds: `pytest -m 'not slow'` leaves them out


def manifest(audio: Path) -> dict:
    return json.loads((audio / MANIFEST).read_text(encoding="utf-8"))


def entries(audio: Path, **match: str) -> list[dict]:
    return [e for e in manifest(audio)["files"] if all(e[k] == v for k, v in match.items())]


def snapshot(audio: Path) -> dict[str, tuple[int, bytes]]:
    """Every file in the folder with its mtime and bytes."""
    return {
        p.relative_to(audio).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(audio.rglob("*"))
        if p.is_file()
    }


def test_the_cli_builds_every_prompt_of_every_language(tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    args = ("audio", "build", "--engine", "recorded", "--engine", "espeak", "--jobs", "2")
    result = cli(*args, prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 0, result.output
    assert f"built {2 * PROMPT_COUNT}, kept 0, failed 0" in result.output
    assert f"nb        espeak        {PROMPT_COUNT}" in result.output
    files = manifest(tmp_path / "audio")["files"]
    assert {(e["lang"], e["prompt"]) for e in files} == {(lang, p) for lang in ("nb", "en") for p in TEXTS[lang] if p not in OPERATOR}
    content = load(prompts)
    for e in files:
        assert e["engine"] == "espeak"
        assert e["text_hash"] == text_hash(content.languages[e["lang"]].text(e["prompt"]))
        assert e["file"].startswith(f"built/espeak/{e['lang']}/{e['prompt']}-") and e["file"].endswith(".wav")
        path = tmp_path / "audio" / e["file"]
        assert path.stat().st_size == e["bytes"]
        measured, fmt = measure_file(path.read_bytes())
        assert fmt == "8000 Hz mono mu-law"
        assert measured.duration == e["duration"] and measured.loudness == e["loudness"]
        assert abs(e["loudness"] - TARGET_LEVEL) <= LEVEL_TOLERANCE
    # The web app's catalog reads exactly this manifest.
    catalog = Catalog.load(tmp_path / "audio")
    assert len(catalog) == 2 * PROMPT_COUNT
    assert catalog.find("nb", "greeting", TEXTS["nb"]["greeting"], ["espeak"]) is not None
    assert not list((tmp_path / "audio" / ".tmp").glob("*"))


def test_a_second_build_touches_nothing_and_fetches_nothing(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    before = snapshot(audio)
    espeak = Counting(Espeak())
    report = build(load(prompts), audio, [Recorded(audio / "recorded"), espeak])
    assert report.ok and report.count("kept") == 2 * PROMPT_COUNT and report.count("built") == 0
    assert espeak.fetched == [] and not report.manifest_written and report.removed == []
    assert snapshot(audio) == before
    assert report.seconds < 2.0


def test_the_second_cli_build_says_so(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    result = cli("audio", "build", "--engine", "espeak", prompts=prompts, audio=audio)
    assert result.exit_code == 0, result.output
    assert f"0 to build, {2 * PROMPT_COUNT} up to date" in result.output
    assert "manifest unchanged" in result.output


def test_changed_words_get_a_new_file_and_the_old_one_goes(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    (old,) = entries(audio, lang="en", prompt="goodbye")
    set_text(prompts, "en", "goodbye", "Goodbye, and take care.")
    espeak = Counting(Espeak())
    report = build(load(prompts), audio, [espeak])
    assert espeak.fetched == [("en", "goodbye")]
    (new,) = entries(audio, lang="en", prompt="goodbye")
    assert new["file"] != old["file"] and new["text_hash"] == text_hash("Goodbye, and take care.")
    assert (audio / new["file"]).is_file() and not (audio / old["file"]).exists()
    assert report.removed == [old["file"]]


def test_the_file_name_carries_text_language_engine_voice_and_pipeline() -> None:
    base = file_digest("nb", "greeting", "espeak", "espeak:nb:140:lib-1", "h1")
    others = [
        file_digest("en", "greeting", "espeak", "espeak:nb:140:lib-1", "h1"),
        file_digest("nb", "greeting", "gtts", "espeak:nb:140:lib-1", "h1"),
        file_digest("nb", "greeting", "espeak", "espeak:nb:120:lib-1", "h1"),
        file_digest("nb", "greeting", "espeak", "espeak:nb:140:lib-1", "h2"),
    ]
    assert len({base, *others}) == 5
    assert base == file_digest("nb", "greeting", "espeak", "espeak:nb:140:lib-1", "h1")


def test_parallel_and_serial_builds_make_the_same_files(built_small: tuple[Path, Path], tmp_path: Path) -> None:
    prompts, audio = built_small
    report = build(load(prompts), tmp_path / "serial", jobs=1)
    assert report.ok
    serial, parallel = manifest(tmp_path / "serial")["files"], manifest(audio)["files"]
    assert [e["file"] for e in serial] == [e["file"] for e in parallel]
    # eSpeak NG carries a little state from one utterance to the next (its pitch flutter),
    # so the order of synthesis moves the samples by a millisecond or so, never the words.
    for a, b in zip(serial, parallel, strict=True):
        assert a["duration"] == pytest.approx(b["duration"], abs=0.03)
        assert a["loudness"] == pytest.approx(b["loudness"], abs=LEVEL_TOLERANCE)


# gTTS, faked at the HTTP layer ------------------------------------------------------------


def test_gtts_is_asked_over_http_with_the_mapped_language_and_a_timeout(google: FakeGoogle, tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    gtts = no_wait_gtts()
    report = build(load(prompts), tmp_path / "audio", [Recorded(tmp_path / "audio" / "recorded"), gtts, Espeak()])
    assert report.ok, report.failures
    assert report.table()[("nb", "gtts")]["built"] == PROMPT_COUNT
    nb = [c for c in google.calls if c["text"] == TEXTS["nb"]["greeting"]]
    assert nb and nb[0]["lang"] == "no"  # gTTS knows Norwegian as "no", not "nb"
    assert all(c["timeout"] == (5.0, 20.0) for c in google.calls)
    assert all("translate.google.com" in c["url"] for c in google.calls)
    (e,) = entries(tmp_path / "audio", lang="nb", prompt="greeting")
    assert e["engine"] == "gtts" and e["source"] == "gtts:no:com"
    measured, fmt = measure_file((tmp_path / "audio" / e["file"]).read_bytes())
    assert fmt == "8000 Hz mono mu-law" and abs(measured.loudness - TARGET_LEVEL) <= LEVEL_TOLERANCE


def test_gtts_failing_for_one_prompt_retries_then_falls_back_and_fails_the_build(
    google: FakeGoogle, tmp_path: Path
) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    broken = TEXTS["en"]["msg_info"]
    google.fail = lambda text, lang: 500 if text == broken else None
    gtts = no_wait_gtts(retries=2)
    report = build(load(prompts), tmp_path / "audio", [gtts, Espeak()])
    assert google.texts().count(broken) == 3  # one try and two retries
    assert gtts.waits == [1.0, 2.0]  # backoff doubles
    (failure,) = report.failures
    assert (failure.lang, failure.prompt, failure.engine) == ("en", "msg_info", "gtts")
    assert "HTTP 500" in failure.message
    # Nothing is lost: that prompt has the offline voice, every other prompt has gTTS.
    (e,) = entries(tmp_path / "audio", lang="en", prompt="msg_info")
    assert e["engine"] == "espeak"
    assert len(entries(tmp_path / "audio", engine="gtts")) == 2 * PROMPT_COUNT - 1
    assert not report.ok


def test_the_cli_names_each_failure_and_exits_non_zero(google: FakeGoogle, tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    google.fail = lambda text, lang: 400 if text == TEXTS["nb"]["goodbye"] else None
    result = cli("audio", "build", "--lang", "nb", prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 1
    assert "1 failure(s):" in result.output
    assert "nb/goodbye: gtts: gTTS failed after 1 tries: HTTP 400" in result.output


def test_offline_gtts_is_given_up_quickly_and_the_offline_voice_fills_in(google: FakeGoogle, tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    google.fail = lambda text, lang: requests.ConnectionError("Name or service not known")
    gtts = no_wait_gtts()
    report = build(load(prompts), tmp_path / "audio", [gtts, Espeak()], jobs=1)
    assert len(google.calls) == 2 and gtts.waits == [1.0]  # two refusals, then offline
    assert report.ok, report.failures  # an unreachable engine is not a failure while another speaks
    assert "gtts" in report.unavailable
    assert len(entries(tmp_path / "audio", engine="espeak")) == 2 * PROMPT_COUNT


def test_without_the_network_gtts_alone_fails_every_prompt(tmp_path: Path) -> None:
    # No fake here: the real gTTS meets the refused socket, as on a machine with no internet.
    prompts = small_prompts(tmp_path / "prompts")
    result = cli("audio", "build", "--lang", "en", "--engine", "gtts", prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 1
    assert f"{PROMPT_COUNT} failure(s)" in result.output
    assert "gtts unavailable here" in result.output


# Human recordings ---------------------------------------------------------------------------


def record(audio: Path, lang: str, prompt: str, text: str, suffix: str = ".flac") -> Path:
    folder = audio / "recorded" / lang
    folder.mkdir(parents=True, exist_ok=True)
    pcm, rate = speech(text, "en")
    path = folder / f"{prompt}{suffix}"
    encode(pcm, rate, "-ar", "44100", "-f", suffix.lstrip("."), to=path)
    return path


def test_a_recording_wins_is_pinned_to_its_words_and_goes_stale_when_they_change(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    (espeak_file,) = entries(audio, lang="en", prompt="greeting")
    recording = record(audio, "en", "greeting", TEXTS["en"]["greeting"])
    report = build(load(prompts), audio)
    assert report.ok and [(o.prompt, o.status) for o in report.outcomes if o.status == "built"] == [("greeting", "built")]
    by_engine = {e["engine"]: e for e in entries(audio, lang="en", prompt="greeting")}
    assert by_engine["recorded"]["source"].startswith("sha256:")
    assert by_engine["espeak"] == espeak_file  # still current: kept for previews
    assert recording.with_suffix(".txt").read_text(encoding="utf-8") == TEXTS["en"]["greeting"] + "\n"
    catalog = Catalog.load(audio)
    # Not approved yet (ivr.catalog.heard_on_calls): callers still hear the voice; reviewers hear the recording.
    assert catalog.find("en", "greeting", TEXTS["en"]["greeting"], ["recorded", "espeak"]).engine == "espeak"
    assert catalog.find("en", "greeting", TEXTS["en"]["greeting"], ["recorded", "espeak"], unreviewed=True).engine == "recorded"

    set_text(prompts, "en", "greeting", "Hello there. Press 0 for help.")
    report = build(load(prompts), audio)
    assert any("speaks older words" in n for n in report.notes)
    (e,) = entries(audio, lang="en", prompt="greeting")  # the old recording's file is gone
    assert e["engine"] == "espeak" and e["text_hash"] == text_hash("Hello there. Press 0 for help.")


def test_a_corrupt_recording_fails_the_build_but_the_prompt_still_has_audio(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    (audio / "recorded" / "nb").mkdir(parents=True)
    (audio / "recorded" / "nb" / "danger.wav").write_bytes(b"RIFF....WAVEfmt garbage" * 20)
    report = build(load(prompts), audio)
    (failure,) = report.failures
    assert (failure.lang, failure.prompt, failure.engine) == ("nb", "danger", "recorded")
    assert "danger.wav" in failure.message
    (e,) = entries(audio, lang="nb", prompt="danger")
    assert e["engine"] == "espeak" and (audio / e["file"]).is_file()
    assert not (audio / "recorded" / "nb" / "danger.txt").exists()


def test_a_recorded_only_language_uses_only_recordings(tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts", ("nb", "en", "so"))
    audio = tmp_path / "audio"
    record(audio, "so", "greeting", TEXTS["en"]["greeting"], ".wav")
    report = build(load(prompts), audio)
    assert report.ok
    so = entries(audio, lang="so")
    assert [(e["prompt"], e["engine"]) for e in so] == [("greeting", "recorded")]
    assert len(report.missing()["so"]) == SO_PROMPT_COUNT - 1


# Failures that must lose nothing ----------------------------------------------------------


def served(audio: Path) -> dict[str, bytes]:
    """What the web app would serve: every file the manifest lists, read through the catalog."""
    return {f.file: (audio / f.file).read_bytes() for f in Catalog.load(audio).files()}


def test_an_interrupted_build_leaves_the_previous_files_serving_and_resumes(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    before_manifest = (audio / MANIFEST).read_bytes()
    before = served(audio)
    for prompt in ("keys", "invalid", "goodbye", "connecting"):
        set_text(prompts, "en", prompt, TEXTS["en"][prompt] + " Thank you.")
    content = load(prompts)

    def ctrl_c(lang: str, prompt: str) -> BaseException | None:
        return KeyboardInterrupt() if prompt == "goodbye" else None

    first = Counting(Espeak(), fail=ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        Builder(content, Store(audio), [first], jobs=1).build(["en"])
    assert (audio / MANIFEST).read_bytes() == before_manifest
    assert served(audio) == before  # every old file is still there, byte for byte
    assert 0 < len(first.fetched) < 4

    second = Counting(Espeak())
    report = Builder(content, Store(audio), [second], jobs=1).build(["en"])
    assert report.ok
    # The files the interrupted build finished are adopted, not made again.
    changed = {("en", p) for p in ("keys", "invalid", "goodbye", "connecting")}
    assert sorted(second.fetched) == sorted(changed - set(first.fetched))
    (goodbye,) = entries(audio, lang="en", prompt="goodbye")
    assert goodbye["text_hash"] == text_hash(TEXTS["en"]["goodbye"] + " Thank you.")


def test_a_full_disk_loses_nothing(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    before_manifest = (audio / MANIFEST).read_bytes()
    before = served(audio)
    set_text(prompts, "nb", "goodbye", "Ha det bra.")
    set_text(prompts, "nb", "no_input", "Vi hørte ingen tast.")
    writes: list[Path] = []

    def full_disk(path: Path, data: bytes) -> None:
        writes.append(path)
        with open(path, "wb") as f:
            f.write(data[: len(data) // 3])  # a part gets written, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    report = Builder(load(prompts), Store(audio, writer=full_disk), [Espeak()]).build(["nb", "en"])
    assert {f.prompt for f in report.failures} == {"goodbye", "no_input"}
    assert all("No space left on device" in f.message for f in report.failures)
    assert (audio / MANIFEST).read_bytes() == before_manifest
    assert served(audio) == before
    assert not list((audio / ".tmp").glob("*")), "no partial file is left behind"
    assert len(writes) == 2

    # Once there is room again, the same build completes.
    report = Builder(load(prompts), Store(audio, writer=write_bytes), [Espeak()]).build(["nb", "en"])
    assert report.ok and report.count("built") == 2


def test_a_full_disk_when_writing_the_manifest_keeps_the_old_one(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    before_manifest = (audio / MANIFEST).read_bytes()
    before = served(audio)
    set_text(prompts, "en", "goodbye", "Bye now.")

    def manifest_fails(path: Path, data: bytes) -> None:
        if data.startswith(b"{"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write_bytes(path, data)

    report = Builder(load(prompts), Store(audio, writer=manifest_fails), [Espeak()]).build(["en"])
    assert not report.ok and "previous one still holds" in (report.error or "")
    assert (audio / MANIFEST).read_bytes() == before_manifest and served(audio) == before
    assert report.removed == []


def test_one_source_error_never_stops_the_others(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    for prompt in ("goodbye", "invalid"):
        set_text(prompts, "nb", prompt, TEXTS["nb"][prompt] + " Takk.")
    broken = Counting(Espeak(), fail=lambda lang, prompt: SourceError("voice crashed") if prompt == "invalid" else None)
    report = build(load(prompts), audio, [broken])
    assert [str(f) for f in report.failures] == ["nb/invalid: espeak: voice crashed"]
    assert ("nb", "goodbye") in broken.fetched
    (e,) = entries(audio, lang="nb", prompt="goodbye")
    assert e["text_hash"] == text_hash(TEXTS["nb"]["goodbye"] + " Takk.")
    # The old file for the failed prompt stays: it is not replaced, so it is not removed.
    assert entries(audio, lang="nb", prompt="invalid")


def test_a_lost_manifest_is_rebuilt_from_the_files_without_synthesizing(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    before = (audio / MANIFEST).read_bytes()
    (audio / MANIFEST).write_text("{ not json", encoding="utf-8")
    espeak = Counting(Espeak())
    report = build(load(prompts), audio, [espeak])
    assert report.ok and espeak.fetched == []
    assert any("unreadable" in n for n in report.notes)
    assert (audio / MANIFEST).read_bytes() == before


def test_a_deleted_text_file_is_written_again_without_rebuilding(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    recording = record(audio, "nb", "goodbye", TEXTS["nb"]["goodbye"])
    assert build(load(prompts), audio).ok
    pin = recording.with_suffix(".txt")
    pin.unlink()
    recorded = Counting(Recorded(audio / "recorded"))
    report = build(load(prompts), audio, [recorded, Espeak()])
    assert report.ok and recorded.fetched == [] and report.count("built") == 0
    assert pin.read_text(encoding="utf-8") == TEXTS["nb"]["goodbye"] + "\n"
