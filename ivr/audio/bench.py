"""Benchmark the audio pipeline offline: `python -m ivr.audio.bench` (not a test).

Builds the offline audio (recordings, then eSpeak NG) into a temporary folder and
reports: the full build time per language, the no-op rebuild time (in process, and as a
whole `ivr audio build` command), seconds of audio and bytes per second per language, the
loudness and peaks reached, the seconds a caller hears before the ROSA option ("press 0"
in the greeting) is offered in each language, and what μ-law costs against 16-bit PCM.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

import click

from ..call.graph import CallGraph
from ..call.position import Enter, Position
from ..call.step import step
from ..catalog import Catalog
from ..config import Settings
from ..content import Content, Language, load, spoken_numbers
from ..playback import Playback
from ._audioop import audioop
from .build import Builder, Report
from .ffmpeg import ffmpeg_exe
from .process import telephone_pcm
from .sources import Espeak, NotHere, Recorded, spoken
from .spec import LEAD_IN_MS, MAX_SECONDS, PEAK_CEILING, RATE, TAIL_MS, TARGET_LEVEL
from .store import Store
from .wavfile import HEADER_BYTES


@click.command()
@click.option("--lang", "langs", multiple=True, default=("nb", "en"), show_default=True, help="Languages to build.")
@click.option("--jobs", type=int, default=lambda: max(1, min(8, os.cpu_count() or 1)), help="Parallel workers.")
@click.option("--prompts-dir", type=click.Path(path_type=Path, file_okay=False), default=None, help="Default: prompts/.")
@click.option("--keep", type=click.Path(path_type=Path, file_okay=False), default=None, help="Build here and keep it.")
def main(langs: tuple[str, ...], jobs: int, prompts_dir: Path | None, keep: Path | None) -> None:
    """Build offline audio into a temporary folder and report the figures."""
    content = load(prompts_dir) if prompts_dir else load()
    folder = keep or Path(tempfile.mkdtemp(prefix="ivr-audio-bench-"))
    try:
        report(content, folder, langs, jobs, prompts_dir)
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def report(content: Content, folder: Path, langs: tuple[str, ...], jobs: int, prompts_dir: Path | None) -> None:
    """Build, time, measure, print."""
    builder = Builder(content, Store(folder), [Recorded(folder / "recorded"), Espeak()], jobs=jobs)
    click.echo(f"# Audio pipeline benchmark ({os.cpu_count()} CPUs, {jobs} workers, eSpeak NG offline)\n")
    click.echo("| step | seconds | prompts built |")
    click.echo("|---|---:|---:|")
    total = 0.0
    for lang in langs:
        started = time.perf_counter()
        built = builder.build([lang])
        took = time.perf_counter() - started
        total += took
        _must_be_ok(built)
        click.echo(f"| full build, {lang} | {took:.2f} | {built.count('built')} |")
    click.echo(f"| full build, all | {total:.2f} | |")
    started = time.perf_counter()
    again = builder.build(list(langs))
    click.echo(f"| no-op rebuild, in process | {time.perf_counter() - started:.2f} | {again.count('built')} |")
    click.echo(f"| no-op rebuild, `ivr audio build` command | {_command_seconds(folder, langs, prompts_dir):.2f} | 0 |")

    catalog = Catalog.load(folder)
    click.echo(
        "\n| language | prompts | seconds of audio | bytes | bytes per second "
        "| loudness min / max (dBFS) | highest peak (dBFS) | over 45 s |"
    )
    click.echo("|---|---:|---:|---:|---:|---|---:|---|")
    for lang in langs:
        files = [f for f in catalog.files() if f.lang == lang]
        seconds = sum(f.duration for f in files)
        size = sum(f.bytes for f in files)
        levels = [f.loudness for f in files if f.loudness is not None]
        longest = sorted(files, key=lambda f: -f.duration)
        long = ", ".join(f"{f.prompt} {f.duration:.0f} s" for f in longest if f.duration > MAX_SECONDS)
        click.echo(
            f"| {lang} | {len(files)} | {seconds:.1f} | {size} | {size / seconds:.0f} | "
            f"{min(levels):.2f} / {max(levels):.2f} | {max(f.peak or -99 for f in files):.2f} | {long or '-'} |"
        )
    click.echo(f"\nTarget: {TARGET_LEVEL:.0f} dBFS active speech level, peaks below {PEAK_CEILING:.0f} dBFS.")

    click.echo("\n## Time until the ROSA option is offered (\"press 0\" in the greeting)\n")
    click.echo("Seconds from the start of the call (a caller in Norway), eSpeak NG voices.\n")
    click.echo("| language | the sentence naming 0 starts (s) | \"press 0\" has been heard (s) |")
    click.echo("|---|---:|---:|")
    settings = Settings(play_engines=("recorded", "gtts", "espeak"), audio_dir=folder, languages=tuple(langs))
    for lang, (starts, ends) in rosa_offer(content, settings, catalog).items():
        click.echo(f"| {lang} | {starts:.1f} | {ends:.1f} |" if starts is not None else f"| {lang} | ? | {ends:.1f} |")

    click.echo("\n## μ-law or 16-bit PCM (measured on the files just built)\n")
    for line in format_figures(content, catalog, folder, langs[0]):
        click.echo(line)


def rosa_offer(content: Content, settings: Settings, catalog: Catalog) -> dict[str, tuple[float | None, float]]:
    """For each greeting language: when its "press 0" sentence starts and ends, in seconds of call.

    The language menu is read from the call flow itself, so the order is what a caller hears.
    Where the sentence starts inside the greeting is measured by speaking that sentence (and
    whatever follows it in the prompt) on its own with the same voice and pipeline.
    """
    playback = Playback(content, settings, catalog)
    graph = CallGraph.build(content, settings, playback)
    menu = step(graph, Position("start"), Enter())
    clock = 0.0
    found: dict[str, tuple[float | None, float]] = {}
    for lang, prompt in menu.parts:
        language = content.languages[lang]
        text = language.text(prompt)
        entry = catalog.find(lang, prompt, text, settings.play_engines)
        if entry is None:
            raise click.ClickException(f"{lang}/{prompt} has no audio; the build failed")
        if prompt == "greeting" and lang not in found:
            ends = clock + entry.duration - TAIL_MS / 1000
            found[lang] = (_offer_start(language, prompt, text, content.menu.keys.talk, ends), ends)
        clock += entry.duration
    return found


def _offer_start(language: Language, prompt: str, text: str, key: str, ends: float) -> float | None:
    """When the sentence naming `key` starts, given when the prompt's speech ends."""
    sentences = re.split(r"(?<=[.!?])\s+", spoken(text))
    index = next((i for i, s in enumerate(sentences) if key in spoken_numbers(s)), None)
    if index is None:
        return None
    plan = Espeak().plan(language, prompt, " ".join(sentences[index:]))
    if isinstance(plan, NotHere):
        return None
    speech = len(telephone_pcm(plan.fetch())) / 2 / RATE - (LEAD_IN_MS + TAIL_MS) / 1000
    return ends - speech


