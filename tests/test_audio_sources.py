"""The sources one by one: eSpeak NG's library or program, gTTS's care with the network, recordings."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
import requests

from ivr.audio.errors import EngineUnavailable, SourceError
from ivr.audio.espeak import Library, Program, find_backend
from ivr.audio.process import process
from ivr.audio.sources import Espeak, NotHere, Plan, Recorded
from ivr.content import load

from .audio_fixtures import (  # noqa: F401 - fixtures
    PROMPT_COUNT,
    TEXTS,
    FakeGoogle,
    build,
    cli,
    encode,
    google,
    no_network,
    no_wait_gtts,
    small_prompts,
    speech,
)

pytestmark = pytest.mark.slow  # real audio builds: `pytest -m 'not slow'` leaves them out


@pytest.fixture
def content(tmp_path: Path):
    return load(small_prompts(tmp_path / "prompts"))


def fake_espeak_ng(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in espeak-ng program: it logs its arguments and stdin and prints a real WAV."""
    pcm, rate = speech("Hello.", "en")
    wav = tmp_path / "hello.wav"
    encode(pcm, rate, "-f", "wav", to=wav)
    log = tmp_path / "calls.log"
    program = tmp_path / "espeak-ng"
    program.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "eSpeak NG text-to-speech: 1.51  Data at: /x"; exit 0; fi\n'
        f'echo "$@" >> {log}\ncat >> {log}\necho >> {log}\ncat {wav}\n',
        encoding="utf-8",
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, log


def test_the_library_is_used_when_the_wheel_loads() -> None:
    backend = find_backend()
    assert isinstance(backend, Library) and backend.version.startswith("lib-")


def test_without_the_library_the_espeak_ng_program_speaks(tmp_path: Path) -> None:
    program, log = fake_espeak_ng(tmp_path)
    backend = find_backend(library=str(tmp_path / "missing.so"), program=str(program))
    assert isinstance(backend, Program) and backend.version == "program-1.51"
    audio = backend.synth("Hei på deg.", "nb", 140)
    assert log.read_text(encoding="utf-8") == "-v nb -s 140 --stdout --stdin\nHei på deg.\n"
    assert process(audio).measure.duration > 0.5


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="Debian's espeak-ng is not installed")
def test_the_real_espeak_ng_program_speaks_norwegian() -> None:
    audio = Program().synth("Er du i fare nå, ring 1 1 2.", "nb", 140)
    assert audio.format == "wav" and process(audio).measure.duration > 2
    with pytest.raises(SourceError, match="zz"):
        Program().synth("x", "zz", 140)


def test_with_neither_the_offline_voice_is_unavailable_and_the_build_says_why(tmp_path: Path, content) -> None:
    def nothing() -> Library:
        return find_backend(library=str(tmp_path / "missing.so"), program=str(tmp_path / "no-such-program"))

    with pytest.raises(EngineUnavailable, match=r"missing\.so.*no-such-program"):
        nothing()
    report = build(content, tmp_path / "audio", [Espeak(find=nothing)])
    assert report.count("failed") == 2 * PROMPT_COUNT and not report.ok
    assert "espeak" in report.unavailable


def test_an_unknown_espeak_voice_fails_that_language_only(tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    body = (prompts / "en.toml").read_text(encoding="utf-8").replace('espeak = "en"', 'espeak = "xx-nowhere"')
    (prompts / "en.toml").write_text(body, encoding="utf-8")
    report = build(load(prompts), tmp_path / "audio", [Espeak()])
    assert {f.lang for f in report.failures} == {"en"} and len(report.failures) == PROMPT_COUNT
    assert "no voice 'xx-nowhere'" in report.failures[0].message
    assert report.count("built") == PROMPT_COUNT


def test_a_connection_error_after_gtts_has_worked_is_a_failure_not_offline(google: FakeGoogle, tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    flaky = TEXTS["en"]["msg_info"]
    google.fail = lambda text, lang: requests.ConnectionError("reset") if text == flaky else None
    gtts = no_wait_gtts(retries=3)
    report = build(load(prompts), tmp_path / "audio", [gtts, Espeak()], jobs=1)
    assert gtts.offline is None and google.texts().count(flaky) == 4
    assert gtts.waits == [1.0, 2.0, 4.0]
    (failure,) = report.failures
    assert failure.prompt == "msg_info" and failure.engine == "gtts"


def test_a_recording_is_found_by_its_prompt_id_best_format_first(tmp_path: Path, content) -> None:
    folder = tmp_path / "recorded" / "nb"
    folder.mkdir(parents=True)
    (folder / "greeting.mp3").write_bytes(b"x")
    (folder / "greeting.wav").write_bytes(b"y")
    recorded = Recorded(tmp_path / "recorded")
    assert recorded.find("nb", "greeting") == folder / "greeting.wav"
    plan = recorded.plan(content.languages["nb"], "greeting", TEXTS["nb"]["greeting"])
    assert isinstance(plan, Plan) and plan.pin == (folder / "greeting.txt", TEXTS["nb"]["greeting"])
    # Its words, once pinned, may be wrapped differently without making it stale...
    (folder / "greeting.txt").write_text("Hei.\n   Trykk 0 for hjelp.\n", encoding="utf-8")
    assert isinstance(recorded.plan(content.languages["nb"], "greeting", TEXTS["nb"]["greeting"]), Plan)
    # ...but other words are other words.
    stale = recorded.plan(content.languages["nb"], "greeting", "Hei. Trykk 0 nå.")
    assert isinstance(stale, NotHere) and stale.kind == "stale"
    missing = recorded.plan(content.languages["en"], "greeting", TEXTS["en"]["greeting"])
    assert isinstance(missing, NotHere) and missing.kind == "none"


def test_ctrl_c_in_the_cli_says_nothing_was_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.audio.build import Builder

    def interrupted(self, work, progress=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(Builder, "run", interrupted)
    prompts = small_prompts(tmp_path / "prompts")
    result = cli("audio", "build", "--engine", "espeak", prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 130
    assert "interrupted: the previous manifest and its files are untouched" in result.output


def test_an_unknown_language_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    prompts = small_prompts(tmp_path / "prompts")
    result = cli("audio", "build", "--lang", "xx", prompts=prompts, audio=tmp_path / "audio")
    assert result.exit_code == 2 and "no prompts/<code>.toml for xx (have nb, en)" in result.output


def test_the_pipeline_needs_no_ffmpeg_or_espeak_on_path(tmp_path: Path) -> None:
    import subprocess
    import sys

    prompts = small_prompts(tmp_path / "prompts")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env |= {"PATH": str(tmp_path / "empty"), "IVR_PROMPTS_DIR": str(prompts), "IVR_AUDIO_DIR": str(tmp_path / "audio")}
    done = subprocess.run(
        [sys.executable, "-m", "ivr", "audio", "build", "--lang", "nb", "--engine", "espeak"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"built {PROMPT_COUNT}, kept 0, failed 0" in done.stdout
    assert "Warning" not in done.stderr and "warn" not in done.stderr.lower()
