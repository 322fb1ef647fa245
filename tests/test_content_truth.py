"""The wordings the content audit and the translation reviews found wrong stay gone.

Each row is a phrase a caller once heard and could act on wrongly; the rule it breaks is in the
header of prompts/notes.toml. A new translation that repeats one fails here.
"""

from __future__ import annotations

import pytest

from .conftest import CONTENT

# legevakt (116 117) must never sound like the emergency number 113: these were the words used.
LEGEVAKT_AS_EMERGENCY = {
    "en": "emergency doctor",
    "es": "urgencias médicas",
    "sq": "mjekun e urgjencës",
    "ar": "طبيب الطوارئ",
    "th": "คลินิกฉุกเฉิน",
    "vi": "phòng khám cấp cứu",
    "zh": "急诊诊所",
    "tl": "emergency na doktor",
    "ti": "ናይ ህጹጽ ሓኪም",
    "so": "dhakhtarka gurmadka",
}
# Wordings of the Norwegian source and the English, from the content audit (E1-E10).
OLD = {
    "nb": [
        "penger å leve for",  # E7: money to live *for*
        "gjøre kriminalitet",  # E9
        "bestemmer hvem som får bo i Norge",  # A7: UDI as gatekeeper, before "contact UDI"
        "gratis å ringe",  # E5: this call's cost depends on the deployment's number
        "Koordineringsenheten for ofre",  # E1: KOM's old name
        "hjelper med å finne ofre og gi dem hjelp",  # E4: KOM does not help victims directly
    ],
    "en": [
        "protection from the police",  # E2: heard as protection against the police
        "Coordination Unit for Victims of Trafficking",  # E1
        "the call is free",  # E5
        "decides who can stay in Norway",  # A7
        "It can be crime",  # E9
        "forced work",  # E9
        "Do you not have a residence permit",  # E10
    ],
}
# What the corrected texts must say (the same audit).
NEW = {
    "nb": {
        "msg_trafficking_what": "andre urettmessige midler",
        "msg_about": "Koordineringsenheten mot menneskehandel",
        "msg_help_housing": "ROSA kan hjelpe voksne",
        "opt_help_police": "beskyttelse av politiet",
        "rosa_unanswered": "Er du i fare nå, legg på og ring 1 1 2.",
    },
    "en": {
        "msg_trafficking_what": "other improper means",
        "msg_about": "Coordination Unit against Human Trafficking",
        "msg_help_health": "out-of-hours doctor, legevakt",
        "opt_help_police": "police protection",
        "msg_help_housing": "ROSA can help adults",
    },
}


def texts(code: str) -> dict[str, str]:
    return dict(CONTENT.languages[code].prompts)


@pytest.mark.parametrize(("code", "phrase"), sorted(LEGEVAKT_AS_EMERGENCY.items()))
def test_legevakt_is_never_called_an_emergency_service(code: str, phrase: str) -> None:
    found = [p for p, t in texts(code).items() if phrase in t]
    assert not found, f"{code}: {phrase!r} in {found}"


@pytest.mark.parametrize(("code", "phrase"), [(c, p) for c, ps in OLD.items() for p in ps])
def test_an_old_wording_is_gone(code: str, phrase: str) -> None:
    found = [p for p, t in texts(code).items() if phrase.lower() in t.lower()]
    assert not found, f"{code}: {phrase!r} in {found}"


@pytest.mark.parametrize(("code", "prompt", "phrase"), [(c, p, w) for c, ps in NEW.items() for p, w in ps.items()])
def test_the_corrected_wording_is_said(code: str, prompt: str, phrase: str) -> None:
    assert phrase in texts(code)[prompt]


@pytest.mark.parametrize("code", ["nb", "en"])
def test_only_free_call_says_that_this_call_is_free(code: str) -> None:
    said = {"nb": "samtalen er gratis", "en": "call is free"}[code]
    assert [p for p, t in texts(code).items() if said in t.lower()] == ["free_call"]


def test_the_trafficking_topic_opens_with_the_brochures_title_question() -> None:
    assert CONTENT.menu.nodes["trafficking"].body[0] == "msg_trafficking_title"
    assert texts("nb")["msg_trafficking_title"].startswith("Opplever du vold, tvang eller press?")


@pytest.mark.parametrize("code", sorted(CONTENT.languages))
def test_the_police_message_gives_112_and_02800_and_the_welcome_gives_rosas_number(code: str) -> None:
    t = texts(code)
    assert "1 1 2" in t["msg_help_police"] and "0 2 8 0 0" in t["msg_help_police"]
    assert "22 33 11 60" in t["safety"]
    assert "1 1 2" in t["rosa_unanswered"]
