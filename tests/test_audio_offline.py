"""`ivr audio build` on a machine with no internet: one line per language no engine can build, exit 0.

No fake Google here: the real gTTS meets the refused socket (`no_network`), as on a machine
with no internet; eSpeak NG builds what it has voices for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.content import load

from .audio_fixtures import (  # noqa: F401 - fixtures
    PROMPT_COUNT,
    TEXTS,
    built_small,
    cli,
    no_network,
    small,
    small_prompts,
)

pytestmark = pytest.mark.slow  # real audio builds: `pytest -m 'not slow'` leaves it out

# Like Tagalog: a Twilio <Say> voice and a gTTS voice, but no eSpeak NG voice.
TAGALOG = (
    'name = "Tagalog"\nenglish_name = "Tagalog"\nnorwegian_name = "tagalog"\ninterpreter_word = "Tagalog"\n'
    'status = "machine-draft"\nscript = "Latin"\nsay = { language = "fil-PH", voice = "Google.fil-PH-Wavenet-A" }\n'
    'gtts = "tl"\n'
)
# Only gTTS can speak it, and there is no <Say> voice: without audio, the line leaves it off.
GTTS_ONLY = (
    'name = "Gtts"\nenglish_name = "Gtts-only"\nnorwegian_name = "gtts"\ninterpreter_word = "Gtts"\n'
    'status = "machine-draft"\nscript = "Latin"\ngtts = "en"\n'
)


def added_texts(word: str) -> dict[str, str]:
    """The English texts for a caller's language: no operator prompts (whisper…), and the word
    the caller says to ROSA, who speaks only Norwegian and English."""
    callers = {k: v for k, v in TEXTS["en"].items() if not k.startswith("whisper")}
    return {**callers, "handoff_interpreter": f"When someone answers, say: {word}."}


ADDED_COUNT = len(added_texts("Tagalog"))


def add_language(prompts: Path, code: str, header: str) -> None:
    texts = added_texts(header.split('interpreter_word = "')[1].split('"')[0])
    body = "\n".join(f'{k} = "{v}"' for k, v in texts.items())
    (prompts / f"{code}.toml").write_text(f"[language]\n{header}\n[prompts]\n{body}\n", encoding="utf-8")


def lines_naming(output: str, code: str) -> list[str]:
    """Lines about the language: its own, and any about one of its prompts (tl/greeting)."""
    return [line for line in output.splitlines() if line.startswith(f"{code} ") or f"{code}/" in line]


def test_a_language_no_engine_can_build_is_one_line_and_the_build_succeeds(tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    add_language(prompts, "tl", TAGALOG)
    result = cli("audio", "build", prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 0, result.output
    (line,) = lines_naming(result.output, "tl")
    assert line.startswith(f"tl (Tagalog): {ADDED_COUNT} prompts not built on this machine (gtts: gTTS unreachable: ")
    assert "; espeak: tl has no eSpeak NG voice)" in line
    assert line.endswith("; callers hear <Say> (Google.fil-PH-Wavenet-A) for them meanwhile; build online: ivr audio build --lang tl")
    assert "failure" not in result.output
    assert f"built {2 * PROMPT_COUNT}, kept 0, failed 0, not built here {ADDED_COUNT}" in result.output  # nb, en by eSpeak NG


def test_a_language_without_say_is_said_to_stay_off(tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    add_language(prompts, "xx", GTTS_ONLY)
    result = cli("audio", "build", "--lang", "xx", prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 0, result.output
    (line,) = lines_naming(result.output, "xx")
    assert "espeak: xx has no eSpeak NG voice" in line
    assert line.endswith("; the language stays off the line until they are built; build online: ivr audio build --lang xx")


def test_strict_makes_an_unbuilt_prompt_an_error(tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    add_language(prompts, "tl", TAGALOG)
    result = cli("audio", "build", "--strict", prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 1
    assert f"--strict: {ADDED_COUNT} prompt(s) not built on this machine" in result.output
    # Without --strict the same folder builds clean: nothing else was wrong.
    assert cli("audio", "build", prompts=prompts, audio=tmp_path / "audio").exit_code == 0


def test_strict_passes_when_everything_was_built(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    result = cli("audio", "build", "--strict", "--engine", "espeak", prompts=prompts, audio=audio)
    assert result.exit_code == 0, result.output
    assert "not built here 0" in result.output


def test_offline_a_corrupt_recording_still_fails(small: tuple[Path, Path]) -> None:
    prompts, audio = small
    add_language(prompts, "tl", TAGALOG)
    (audio / "recorded" / "nb").mkdir(parents=True)
    (audio / "recorded" / "nb" / "danger.wav").write_bytes(b"RIFF....WAVEfmt garbage" * 20)
    result = cli("audio", "build", prompts=prompts, audio=audio)
    assert result.exit_code == 1
    assert "1 failure(s):" in result.output and "nb/danger: recorded: " in result.output
    assert len(lines_naming(result.output, "tl")) == 1  # and Tagalog still one line, not a failure


def test_the_report_counts_unbuilt_prompts_apart_from_failures(tmp_path: Path) -> None:
    from ivr.audio.build import Builder
    from ivr.audio.sources import default_sources
    from ivr.audio.store import Store

    prompts = small_prompts(tmp_path / "prompts")
    add_language(prompts, "tl", TAGALOG)
    audio = tmp_path / "audio"
    report = Builder(load(prompts), Store(audio), default_sources(audio, ("recorded", "gtts", "espeak"))).build(["tl"])
    assert report.ok and not report.complete and not report.failures
    assert [len(v) for v in report.unbuilt().values()] == [ADDED_COUNT]
