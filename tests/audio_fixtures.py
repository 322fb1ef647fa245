"""Shared by the audio tests: a small prompts folder, real offline audio, and a fake Google.

Nothing here reaches the network: `no_network` refuses every socket connection in the
audio tests, and gTTS talks to `FakeGoogle` through requests' HTTP adapter, which answers
as Google's batchexecute endpoint does, with real MP3 made offline by eSpeak NG and ffmpeg.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from click.testing import CliRunner, Result

from ivr.audio.build import Builder, Report
from ivr.audio.espeak import Library
from ivr.audio.ffmpeg import ffmpeg_exe
from ivr.audio.sources import Espeak, Gtts, Recorded, Source
from ivr.audio.store import Store
from ivr.cli import main
from ivr.content import Content, load

MENU = """
root = "main"

[keys]
talk = "0"
back = "*"
repeat = "#"

[services.rosa]
name = "ROSA"
number = "+4722331160"

[nodes.main]
kind = "menu"
intro = ["danger"]
options = [
  { key = "1", prompt = "opt_info", to = "info" },
  { key = "2", prompt = "opt_rosa", to = "rosa" },
]

[nodes.info]
kind = "message"
body = ["msg_info"]

[nodes.rosa]
kind = "transfer"
service = "rosa"
"""

TEXTS = {
    "nb": {
        "greeting": "Hei. Trykk 0 for hjelp.",
        **{f"language_option_{n}": f"Norsk, trykk {n}." for n in range(1, 9)},
        "more_languages": "Flere språk, trykk 9.",
        "keys": "Trykk 0 for hjelp.",
        "invalid": "Feil tast.",
        "invalid_help": "Trykk 0.",
        "no_input": "Ingen tast.",
        "connecting": "Vent litt.",
        "rosa_number": "ROSA: 22 33 11 60.",
        "rosa_unanswered": "Ingen svar.",
        "opt_retry": "Trykk 1 igjen.",
        "service_unanswered": "Ikke svar.",
        "goodbye": "Ha det.",
        "error": "Feil. Ring 1 1 2.",
        "danger": "Fare? Ring 1 1 2.",
        "opt_info": "Info, trykk 1.",
        "opt_rosa": "ROSA, trykk 2.",
        "msg_info": "Dette er en kort melding.",
        "handoff": "Vi setter deg over til ROSA.",
        "no_choice": "Ingen tast. Trykk 0.",
        "free_call": "Denne samtalen er gratis.",
        "whisper": "Samtale. Språk: {language}.",
        "whisper_no_language": "Samtale.",
        "whisper_accept": "Trykk 1.",
    },
    "en": {
        "greeting": "Hello. Press 0 for help.",
        **{f"language_option_{n}": f"English, press {n}." for n in range(1, 9)},
        "more_languages": "More languages, press 9.",
        "keys": "Press 0 for help.",
        "invalid": "Wrong key.",
        "invalid_help": "Press 0.",
        "no_input": "No key.",
        "connecting": "Please wait.",
        "rosa_number": "ROSA: 22 33 11 60.",
        "rosa_unanswered": "No answer.",
        "opt_retry": "Press 1 again.",
        "service_unanswered": "No answer there.",
        "goodbye": "Goodbye.",
        "error": "Sorry. Call 1 1 2.",
        "danger": "Danger? Call 1 1 2.",
        "opt_info": "Info, press 1.",
        "opt_rosa": "ROSA, press 2.",
        "msg_info": "This is a short message.",
        "handoff": "We are putting you through to ROSA.",
        "no_choice": "No key. Press 0.",
        "free_call": "This call is free.",
        "whisper": "A call. Language: {language}.",
        "whisper_no_language": "A call.",
        "whisper_accept": "Press 1.",
    },
}
# Heard only at ROSA (nb and en), never built into audio.
OPERATOR = ("whisper", "whisper_no_language", "whisper_accept")
# A language ROSA does not speak: the English texts, told what to say for an interpreter.
TEXTS["so"] = {
    **{k: v for k, v in TEXTS["en"].items() if k not in OPERATOR},
    "handoff_interpreter": "When someone answers, say: Somali.",
}
LANGUAGE = {
    "nb": 'name = "Norsk"\nenglish_name = "Norwegian"\nnorwegian_name = "norsk"\nstatus = "source"\nscript = "Latin"\n'
    'say = { language = "nb-NO", voice = "Polly.Ida-Neural" }\ngtts = "no"\nespeak = "nb"\n',
    "en": 'name = "English"\nenglish_name = "English"\nnorwegian_name = "engelsk"\nstatus = "reviewed"\nscript = "Latin"\n'
    'say = { language = "en-GB", voice = "Polly.Amy-Neural" }\ngtts = "en"\nespeak = "en"\n',
    # A recorded-only language: no synthetic voice, so only human recordings are played.
    "so": 'name = "Soomaali"\nenglish_name = "Somali"\nnorwegian_name = "somali"\ninterpreter_word = "Somali"\nstatus = "machine-draft"\nscript = "Latin"\n'
    "recorded_only = true\n",
}
PROMPT_COUNT = len(TEXTS["nb"]) - len(OPERATOR)  # the prompts a caller hears: what is built
SO_PROMPT_COUNT = len(TEXTS["so"])  # and handoff_interpreter, since ROSA does not speak Somali


def small_prompts(folder: Path, languages: tuple[str, ...] = ("nb", "en")) -> Path:
    """A complete, valid prompts folder with short texts, so building it takes a second."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "menu.toml").write_text(MENU, encoding="utf-8")
    (folder / "languages.toml").write_text('greeting = ["nb", "en"]\norder = ["nb", "en"]\n', encoding="utf-8")
    for code in languages:
        texts = TEXTS.get(code, TEXTS["en"])
        body = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in texts.items())
        (folder / f"{code}.toml").write_text(f"[language]\n{LANGUAGE[code]}\n[prompts]\n{body}\n", encoding="utf-8")
    return folder


