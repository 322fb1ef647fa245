"""The audio pipeline: human recordings, gTTS and eSpeak NG to telephone-ready files.

Run by `ivr audio build` and `ivr audio check`, never during a call: the web path reads
only audio/manifest.json (ivr.catalog) and never imports pydub or gTTS. See audio/README.md.
"""
