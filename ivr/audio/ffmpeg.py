"""ffmpeg from the imageio-ffmpeg wheel, and pydub pointed at it, so pip alone is enough.

imageio-ffmpeg ships ffmpeg but no ffprobe, so nothing here asks pydub to probe a file:
sources are decoded by one ffmpeg run that also downmixes and resamples.
"""

from __future__ import annotations

import functools
import subprocess
import warnings

from .errors import DecodeError
from .types import Audio

with warnings.catch_warnings():
    # pydub looks for ffmpeg on PATH when imported; the wheel's binary is set just below.
    warnings.filterwarnings("ignore", "Couldn't find ffmpeg or avconv", RuntimeWarning)
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from pydub import AudioSegment, silence

__all__ = ["AudioSegment", "decode", "ffmpeg_exe", "silence"]

DECODE_TIMEOUT = 120  # seconds; a prompt is well under a minute of audio
HIGHPASS_HZ = 100  # the phone passes 300-3400 Hz; rumble below would only eat headroom


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary: IMAGEIO_FFMPEG_EXE if set, else the one in the imageio-ffmpeg wheel."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# pydub's own exports (MP3 and the like) use the same binary.
AudioSegment.converter = ffmpeg_exe()


def decode(audio: Audio, rate: int) -> AudioSegment:
    """Decode to 16-bit mono at `rate`: high-passed, resampled by SoX's resampler (no aliasing)."""
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error"]
    if audio.format == "s16le":
        command += ["-f", "s16le", "-ar", str(audio.rate or 22050), "-ac", "1"]
    elif audio.format and audio.path is None:
        command += ["-f", audio.format]
    command += [
        "-i", str(audio.path) if audio.path else "pipe:0",
        "-map", "0:a:0",
        # pydub's set_frame_rate (audioop.ratecv) has no low-pass filter: a 5 kHz hiss would
        # fold down to 3 kHz at -15 dB. soxr removes it to below -90 dB.
        "-af", f"highpass=f={HIGHPASS_HZ},aresample=resampler=soxr",
        "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            input=None if audio.path else audio.data,
            capture_output=True,
            timeout=DECODE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DecodeError(f"ffmpeg could not run on {audio.describe()}: {e}") from e
    if done.returncode != 0 or not done.stdout:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DecodeError(f"cannot decode {audio.describe()}: {why[-1] if why else 'no audio in it'}")
    return AudioSegment(data=done.stdout[: len(done.stdout) // 2 * 2], sample_width=2, frame_rate=rate, channels=1)