def format_figures(content: Content, catalog: Catalog, folder: Path, lang: str) -> list[str]:
    """Size and quality of μ-law against 16-bit PCM, and whether ffmpeg's G.711 agrees with ours."""
    files = [f for f in catalog.files() if f.lang == lang]
    seconds = sum(f.duration for f in files)
    mulaw = sum(f.bytes for f in files)
    pcm16 = sum(2 * (f.bytes - HEADER_BYTES) + 44 for f in files)
    sample = max(files, key=lambda f: f.duration)
    source = Espeak().plan(content.languages[lang], sample.prompt, content.languages[lang].text(sample.prompt))
    pcm = telephone_pcm(source.fetch())  # type: ignore[union-attr]
    ours = audioop.lin2ulaw(pcm, 2)
    theirs = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
         "-c:a", "pcm_mulaw", "-f", "mulaw", "pipe:1"],
        input=pcm, capture_output=True, check=True,
    ).stdout  # fmt: skip
    same = sum(1 for a, b in zip(ours, theirs, strict=False) if a == b) / max(1, len(ours))
    back = audioop.ulaw2lin(ours, 2)
    signal = sum(s * s for s in array("h", pcm))
    noise = sum((a - b) ** 2 for a, b in zip(array("h", pcm), array("h", back), strict=True))
    requantized = audioop.lin2ulaw(back, 2) == ours
    return [
        f"- {lang}: {seconds:.0f} s of audio: μ-law {mulaw / 1e6:.2f} MB ({mulaw / seconds:.0f} B/s), "
        f"16-bit PCM would be {pcm16 / 1e6:.2f} MB ({pcm16 / seconds:.0f} B/s): {pcm16 / mulaw:.2f}× larger.",
        f"- μ-law's quantization noise on {sample.prompt}: SNR {10 * math.log10(signal / max(noise, 1)):.1f} dB "
        "(the phone line applies exactly this step to whatever it is given).",
        f"- ffmpeg's G.711 encoder gives the same byte for {same:.2%} of the samples as ours; "
        f"decoding and re-encoding our μ-law {'changes nothing' if requantized else 'changes bytes'}.",
    ]


def _command_seconds(folder: Path, langs: tuple[str, ...], prompts_dir: Path | None) -> float:
    env = {**os.environ, "IVR_AUDIO_DIR": str(folder)}
    if prompts_dir:
        env["IVR_PROMPTS_DIR"] = str(prompts_dir)
    args = [sys.executable, "-m", "ivr", "audio", "build", "--engine", "recorded", "--engine", "espeak"]
    for lang in langs:
        args += ["--lang", lang]
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0 or "built 0," not in done.stdout:
        raise click.ClickException(f"the no-op rebuild did something: {done.stdout}{done.stderr}")
    return took


def _must_be_ok(report: Report) -> None:
    if not report.ok:
        raise click.ClickException("the build failed:\n" + "\n".join(str(f) for f in report.failures))


if __name__ == "__main__":
    main()
