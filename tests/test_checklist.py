"""The README's deployment checklist, followed as written against a fake Twilio and the Procfile's server.

The commands are read from the README's "Connect a Twilio number" section, so this test breaks
when the README and the commands drift apart. It is a rehearsal: PUBLIC_BASE_URL is
http://127.0.0.1:PORT, which `ivr twilio setup` and `check` accept only on the loopback. Step 1
(building audio with gTTS) needs the internet; the line plays the committed `audio/` it produced,
and tests/test_audio_offline.py covers the offline build. Every command runs as the real `ivr`
console script in a temporary directory, bounded in time.
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.bench import procfile
from ivr.smoke import FAKE_CALLER
from ivr.twilio.number import REHEARSAL

from .fake_twilio import FakeTwilio

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Connect a Twilio number"
HELPLINE = "+4721000000"  # the fake account's number, standing for the README's +47XXXXXXXX
pytestmark = pytest.mark.slow  # the Procfile's server, started for real: `pytest -m 'not slow'` leaves it out
COMMAND_TIMEOUT = 120.0  # seconds: liveness bounds, far above what each command takes (a few seconds)
SMOKE_TIMEOUT = 600.0  # `--lang nb --lang en` is ~1 000 states, about a second on an idle machine


def checklist() -> dict[int, str]:
    """The section's numbered steps: number → text, whitespace collapsed."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"the README has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^(\d+)\. (.*?)(?=^\d+\. |\n\n|\Z)", section, re.M | re.S)
    return {int(n): " ".join(body.split()) for n, body in steps}


def command(step: str, starts: str, base: str = "") -> list[str]:
    """The step's `ivr …` command that starts with `starts`, its placeholders filled in for this rehearsal."""
    found = [c for c in re.findall(r"`(ivr [^`]+)`", step) if c.startswith(starts)]
    assert found, f"the step names no `{starts} …` command: {step}"
    filled = found[0].replace("+47XXXXXXXX", HELPLINE).replace("https://<your host>", base)
    assert not re.search(r"<|XXXX", filled), f"a placeholder the test does not know: {filled}"
    return shlex.split(filled)


def settings_named(step: str) -> set[str]:
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", step))


def ivr_command() -> list[str]:
    """The installed console script, as the README runs it (python -m ivr where there is none)."""
    script = Path(sys.executable).parent / "ivr"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ivr"]


