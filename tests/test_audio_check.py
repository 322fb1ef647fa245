"""`ivr audio check`: every missing, stale, orphaned, too long, too quiet or too loud file, at once."""

from __future__ import annotations

import json
import math
from array import array
from pathlib import Path

import pytest

from ivr.audio._audioop import audioop
from ivr.audio.wavfile import mulaw_wav, read_wav
from ivr.catalog import MANIFEST

from .audio_fixtures import (  # noqa: F401 - fixtures
    PROMPT_COUNT,
    SO_PROMPT_COUNT,
    TEXTS,
    built_small,
    cli,
    no_network,
    set_text,
    small,
    small_prompts,
)

pytestmark = pytest.mark.slow  # real audio builds: `pytest -m 'not slow'` leaves them out


def check(prompts: Path, audio: Path, *args: str) -> tuple[int, list[str]]:
    result = cli("audio", "check", *args, prompts=prompts, audio=audio, IVR_PLAY_ENGINES="recorded,gtts,espeak")
    return result.exit_code, result.output.splitlines()


def entry(audio: Path, lang: str, prompt: str) -> dict:
    return next(e for e in json.loads((audio / MANIFEST).read_text())["files"] if (e["lang"], e["prompt"]) == (lang, prompt))


def test_a_fresh_build_checks_clean(small: tuple[Path, Path]) -> None:
    code, lines = check(*small)
    assert code == 0, lines
    assert lines == ["ok: nb, en (recorded, gtts, espeak)"]


def test_by_default_only_the_engines_allowed_on_calls_count(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    result = cli("audio", "check", prompts=prompts, audio=audio)  # IVR_PLAY_ENGINES unset: recorded, gtts
    assert result.exit_code == 1
    assert f"missing: nb: {PROMPT_COUNT} of {PROMPT_COUNT} prompts have no file from recorded, gtts: greeting, " in result.output


def test_every_kind_of_problem_is_listed_at_once(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    # stale: the words changed after the build
    set_text(prompts, "en", "goodbye", "Goodbye for now.")
    # missing: a listed file deleted
    gone = entry(audio, "nb", "invalid")["file"]
    (audio / gone).unlink()
    # orphaned: a file nothing lists, and a recording of a prompt that does not exist
    (audio / "built" / "espeak" / "nb" / "old-0123456789abcdef.wav").write_bytes(mulaw_wav(b"\0\0" * 800))
    (audio / "recorded" / "nb").mkdir(parents=True)
    (audio / "recorded" / "nb" / "greting.wav").write_bytes(b"RIFF")
    # too quiet / too loud: files changed on disk
    quiet = entry(audio, "nb", "goodbye")["file"]
    pcm = read_wav((audio / quiet).read_bytes()).pcm
    (audio / quiet).write_bytes(mulaw_wav(audioop.mul(pcm, 2, 0.1)))
    loud = entry(audio, "en", "keys")["file"]
    pcm = read_wav((audio / loud).read_bytes()).pcm
    (audio / loud).write_bytes(mulaw_wav(audioop.mul(pcm, 2, 4.0)))
    # too long: a message of a minute
    long = entry(audio, "en", "msg_info")["file"]
    tone = array("h", (int(3000 * math.sin(i / 3)) for i in range(8000 * 60))).tobytes()
    (audio / long).write_bytes(mulaw_wav(tone))

    code, lines = check(prompts, audio)
    assert code == 1
    text = "\n".join(lines)
    expected = [
        f"missing: en: 1 of {PROMPT_COUNT} prompts have no file from recorded, gtts, espeak: goodbye",
        "stale: built/espeak/en/goodbye-",
        "made from older words of en/goodbye",
        f"missing: nb: 1 of {PROMPT_COUNT} prompts have no file from recorded, gtts, espeak: invalid",
        f"missing: {gone}: listed in the manifest but not on disk",
        "orphaned: built/espeak/nb/old-0123456789abcdef.wav: not in the manifest",
        "orphaned: recorded/nb/greting.wav: no prompt 'greting' in nb",
        f"too quiet: {quiet}: ",
        f"too loud: {loud}: ",
        f"clipped: {loud}: ",
        f"too long: {long}: 60.0 s; split messages over 45 s",
        "audio problem(s) in",
    ]
    for line in expected:
        assert line in text, line


def test_a_recorded_only_language_lists_exactly_the_recordings_it_needs(tmp_path: Path, small: tuple[Path, Path]) -> None:
    _, audio = small
    prompts = small_prompts(tmp_path / "with-so", ("nb", "en", "so"))
    folder = audio / "recorded" / "so"
    folder.mkdir(parents=True)
    code, lines = check(prompts, audio, "--lang", "so")
    assert code == 1
    (line,) = [x for x in lines if x.startswith("missing: so:")]
    assert line.startswith(
        f"missing: so: recorded-only: {SO_PROMPT_COUNT} of {SO_PROMPT_COUNT} prompts need a recording at "
        "audio/recorded/so/<prompt-id>.wav: greeting, language_option_1,"
    )


def test_a_new_recording_not_yet_built_is_stale(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    folder = audio / "recorded" / "en"
    folder.mkdir(parents=True)
    (folder / "goodbye.wav").write_bytes((audio / entry(audio, "en", "goodbye")["file"]).read_bytes())
    code, lines = check(prompts, audio)
    assert code == 1
    assert "stale: en/goodbye: a new recording is not built yet: run `ivr audio build`" in lines