def set_text(folder: Path, lang: str, prompt: str, text: str) -> None:
    """Change one prompt's words in a prompts folder."""
    path = folder / f"{lang}.toml"
    body = path.read_text(encoding="utf-8")
    body, n = re.subn(rf"(?m)^{prompt} = .*$", f"{prompt} = {json.dumps(text, ensure_ascii=False)}", body)
    assert n == 1, prompt
    path.write_text(body, encoding="utf-8")


# Real audio, made offline ---------------------------------------------------------------


def speech(text: str, voice: str = "en") -> tuple[bytes, int]:
    """eSpeak NG's 16-bit mono samples for `text`, and their rate."""
    audio = Library().synth(text, voice, 160)
    return audio.data, audio.rate or 22050


def encode(pcm: bytes, rate: int, *output: str, channels: int = 1, to: Path | None = None) -> bytes:
    """Encode 16-bit samples with ffmpeg; `output` is ffmpeg's output options, format last.

    Formats that must seek back (MP4/M4A) need a file: pass `to`, which is also returned read.
    """
    done = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", str(rate), "-ac", str(channels),
         "-i", "pipe:0", *output, str(to) if to else "pipe:1"],
        input=pcm, capture_output=True, check=True,
    )  # fmt: skip
    return to.read_bytes() if to else done.stdout


