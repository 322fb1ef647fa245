"""Twilio's <Say> voice table, shipped with the package: which voice speaks which language.

An invalid voice or voice/language pair makes Twilio skip or fail a <Say> (warning 13511),
so the line's voices, and every <Say> a deployment answers (`ivr smoke`), are checked
against this table. Refresh ivr/data/twilio-voices.tsv when Twilio changes its voices.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType

TABLE = "data/twilio-voices.tsv"


@cache
def say_voices() -> Mapping[str, frozenset[str]]:
    """Each voice Twilio lists (e.g. Polly.Ida-Neural), with the languages it is listed for."""
    text = files("ivr").joinpath(TABLE).read_text(encoding="utf-8")
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(("#", "language\t")):
            continue
        language, _type, _gender, voice = line.split("\t")
        found.setdefault(voice, set()).add(language)
    return MappingProxyType({voice: frozenset(langs) for voice, langs in found.items()})


def say_pairs() -> frozenset[tuple[str, str]]:
    """Every (language, voice) pair in Twilio's table."""
    return frozenset((lang, voice) for voice, langs in say_voices().items() for lang in langs)
