"""eSpeak NG, the offline voice: the library from the espeakng-loader wheel through ctypes,
or the system's espeak-ng program when the wheel cannot be loaded.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import threading
from typing import Protocol

from .errors import EngineUnavailable, SourceError
from .types import Audio

# From espeak-ng's speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2
CHARS_UTF8 = 1
PARAM_RATE = 1
EE_OK = 0
SYNTH_TIMEOUT = 60  # seconds, for the program

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
# The library keeps global state and calls back synchronously: one synthesis at a time.
_LOCK = threading.Lock()
_LOADED: dict[str, tuple[ctypes.CDLL, int, str]] = {}
_CHUNKS: list[bytes] = []


class Backend(Protocol):
    """Something that speaks text with an eSpeak NG voice."""

    version: str

    def synth(self, text: str, voice: str, rate: int) -> Audio:
        """Speak `text` with `voice` at `rate` words per minute."""
        ...


class Library:
    """libespeak-ng loaded with ctypes; its samples arrive through a callback."""

    def __init__(self, library: str | None = None, data: str | None = None) -> None:
        try:
            if library is None or data is None:
                import espeakng_loader

                library = library or espeakng_loader.get_library_path()
                data = data or espeakng_loader.get_data_path()
            with _LOCK:
                if library not in _LOADED:
                    _LOADED[library] = _load(library, data)
        except (ImportError, OSError, RuntimeError) as e:
            raise EngineUnavailable(f"eSpeak NG library not loadable: {e}") from e
        self._lib, self.rate, self.version = _LOADED[library]

    def synth(self, text: str, voice: str, rate: int) -> Audio:
        """Speak `text` with `voice` at `rate` words per minute, as 16-bit mono samples."""
        data = text.encode("utf-8")
        with _LOCK:
            if self._lib.espeak_SetVoiceByName(voice.encode("ascii")) != EE_OK:
                raise SourceError(f"eSpeak NG has no voice {voice!r}")
            self._lib.espeak_SetParameter(PARAM_RATE, rate, 0)
            _CHUNKS.clear()
            result = self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, CHARS_UTF8, None, None)
            pcm = b"".join(_CHUNKS)
            _CHUNKS.clear()
        if result != EE_OK or not pcm:
            raise SourceError(f"eSpeak NG failed (error {result}) on voice {voice!r}")
        return Audio(data=pcm, format="s16le", rate=self.rate)


@_CALLBACK
def _collect(wav: ctypes.Array, count: int, events: int) -> int:
    """Where the library delivers samples (synchronously, inside espeak_Synth, under _LOCK)."""
    if wav and count > 0:
        _CHUNKS.append(ctypes.string_at(wav, count * 2))
    return 0  # go on


def _load(library: str, data: str) -> tuple[ctypes.CDLL, int, str]:
    """Load and start the library once per process: it is one global engine."""
    lib = ctypes.CDLL(library)
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
        ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    lib.espeak_Info.restype = ctypes.c_char_p
    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), 0)
    if rate <= 0:
        raise RuntimeError(f"espeak_Initialize failed with its data at {data}")
    lib.espeak_SetSynthCallback(_collect)
    return lib, rate, "lib-" + (lib.espeak_Info(None) or b"?").decode("ascii", "replace")


class Program:
    """The espeak-ng program (Debian's espeak-ng package); WAV arrives on its stdout."""

    def __init__(self, program: str = "espeak-ng") -> None:
        found = shutil.which(program)
        if found is None:
            raise EngineUnavailable(f"no {program} program on PATH")
        self.program = found
        try:
            done = subprocess.run([found, "--version"], capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise EngineUnavailable(f"{found} does not run: {e}") from e
        first = done.stdout.decode("utf-8", "replace").strip().splitlines()
        self.version = "program-" + (first[0].split(" ")[3] if first and len(first[0].split(" ")) > 3 else "?")

    def synth(self, text: str, voice: str, rate: int) -> Audio:
        """Speak `text` with `voice` at `rate` words per minute, as a WAV file."""
        try:
            done = subprocess.run(
                [self.program, "-v", voice, "-s", str(rate), "--stdout", "--stdin"],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=SYNTH_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SourceError(f"{self.program} failed: {e}") from e
        if done.returncode != 0 or len(done.stdout) <= 44:
            why = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
            raise SourceError(f"{self.program} -v {voice}: {why}")
        return Audio(data=done.stdout, format="wav")


def find_backend(library: str | None = None, program: str = "espeak-ng") -> Backend:
    """The wheel's library if it loads, else the system program; raise EngineUnavailable."""
    try:
        return Library(library)
    except EngineUnavailable as lib_error:
        try:
            return Program(program)
        except EngineUnavailable as program_error:
            raise EngineUnavailable(f"eSpeak NG: {lib_error}; {program_error}") from program_error
