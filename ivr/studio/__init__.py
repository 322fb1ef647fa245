"""The recording studio: native speakers record every prompt in the browser, a second person approves.

- `takes`: what each prompt of a language has (missing, stale, recorded, approved, rejected),
  the take's record beside the recording, and review. Light: the web path may import it.
  It gathers the names of `records` (the take's record), `progress` (each prompt's state),
  `manifest` (the lock; the manifest mirroring the records; retire, sweep) and `review`.
- `intake`: a take through the audio pipeline and its checks, then stored atomically. Heavy
  (pydub, ffmpeg): imported only inside a request or a command that needs it.
- `sound`: a take's container, decoded for the checks, judged fit for callers (heavy too).
- `script`: the script sheet for a studio session, numbers kept left to right.
- `cli`: `ivr audio approve`, `export-script`, `import-takes`.
The page and its upload API are in ivr/console/record.py.
"""