def run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "ivr"
    return subprocess.run([*ivr_command(), *argv[1:]], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


def answering(port: int, deadline: float = 60) -> None:
    """Until the line itself answers: an unsigned POST gets its 403 once a worker has loaded it."""
    end = time.monotonic() + deadline
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/voice")
            status = connection.getresponse().status
            connection.close()
            if status == 403:
                return
        except OSError:
            pass
        assert time.monotonic() < end, f"the line did not answer on {port} within {deadline:.0f} s"
        time.sleep(0.2)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as twilio:
        yield twilio


def test_the_readme_checklist_followed_end_to_end_against_a_fake_twilio_and_the_procfile_server(
    fake: FakeTwilio, tmp_path: Path
) -> None:
    steps = checklist()
    assert sorted(steps) == list(range(1, len(steps) + 1)) and len(steps) >= 7, steps
    port = procfile.free_port()
    base = f"http://127.0.0.1:{port}"
    # A number as someone might find it: a wrong Voice URL, no fallback, caller-name lookup on, an SMS URL.
    sid = fake.add_number(HELPLINE, voice_url="https://old-host.example.org/voice", voice_caller_id_lookup=True,
                          sms_url="https://demo.twilio.com/welcome/sms/reply")  # fmt: skip

    # Step 4, the settings: exactly those the step names, one auth token for the account and the line.
    named = {
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "PUBLIC_BASE_URL": base,  # a rehearsal: http:// on the loopback
        "IVR_CALLER_ID": HELPLINE,
        "TWILIO_ACCOUNT_SID": fake.account_sid,
    }
    assert settings_named(steps[4]) == set(named), steps[4]
    counts = f"sqlite:///{tmp_path / 'counts.sqlite'}"  # not the checkout's instance/
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("IVR_", "TWILIO_", "GUNICORN_")) and k != "PUBLIC_BASE_URL"}  # fmt: skip
    env = {**clean, **named, "IVR_DATABASE_URL": counts, "TWILIO_API_BASE_URL": fake.url}

    # Step 2, the content.
    content = run(command(steps[2], "ivr check"), env, tmp_path)
    assert content.returncode == 0, content.stdout + content.stderr

    # Step 3, run the line: the Procfile's `web:` command (on 127.0.0.1, not 0.0.0.0).
    assert "Procfile" in steps[3]
    line = {**named, "IVR_DATABASE_URL": counts, "WEB_CONCURRENCY": "1"}  # one worker: a shared machine
    with procfile.running(line, port) as (_, server):
        answering(port)
        outputs: list[str] = []

        # Before step 5: check names every problem and changes nothing.
        check = command(steps[6], "ivr twilio check", base)
        before = run(check, env, tmp_path)
        outputs.append(before.stdout + before.stderr)
        assert before.returncode == 1, outputs[-1]
        problems = [p for p in before.stderr.splitlines() if p.startswith("  - ")]
        assert before.stdout.splitlines()[:1] == [REHEARSAL], outputs[-1]
        assert "4 problem(s) with the number:" in before.stderr
        for problem in (f"Voice URL is https://old-host.example.org/voice: it must be {base}/voice",
                        "Fallback URL is missing", "caller name lookup is on",
                        "SMS URL points to https://demo.twilio.com/welcome/sms/reply"):  # fmt: skip
            assert any(problem in p for p in problems), (problem, problems)
        assert fake.writes() == []

        # Step 5, the number.
        setup = run(command(steps[5], "ivr twilio setup", base), env, tmp_path)
        outputs.append(setup.stdout + setup.stderr)
        assert setup.returncode == 0, outputs[-1]
        assert setup.stdout.splitlines()[:1] == [REHEARSAL], outputs[-1]
        assert setup.stdout.rstrip().endswith("the number is set up for the line")
        [write] = fake.writes()
        assert write.params == {"VoiceUrl": f"{base}/voice", "VoiceFallbackUrl": f"{base}/voice/fallback",
                                "VoiceCallerIdLookup": "false", "SmsUrl": ""}  # fmt: skip

        # Step 6: check is clean.
        after = run(check, env, tmp_path)
        outputs.append(after.stdout + after.stderr)
        assert after.returncode == 0, outputs[-1]
        assert after.stdout.splitlines() == [REHEARSAL, "ok: the number is set up for the line"]

        # Step 7: the smoke test walks the very URL the number now sends calls to.
        smoke = command(steps[7], "ivr smoke", base)
        assert smoke[2] == fake.numbers[sid]["voice_url"] == f"{base}/voice"
        # Two languages keep it short; --slow is generous: this is about a clean walk, not this machine's speed.
        walked = run([*smoke, "--lang", "nb", "--lang", "en", "--slow", "10", "--timeout", "500"], env, tmp_path,
                     timeout=SMOKE_TIMEOUT)  # fmt: skip
        outputs.append(walked.stdout + walked.stderr)
        assert walked.returncode == 0, outputs[-1][-3000:]
        assert "languages walked: en, nb" in walked.stdout
        assert walked.stdout.rstrip().endswith(
            "ok: every state answered in time, with TwiML, audio and voices Twilio accepts")
        states = int(walked.stdout.split(" states answered")[0].split()[-1])
        assert states > 500  # every menu and key of two languages, not a stub
        assert server.poll() is None
        logged = procfile.output(server)

    # Nothing printed or logged names the account's SIDs, and the server never logs the (fictional) caller.
    for secret in fake.secrets_of_the_account():
        assert all(secret not in out for out in outputs), secret
    assert FAKE_CALLER not in logged and FAKE_CALLER.lstrip("+") not in logged
