"""Is each language really written in its script and its language? Checks for `ivr check`.

Only the CLI imports this (lingua is large); the web path never does.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from .content import Content, Language, web_addresses

# Long enough for a language identifier to be trusted.
MIN_IDENTIFY_CHARS = 60
_SCRIPT_PREFIXES = {
    "Latin": ("LATIN",),
    "Cyrillic": ("CYRILLIC",),
    "Arabic": ("ARABIC",),
    "Thai": ("THAI",),
    "Han": ("CJK", "IDEOGRAPHIC"),
    "Ethiopic": ("ETHIOPIC",),
}
# Names that stay in Latin letters in every language.
_KEPT_NAMES = re.compile(
    r"ROSA|UDI|IOM|NAV|KOM|VO-linjen|Alarmtelefonen|[Bb]arnevernet|[Ll]egevakten?|Arbeidstilsynet|"
    r"Krisesentersekretariatet|Kirkens Bymisjon|Frelsesarmeen|Maritastiftelsen|Caritas Norge|Pro Sentret|"
    r"Shalam Kristiansand|Røde Kors|Politidirektoratet|Utlendingsdirektoratet"
)


def script_of(text: str) -> str | None:
    """The script most letters of `text` are written in, names and web addresses aside."""
    for address in web_addresses(text):
        text = text.replace(address, " ")
    text = _KEPT_NAMES.sub(" ", text)
    counts: Counter[str] = Counter()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for script, prefixes in _SCRIPT_PREFIXES.items():
            if name.startswith(prefixes):
                counts[script] += 1
                break
        else:
            counts["other"] += 1
    return counts.most_common(1)[0][0] if counts else None


def check_scripts(content: Content) -> list[str]:
    """Prompts whose letters are mostly not in their language's script."""
    problems = []
    for lang in content.languages.values():
        for pid, text in lang.prompts.items():
            found = script_of(text)
            if found and found != lang.script:
                problems.append(f"{lang.code}.toml: {pid} is written in {found}, not {lang.script}")
    return problems


def check_identity(content: Content) -> list[str]:
    """Long prompts that an offline language identifier reads as another of our languages."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder
    from lingua import Language as Lingua

    known: dict[str, Lingua] = {}
    for code in content.languages:
        iso = getattr(IsoCode639_1, code.upper(), None)
        if iso is not None:
            known[code] = Lingua.from_iso_code_639_1(iso)
    if len(known) < 2:
        return []
    detector = LanguageDetectorBuilder.from_languages(*known.values()).build()
    problems = []
    for code, expected in known.items():
        lang: Language = content.languages[code]
        for pid, text in lang.prompts.items():
            plain = _KEPT_NAMES.sub(" ", text)
            if len(plain) < MIN_IDENTIFY_CHARS:
                continue
            found = detector.detect_language_of(plain)
            if found is not None and found != expected:
                problems.append(f"{code}.toml: {pid} reads as {found.name.title()}, not {expected.name.title()}")
    return problems
