"""What every telephone-ready file is: one format, one loudness, one shape. See audio/README.md."""

from __future__ import annotations

# Bump when the processing changes: every file then gets a new name (and a new URL).
PIPELINE_VERSION = 1

RATE = 8000  # Hz, mono, G.711 μ-law in a WAV file: exactly what the phone network carries
TELEPHONE_FORMAT = "8000 Hz mono mu-law"
TARGET_LEVEL = -20.0  # dBFS, active speech level (see process.speech_level)
LEVEL_TOLERANCE = 0.5  # dB; the build meets the target this closely
CHECK_TOLERANCE = 2.0  # dB; `ivr audio check` calls a file too quiet or too loud beyond this
PEAK_CEILING = -1.0  # dBFS; the limiter keeps every sample below it
LEAD_IN_MS = 250  # silence before the speech, so the first syllable is never cut
TAIL_MS = 300  # silence after it: with the next prompt's lead-in, about 0.55 s between options
MAX_SECONDS = 45.0  # a longer message loses the caller: split it