@functools.lru_cache(maxsize=256)
def mp3(text: str, voice: str = "en") -> bytes:
    """An MP3 like gTTS's (24 kHz mono), spoken offline."""
    pcm, rate = speech(text, voice)
    return encode(pcm, rate, "-ar", "24000", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3")


def probe(path: Path) -> str:
    """ffmpeg's own description of a file's audio stream: an independent check of the format."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    found = re.search(r"Audio: (.*)", done.stderr)
    assert found, done.stderr
    return found.group(1)


def decoded(path: Path) -> bytes:
    """A file decoded by ffmpeg to 16-bit samples at their own rate: not by our own reader."""
    done = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "s16le", "pipe:1"],
        capture_output=True, check=True,
    )  # fmt: skip
    return done.stdout


# A fake Google, at the HTTP layer ---------------------------------------------------------


@dataclass
class FakeGoogle:
    """Google Translate's TTS endpoint as gTTS calls it: one POST per chunk of text.

    `fail(text, lang)` may return an HTTP status to answer with, or an exception to raise
    (as requests raises a connection error); None answers with real MP3 of the text.
    """

    fail: Callable[[str, str], int | Exception | None] = lambda text, lang: None
    calls: list[dict] = field(default_factory=list)

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        rpc = json.loads(parse_qs(body)["f.req"][0])
        text, lang, *_ = json.loads(rpc[0][0][1])
        self.calls.append({"url": request.url, "text": text, "lang": lang, **kwargs})
        failure = self.fail(text, lang)
        if isinstance(failure, Exception):
            raise failure
        response = requests.Response()
        response.request = request
        response.url = request.url or ""
        response.status_code = failure or 200
        if failure:
            payload = b"error"
        else:
            audio = base64.b64encode(mp3(text, "nb" if lang == "no" else lang)).decode()
            rpc = json.dumps([audio], separators=(",", ":"))
            line = json.dumps([["wrb.fr", "jQ1olc", rpc, None, None, None, "generic"]], separators=(",", ":"))
            payload = f")]}}'\n\n{len(line)}\n{line}\n".encode()
        response._content = payload
        response._content_consumed = True
        return response

    def texts(self) -> list[str]:
        return [c["text"] for c in self.calls]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No audio test may reach the internet, whatever it calls."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("the network is off in the audio tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    """Answer gTTS's requests with FakeGoogle, below requests' Session, where HTTP is sent."""
    fake = FakeGoogle()
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kw: fake.send(request, **kw))
    return fake


# Building -------------------------------------------------------------------------------


class Counting:
    """A source that counts what it is asked to fetch (and can fail on cue)."""

    def __init__(self, inner: Source, fail: Callable[[str, str], BaseException | None] = lambda lang, prompt: None) -> None:
        self.inner = inner
        self.engine = inner.engine
        self.fetched: list[tuple[str, str]] = []
        self.fail = fail

    def plan(self, lang, prompt, text):
        plan = self.inner.plan(lang, prompt, text)
        if not hasattr(plan, "fetch"):
            return plan

        def fetch():
            error = self.fail(lang.code, prompt)
            if error is not None:
                raise error
            self.fetched.append((lang.code, prompt))
            return plan.fetch()

        return type(plan)(plan.engine, plan.fingerprint, fetch, plan.pin)


def offline_sources(audio_dir: Path) -> list[Source]:
    return [Recorded(audio_dir / "recorded"), Espeak()]


def no_wait_gtts(**kwargs: object) -> Gtts:
    """gTTS with its retries and backoff, but without really sleeping; the waits are kept."""
    waits: list[float] = []
    gtts = Gtts(sleep=waits.append, **kwargs)  # type: ignore[arg-type]
    gtts.waits = waits  # type: ignore[attr-defined]
    return gtts


def build(content: Content, audio_dir: Path, sources: list[Source] | None = None, **kwargs: object) -> Report:
    """Build every language of `content` into `audio_dir`."""
    builder = Builder(content, Store(audio_dir), sources or offline_sources(audio_dir), **kwargs)  # type: ignore[arg-type]
    return builder.build(list(content.languages))


def cli(*args: str, prompts: Path, audio: Path, **env: str) -> Result:
    """Run `ivr ...` as a user would, with these folders."""
    return CliRunner().invoke(
        main, list(args), env={"IVR_PROMPTS_DIR": str(prompts), "IVR_AUDIO_DIR": str(audio), **env}, catch_exceptions=False
    )


@pytest.fixture(scope="module")
def built_small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small prompts (nb, en) built offline with eSpeak NG, once per module: (prompts, audio)."""
    root = tmp_path_factory.mktemp("small")
    prompts = small_prompts(root / "prompts")
    report = build(load(prompts), root / "audio")
    assert report.ok and report.count("built") == 2 * PROMPT_COUNT, report.failures
    return prompts, root / "audio"


@pytest.fixture
def small(built_small: tuple[Path, Path], tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A private copy of the built small prompts: (prompts, audio)."""
    prompts, audio = built_small
    yield shutil.copytree(prompts, tmp_path / "prompts"), shutil.copytree(audio, tmp_path / "audio")
