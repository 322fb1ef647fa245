"""The ivr command, through Click's runner and, for `serve`, as a real process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.content import DEFAULT_PROMPTS_DIR

from .conftest import CONTENT, text


@pytest.mark.slow  # lingua
def test_check_passes_on_the_real_content(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert "offered: nb, en" in result.output
    assert result.output.strip().endswith("ok")
    # As shipped, Ukrainian and Albanian are heard through the committed offline voice, and said so.
    assert "offline voice (eSpeak NG) on calls, no Twilio voice: sq, uk;" in result.output
    assert "off: uk" not in result.output and "off: sq" not in result.output


def test_check_lists_every_problem_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, folder)
    menu = folder / "menu.toml"
    menu.write_text(menu.read_text(encoding="utf-8").replace('to = "danger" }', 'to = "nowhere" }'), encoding="utf-8")
    en = folder / "en.toml"
    en.write_text(en.read_text(encoding="utf-8").replace("press 4.", "press four."), encoding="utf-8")
    result = runner.invoke(main, ["check"], env={"IVR_PROMPTS_DIR": str(folder)})
    assert result.exit_code == 1
    assert "leads to unknown node 'nowhere'" in result.output
    assert "node danger: unreachable" in result.output
    assert "en.toml: opt_help must name its key 4" in result.output


def test_check_names_a_bad_setting(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check"], env={"ROSA_NUMBER": "112"})
    assert result.exit_code == 1
    assert "ROSA_NUMBER='112' is an emergency number" in result.output


@pytest.mark.slow  # lingua
def test_check_fails_when_an_asked_for_language_cannot_be_heard(runner: CliRunner) -> None:
    recorded_only = next(c for c, lang in CONTENT.languages.items() if lang.recorded_only)
    result = runner.invoke(main, ["check"], env={"IVR_LANGUAGES": f"nb,en,{recorded_only}"})
    assert result.exit_code == 1
    assert f"{recorded_only}: asked for in IVR_LANGUAGES but cannot be heard" in result.output


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_call_goes_from_the_greeting_to_rosa(runner: CliRunner, lang: str) -> None:
    result = runner.invoke(main, ["call", "--lang", lang, "--keys", "0"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert text("nb", "greeting") in out and f"[language menu: pressing {1 if lang == 'nb' else 2} for {lang}]" in out
    assert text(lang, "danger") in out
    assert text(lang, "handoff") in out
    assert "→ transfer to +47 22 33 11 60, shown as +4721000000" in out


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_call_walks_through_every_topic(runner: CliRunner, lang: str) -> None:
    keys: list[str] = []
    expected: list[str] = []
    for option in CONTENT.menu.nodes["main"].options:
        node = CONTENT.menu.nodes[option.to]
        if node.kind == "transfer":
            continue
        keys.append(option.key)
        expected.append(text(lang, (node.intro or node.body)[0]))
        for sub in node.options:
            keys += [sub.key, "*"]
            expected.append(text(lang, CONTENT.menu.nodes[sub.to].body[0]))
        keys.append("*")
    result = runner.invoke(main, ["call", "--lang", lang, "--keys", ",".join([*keys, "2", "1"]), "--transfer", "busy"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    for words in expected:
        assert words in out
    assert text(lang, "rosa_unanswered") in out
    assert out.count("→ transfer to +47 22 33 11 60") == 2


def test_call_shows_what_each_key_does(runner: CliRunner) -> None:
    result = runner.invoke(main, ["call", "--lang", "en", "--keys", "4"])
    assert "keys: 1 en/danger  2 → +47 22 33 11 60  3 en/trafficking" in result.output
    assert "0 → +47 22 33 11 60  * languages  # en/main" in result.output


def test_call_waits_in_silence_until_rosa(runner: CliRunner) -> None:
    result = runner.invoke(main, ["call", "--lang", "en", "--keys", "-,-"])
    assert result.exit_code == 0
    out = " ".join(result.output.split())
    assert text("en", "no_choice") in out and text("en", "rosa_number") in out
    assert "→ transfer to +47 22 33 11 60" in result.output


def test_call_is_interactive_without_keys(runner: CliRunner) -> None:
    result = runner.invoke(main, ["call", "--lang", "en"], input="3\n*\nq\n")
    assert result.exit_code == 0
    assert text("en", "msg_trafficking_what") in " ".join(result.output.split())


def test_call_rejects_a_language_that_is_not_offered(runner: CliRunner) -> None:
    result = runner.invoke(main, ["call", "--lang", "xx"])
    assert result.exit_code == 2
    assert "'xx' is not offered in the language menu" in result.output


def test_serve_runs_unsigned_locally_and_warns(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_"))}
    env["IVR_DATABASE_URL"] = f"sqlite:///{tmp_path / 'counts.sqlite'}"  # not instance/ in the checkout
    ivr = Path(sys.executable).parent / "ivr"
    process = subprocess.Popen([str(ivr), "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(Request(f"http://127.0.0.1:{port}/voice", data=b"FromCountry=NO"), timeout=5) as r:
                    assert b"<Gather" in r.read()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # Local development opens the console without a password.
        with urlopen(f"http://127.0.0.1:{port}/console/", timeout=5) as r:
            assert r.status == 200 and b"Call the line" in r.read()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "WARNING: TWILIO_AUTH_TOKEN is not set: signatures are NOT checked" in output
    assert f"http://127.0.0.1:{port}/console/" in output


def test_fallback_twiml_for_a_twiml_bin_needs_nothing_from_this_app(runner: CliRunner) -> None:
    import xml.etree.ElementTree as ET

    result = runner.invoke(main, ["fallback-twiml"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.output)
    spoken = [e.text for e in root.iter("Say")]
    assert spoken[:4] == [text("nb", "error"), text("en", "error"), text("nb", "handoff"), text("en", "handoff")]
    dial = root.find("Dial")
    assert dial.findtext("Number") == "+4722331160" and dial.get("callerId") == "{{To}}"
    assert dial.get("answerOnBridge") == "true"
    assert list(root).index(dial) == 4  # the handoff is said before the transfer
    assert "action" not in dial.attrib and root.find("Play") is None
    assert " ".join(spoken[4:]).count("22 33 11 60") == 4
    assert root[-1].tag == "Hangup"


def test_call_in_romanian_prints_the_handoff_the_whisper_and_the_transfer(runner: CliRunner) -> None:
    result = runner.invoke(main, ["call", "--lang", "ro", "--keys", "0"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert text("ro", "handoff") in out and text("ro", "handoff_interpreter") in out
    assert "[whisper to whoever answers at ROSA]" in out and "valgt rumensk" in out
    assert out.index(text("ro", "handoff")) < out.index("→ transfer to +47 22 33 11 60") < out.index("rumensk")


def test_call_reaches_a_language_behind_the_more_key_as_a_caller_would(runner: CliRunner) -> None:
    result = runner.invoke(main, ["call", "--lang", "zh", "--keys", "0"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert out.index("pressing 9 for more languages") < out.index("pressing 1 for zh")
    assert text("zh", "handoff") in out and "valgt kinesisk, mandarin" in out


def test_call_names_a_language_that_is_not_offered(runner: CliRunner) -> None:
    result = runner.invoke(main, ["call", "--lang", "ti", "--keys", "0"])
    assert result.exit_code == 2
    assert "'ti' is not offered in the language menu" in result.output
