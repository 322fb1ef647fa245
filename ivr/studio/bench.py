"""Figures for the studio, in a temporary folder: `python -m ivr.studio.bench [--lang ti]`.

Takes are eSpeak NG reading each prompt (the wheel's library), as WAV and as Opus in WebM (what
Chromium's MediaRecorder sends). Prints how long a kept take takes to check and store, how long
the studio page and a review of every prompt take, and what the line's reload after it costs.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import subprocess
import tempfile
import time
import wave
from io import BytesIO
from pathlib import Path


def _wav(pcm: bytes, rate: int) -> bytes:
    out = BytesIO()
    with wave.open(out, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(b"\0\0" * (rate // 2) + pcm + b"\0\0" * rate)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lang", default="ti")
    args = parser.parse_args()

    from ..app import create_app
    from ..audio.espeak import find_backend
    from ..audio.ffmpeg import ffmpeg_exe
    from ..audio.sources import spoken
    from ..content import load
    from . import intake, live
    from .takes import review

    content = load()
    lang = content.languages[args.lang]
    prompts = content.caller_prompts(args.lang)
    voice = find_backend()
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(tmp) / "audio"
        takes = {}
        for p in prompts:
            made = voice.synth(spoken(lang.text(p)), lang.espeak or "en", 140)
            takes[p] = _wav(made.data, made.rate or 22050)
        sizes = [len(t) for t in takes.values()]
        seconds = []
        started = time.monotonic()
        for p, data in takes.items():
            t = time.monotonic()
            intake.take(content, audio, args.lang, p, data)
            seconds.append(time.monotonic() - t)
        total = time.monotonic() - started
        # Opus in WebM, as a browser sends it
        src = Path(tmp) / "long.wav"
        longest = max(prompts, key=lambda p: len(takes[p]))
        src.write_bytes(takes[longest])
        webm = Path(tmp) / "long.webm"
        subprocess.run(
            [ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(src), "-c:a", "libopus", "-b:a", "64k", str(webm)],
            check=True,
        )
        t = time.monotonic()
        intake.take(content, audio, args.lang, longest, webm.read_bytes())
        webm_seconds = time.monotonic() - t
        webm_bytes = webm.stat().st_size

        app = create_app({"IVR_ALLOW_UNSIGNED": "1", "IVR_AUDIO_DIR": str(audio), "IVR_RECORDER_PASSWORD": "bench-recorder"})
        auth = {"Authorization": "Basic " + base64.b64encode(b"recorder:bench-recorder").decode()}
        client = app.test_client()
        client.get(f"/console/record?lang={args.lang}", headers=auth)
        t = time.monotonic()
        for _ in range(5):
            page = client.get(f"/console/record?lang={args.lang}", headers=auth)
        page_seconds = (time.monotonic() - t) / 5
        t = time.monotonic()
        review(content, audio, args.lang, prompts, "approved")
        review_seconds = time.monotonic() - t
        t = time.monotonic()
        live.reload(app)
        reload_seconds = time.monotonic() - t
        offered = args.lang in app.extensions["ivr"].offered
        follower = app.extensions["ivr.follower"]
        t = time.monotonic()
        for _ in range(1000):
            follower.due = 0.0  # every call due: a stat() each time
            follower()
        check_us = (time.monotonic() - t) / 1000 * 1e6

    print(f"language {args.lang}: {len(prompts)} prompts, takes of eSpeak NG at 140 words a minute")
    print(f"WAV takes (22.05 kHz 16-bit): {statistics.median(sizes) / 1e3:.0f} KB median, {max(sizes) / 1e6:.2f} MB largest")
    print(f"check and store one take: median {statistics.median(seconds) * 1000:.0f} ms, slowest {max(seconds) * 1000:.0f} ms")
    print(f"all {len(prompts)} takes one after another: {total:.1f} s")
    print(f"longest prompt ({longest}) as 64 kbit/s Opus in WebM: {webm_bytes / 1e3:.0f} KB, kept in {webm_seconds * 1000:.0f} ms")
    print(f"studio page with every prompt recorded: {page_seconds * 1000:.0f} ms, {len(page.data) / 1e3:.0f} KB")
    print(f"approve all {len(prompts)}: {review_seconds * 1000:.0f} ms; reload of the line after it: {reload_seconds * 1000:.0f} ms")
    print(f"offered after approval: {offered}; the manifest check before a request, when due (every 2 s): {check_us:.0f} µs")


if __name__ == "__main__":
    main()
